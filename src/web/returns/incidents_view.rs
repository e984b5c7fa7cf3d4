//! The firm's incidents that began in a return's month, as the return's
//! pages list them beside its figures (`returns/_incidents.html`): the
//! firm's task list and approver's page link each to the firm's incident
//! page, the analyst's view of a version to the regulator's. The totals
//! are what rules RET-W004 to RET-W006 compare with the return.

use crate::db::models::Incident;
use crate::web::incidents::labels;
use crate::web::view::Chrome;

/// One incident of the month.
pub struct IncidentLine {
    pub id: i64,
    pub href: String,
    pub kind: String,
    pub stage: String,
    pub accounts: String,
    pub trades: String,
}

/// The month's incidents, with their totals.
pub struct MonthIncidents {
    pub lines: Vec<IncidentLine>,
    pub accounts: String,
    pub trades: String,
}

/// The month's incidents as the partial shows them (`None`: the firm
/// reported none that began in the month); `href` gives each one's page.
pub fn month(
    c: &Chrome,
    incidents: &[Incident],
    href: impl Fn(i64) -> String,
) -> Option<MonthIncidents> {
    if incidents.is_empty() {
        return None;
    }
    let lines = incidents
        .iter()
        .map(|i| IncidentLine {
            id: i.id,
            href: href(i.id),
            kind: c.t.t(labels::kind(i.kind)).to_owned(),
            stage: i
                .stage
                .map_or_else(String::new, |s| c.t.t(labels::stage(s)).to_owned()),
            accounts: c.count(&i.accounts),
            trades: c.count(&i.trades),
        })
        .collect();
    let accounts = incidents
        .iter()
        .fold(0_i64, |sum, i| sum.saturating_add(i.accounts));
    let trades = incidents
        .iter()
        .fold(0_i64, |sum, i| sum.saturating_add(i.trades));
    Some(MonthIncidents {
        lines,
        accounts: c.count(&accounts),
        trades: c.count(&trades),
    })
}
