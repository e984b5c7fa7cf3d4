//! The interval audit as admins read it: one line per suppressed cell
//! (which release, which cell, why, its value, the narrowest range an
//! attacker can work out, the range it needs, protected or not), and the
//! cells suppressed to protect earlier releases.

use crate::domain::disclosure::Reason;
use crate::domain::yen::group_digits;
use crate::i18n::{Key, Tr};
use crate::services::publication_table::{AuditLine, LinkedLine, cell_key};
use crate::web::statistics::cell_label;

pub struct AuditRow {
    pub release: String,
    pub cell: String,
    pub reason: String,
    pub value: String,
    pub lower: String,
    pub upper: String,
    pub required: String,
    pub protected: String,
    pub ok: bool,
}

pub struct AuditView {
    pub rows: Vec<AuditRow>,
    pub linked: Vec<String>,
    /// Every suppressed cell is protected.
    pub safe: bool,
    /// Safe, though some cells are not protected: earlier releases gave
    /// them away exactly (hiding them again hides nothing).
    pub given_away: bool,
    /// An audit is kept (a release made before the audit has none).
    pub kept: bool,
}

pub fn reason_key(reason: Reason) -> Key {
    match reason {
        Reason::Threshold => msg!("publication.reason_threshold"),
        Reason::Dominance => msg!("publication.reason_dominance"),
        Reason::Secondary => msg!("publication.reason_secondary"),
    }
}

/// A bound as a whole number (the solver's floating point rounded).
fn whole(x: f64) -> String {
    group_digits(x.round() as i64)
}

fn release_label(t: &Tr, release: Option<i64>) -> String {
    match release {
        None => t.t(msg!("publication.audit_this_release")).to_owned(),
        Some(id) => format!("#{id}"),
    }
}

pub fn build(
    t: &Tr,
    audit: &[AuditLine],
    linked: &[LinkedLine],
    safe: bool,
    kept: bool,
) -> AuditView {
    let rows = audit
        .iter()
        .map(|a| AuditRow {
            release: release_label(t, a.release),
            cell: cell_label(t, &cell_key(&a.figure, &a.column)),
            reason: t.t(reason_key(a.reason)).to_owned(),
            value: group_digits(a.value),
            lower: whole(a.lower),
            upper: a.upper.map_or_else(
                || t.t(msg!("publication.audit_unbounded")).to_owned(),
                whole,
            ),
            required: match (a.required_lower, a.required_upper) {
                (Some(lo), Some(hi)) => format!("≤ {} / ≥ {}", whole(lo.floor()), whole(hi.ceil())),
                _ => "—".to_owned(),
            },
            protected: t
                .t(if a.protected {
                    msg!("publication.audit_yes")
                } else {
                    msg!("publication.audit_no")
                })
                .to_owned(),
            ok: a.protected,
        })
        .collect();
    let linked = linked
        .iter()
        .map(|l| {
            t.tf(
                msg!("publication.audit_linked"),
                &[
                    ("cell", &cell_label(t, &cell_key(&l.figure, &l.suppressed))),
                    ("release", &format!("#{}", l.release)),
                    ("protected", &cell_label(t, &cell_key(&l.figure, &l.column))),
                ],
            )
        })
        .collect();
    let given_away = safe && audit.iter().any(|a| !a.protected);
    AuditView {
        rows,
        linked,
        safe,
        given_away,
        kept,
    }
}
