//! A firm's monthly return: drafts, submission of immutable versions with a
//! receipt, amendments, and the regulator's read of them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::return_form::FiguresForm;
use super::summary::{self, Breakdown, Contribution};
use super::{Actor, Invalid, four_eyes, submission};
use crate::db::models::{Firm, ReturnRow, User, Version};
use crate::db::schema::{firms, return_versions, returns, users};
use crate::db::{DbConn, NewVersionRow, write_tx};
use crate::domain::VersionStatus;
use crate::domain::amendment::Amendment;
use crate::domain::figures::{FieldErrors, ReturnFigures};
use crate::domain::period::Period;
use crate::domain::receipt::ReceiptNumber;
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};

pub fn invalid_from(errors: FieldErrors) -> Invalid {
    Invalid(errors.0.iter().map(|e| (e.field.name(), e.key)).collect())
}

/// Everything the return page shows.
pub struct ReturnState {
    pub row: Option<ReturnRow>,
    pub versions: Vec<Version>,
    pub latest_details: Option<crate::db::models::VersionDetails>,
    /// The regulator's reason, while the latest version stands returned.
    pub review_note: Option<(String, NaiveDateTime)>,
    pub draft: Option<FiguresForm>,
    pub draft_by: Option<String>,
    /// Who changed the current draft (ids and names).
    pub preparers: Vec<(i64, String)>,
}

impl ReturnState {
    pub fn latest(&self) -> Option<&Version> {
        self.versions.last()
    }

    /// What the form starts with: the draft, else the latest version.
    pub fn form(&self) -> FiguresForm {
        match (&self.draft, self.latest()) {
            (Some(draft), _) => draft.clone(),
            (None, Some(v)) => FiguresForm::from_version(v, self.latest_details.as_ref()),
            (None, None) => FiguresForm::default(),
        }
    }
}

/// The firm-month's return row, if there is one (not locked).
pub fn find_return(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
) -> QueryResult<Option<ReturnRow>> {
    returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select(ReturnRow::as_select())
        .first(conn)
        .optional()
}

pub fn versions_of(conn: &mut DbConn, return_id: i64) -> QueryResult<Vec<Version>> {
    return_versions::table
        .filter(return_versions::return_id.eq(return_id))
        .order(return_versions::version_no.asc())
        .select(Version::as_select())
        .load(conn)
}

/// The draft stored on `row`, if it has one.
pub fn stored_draft_of(row: &ReturnRow) -> AppResult<Option<FiguresForm>> {
    four_eyes::parse_stored(row.draft_json.as_deref())
}

pub fn load(conn: &mut DbConn, firm_id: i64, period: Period) -> AppResult<ReturnState> {
    let Some(row) = find_return(conn, firm_id, period)? else {
        return Ok(ReturnState {
            row: None,
            versions: vec![],
            latest_details: None,
            review_note: None,
            draft: None,
            draft_by: None,
            preparers: vec![],
        });
    };
    let versions = versions_of(conn, row.id)?;
    let draft = stored_draft_of(&row)?;
    let draft_by = four_eyes::name_of(conn, row.draft_updated_by)?;
    let latest_details = match versions.last() {
        Some(v) => submission::details_of(conn, v.id)?,
        None => None,
    };
    let review_note = super::review::open_review_note(conn, firm_id, period)?;
    let preparers = four_eyes::preparers(conn, row.id)?;
    Ok(ReturnState {
        preparers,
        row: Some(row),
        versions,
        latest_details,
        review_note,
        draft,
        draft_by,
    })
}

