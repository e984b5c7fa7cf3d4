//! The trade-detail page as the template draws it: limits, the staged
//! upload's totals beside the form's figures, and the problems of a file
//! that was refused.

use crate::i18n::Key;
use askama::Template;

use crate::domain::period::Period;
use crate::domain::trades::Problem;
use crate::domain::yen::{Count, Yen, group_digits};
use crate::services::trades::{MAX_PROBLEMS, MAX_ROWS, UploadErrors, UploadSummary};
use crate::web::paths;
use crate::web::returns::upload::MAX_FILE_BYTES;
use crate::web::view::Chrome;

const MARKET_KEYS: [Key; 4] = [
    msg!("trades.market.domestic"),
    msg!("trades.market.china_hk"),
    msg!("trades.market.us"),
    msg!("trades.market.other"),
];

/// One figure of the file beside the same figure on the form.
pub struct Comparison {
    pub label: String,
    pub file: String,
    pub form: String,
    pub matches: bool,
}

pub struct MarketLine {
    pub label: String,
    pub sell: String,
    pub buy: String,
}

pub struct UploadView {
    pub file_name: String,
    pub encoding: String,
    pub uploaded: String,
    pub rows: String,
    pub dates: String,
    pub comparisons: Vec<Comparison>,
    pub markets: Vec<MarketLine>,
    pub reconciles: bool,
}

pub struct ProblemLine {
    pub row: String,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "returns/trades.html")]
pub struct TradesPage {
    pub c: Chrome,
    pub firm_name: String,
    pub period: String,
    pub return_href: String,
    pub upload_action: String,
    pub use_action: String,
    pub remove_action: String,
    pub template_href: String,
    pub limits: String,
    pub notice: Option<String>,
    pub upload: Option<UploadView>,
    pub refused: Option<String>,
    pub problems: Vec<ProblemLine>,
    pub more: Option<String>,
    /// The draft is marked nil: an upload withdraws the mark.
    pub nil_draft: bool,
}

/// The form's current trade and amount figures, as typed.
pub struct FormFigures {
    pub trades: String,
    pub sale: String,
    pub purchase: String,
    /// Whether the draft is marked nil.
    pub nil: bool,
}

fn same_number(typed: &str, value: i64, yen: bool) -> bool {
    let parsed = if yen {
        Yen::parse(typed).map(|y| y.value())
    } else {
        Count::parse(typed).map(|c| c.value())
    };
    parsed == Ok(value)
}

pub fn upload_view(c: &Chrome, upload: &UploadSummary, form: &FormFigures) -> UploadView {
    let t = &upload.totals;
    let comparisons = vec![
        Comparison {
            label: c.t.t(msg!("field.fraudulent_trades")).to_owned(),
            file: group_digits(t.rows),
            form: form.trades.clone(),
            matches: same_number(&form.trades, t.rows, false),
        },
        Comparison {
            label: c.t.t(msg!("field.sale_amount")).to_owned(),
            file: c.yen(&t.sell),
            form: form.sale.clone(),
            matches: same_number(&form.sale, t.sell, true),
        },
        Comparison {
            label: c.t.t(msg!("field.purchase_amount")).to_owned(),
            file: c.yen(&t.buy),
            form: form.purchase.clone(),
            matches: same_number(&form.purchase, t.buy, true),
        },
    ];
    let markets = MARKET_KEYS
        .iter()
        .enumerate()
        .map(|(i, key)| MarketLine {
            label: c.t.t(*key).to_owned(),
            sell: c.yen(&t.sell_by_market[i]),
            buy: c.yen(&t.buy_by_market[i]),
        })
        .collect();
    let dates = match (t.first_date, t.last_date) {
        (Some(a), Some(b)) => format!("{} – {}", c.date(&a), c.date(&b)),
        _ => String::new(),
    };
    UploadView {
        file_name: upload.file_name.clone(),
        encoding: upload.encoding.clone(),
        uploaded: c.t.tf(
            msg!("trades.uploaded_by"),
            &[
                ("who", upload.uploaded_by.as_deref().unwrap_or("?")),
                ("when", &c.when(&upload.uploaded_at)),
            ],
        ),
        rows: c.t.tf(
            msg!("trades.rows_summary"),
            &[
                ("rows", &group_digits(t.rows)),
                ("sells", &group_digits(t.sell_count)),
                ("buys", &group_digits(t.buy_count)),
            ],
        ),
        dates,
        reconciles: comparisons.iter().all(|x| x.matches),
        comparisons,
        markets,
    }
}

fn problem_line(c: &Chrome, p: &Problem) -> ProblemLine {
    ProblemLine {
        row: if p.row == 0 {
            c.t.t(msg!("trades.whole_file")).to_owned()
        } else {
            group_digits(i64::try_from(p.row).unwrap_or(i64::MAX))
        },
        column: p
            .column
            .map_or_else(|| "—".to_owned(), |col| col.name().to_owned()),
        message: crate::web::rules::message(&c.t, crate::domain::rules::Subject::Trades, p.key),
    }
}

/// The page with nothing refused.
pub fn page(
    c: Chrome,
    firm_name: String,
    period: Period,
    upload: Option<UploadView>,
) -> TradesPage {
    let limits = c.t.tf(
        msg!("trades.limits"),
        &[
            ("mb", &(MAX_FILE_BYTES / (1024 * 1024)).to_string()),
            (
                "rows",
                &group_digits(i64::try_from(MAX_ROWS).unwrap_or(i64::MAX)),
            ),
        ],
    );
    TradesPage {
        firm_name,
        period: period.to_string(),
        return_href: paths::return_page(period),
        upload_action: paths::return_trades(period),
        use_action: paths::return_trades_use(period),
        remove_action: paths::return_trades_remove(period),
        template_href: paths::return_trades_template(period),
        limits,
        notice: None,
        upload,
        refused: None,
        problems: Vec::new(),
        more: None,
        nil_draft: false,
        c,
    }
}

impl TradesPage {
    /// Adds the problems of a refused file.
    pub fn with_errors(mut self, errors: &UploadErrors) -> Self {
        self.refused = Some(self.c.t.t(msg!("trades.refused")).to_owned());
        self.problems = errors
            .problems
            .iter()
            .map(|p| problem_line(&self.c, p))
            .collect();
        if errors.more > 0 {
            let more = group_digits(i64::try_from(errors.more).unwrap_or(i64::MAX));
            self.more = Some(self.c.t.tn(
                msg!("trades.more_problems"),
                errors.more,
                &[("n", &more), ("shown", &MAX_PROBLEMS.to_string())],
            ));
        }
        self
    }
}
