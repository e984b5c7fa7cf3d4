//! Reading the audit log for the admin view (filters, keyset pages, newest
//! first) and recording that regulator staff read a firm's data.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::audit::{self, Action, Event};
use super::audit_rows::{Row, load_tolerant};
use super::{Actor, Invalid, clean_line};
use crate::db::models::{AuditEvent, Version};
use crate::db::schema::audit_events;
use crate::db::{DbConn, write_tx};

diesel::define_sql_function!(fn lower(x: Text) -> Text);

/// Events per page of the admin view.
pub const PAGE_SIZE: i64 = 50;

/// Which events to show. Times are UTC, `from` inclusive, `until`
/// exclusive; `before` is the keyset cursor (an event id).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub action: Option<Action>,
    pub actor_contains: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub before: Option<i64>,
    /// Only events by this user (the observers' views page).
    pub actor_user_id: Option<i64>,
}

/// One page of events, newest first, and the cursor for the next (older)
/// page if there is one. A row that does not read is on the page as what
/// it is ([`Row::Malformed`]).
#[derive(Clone, Debug)]
pub struct LogPage {
    pub events: Vec<Row>,
    pub older: Option<i64>,
}

/// Midnight at the start of a Tokyo calendar day, as UTC (JST is UTC+9
/// all year).
pub fn tokyo_day_start(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) - Duration::hours(9)
}

/// `LIKE` pattern matching `needle` anywhere, with `\` as escape.
fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::from("%");
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The filter as typed in the query string.
#[derive(Clone, Copy, Debug, Default)]
pub struct FilterInput<'a> {
    pub action: &'a str,
    pub actor: &'a str,
    pub object_type: &'a str,
    pub object_id: &'a str,
    /// Tokyo dates, `YYYY-MM-DD`, both inclusive.
    pub from: &'a str,
    pub to: &'a str,
    pub before: &'a str,
}

impl FilterInput<'_> {
    /// The filter, or the fields that were wrong. A malformed cursor
    /// starts from the newest event.
    pub fn parse(&self) -> Result<Filter, Invalid> {
        let mut invalid = Invalid::default();
        let mut text =
            |name: &'static str, value: &str, max: usize| match clean_line(value, max, false) {
                Ok(v) if v.is_empty() => None,
                Ok(v) => Some(v),
                Err(key) => {
                    invalid.push(name, key);
                    None
                }
            };
        let action_text = text("action", self.action, 100);
        let actor_contains = text("actor", self.actor, 254);
        let object_type = text("object_type", self.object_type, 100);
        let object_id = text("object_id", self.object_id, 100);
        let action = action_text.and_then(|name| {
            let known = Action::parse(&name).ok();
            if known.is_none() {
                invalid.push("action", msg!("audit.err.action"));
            }
            known
        });
        let mut date = |name: &'static str, value: &str| {
            let value = value.trim();
            let parsed = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok();
            if parsed.is_none() && !value.is_empty() {
                invalid.push(name, msg!("audit.err.date"));
            }
            parsed
        };
        let from = date("from", self.from).map(tokyo_day_start);
        let until = date("to", self.to).map(|d| tokyo_day_start(d) + Duration::days(1));
        if !invalid.is_empty() {
            return Err(invalid);
        }
        Ok(Filter {
            action,
            actor_contains,
            object_type,
            object_id,
            from,
            until,
            before: self.before.trim().parse().ok(),
            actor_user_id: None,
        })
    }
}

/// Text as one line of the log view: line breaks, other controls and
/// bidirectional overrides as visible escapes, so no entry can pose as two
/// or disguise its neighbours.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

type Boxed<'a> = audit_events::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend>;

/// The events matching `filter`, newest first, at most `limit`.
fn filtered(filter: &Filter, limit: i64) -> Boxed<'static> {
    let mut query = audit_events::table.into_boxed();
    if let Some(a) = filter.action {
        query = query.filter(audit_events::action.eq(a));
    }
    if let Some(needle) = &filter.actor_contains {
        query = query.filter(
            lower(audit_events::actor)
                .like(contains_pattern(needle))
                .escape('\\'),
        );
    }
    if let Some(t) = &filter.object_type {
        query = query.filter(audit_events::object_type.eq(t.clone()));
    }
    if let Some(id) = &filter.object_id {
        query = query.filter(audit_events::object_id.eq(id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::occurred_at.lt(until));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_events::id.lt(before));
    }
    if let Some(user_id) = filter.actor_user_id {
        query = query.filter(audit_events::actor_user_id.eq(user_id));
    }
    query.order(audit_events::id.desc()).limit(limit)
}

