//! The parameters many operations share, described once: the month in the
//! path, the headers every write needs (`Idempotency-Key`) and every call
//! may send (`Accept-Language`), and the draft's `If-Match`. Never filled
//! in: the handlers read these themselves (`answers`, `idempotent`).

use utoipa::IntoParams;

/// `{period}` in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PeriodPath {
    /// The month of occurrence, `YYYY-MM`. A month that has not begun yet
    /// is not found (404).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-04")]
    pub period: String,
}

/// `{version}` in the path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct VersionPath {
    /// The version's number, from 1 (the first submission).
    #[param(minimum = 1, maximum = 2147483647, example = 1)]
    pub version: i32,
}

/// The headers of every `PUT` and `POST` but the token endpoint's.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Any string the client chooses, one per request it means (a UUID
    /// does): 1 to 255 printable ASCII characters, no space at either end.
    /// A repeat with the same key and the same request is answered as the
    /// first was (`Idempotent-Replayed: true`) without doing it again; the
    /// same key with another request is refused (422); a repeat while the
    /// first still runs is told to wait (409). Keys are kept 24 hours.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = r"^[!-~]([ -~]*[!-~])?$",
        example = "9b2f1c1e-6c0a-4e55-a2b1-3f0f8d7c2a10"
    )]
    pub idempotency_key: String,
}

/// The language of messages and problem titles.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct AcceptLanguageHeader {
    /// `ja` for Japanese; English otherwise.
    #[param(rename = "Accept-Language", value_type = String, required = false, example = "ja")]
    pub accept_language: Option<String>,
}

/// The draft the caller checked, when marking it ready.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The draft's `ETag` as `GET`/`PUT …/draft` gave it (one strong ETag,
    /// the quoted SHA-256): the draft is marked only if it is still that
    /// one (else 412); without it, 428.
    #[param(
        rename = "If-Match",
        pattern = r#"^"[0-9a-fA-F]{64}"$"#,
        example = r#""3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b""#
    )]
    pub if_match: String,
}

/// The months of the regulator's summary.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// The first month (`YYYY-MM`); by default the 12 months ending at
    /// `to`, not before the first month filed. A range spans at most 36
    /// months (the latest kept).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-02")]
    pub from: Option<String>,
    /// The last month (`YYYY-MM`); by default the last month filed.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-04")]
    pub to: Option<String>,
    /// The figures as the versions submitted by this moment made them: an
    /// RFC 3339 date-time, a Tokyo date-time (`2025-04-16T18:00`) or a
    /// date (the end of that day, Tokyo). Anything else is refused (422).
    #[param(example = "2025-04-16T18:00:00+09:00")]
    pub as_of: Option<String>,
}

/// The months of the completeness of filing.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletenessQuery {
    /// The first month (`YYYY-MM`); by default the 12 months ending at
    /// `to`. A range spans at most 36 months (the latest kept).
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-01")]
    pub from: Option<String>,
    /// The last month (`YYYY-MM`); by default the last month whose returns
    /// can be due.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2025-04")]
    pub to: Option<String>,
}

/// `{id}` in an incident's path.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IncidentPath {
    /// The incident's id (`id` in its answers). Another firm's incident,
    /// like one that does not exist, is not found (404).
    #[param(minimum = 1, maximum = 9007199254740991_i64, example = 12)]
    pub id: i64,
}

/// `{stage}` in the path of a stage.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct StagePath {
    /// `initial`, `intermediate` or `final`.
    #[param(pattern = "^(initial|intermediate|final)$", example = "intermediate")]
    pub stage: String,
}

/// The incident the caller read, when sending a stage of it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IncidentIfMatchHeader {
    /// The incident's `ETag` as `GET /api/v1/incidents/{id}` gave it (the
    /// quoted number of its latest version, `"0"` before the first is
    /// sent): the stage is sent only if no version was sent since (else
    /// 412); without it, 428.
    #[param(
        rename = "If-Match",
        pattern = r#"^"[0-9]{1,10}"$"#,
        example = r#""1""#
    )]
    pub if_match: String,
}