/// The firm-month's return row, if there is one, locked on PostgreSQL (the
/// update) like [`lock_or_create`], so a change to the draft queues behind
/// a submission of it instead of slipping between its reads.
pub(crate) fn lock_existing(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    now: NaiveDateTime,
) -> QueryResult<Option<ReturnRow>> {
    let key = period.to_string();
    // One statement on each backend (RETURNING is not in diesel's common
    // subset of the two).
    macro_rules! touch {
        ($conn:expr) => {
            diesel::update(
                returns::table
                    .filter(returns::firm_id.eq(firm_id))
                    .filter(returns::period.eq(&key)),
            )
            .set(returns::updated_at.eq(now))
            .returning(ReturnRow::as_returning())
            .get_result($conn)
            .optional()
        };
    }
    match conn {
        DbConn::Pg(pg) => touch!(pg),
        DbConn::Sqlite(lite) => touch!(lite),
    }
}

/// The firm-month's return row, created on first use. Locks the row on
/// PostgreSQL (the update), so concurrent submissions of one return queue.
/// One statement: made if missing (a concurrent making of the same row is
/// no error), touched, and read back.
pub(crate) fn lock_or_create(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    now: NaiveDateTime,
) -> QueryResult<ReturnRow> {
    let key = period.to_string();
    macro_rules! upsert {
        ($conn:expr) => {
            diesel::insert_into(returns::table)
                .values((
                    returns::firm_id.eq(firm_id),
                    returns::period.eq(&key),
                    returns::state.eq(crate::domain::ReturnState::Draft),
                    returns::current_version.eq(0),
                    returns::created_at.eq(now),
                    returns::updated_at.eq(now),
                ))
                .on_conflict((returns::firm_id, returns::period))
                .do_update()
                .set(returns::updated_at.eq(now))
                .returning(ReturnRow::as_returning())
                .get_result($conn)
        };
    }
    match conn {
        DbConn::Pg(pg) => upsert!(pg),
        DbConn::Sqlite(lite) => upsert!(lite),
    }
}

/// Saves what was typed, whatever it is (a draft may be half-done or
/// wrong; the page shows every rule and warning over it). Whoever changes
/// the draft becomes one of its preparers.
pub fn save_draft(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    write_tx(conn, |conn| {
        save_draft_in(conn, actor, firm_id, period, form, now)?.audit(conn, actor, now)?;
        Ok(Ok(()))
    })
}

/// [`save_draft`] inside the caller's write transaction (the API's, which
/// claims its idempotency key in the same one and makes its answer there):
/// the audit row is the caller's to record, last.
pub fn save_draft_in(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
    now: NaiveDateTime,
) -> AppResult<DraftWritten> {
    let row = lock_or_create(conn, firm_id, period, now)?;
    write_draft_unaudited(conn, actor, &row, form, now)
}

/// A draft written whose audit row is still to be recorded. The caller
/// records it last in its transaction (the API's `PUT` then keeps its
/// answer, one update): on PostgreSQL the audit trail's head is locked
/// from that record to the commit, so whatever runs after it holds back
/// every other audited write.
#[must_use = "the draft's change must be audited"]
pub struct DraftWritten {
    return_id: i64,
    firm_id: i64,
    period: String,
    draft: FiguresForm,
    sha256: String,
}

impl DraftWritten {
    /// The return whose draft was written.
    pub fn return_id(&self) -> i64 {
        self.return_id
    }

    /// The draft as stored (what reading it back gives).
    pub fn draft(&self) -> &FiguresForm {
        &self.draft
    }

    /// The draft's hash, as [`four_eyes::current_sha256`] would read it now.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn audit(self, conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> QueryResult<()> {
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::DraftSaved,
                object_type: "return",
                object_id: &self.return_id.to_string(),
                detail: &format!("firm {} period {}", self.firm_id, self.period),
            },
        )
    }
}

/// Inside the caller's transaction: stores `form` as the draft of `row`
/// (never the approver's attestation), records the change for four eyes
/// and audits it.
pub(crate) fn write_draft(
    conn: &mut DbConn,
    actor: &Actor,
    row: &ReturnRow,
    form: &FiguresForm,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_draft_unaudited(conn, actor, row, form, now)?.audit(conn, actor, now)?;
    Ok(())
}

