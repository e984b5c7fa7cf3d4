//! Official-statistics publications: an admin drafts one (title and
//! footnotes in English and Japanese, cut-off, months, the confidential p of
//! the p% rule), may release single cells despite disclosure control with a
//! written justification, and previews it. Releasing, after the admin has
//! checked what becomes public, is `publication_release`.

use crate::i18n::Key;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, Action, Event};
use super::linked_releases;
use super::publication_table::{self, Computed, FIGURES, TOTAL, Table};
use super::{Actor, Invalid};
use crate::db::models::{Publication, PublicationOverride};
use crate::db::schema::{publication_overrides, publications};
use crate::db::{DbConn, write_tx};
use crate::domain::PublicationStatus;
use crate::domain::limits;
use crate::domain::period::Period;
use crate::error::{AppError, AppResult};

/// The FSA's footnotes in English, one a line, used when the admin gives
/// none.
pub const DEFAULT_FOOTNOTES_EN: &str = "Figures are provisional.\n\
Amounts are summed per victim account.\n\
Amounts are not customer losses.";

/// The same footnotes in Japanese, used when the admin gives none.
pub const DEFAULT_FOOTNOTES_JA: &str = "数値は速報値です。\n\
金額は被害口座ごとの合計です。\n\
金額は顧客の損失額ではありません。";

/// The p of the p% rule when the admin gives none.
pub const DEFAULT_P_PERCENT: u32 = 10;

/// Why a cut-off is refused: figures cannot be counted up to a time that
/// has not come.
pub const CUTOFF_IN_FUTURE: Key = msg!("publication.cutoff_future");

/// What an admin types to draft a publication: the title and footnotes in
/// English and in Japanese.
pub struct DraftInput<'a> {
    pub title: &'a str,
    pub title_ja: &'a str,
    pub cutoff: NaiveDateTime,
    pub from: &'a str,
    pub to: &'a str,
    pub footnotes: &'a str,
    pub footnotes_ja: &'a str,
    pub p_percent: u32,
}

/// Whether a title is accepted: not blank, at most the limit.
pub fn title_ok(title: &str) -> bool {
    let title = title.trim();
    !title.is_empty() && title.chars().count() <= limits::PUBLICATION_TITLE
}

/// Whether footnotes are accepted: at most the limit (blank means the
/// default).
pub fn footnotes_ok(footnotes: &str) -> bool {
    footnotes.trim().chars().count() <= limits::PUBLICATION_FOOTNOTES
}

/// Footnotes as stored: one a line (line ends unified, blank lines and the
/// spaces around each line dropped), or `default` when none are given.
fn clean_footnotes(given: &str, default: &str) -> String {
    let lines: Vec<&str> = given
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        default.to_owned()
    } else {
        lines.join("\n")
    }
}

/// Creates a draft; returns its id, or the user's mistakes.
pub fn draft(
    conn: &mut DbConn,
    actor: &Actor,
    input: &DraftInput<'_>,
    now: NaiveDateTime,
) -> AppResult<Result<i64, Invalid>> {
    let mut invalid = Vec::new();
    let (title, title_ja) = (input.title.trim(), input.title_ja.trim());
    if !title_ok(title) {
        invalid.push(("title", msg!("publication.title_invalid")));
    }
    if !title_ok(title_ja) {
        invalid.push(("title_ja", msg!("publication.title_ja_invalid")));
    }
    let from = Period::parse(input.from.trim());
    let to = Period::parse(input.to.trim());
    match (&from, &to) {
        (Ok(f), Ok(t)) if f <= t => {}
        _ => invalid.push(("from", msg!("publication.months_invalid"))),
    }
    if !footnotes_ok(input.footnotes) {
        invalid.push(("footnotes", msg!("publication.footnotes_invalid")));
    }
    if !footnotes_ok(input.footnotes_ja) {
        invalid.push(("footnotes_ja", msg!("publication.footnotes_ja_invalid")));
    }
    if input.p_percent > 100 {
        invalid.push(("p_percent", msg!("publication.p_invalid")));
    }
    if input.cutoff > now {
        invalid.push(("cutoff", CUTOFF_IN_FUTURE));
    }
    let (Ok(from), Ok(to)) = (from, to) else {
        return Ok(Err(Invalid(invalid)));
    };
    if !invalid.is_empty() {
        return Ok(Err(Invalid(invalid)));
    }
    let footnotes = clean_footnotes(input.footnotes, DEFAULT_FOOTNOTES_EN);
    let footnotes_ja = clean_footnotes(input.footnotes_ja, DEFAULT_FOOTNOTES_JA);
    let p = i32::try_from(input.p_percent).unwrap_or(100);
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        let id: i64 = diesel::insert_into(publications::table)
            .values((
                publications::title.eq(title),
                publications::title_ja.eq(title_ja),
                publications::cutoff_at.eq(input.cutoff),
                publications::period_from.eq(from.as_key()),
                publications::period_to.eq(to.as_key()),
                publications::footnotes.eq(&footnotes),
                publications::footnotes_ja.eq(&footnotes_ja),
                publications::p_percent.eq(p),
                publications::status.eq(PublicationStatus::Draft),
                publications::created_by.eq(actor.user_id),
                publications::created_at.eq(now),
            ))
            .returning(publications::id)
            .get_result(conn)?;
        let detail = format!(
            "{title} / {title_ja}; cutoff {}; {}..{}",
            input.cutoff,
            from.as_key(),
            to.as_key()
        );
        let object_id = id.to_string();
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::PublicationDrafted,
                object_type: "publication",
                object_id: &object_id,
                detail: &detail,
            },
        )?;
        Ok(id)
    })?;
    Ok(Ok(id))
}

pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Publication> {
    publications::table
        .find(id)
        .select(Publication::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// Every publication, newest first (admin list).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Publication>> {
    publications::table
        .order(publications::id.desc())
        .select(Publication::as_select())
        .load(conn)
}

/// A release as the public list shows it: its titles in both languages,
/// release time and cut-off.
#[derive(Queryable, Clone, Debug)]
pub struct Listed {
    pub id: i64,
    pub title: String,
    pub title_ja: String,
    pub released_at: Option<NaiveDateTime>,
    pub cutoff_at: NaiveDateTime,
}

/// Every release, newest first, as the public list shows it (not the
/// tables and files).
pub fn released(conn: &mut DbConn) -> QueryResult<Vec<Listed>> {
    publications::table
        .filter(publications::status.eq(PublicationStatus::Released))
        .order((publications::released_at.desc(), publications::id.desc()))
        .select((
            publications::id,
            publications::title,
            publications::title_ja,
            publications::released_at,
            publications::cutoff_at,
        ))
        .load(conn)
}

/// A released publication, or not found (drafts are never public).
pub fn find_released(conn: &mut DbConn, id: i64) -> AppResult<Publication> {
    let p = find(conn, id)?;
    if p.status == PublicationStatus::Released {
        Ok(p)
    } else {
        Err(AppError::NotFound)
    }
}

pub fn overrides(conn: &mut DbConn, id: i64) -> QueryResult<Vec<PublicationOverride>> {
    publication_overrides::table
        .filter(publication_overrides::publication_id.eq(id))
        .order(publication_overrides::id)
        .select(PublicationOverride::as_select())
        .load(conn)
}

pub(super) fn periods(p: &Publication) -> AppResult<(Period, Period)> {
    let from = Period::parse(&p.period_from)
        .map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
    let to =
        Period::parse(&p.period_to).map_err(|_| AppError::BadRequest(msg!("error.bad_request")))?;
    Ok((from, to))
}

/// The draft's table as it would be released now, audited together with
/// every earlier release it shares months with (values, reasons and the
/// audit included: for the admin's eyes only).
pub fn preview(conn: &mut DbConn, p: &Publication) -> AppResult<Computed> {
    let (from, to) = periods(p)?;
    let released: Vec<String> = overrides(conn, p.id)?.into_iter().map(|o| o.cell).collect();
    let percent = u32::try_from(p.p_percent).unwrap_or(DEFAULT_P_PERCENT);
    let earlier = linked_releases::earlier(conn, p.id, from, to)?;
    publication_table::compute(conn, p.cutoff_at, (from, to), percent, &released, &earlier)
}

/// The frozen public table of a released publication.
pub fn released_table(p: &Publication) -> AppResult<Table> {
    let json = p.table_json.as_deref().ok_or(AppError::NotFound)?;
    serde_json::from_str(json).map_err(|_| AppError::BadRequest(msg!("error.bad_request")))
}

fn valid_cell(p: &Publication, cell: &str) -> bool {
    let Ok((from, to)) = periods(p) else {
        return false;
    };
    let Some((figure, column)) = cell.split_once(':') else {
        return false;
    };
    FIGURES.contains(&figure)
        && (column == TOTAL || Period::parse(column).is_ok_and(|c| from <= c && c <= to))
}

/// Releases one cell of a draft despite disclosure control, with the
/// admin's justification (audited, shown on the draft).
pub fn override_cell(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    cell: &str,
    justification: &str,
    now: NaiveDateTime,
) -> AppResult<Result<(), Invalid>> {
    let justification = justification.trim();
    write_tx(conn, |conn| {
        let p = find(conn, id)?;
        if p.status != PublicationStatus::Draft {
            return Err(AppError::Conflict(msg!("publication.already_released")));
        }
        if !valid_cell(&p, cell) {
            return Ok(Err(Invalid::one("cell", msg!("publication.cell_invalid"))));
        }
        if justification.chars().count() < 10
            || justification.chars().count() > limits::JUSTIFICATION
        {
            return Ok(Err(Invalid::one(
                "justification",
                msg!("publication.justification_invalid"),
            )));
        }
        let exists: i64 = publication_overrides::table
            .filter(publication_overrides::publication_id.eq(id))
            .filter(publication_overrides::cell.eq(cell))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Ok(Err(Invalid::one(
                "cell",
                msg!("publication.cell_already_released"),
            )));
        }
        diesel::insert_into(publication_overrides::table)
            .values((
                publication_overrides::publication_id.eq(id),
                publication_overrides::cell.eq(cell),
                publication_overrides::justification.eq(justification),
                publication_overrides::created_by.eq(actor.user_id),
                publication_overrides::created_at.eq(now),
            ))
            .execute(conn)?;
        let object_id = id.to_string();
        let detail = format!("{cell}: {justification}");
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::PublicationCellReleased,
                object_type: "publication",
                object_id: &object_id,
                detail: &detail,
            },
        )?;
        Ok(Ok(()))
    })
}

/// The release before `p` (by release time), if any.
pub fn previous_release(conn: &mut DbConn, p: &Publication) -> AppResult<Option<Publication>> {
    let Some(at) = p.released_at else {
        return Ok(None);
    };
    Ok(publications::table
        .filter(publications::status.eq(PublicationStatus::Released))
        .filter(
            publications::released_at
                .lt(at)
                .or(publications::released_at
                    .eq(at)
                    .and(publications::id.lt(p.id))),
        )
        .order((publications::released_at.desc(), publications::id.desc()))
        .select(Publication::as_select())
        .first(conn)
        .optional()?)
}
