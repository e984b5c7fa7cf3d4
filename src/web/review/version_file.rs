//! The parts of the analyst's review page beyond the figures: the checks
//! re-run on the version, its trade detail against its figures, the
//! version before it with the changes marked, and the firm's history.

use crate::db::models::Version;
use crate::i18n::Key;
use crate::services::review_file;
use crate::services::review_page::ReviewPage;
use crate::web::paths;
use crate::web::returns::details_view::{self, Section};
use crate::web::returns::form::status_key;
use crate::web::view::Chrome;

use super::compare_rows::{self, CompareRow};

/// One figure against the trade detail.
pub struct TradeRow {
    pub label: String,
    pub file: String,
    pub figure: String,
    pub matches: bool,
}

/// The version before this one, beside it.
pub struct PreviousView {
    pub label: String,
    pub href: String,
    pub compare: String,
    pub rows: Vec<CompareRow>,
    pub changed: usize,
}

pub struct HistoryRow {
    pub period: String,
    pub version_no: i32,
    pub href: String,
    pub current: bool,
    pub submitted_at: String,
    pub status_key: Key,
    pub reviewed: String,
    pub note: String,
}

/// The parts as the template shows them.
pub struct FileView {
    pub sections: Vec<Section>,
    pub checks: Vec<String>,
    pub trades: Option<(usize, Vec<TradeRow>)>,
    pub previous: Option<PreviousView>,
    pub history: Vec<HistoryRow>,
}

pub fn view(c: &Chrome, v: &Version, loaded: &ReviewPage) -> FileView {
    // The four-eyes basis is shown, by name, in the people block.
    let control = c.t.t(msg!("version.control"));
    let mut sections: Vec<Section> = loaded
        .details
        .as_ref()
        .map(|d| details_view::sections(c, d))
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.title != control)
        .collect();
    if let Some((warnings, explanation)) = &loaded.nil_explanation {
        sections.push(details_view::warnings_section(c, warnings, explanation));
    }
    let checks = loaded
        .checks
        .iter()
        .map(|w| {
            format!(
                "{} ({})",
                c.t.t(w.key()),
                c.t.named(&format!("field.{}", w.field()))
            )
        })
        .collect();
    let trades = loaded.trades.as_ref().map(|t| {
        let rows = t
            .lines
            .iter()
            .map(|(field, file, figure, matches)| {
                let shown = |n: &i64| {
                    if *field == "fraudulent_trades" {
                        c.count(n)
                    } else {
                        c.yen(n)
                    }
                };
                TradeRow {
                    label: c.t.named(&format!("field.{field}")).to_owned(),
                    file: shown(file),
                    figure: shown(figure),
                    matches: *matches,
                }
            })
            .collect();
        (usize::try_from(t.rows).unwrap_or(0), rows)
    });
    let previous = loaded.previous.as_ref().map(|(p, pd)| {
        let rows = compare_rows::rows(c, p, pd.as_ref(), v, loaded.details.as_ref());
        PreviousView {
            label: format!("v{}", p.version_no),
            href: paths::review_version(p.id),
            compare: paths::review_compare(p.id, v.id),
            changed: rows.iter().filter(|r| r.changed).count(),
            rows,
        }
    });
    let history = loaded
        .history
        .iter()
        .map(|h| HistoryRow {
            period: h.version.period.clone(),
            version_no: h.version.version_no,
            href: paths::review_version(h.version.id),
            current: h.version.id == v.id,
            submitted_at: c.when(&h.version.submitted_at),
            status_key: status_key(&h.version),
            reviewed: match (h.version.reviewed_at, &h.reviewer) {
                (Some(at), who) => format!("{} {}", c.when(&at), who.as_deref().unwrap_or("")),
                (None, _) => String::new(),
            },
            note: if review_file::was_returned(&h.version) {
                c.kept(h.version.review_note.as_deref().unwrap_or_default())
            } else {
                String::new()
            },
        })
        .collect();
    FileView {
        sections,
        checks,
        trades,
        previous,
        history,
    }
}