/// [`write_draft`] but for its audit row.
fn write_draft_unaudited(
    conn: &mut DbConn,
    actor: &Actor,
    row: &ReturnRow,
    form: &FiguresForm,
    now: NaiveDateTime,
) -> AppResult<DraftWritten> {
    let mut form = form.clone();
    form.0.remove("attestation");
    let json = serde_json::to_string(&form).map_err(|e| AppError::Internal(e.to_string()))?;
    diesel::update(returns::table.find(row.id))
        .set((
            returns::draft_json.eq(&json),
            returns::draft_updated_by.eq(actor.user_id),
            returns::draft_updated_at.eq(now),
        ))
        .execute(conn)?;
    let sha256 = four_eyes::record_change_of(conn, actor, row.id, &form, "draft", now)?;
    Ok(DraftWritten {
        return_id: row.id,
        firm_id: row.firm_id,
        period: row.period.clone(),
        draft: form,
        sha256,
    })
}

/// How a version came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Portal,
    Import,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Portal => "portal",
            Source::Import => "import",
        }
    }

    /// Portal submissions await review; imported history was checked before
    /// the portal existed and counts as accepted.
    fn status(self) -> VersionStatus {
        match self {
            Source::Portal => VersionStatus::Submitted,
            Source::Import => VersionStatus::Accepted,
        }
    }
}

/// Freezes a new version of a return (inside the caller's transaction):
/// receipt, due date and timeliness as of `submitted_at`, the return row
/// and the period summary. `breakdown` is what the details the caller
/// stores for the version say (zeros when it stores none).
#[allow(clippy::too_many_arguments)]
pub fn append_version(
    conn: &mut DbConn,
    row: &ReturnRow,
    figures: &ReturnFigures,
    breakdown: Breakdown,
    source: Source,
    submitted_at: NaiveDateTime,
    submitted_by: Option<i64>,
    idempotency_key: Option<&str>,
) -> AppResult<Version> {
    let period = Period::parse(&row.period)
        .map_err(|_| AppError::Internal(format!("stored period {} unreadable", row.period)))?;
    let previous = return_versions::table
        .filter(return_versions::return_id.eq(row.id))
        .filter(return_versions::version_no.eq(row.current_version))
        .select(Version::as_select())
        .first(conn)
        .optional()?;
    let version_no = row.current_version + 1;
    let receipt = ReceiptNumber::generate(period, row.firm_id, version_no, &mut rand::rng());
    // The due date in force: a granted extension's, frozen with its
    // reference on the version.
    let month = super::extensions::due_of(conn, row.firm_id, period)?;
    let due = month.due();
    let on_time = tokyo_date(submitted_at) <= due;
    let new = NewVersionRow {
        return_id: row.id,
        firm_id: row.firm_id,
        period: &row.period,
        version_no,
        receipt_no: receipt.as_str(),
        idempotency_key,
        source: source.as_str(),
        status: source.status(),
        is_nil: figures.is_nil(),
        unauthorized_accesses: figures.unauthorized_accesses.value(),
        affected_accounts: figures.affected_accounts.value(),
        fraudulent_trades: figures.fraudulent_trades.value(),
        sale_amount_jpy: figures.sale_amount.value(),
        purchase_amount_jpy: figures.purchase_amount.value(),
        remediation: &figures.remediation,
        submitted_at,
        submitted_by,
        due_date: due,
        on_time,
    };
    let id: i64 = diesel::insert_into(return_versions::table)
        .values(&new)
        .returning(return_versions::id)
        .get_result(conn)?;
    if let Some(granted) = &month.extension {
        diesel::update(return_versions::table.find(id))
            .set(return_versions::extension_ref.eq(Some(granted.reference.as_str())))
            .execute(conn)?;
    }
    diesel::update(returns::table.find(row.id))
        .set((
            returns::current_version.eq(version_no),
            returns::state.eq(source.status().return_state()),
            returns::draft_json.eq(None::<String>),
            returns::draft_updated_by.eq(None::<i64>),
            returns::draft_updated_at.eq(None::<NaiveDateTime>),
            returns::ready_sha256.eq(None::<String>),
            returns::ready_by.eq(None::<i64>),
            returns::ready_at.eq(None::<NaiveDateTime>),
            returns::updated_at.eq(submitted_at),
        ))
        .execute(conn)?;
    let version = return_versions::table
        .find(id)
        .select(Version::as_select())
        .first(conn)?;
    let before = match &previous {
        Some(p) => Some(Contribution::of(
            p,
            submission::details_of(conn, p.id)?.as_ref(),
        )),
        None => None,
    };
    let after = Contribution {
        breakdown,
        ..Contribution::of(&version, None)
    };
    summary::apply(conn, row.firm_id, &row.period, before, after, submitted_at)?;
    Ok(version)
}

