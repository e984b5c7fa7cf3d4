//! A firm's months as its list shows them (the browser's list of returns
//! and the filing API's `GET /api/v1/periods`): the last twelve months and
//! any older month the firm has a return for, newest first, each with its
//! due date and where it stands.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::QueryResult;

use super::{firm_start, handover, returns, settings};
use crate::db::DbConn;
use crate::db::models::Firm;
use crate::domain::ReturnState;
use crate::domain::due_date::due_date;
use crate::domain::period::Period;
use crate::i18n::Key;

/// Where a firm's month stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Before the firm's first reporting month: nothing is expected.
    NotRequired,
    NotStarted,
    /// A draft, never submitted.
    Draft,
    /// The draft is marked ready for approval and has not changed since.
    Ready,
    /// A version is filed and a new draft amends it.
    Amending,
    Submitted,
    Accepted,
    Returned,
}

impl Standing {
    /// As the API names it.
    pub fn code(self) -> &'static str {
        match self {
            Standing::NotRequired => "not_required",
            Standing::NotStarted => "not_started",
            Standing::Draft => "draft",
            Standing::Ready => "ready_for_approval",
            Standing::Amending => "amending",
            Standing::Submitted => "submitted",
            Standing::Accepted => "accepted",
            Standing::Returned => "returned",
        }
    }

    /// As the list of returns shows it.
    pub fn key(self) -> Key {
        match self {
            Standing::NotRequired => msg!("state.not_required"),
            Standing::NotStarted => msg!("state.not_started"),
            Standing::Draft => msg!("state.draft"),
            Standing::Ready => msg!("state.ready"),
            Standing::Amending => msg!("state.amending"),
            Standing::Submitted => msg!("state.submitted"),
            Standing::Accepted => msg!("state.accepted"),
            Standing::Returned => msg!("state.returned"),
        }
    }

    fn of(state: Option<ReturnState>, has_draft: bool, required: bool, ready: bool) -> Standing {
        match (state, has_draft) {
            (None, _) if !required => Standing::NotRequired,
            (None, _) => Standing::NotStarted,
            _ if ready => Standing::Ready,
            (Some(ReturnState::Draft), _) => Standing::Draft,
            (Some(_), true) => Standing::Amending,
            (Some(ReturnState::Accepted), false) => Standing::Accepted,
            (Some(ReturnState::Returned), false) => Standing::Returned,
            (Some(ReturnState::Submitted), false) => Standing::Submitted,
        }
    }
}

/// One month of a firm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmPeriod {
    pub period: Period,
    pub due: NaiveDate,
    pub standing: Standing,
    /// Versions filed.
    pub versions: i32,
    /// Nothing filed and the due date has passed (from the firm's first
    /// reporting month on).
    pub overdue: bool,
    /// A ready-for-approval mark: whether the draft is still the one
    /// marked (false once it changed).
    pub ready: Option<bool>,
    /// The reference of a granted extension, whose date `due` is.
    pub extension: Option<String>,
}

/// The firm's months as of `today` (Tokyo), newest first.
pub fn firm_periods(
    conn: &mut DbConn,
    firm: &Firm,
    today: NaiveDate,
) -> QueryResult<Vec<FirmPeriod>> {
    let rows = returns::firm_returns(conn, firm.id)?;
    let marks = handover::ready_marks(conn, firm.id)?;
    let due_day = settings::due_day(conn)?;
    let known: HashMap<String, _> = rows.into_iter().map(|r| (r.period.clone(), r)).collect();
    let mut periods = Vec::new();
    let mut period = Period::from_date(today);
    for _ in 0..12 {
        periods.push(period);
        period = period.prev();
    }
    let mut older: Vec<Period> = known
        .keys()
        .filter_map(|k| Period::parse(k).ok())
        .filter(|p| !periods.contains(p))
        .collect();
    older.sort_by(|a, b| b.cmp(a));
    periods.extend(older);
    let (oldest, newest) = (
        periods.iter().min().copied().unwrap_or(period),
        periods.iter().max().copied().unwrap_or(period),
    );
    let mut granted = super::extensions::in_force_over(conn, oldest, newest)?;
    Ok(periods
        .into_iter()
        .map(|p| {
            let row = known.get(&p.to_string());
            let versions = row.map_or(0, |r| r.current_version);
            let extension = granted.remove(&(firm.id, p.to_string()));
            let due = extension.as_ref().map_or(due_date(p, due_day), |g| g.due);
            let required = firm_start::expected(firm, p);
            let ready = marks.get(&p.to_string()).copied();
            FirmPeriod {
                period: p,
                due,
                standing: Standing::of(
                    row.map(|r| r.state),
                    row.is_some_and(|r| r.draft_json.is_some()),
                    required,
                    ready == Some(true),
                ),
                versions,
                overdue: required && versions == 0 && today > due,
                ready,
                extension: extension.map(|g| g.reference),
            }
        })
        .collect())
}
