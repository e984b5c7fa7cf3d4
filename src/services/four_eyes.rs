//! Four eyes: preparing and approving are different acts. Every change to a
//! draft (a figure, a detail, an explanation, the trade file, marking the
//! month nil) is recorded with its author and a SHA-256 of the WHOLE draft
//! after it, so whoever changed the return is one of its preparers, and the
//! submitter may be none of them. The only exception is the regulator's
//! own decision, a flag per firm set by a regulator admin.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::Actor;
use super::audit::{self, Action, Event};
use super::return_form::FiguresForm;
use super::tokens::hex;
use crate::db::schema::{
    draft_changes, draft_trades, firms, return_versions, users, version_preparers,
};
use crate::db::{DbConn, write_tx};
use crate::domain::time::tokyo_date;
use crate::error::{AppError, AppResult};

/// Form fields that are the approver's statement, not the return.
const NOT_CONTENT: [&str; 1] = ["attestation"];
/// Staged trade rows hashed per query.
const HASH_PAGE: i64 = 5000;

fn feed(hasher: &mut Sha256, part: &str) {
    hasher.update(part.len().to_string().as_bytes());
    hasher.update(b":");
    hasher.update(part.as_bytes());
    hasher.update(b";");
}

/// SHA-256 over a canonical serialisation of the draft: every non-blank
/// field (sorted by name, values trimmed, line ends unified), then every
/// staged trade row in row order. Each part is length-prefixed, so no two
/// drafts share a serialisation.
pub fn draft_sha256(conn: &mut DbConn, return_id: i64, form: &FiguresForm) -> QueryResult<String> {
    let mut hasher = form_hasher(form);
    let mut after = 0;
    loop {
        type Row = (i32, NaiveDate, String, String, String, i64, i64, String);
        let rows: Vec<Row> = draft_trades::table
            .filter(draft_trades::return_id.eq(return_id))
            .filter(draft_trades::row_no.gt(after))
            .order(draft_trades::row_no.asc())
            .limit(HASH_PAGE)
            .select((
                draft_trades::row_no,
                draft_trades::trade_date,
                draft_trades::side,
                draft_trades::security_code,
                draft_trades::market,
                draft_trades::quantity,
                draft_trades::amount_jpy,
                draft_trades::account_ref,
            ))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (row_no, date, side, code, market, quantity, amount, account) in &rows {
            for part in [
                row_no.to_string(),
                date.to_string(),
                side.clone(),
                code.clone(),
                market.clone(),
                quantity.to_string(),
                amount.to_string(),
                account.clone(),
            ] {
                feed(&mut hasher, &part);
            }
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// The hash's state after the fields of `form`, ready for the trade rows.
fn form_hasher(form: &FiguresForm) -> Sha256 {
    let mut hasher = Sha256::new();
    feed(&mut hasher, "return-draft-v1");
    for (name, value) in &form.0 {
        let value = value.replace("\r\n", "\n");
        let value = value.trim();
        if value.is_empty() || NOT_CONTENT.contains(&name.as_str()) {
            continue;
        }
        feed(&mut hasher, name);
        feed(&mut hasher, value);
    }
    feed(&mut hasher, "trades");
    hasher
}

/// The hash of an empty draft with no trade rows (a return not yet
/// created), equal to what [`draft_sha256`] gives for one.
pub fn empty_sha256() -> String {
    hex(&form_hasher(&FiguresForm::default()).finalize())
}

/// The draft as stored (empty when there is none).
pub fn stored_draft(conn: &mut DbConn, return_id: i64) -> AppResult<FiguresForm> {
    let json: Option<String> = crate::db::schema::returns::table
        .find(return_id)
        .select(crate::db::schema::returns::draft_json)
        .first(conn)?;
    Ok(parse_stored(json.as_deref())?.unwrap_or_default())
}

/// A draft's stored JSON read back (none when there is no draft).
pub fn parse_stored(json: Option<&str>) -> AppResult<Option<FiguresForm>> {
    json.map(|json| {
        serde_json::from_str(json)
            .map_err(|e| AppError::Internal(format!("stored draft unreadable: {e}")))
    })
    .transpose()
}

/// The hash of the return's draft as it stands (fields and trade rows).
pub fn current_sha256(conn: &mut DbConn, return_id: i64) -> AppResult<String> {
    let form = stored_draft(conn, return_id)?;
    Ok(draft_sha256(conn, return_id, &form)?)
}

/// Inside the caller's transaction, after a change to the draft: if the
/// whole draft now differs from what was last recorded, its author is a
/// preparer. Saving what is already there changes nothing and makes no one
/// a preparer.
pub fn record_change(
    conn: &mut DbConn,
    actor: &Actor,
    return_id: i64,
    what: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if actor.user_id.is_none() {
        return Ok(());
    }
    let draft = stored_draft(conn, return_id)?;
    record_change_of(conn, actor, return_id, &draft, what, now)?;
    Ok(())
}

/// [`record_change`] given the draft just stored (the same fields as
/// reading it back would give: the stored JSON is the form's map), so it
/// is not read again. Answers the draft's hash, as [`current_sha256`]
/// would read it now (also when no person made the change, which records
/// nothing).
pub fn record_change_of(
    conn: &mut DbConn,
    actor: &Actor,
    return_id: i64,
    draft: &FiguresForm,
    what: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let hash = draft_sha256(conn, return_id, draft)?;
    let Some(user_id) = actor.user_id else {
        return Ok(hash);
    };
    let last: Option<String> = draft_changes::table
        .filter(draft_changes::return_id.eq(return_id))
        .order(draft_changes::id.desc())
        .select(draft_changes::content_sha256)
        .first(conn)
        .optional()?;
    if last.as_deref() == Some(hash.as_str()) {
        return Ok(hash);
    }
    diesel::insert_into(draft_changes::table)
        .values((
            draft_changes::return_id.eq(return_id),
            draft_changes::user_id.eq(user_id),
            draft_changes::content_sha256.eq(&hash),
            draft_changes::what.eq(what),
            draft_changes::changed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(hash)
}

/// The preparers of the return's current draft (ids and names, in the order
/// they first changed it).
pub fn preparers(conn: &mut DbConn, return_id: i64) -> QueryResult<Vec<(i64, String)>> {
    let rows: Vec<(i64, String)> = draft_changes::table
        .inner_join(users::table.on(users::id.eq(draft_changes::user_id)))
        .filter(draft_changes::return_id.eq(return_id))
        .order(draft_changes::id.asc())
        .select((users::id, users::display_name))
        .load(conn)?;
    let mut out: Vec<(i64, String)> = Vec::new();
    for row in rows {
        if !out.iter().any(|(id, _)| *id == row.0) {
            out.push(row);
        }
    }
    Ok(out)
}

/// Inside the submitting transaction: the draft's preparers become the
/// version's, and the draft's change log starts afresh for the next one.
pub fn close_draft(conn: &mut DbConn, return_id: i64, version_id: i64) -> QueryResult<()> {
    for (user_id, _) in preparers(conn, return_id)? {
        diesel::insert_into(version_preparers::table)
            .values((
                version_preparers::version_id.eq(version_id),
                version_preparers::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    diesel::delete(draft_changes::table.filter(draft_changes::return_id.eq(return_id)))
        .execute(conn)?;
    Ok(())
}

/// On what ground one submission satisfied four eyes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Basis {
    /// Prepared by one person and submitted by another.
    TwoPeople,
    /// The regulator exempted the firm (a single-user firm) on that date.
    Exempt(NaiveDate),
    /// Filed before the basis was recorded.
    #[default]
    NotRecorded,
}

impl Basis {
    pub fn code(self) -> &'static str {
        match self {
            Basis::TwoPeople => "two_people",
            Basis::Exempt(_) => "exempt",
            Basis::NotRecorded => "",
        }
    }

    pub(crate) fn from_stored(code: &str, decided: Option<NaiveDate>) -> Self {
        match (code, decided) {
            ("two_people", _) => Basis::TwoPeople,
            ("exempt", Some(date)) => Basis::Exempt(date),
            _ => Basis::NotRecorded,
        }
    }
}

/// The regulator's single-user exemption of a firm: the date it was
/// decided, while it stands.
pub fn exemption(conn: &mut DbConn, firm_id: i64) -> QueryResult<Option<NaiveDate>> {
    let (exempt, decided): (bool, Option<NaiveDate>) = firms::table
        .find(firm_id)
        .select((firms::single_user_exempt, firms::exempt_decided_on))
        .first(conn)?;
    Ok(if exempt { decided } else { None })
}

/// Every standing exemption, by firm id, with the date it was decided (one
/// query for the firms list).
pub fn exemptions(conn: &mut DbConn) -> QueryResult<std::collections::HashMap<i64, NaiveDate>> {
    let rows: Vec<(i64, Option<NaiveDate>)> = firms::table
        .filter(firms::single_user_exempt.eq(true))
        .select((firms::id, firms::exempt_decided_on))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, decided)| decided.map(|d| (id, d)))
        .collect())
}

/// A regulator admin grants or withdraws a firm's single-user exemption
/// (audited). The decision's date is today in Tokyo. `None`, or asking for
/// what stands, changes nothing (the decision keeps its date).
pub fn set_exemption(
    conn: &mut DbConn,
    actor: &Actor,
    firm_id: i64,
    exempt: Option<bool>,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let now_exempt: bool = firms::table
            .find(firm_id)
            .select(firms::single_user_exempt)
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
        let Some(exempt) = exempt.filter(|e| *e != now_exempt) else {
            return Ok(());
        };
        diesel::update(firms::table.find(firm_id))
            .set((
                firms::single_user_exempt.eq(exempt),
                firms::exempt_decided_on.eq(exempt.then(|| tokyo_date(now))),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: if exempt {
                    Action::FirmExempted
                } else {
                    Action::FirmExemptionWithdrawn
                },
                object_type: "firm",
                object_id: &firm_id.to_string(),
                detail: &format!("single-user exemption {}", tokyo_date(now)),
            },
        )?;
        Ok(())
    })
}

/// What the submitting transaction stores on a version beyond its figures:
/// the approver's statement and the four-eyes basis.
pub struct Statement<'a> {
    pub attested_by: Option<i64>,
    pub note: &'a str,
    pub basis: Basis,
    pub content_sha256: &'a str,
}