/// A preparer marks the month nil: the draft becomes a nil return (its
/// figures and any staged trade file are discarded) for an approver who
/// did not prepare it to submit. The page asks for confirmation first
/// whenever something would be discarded, and carries the hash of the
/// draft it showed (`shown_sha256`): if the draft changed since, nothing
/// is discarded and `Err(Stale)` says so. `explanation` (checked by
/// `details::explanation`, possibly empty) is why the month is nil although
/// the firm reported incidents that began in it.
pub fn mark_nil(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    shown_sha256: &str,
    explanation: &str,
    now: NaiveDateTime,
) -> AppResult<Result<(), Stale>> {
    let mut nil = FiguresForm::nil();
    if !explanation.is_empty() {
        nil.set("warnings_explanation", explanation);
    }
    let json = serde_json::to_string(&nil).map_err(|e| AppError::Internal(e.to_string()))?;
    write_tx(conn, |conn| {
        let row = lock_or_create(conn, firm_id, period, now)?;
        if four_eyes::current_sha256(conn, row.id)? != shown_sha256 {
            return Ok(Err(Stale));
        }
        super::trades::discard_staged(conn, row.id)?;
        diesel::update(returns::table.find(row.id))
            .set((
                returns::draft_json.eq(&json),
                returns::draft_updated_by.eq(actor.user_id),
                returns::draft_updated_at.eq(now),
            ))
            .execute(conn)?;
        four_eyes::record_change(conn, actor, row.id, "nil", now)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::MarkedNil,
                object_type: "return",
                object_id: &row.id.to_string(),
                detail: &format!("firm {firm_id} period {period}"),
            },
        )?;
        Ok(Ok(()))
    })
}

/// The draft changed after the page that asked for the change was shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stale;

/// The hash of the firm-month's draft as it stands now (fields and staged
/// trade rows; an empty draft when there is no return yet), for a page
/// that must later prove it showed this draft.
pub fn draft_sha256_now(conn: &mut DbConn, firm_id: i64, period: Period) -> AppResult<String> {
    match find_return(conn, firm_id, period)? {
        Some(row) => four_eyes::current_sha256(conn, row.id),
        None => Ok(four_eyes::empty_sha256()),
    }
}

/// The approver's act: the attestation, an optional note, the hash of
/// the draft they reviewed (so what they saw is what is filed) and, for an
/// amendment, why it is made (a reason from the list and their words, as
/// typed; unread for a first version).
#[derive(Clone, Debug, Default)]
pub struct Approval {
    pub attested: bool,
    pub note: String,
    pub prepared_sha256: String,
    pub amendment_reason: String,
    pub amendment_text: String,
}