/// Up to `limit` events matching `filter`, newest (highest id) first.
pub fn page(conn: &mut DbConn, filter: &Filter, limit: i64) -> QueryResult<LogPage> {
    let asked = limit.saturating_add(1);
    let mut events = load_tolerant(
        conn,
        |conn| {
            filtered(filter, asked)
                .select(AuditEvent::as_select())
                .load(conn)
        },
        |conn| filtered(filter, asked).select(audit_events::id).load(conn),
    )?;
    let more = events.len() as i64 > limit;
    events.truncate(usize::try_from(limit).unwrap_or(0));
    let older = events.last().map(Row::id).filter(|_| more);
    Ok(LogPage { events, older })
}

/// Records that regulator staff viewed a firm's version, in a short write
/// transaction of its own.
pub fn version_viewed(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    viewed: &Version,
) -> QueryResult<()> {
    let detail = format!(
        "firm {} period {} v{}",
        viewed.firm_id, viewed.period, viewed.version_no
    );
    let object_id = viewed.id.to_string();
    let event = Event {
        action: Action::ReturnViewed,
        object_type: "version",
        object_id: &object_id,
        detail: &detail,
    };
    write_tx(conn, |conn| audit::record(conn, now, actor, event))
}

/// Records that an API client read a firm's data (`what`, `id`), in a
/// short write transaction of its own.
pub fn api_read(
    conn: &mut DbConn,
    now: NaiveDateTime,
    actor: &Actor,
    what: &str,
    id: &str,
) -> QueryResult<()> {
    let event = Event {
        action: Action::ApiRead,
        object_type: what,
        object_id: id,
        detail: "",
    };
    write_tx(conn, |conn| audit::record(conn, now, actor, event))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::time::tokyo_date;

    #[test]
    fn the_action_filter_takes_only_known_actions() {
        let known = FilterInput {
            action: " auth.sign_in ",
            ..Default::default()
        };
        assert_eq!(known.parse().unwrap().action, Some(Action::SignIn));
        let unknown = FilterInput {
            action: "auth.sign_in_as_root",
            ..Default::default()
        };
        let invalid = unknown.parse().unwrap_err();
        assert_eq!(invalid.for_field("action"), Some(msg!("audit.err.action")));
    }

    #[test]
    fn entries_show_on_one_line() {
        assert_eq!(
            one_line("a\r\nb\\n\u{202e}c\u{7}"),
            "a\\r\\nb\\\\n\\u{202e}c\\u{7}"
        );
        assert_eq!(one_line("日本 <ok>"), "日本 <ok>");
    }

    #[test]
    fn bad_dates_are_named_and_days_are_tokyo_days() {
        let bad = FilterInput {
            from: "20/05/2025",
            to: "2025-02-30",
            ..Default::default()
        };
        let invalid = bad.parse().unwrap_err();
        assert_eq!(invalid.for_field("from"), Some(msg!("audit.err.date")));
        assert_eq!(invalid.for_field("to"), Some(msg!("audit.err.date")));
        let good = FilterInput {
            from: "2025-05-20",
            to: " 2025-05-20 ",
            before: "x",
            ..Default::default()
        };
        let filter = good.parse().unwrap();
        let start = filter.from.unwrap();
        assert_eq!(start.to_string(), "2025-05-19 15:00:00");
        assert_eq!(tokyo_date(start).to_string(), "2025-05-20");
        let just_before = start - Duration::microseconds(1);
        assert_eq!(tokyo_date(just_before).to_string(), "2025-05-19");
        assert_eq!(filter.until.unwrap().to_string(), "2025-05-20 15:00:00");
        assert_eq!(filter.before, None);
    }

    #[test]
    fn wildcards_in_the_needle_are_literal() {
        assert_eq!(contains_pattern("A_b%c\\"), "%a\\_b\\%c\\\\%");
    }
}
