//! The rows of a version comparison: every field of the complete return
//! (the FSA figures, purchases by market, attack vectors, detection,
//! losses and compensation, the remediation checklist, the contact), read
//! through the same form mapping the amendment form uses, so a field added
//! there is compared here too. Values are compared as stored.

use crate::db::models::{Version, VersionDetails};
use crate::domain::details::{CHECKLIST, DETECTION, MARKETS, VECTORS};
use crate::domain::yen::group_digits;
use crate::services::return_form::{COMPENSATION, CONTACT, CORE, FiguresForm};
use crate::web::view::Chrome;

/// One field of both versions.
pub struct CompareRow {
    pub label: String,
    pub a: String,
    pub b: String,
    pub changed: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    Count,
    Yen,
    Text,
    /// A value that is itself a catalogue key suffix (`policy.full`).
    Choice(&'static str),
}

fn kind_of(name: &str) -> Kind {
    if matches!(
        name,
        "sale_amount" | "purchase_amount" | "customer_losses" | "compensation_paid"
    ) || MARKETS.contains(&name)
    {
        Kind::Yen
    } else if matches!(
        name,
        "unauthorized_accesses"
            | "affected_accounts"
            | "fraudulent_trades"
            | "accounts_compensated"
            | "compensation_percent"
    ) || VECTORS.contains(&name)
        || DETECTION.contains(&name)
    {
        Kind::Count
    } else if name == "compensation_policy" {
        Kind::Choice("policy")
    } else {
        Kind::Text
    }
}

fn show(c: &Chrome, kind: Kind, raw: &str) -> String {
    match (kind, raw.parse::<i64>()) {
        (Kind::Yen, Ok(n)) => format!("¥{}", group_digits(n)),
        (Kind::Count, Ok(n)) => group_digits(n),
        (Kind::Choice(prefix), _) if !raw.is_empty() => {
            c.t.named(&format!("{prefix}.{raw}")).to_owned()
        }
        _ => raw.to_owned(),
    }
}

/// Every field of `a` and `b` (with their details, when the versions have
/// them), in form order; a field neither version has is left out.
pub fn rows(
    c: &Chrome,
    a: &Version,
    a_details: Option<&VersionDetails>,
    b: &Version,
    b_details: Option<&VersionDetails>,
) -> Vec<CompareRow> {
    let fa = FiguresForm::from_version(a, a_details);
    let fb = FiguresForm::from_version(b, b_details);
    let mut out = Vec::new();
    let mut push = |label: String, name: &str, kind: Kind, always: bool| {
        let (x, y) = (fa.get(name), fb.get(name));
        if !always && x.is_empty() && y.is_empty() {
            return;
        }
        out.push(CompareRow {
            label,
            a: show(c, kind, x),
            b: show(c, kind, y),
            changed: x != y,
        });
    };
    for name in CORE {
        push(
            c.t.named(&format!("field.{name}")).to_owned(),
            name,
            kind_of(name),
            true,
        );
    }
    let middle = MARKETS
        .iter()
        .chain(VECTORS.iter())
        .chain(DETECTION.iter())
        .chain(["detected_other_text"].iter())
        .chain(COMPENSATION.iter());
    for name in middle {
        push(
            c.t.named(&format!("field.{name}")).to_owned(),
            name,
            kind_of(name),
            false,
        );
    }
    for item in CHECKLIST {
        let measure = c.t.named(&format!("check.{item}")).to_owned();
        push(
            format!("{measure} — {}", c.t.t(msg!("check.status"))),
            &format!("check_{item}"),
            Kind::Choice("check"),
            false,
        );
        push(
            format!("{measure} — {}", c.t.t(msg!("check.date"))),
            &format!("check_{item}_date"),
            Kind::Text,
            false,
        );
    }
    for name in CONTACT {
        push(
            c.t.named(&format!("field.{name}")).to_owned(),
            name,
            Kind::Text,
            false,
        );
    }
    out
}