impl Approval {
    /// Everything wrong with the approver's own part at once: the note,
    /// the attestation and (`amending`) the amendment's reason.
    fn check(&self, amending: bool) -> Result<(String, Option<Amendment>), Invalid> {
        let mut invalid = Invalid::default();
        let note = self.note.replace("\r\n", "\n").trim().to_owned();
        if note.chars().count() > MAX_NOTE_CHARS {
            invalid.push("approver_note", msg!("err.text.too_long"));
        }
        if !self.attested {
            invalid.push("attestation", msg!("err.attestation.required"));
        }
        let amendment = if amending {
            match Amendment::parse(&self.amendment_reason, &self.amendment_text) {
                Ok(amendment) => Some(amendment),
                Err(problems) => {
                    invalid.0.extend(problems);
                    None
                }
            }
        } else {
            None
        };
        if invalid.is_empty() {
            Ok((note, amendment))
        } else {
            Err(invalid)
        }
    }
}

/// The longest approver's note kept.
pub const MAX_NOTE_CHARS: usize = 2000;

/// Submits the prepared draft as a new version: four eyes (the submitter
/// prepared none of it, unless the regulator exempted the firm), the
/// approver's attestation, every rule, then a frozen version with a
/// receipt. The same `idempotency_key` (one per rendered form) always
/// yields the same version, so a double click files once.
pub fn submit(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    period: Period,
    approval: &Approval,
    idempotency_key: &str,
    now: NaiveDateTime,
) -> AppResult<Result<Version, Invalid>> {
    write_tx(conn, |conn| {
        let row = lock_or_create(conn, firm_id, period, now)?;
        if let Some(existing) = by_idempotency_key(conn, idempotency_key)? {
            return if existing.firm_id == firm_id {
                Ok(Ok(existing))
            } else {
                Err(AppError::Forbidden)
            };
        }
        if row.draft_json.is_none() {
            return Ok(Err(Invalid::one(
                "four_eyes",
                msg!("err.submit.nothing_prepared"),
            )));
        }
        let draft = four_eyes::stored_draft(conn, row.id)?;
        let content = four_eyes::draft_sha256(conn, row.id, &draft)?;
        if content != approval.prepared_sha256 {
            return Ok(Err(Invalid::one("four_eyes", msg!("err.submit.changed"))));
        }
        let preparers = four_eyes::preparers(conn, row.id)?;
        let basis = match four_eyes::exemption(conn, firm_id)? {
            Some(decided) => four_eyes::Basis::Exempt(decided),
            None if preparers.is_empty() => {
                return Ok(Err(Invalid::one(
                    "four_eyes",
                    msg!("err.submit.nothing_prepared"),
                )));
            }
            None if preparers.iter().any(|(id, _)| Some(*id) == actor.user_id) => {
                return Ok(Err(Invalid::one("four_eyes", msg!("err.four_eyes"))));
            }
            None => four_eyes::Basis::TwoPeople,
        };
        let (note, amendment) = match approval.check(row.current_version > 0) {
            Ok(checked) => checked,
            Err(invalid) => return Ok(Err(invalid)),
        };
        let nil = if draft.is_nil() {
            match submission::check_nil(conn, firm_id, period, &draft)? {
                Ok(nil) => Some(nil),
                Err(invalid) => return Ok(Err(invalid)),
            }
        } else {
            None
        };
        let checked = if draft.is_nil() {
            None
        } else {
            let mut form = draft.clone();
            form.set("attestation", "yes");
            match submission::check(conn, firm_id, period, &form)? {
                Ok(checked) => Some(checked),
                Err(invalid) => return Ok(Err(invalid)),
            }
        };
        let figures = checked
            .as_ref()
            .map_or_else(ReturnFigures::nil, |c| c.figures.clone());
        if let Err(mismatch) = super::trades::reconcile(conn, row.id, (&figures).into())? {
            return Ok(Err(mismatch.invalid()));
        }
        let breakdown = checked
            .as_ref()
            .map(|c| Breakdown::from(&c.details))
            .unwrap_or_default();
        let version = append_version(
            conn,
            &row,
            &figures,
            breakdown,
            Source::Portal,
            now,
            actor.user_id,
            Some(idempotency_key),
        )?;
        super::trades::attach_to_version(conn, row.id, &version)?
            .map_err(|_| AppError::Internal("trade detail changed during submission".into()))?;
        if let Some(checked) = &checked {
            submission::store_details(conn, version.id, checked, actor.user_id, basis.code())?;
        }
        if let Some(nil) = &nil {
            submission::store_nil(conn, version.id, nil)?;
        }
        four_eyes::store_statement(
            conn,
            version.id,
            &four_eyes::Statement {
                attested_by: actor.user_id,
                note: &note,
                basis,
                content_sha256: &content,
            },
        )?;
        four_eyes::close_draft(conn, row.id, version.id)?;
        if let Some(amendment) = &amendment {
            super::amendments::store(conn, version.id, amendment, now)?;
        }
        let prepared_by = preparers
            .iter()
            .map(|(id, _)| id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: if version.is_nil {
                    Action::SubmittedNil
                } else {
                    Action::Submitted
                },
                object_type: "version",
                object_id: &version.id.to_string(),
                detail: &format!(
                    "{} v{} {} (four eyes: {}; prepared by users {prepared_by}; sha256 {content}{})",
                    version.period,
                    version.version_no,
                    version.receipt_no,
                    match basis {
                        four_eyes::Basis::Exempt(date) =>
                            format!("exempt by the regulator's decision of {date}"),
                        _ => "two people".to_owned(),
                    },
                    amendment
                        .as_ref()
                        .map(|a| format!("; amendment reason {}", a.reason))
                        .unwrap_or_default()
                ),
            },
        )?;
        super::notify::receipt_emails(conn, &version, amendment.as_ref(), now)?;
        Ok(Ok(version))
    })
}

