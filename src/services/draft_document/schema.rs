//! The draft document's shape as typed structs, for its JSON Schema and
//! the filing API's OpenAPI document (utoipa `ToSchema`): never filled in,
//! only described. [`super::from_json`] and [`super::to_json`] work from
//! the member table beside it; the tests hold the two to one shape (every
//! member at the same pointer with the same limits, every object closed).

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// The draft of one firm's monthly return. Every member may be `null` or
/// absent (not filled yet); a `PUT` replaces the whole draft.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftDocument {
    /// `true` marks the month a nil return (nothing to report): nothing
    /// else may then be filled but `warnings_explanation`, which a nil
    /// return needs when the firm reported incidents that began in the
    /// month (rule RET-W006).
    pub nil_return: Option<bool>,
    pub figures: Option<DraftFigures>,
    pub purchase_by_market: Option<DraftPurchaseByMarket>,
    pub vectors: Option<DraftVectors>,
    pub detection: Option<DraftDetection>,
    pub losses: Option<DraftLosses>,
    pub remediation: Option<DraftRemediation>,
    pub contact: Option<DraftContact>,
    /// Why figures the checks flag as unusual are right (several lines).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub warnings_explanation: Option<String>,
    pub amendment: Option<DraftAmendment>,
    /// Read-only: values typed in the portal that are not valid here.
    #[schema(schema_with = as_typed)]
    pub as_typed: Option<BTreeMap<String, String>>,
}

/// The figures the regulator publishes, for the month.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftFigures {
    /// Logins to customer accounts by someone other than the customer.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub unauthorized_accesses: Option<i64>,
    /// Customer accounts accessed without authorization.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub affected_accounts: Option<i64>,
    /// Trades placed through the unauthorized accesses.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub fraudulent_trades: Option<i64>,
    /// Yen value sold in the fraudulent trades.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub sale_amount: Option<i64>,
    /// Yen value bought in the fraudulent trades.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub purchase_amount: Option<i64>,
}

/// The purchase amount by market, in yen (adding up to the purchase amount
/// at submission).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftPurchaseByMarket {
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub domestic: Option<i64>,
    /// China and Hong Kong.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub china_hk: Option<i64>,
    /// The United States.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub us: Option<i64>,
    /// Other foreign markets.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub other: Option<i64>,
}

/// Cases by attack vector.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftVectors {
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub phishing: Option<i64>,
    /// Credential stuffing or a reused password.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub credential_stuffing: Option<i64>,
    /// Malware or an infostealer.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub malware: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub sim_swap: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub insider: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub unknown: Option<i64>,
}

/// Cases by how they were detected.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftDetection {
    /// A customer's enquiry.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub customer_enquiry: Option<i64>,
    /// The firm's own monitoring.
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub own_monitoring: Option<i64>,
    /// Otherwise (say how in `other_description`).
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub other: Option<i64>,
    /// How the other cases were detected (one line).
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub other_description: Option<String>,
}

/// Customer losses and their compensation.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftLosses {
    /// In yen.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub customer_losses: Option<i64>,
    /// In yen.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    pub compensation_paid: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub accounts_compensated: Option<i64>,
    pub compensation_policy: Option<CompensationPolicyCode>,
    /// The share compensated under a partial policy, in percent.
    #[schema(minimum = 1, maximum = 99)]
    pub compensation_percent: Option<i64>,
}

/// `full` restoration, `partial` (give the percentage) or `considering`.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CompensationPolicyCode {
    Full,
    Partial,
    Considering,
}

/// The measures taken against the attacks.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftRemediation {
    pub checklist: Option<DraftChecklist>,
    /// What was done, in the firm's words (several lines).
    #[schema(
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub narrative: Option<String>,
}

/// Each measure of the remediation checklist.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftChecklist {
    /// Multi-factor authentication made mandatory.
    pub mfa_mandatory: Option<DraftMeasure>,
    /// Phishing-resistant MFA (passkeys) offered.
    pub passkeys_offered: Option<DraftMeasure>,
    /// Login notifications to customers.
    pub login_notifications: Option<DraftMeasure>,
    /// Trading restrictions on affected securities.
    pub trading_restrictions: Option<DraftMeasure>,
    /// Affected accounts frozen.
    pub accounts_frozen: Option<DraftMeasure>,
    /// Passwords reset.
    pub passwords_reset: Option<DraftMeasure>,
    /// Takedown of phishing sites requested.
    pub takedown_requested: Option<DraftMeasure>,
    /// Police notified.
    pub police_notified: Option<DraftMeasure>,
    /// Customers notified.
    pub customers_notified: Option<DraftMeasure>,
}

/// How one measure stands.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftMeasure {
    pub status: Option<MeasureStatusCode>,
    /// The target date of a planned measure (not before the month).
    #[schema(format = Date, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    pub date: Option<String>,
}

/// `done`, `planned` (give the date) or `na` (not applicable).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MeasureStatusCode {
    Done,
    Planned,
    Na,
}

/// Whom the regulator may contact about the return.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftContact {
    #[schema(
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub name: Option<String>,
    /// A telephone number, such as `+81 3-1234-5678`.
    #[schema(
        max_length = 30,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub phone: Option<String>,
    #[schema(
        max_length = 254,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub email: Option<String>,
}

/// Why the draft amends the version filed before (from the month's second
/// version on, whose checks ask for both members: rules RET-E023 and
/// RET-E024). The approver's page offers it when they submit; their choice
/// is what is filed. A first version needs none.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftAmendment {
    pub reason: Option<AmendmentReasonCode>,
    /// The reason in the firm's words (several lines).
    #[schema(
        max_length = 2000,
        pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]*$"
    )]
    pub text: Option<String>,
}

/// `late_discovery` (cases found after the last version), `correction` (an
/// error in the last version put right) or `regulator_request` (the
/// regulator asked for it).
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmendmentReasonCode {
    LateDiscovery,
    Correction,
    RegulatorRequest,
}

/// The read-only member: values typed in the portal that are not valid in
/// the document, verbatim, by the JSON Pointer of their member.
fn as_typed() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)))
        .read_only(Some(true))
        .description(Some(
            "Read-only: values typed in the portal that are not valid in this document, \
             verbatim, by the JSON Pointer of their member (which is then null), so nothing \
             typed is lost. Ignored when written.",
        ))
        .build()
}

/// The draft document's JSON Schema (draft 2020-12), standalone: the
/// components the OpenAPI document holds, under `$defs`.
pub fn json_schema() -> Value {
    let mut components: Vec<(String, RefOr<Schema>)> =
        vec![(DraftDocument::name().into_owned(), DraftDocument::schema())];
    DraftDocument::schemas(&mut components);
    let defs: serde_json::Map<String, Value> = components
        .into_iter()
        .map(|(name, schema)| {
            let mut value = serde_json::to_value(schema).unwrap_or(Value::Null);
            to_defs(&mut value);
            (name, value)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Draft of a monthly return",
        "$ref": format!("#/$defs/{}", DraftDocument::name()),
        "$defs": defs,
    })
}

/// Points OpenAPI's component references at `$defs`.
fn to_defs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map.iter_mut() {
                match inner {
                    Value::String(target) if name == "$ref" => {
                        if let Some(rest) = target.strip_prefix("#/components/schemas/") {
                            *target = format!("#/$defs/{rest}");
                        }
                    }
                    _ => to_defs(inner),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_defs),
        _ => {}
    }
}
