//! The deadline rule of each incident stage, as the admin set it (rows of
//! `incident_deadlines`, seeded by the migration). A stage's due time is
//! computed from its rule when its trigger happens and kept on the incident,
//! so a change here reaches only triggers that happen after it.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::incident_deadlines;
use crate::domain::incident::IncidentStage;
use crate::domain::incident_deadline::{DeadlineRule, DelayUnit, Trigger};
use crate::domain::text_enum::Unknown;

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