pub fn store_statement(conn: &mut DbConn, version_id: i64, s: &Statement<'_>) -> QueryResult<()> {
    let decided = match s.basis {
        Basis::Exempt(date) => Some(date),
        _ => None,
    };
    diesel::update(return_versions::table.find(version_id))
        .set((
            return_versions::attested_by.eq(s.attested_by),
            return_versions::approver_note.eq(s.note),
            return_versions::four_eyes_basis.eq(s.basis.code()),
            return_versions::exempt_decided_on.eq(decided),
            return_versions::content_sha256.eq(s.content_sha256),
        ))
        .execute(conn)?;
    Ok(())
}

/// The people behind a version, by display name: its preparers, who
/// submitted it, the approver's statement, and the four-eyes basis; for
/// the regulator's review page also who saved the draft it was filed from
/// and the basis as recorded before it had a column of its own. The one
/// type of a version's people, for the receipt and the review page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionPeople {
    pub preparers: Vec<String>,
    pub submitter: Option<String>,
    /// The approver who confirmed the attestation (the submitter).
    pub attested_by: Option<String>,
    pub approver_note: String,
    pub basis: Basis,
    /// Distinct users who saved the draft this version was filed from, in
    /// the order they first saved it (read for the review page only).
    pub saved_by: Vec<String>,
    /// The basis as recorded in the version's details before the basis had
    /// a column ("exempt: …", "prepared by user …").
    pub recorded_as: Option<String>,
}

