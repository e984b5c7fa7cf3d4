//! The deadline rule of each incident stage, as the admin set it (rows of
//! `incident_deadlines`, seeded by the migration). A stage's due time is
//! computed from its rule when its trigger happens and kept on the incident,
//! so a change here reaches only triggers that happen after it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Actor;
use super::audit::{self, Action, Event};
use crate::db::schema::incident_deadlines;
use crate::db::{DbConn, write_tx};
use crate::domain::incident::IncidentStage;
use crate::domain::incident_deadline::{DeadlineRule, DelayUnit, Trigger};
use crate::domain::text_enum::Unknown;
use crate::error::AppResult;

type Row = (String, String, String, i32, i32, bool);

fn rule_of(row: Row) -> QueryResult<DeadlineRule> {
    let (stage, trigger, unit, amount, remind_hours, four_eyes) = row;
    DeadlineRule::new(
        IncidentStage::parse(&stage)?,
        Trigger::parse(&trigger)?,
        DelayUnit::parse(&unit)?,
        amount,
        remind_hours,
        four_eyes,
    )
    .map_err(|_| Unknown::new("DeadlineRule", &stage).into())
}

/// The rules of the three stages, in stage order.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<DeadlineRule>> {
    let rows: Vec<Row> = incident_deadlines::table
        .select((
            incident_deadlines::stage,
            incident_deadlines::trigger,
            incident_deadlines::unit,
            incident_deadlines::amount,
            incident_deadlines::remind_hours,
            incident_deadlines::four_eyes,
        ))
        .load(conn)?;
    let mut rules = rows
        .into_iter()
        .map(rule_of)
        .collect::<QueryResult<Vec<_>>>()?;
    rules.sort_by_key(|r| r.stage);
    if rules.len() != IncidentStage::ALL.len() {
        return Err(Unknown::new("IncidentDeadlines", &rules.len().to_string()).into());
    }
    Ok(rules)
}

/// The rule of one stage.
pub fn of(conn: &mut DbConn, stage: IncidentStage) -> QueryResult<DeadlineRule> {
    all(conn)?
        .into_iter()
        .find(|r| r.stage == stage)
        .ok_or_else(|| Unknown::new("IncidentStage", stage.as_str()).into())
}

/// A rule in the audit trail's words.
fn describe(rule: &DeadlineRule) -> String {
    format!(
        "{} {} {} remind={}h four_eyes={}",
        rule.trigger, rule.amount, rule.unit, rule.remind_hours, rule.four_eyes
    )
}

/// Saves the admin's rules (each checked on construction), audited with
/// each stage's rule before and after. Due times already computed stay as
/// they are: they were frozen on their incident when their trigger
/// happened. Nothing is written when nothing changes.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
    rules: &[DeadlineRule],
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let before = all(conn)?;
        let mut changes = Vec::new();
        for rule in rules {
            let old = before.iter().find(|r| r.stage == rule.stage);
            if old == Some(rule) {
                continue;
            }
            diesel::update(incident_deadlines::table.find(rule.stage))
                .set((
                    incident_deadlines::trigger.eq(rule.trigger),
                    incident_deadlines::unit.eq(rule.unit),
                    incident_deadlines::amount.eq(rule.amount),
                    incident_deadlines::remind_hours.eq(rule.remind_hours),
                    incident_deadlines::four_eyes.eq(rule.four_eyes),
                ))
                .execute(conn)?;
            changes.push(format!(
                "{}: {} -> {}",
                rule.stage,
                old.map_or_else(String::new, describe),
                describe(rule)
            ));
        }
        if changes.is_empty() {
            return Ok(());
        }
        audit::record(
            conn,
            now,
            actor,
            Event {
                action: Action::IncidentDeadlinesChanged,
                object_type: "settings",
                object_id: "incident_deadlines",
                detail: &changes.join("; "),
            },
        )?;
        Ok(())
    })
}
