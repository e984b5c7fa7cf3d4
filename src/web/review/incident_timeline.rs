//! An incident's timeline in words: one row per happening, in time order.

use super::incident_labels as label;
use crate::services::incident_review::{Happening, TimelineEntry};
use crate::web::view::Chrome;

/// One happening as the page lists it.
pub struct TimelineRow {
    /// When, in Tokyo time.
    pub when: String,
    pub what: String,
    pub details: Vec<String>,
    /// Free text quoted (a reclassification's reason).
    pub quote: Option<String>,
    /// Where the page shows more (a message in the thread).
    pub link: Option<String>,
    /// A version sent after its due time.
    pub late: bool,
}

pub fn rows(c: &Chrome, entries: Vec<TimelineEntry>) -> Vec<TimelineRow> {
    entries.into_iter().map(|e| row(c, e)).collect()
}

fn row(c: &Chrome, entry: TimelineEntry) -> TimelineRow {
    let t = &c.t;
    let mut row = TimelineRow {
        when: c.when(&entry.at),
        what: String::new(),
        details: Vec::new(),
        quote: None,
        link: None,
        late: false,
    };
    match entry.what {
        Happening::Version {
            version_no,
            stage,
            sent_by,
            prepared_by,
            sent_by_one,
            due_at,
            on_time,
            source,
        } => {
            row.what = t.tf(
                msg!("incident_review.tl.version"),
                &[
                    ("stage", t.t(label::stage(stage))),
                    ("version", &version_no.to_string()),
                    ("who", &sent_by),
                ],
            );
            row.details.push(if sent_by_one {
                t.t(msg!("incident_review.tl.one_person")).to_owned()
            } else {
                t.tf(
                    msg!("incident_review.tl.four_eyes"),
                    &[("who", &prepared_by.join(", "))],
                )
            });
            let due = c.when(&due_at);
            row.details.push(if on_time {
                t.tf(msg!("incident_review.tl.on_time"), &[("due", &due)])
            } else {
                t.tf(msg!("incident_review.tl.late"), &[("due", &due)])
            });
            row.details.push(t.tf(
                msg!("incident_review.tl.source"),
                &[("source", t.t(label::source(source)))],
            ));
            row.late = !on_time;
        }
        Happening::Triage { state, by } => {
            row.what = t.tf(
                msg!("incident_review.tl.triage"),
                &[("state", t.t(label::triage(state))), ("who", &by)],
            );
        }
        Happening::Reclassified { reason, by } => {
            row.what = t.tf(msg!("incident_review.tl.reclassified"), &[("who", &by)]);
            row.quote = Some(reason);
        }
        Happening::Message(m) => {
            let key = match (m.from_regulator, m.firm_visible) {
                (false, _) => msg!("incident_review.tl.message_firm"),
                (true, true) => msg!("incident_review.tl.message_regulator"),
                (true, false) => msg!("incident_review.tl.message_internal"),
            };
            row.what = t.tf(key, &[("who", &m.author)]);
            row.link = Some(format!("#message-{}", m.id));
        }
    }
    row
}