impl VersionPeople {
    /// The preparers as one line, if any is known.
    pub fn prepared_by(&self) -> Option<String> {
        (!self.preparers.is_empty()).then(|| self.preparers.join(", "))
    }

    /// Prepared by one and submitted by another (recorded on the version).
    pub fn two_people(&self) -> bool {
        self.basis == Basis::TwoPeople
    }

    /// The date of the regulator's exemption the version was filed under.
    pub fn exempt_on(&self) -> Option<NaiveDate> {
        match self.basis {
            Basis::Exempt(date) => Some(date),
            _ => None,
        }
    }
}

/// A user's display name, by id when there is one.
pub(crate) fn name_of(conn: &mut DbConn, id: Option<i64>) -> QueryResult<Option<String>> {
    match id {
        Some(id) => users::table
            .find(id)
            .select(users::display_name)
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

pub fn version_people(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<VersionPeople>> {
    type Row = (Option<i64>, Option<i64>, String, String, Option<NaiveDate>);
    let Some((submitted_by, attested_by, note, basis, decided)) = return_versions::table
        .find(version_id)
        .select((
            return_versions::submitted_by,
            return_versions::attested_by,
            return_versions::approver_note,
            return_versions::four_eyes_basis,
            return_versions::exempt_decided_on,
        ))
        .first::<Row>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let preparers = version_preparers::table
        .inner_join(users::table.on(users::id.eq(version_preparers::user_id)))
        .filter(version_preparers::version_id.eq(version_id))
        .order(users::display_name.asc())
        .select(users::display_name)
        .load(conn)?;
    Ok(Some(VersionPeople {
        preparers,
        submitter: name_of(conn, submitted_by)?,
        attested_by: name_of(conn, attested_by)?,
        approver_note: note,
        basis: Basis::from_stored(&basis, decided),
        saved_by: Vec::new(),
        recorded_as: None,
    }))
}