fn by_idempotency_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<Version>> {
    return_versions::table
        .filter(return_versions::idempotency_key.eq(key))
        .select(Version::as_select())
        .first(conn)
        .optional()
}

/// A firm's own version of a period (scoped by firm: another firm's
/// version is simply not found).
pub fn firm_version(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    version_no: i32,
) -> QueryResult<Option<Version>> {
    return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period.to_string()))
        .filter(return_versions::version_no.eq(version_no))
        .select(Version::as_select())
        .first(conn)
        .optional()
}

/// A firm's returns, newest period first.
pub fn firm_returns(conn: &mut DbConn, firm_id: i64) -> QueryResult<Vec<ReturnRow>> {
    returns::table
        .filter(returns::firm_id.eq(firm_id))
        .order(returns::period.desc())
        .select(ReturnRow::as_select())
        .load(conn)
}

/// Regulator: every firm's latest version for a period.
pub fn latest_for_period(conn: &mut DbConn, period: Period) -> QueryResult<Vec<(Firm, Version)>> {
    returns::table
        .inner_join(
            return_versions::table.on(return_versions::return_id
                .eq(returns::id)
                .and(return_versions::version_no.eq(returns::current_version))),
        )
        .inner_join(firms::table.on(firms::id.eq(returns::firm_id)))
        .filter(returns::period.eq(period.to_string()))
        .order(firms::name.asc())
        .select((Firm::as_select(), Version::as_select()))
        .load(conn)
}

/// Regulator: one version by id, with its firm, the other versions of the
/// same return and who submitted it.
pub struct VersionDetail {
    pub firm: Firm,
    pub version: Version,
    pub siblings: Vec<Version>,
    pub submitter: Option<User>,
}

pub fn version_detail(conn: &mut DbConn, id: i64) -> QueryResult<Option<VersionDetail>> {
    let Some((version, firm)) = return_versions::table
        .inner_join(firms::table)
        .filter(return_versions::id.eq(id))
        .select((Version::as_select(), Firm::as_select()))
        .first::<(Version, Firm)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let siblings = versions_of(conn, version.return_id)?;
    let submitter = match version.submitted_by {
        Some(uid) => users::table
            .find(uid)
            .select(User::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok(Some(VersionDetail {
        firm,
        version,
        siblings,
        submitter,
    }))
}
