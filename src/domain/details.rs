//! The rest of a complete return, beyond the FSA figures: purchases by
//! market, attack vectors, how cases were detected, losses and
//! compensation, the remediation checklist, the contact person and the
//! attestation — with the rules a submission must meet and the warnings
//! that need a written explanation.

use crate::i18n::Key;
use chrono::NaiveDate;

use super::compensation::CompensationKind;
use super::email::EmailAddress;
use super::figures::ReturnFigures;
use super::limits;
use super::text::is_forbidden_control;
use super::yen::{Count, Yen};

pub const MARKETS: [&str; 4] = [
    "purchase_domestic",
    "purchase_china_hk",
    "purchase_us",
    "purchase_other",
];
pub const VECTORS: [&str; 6] = [
    "vector_phishing",
    "vector_credential_stuffing",
    "vector_malware",
    "vector_sim_swap",
    "vector_insider",
    "vector_unknown",
];
pub const DETECTION: [&str; 3] = ["detected_customer", "detected_monitoring", "detected_other"];
/// The remediation checklist: each item's status field is `check_<item>`,
/// its target date `check_<item>_date`.
pub const CHECKLIST: [&str; 9] = [
    "mfa_mandatory",
    "passkeys_offered",
    "login_notifications",
    "trading_restrictions",
    "accounts_frozen",
    "passwords_reset",
    "takedown_requested",
    "police_notified",
    "customers_notified",
];
pub const CHECK_STATUS: [&str; 9] = [
    "check_mfa_mandatory",
    "check_passkeys_offered",
    "check_login_notifications",
    "check_trading_restrictions",
    "check_accounts_frozen",
    "check_passwords_reset",
    "check_takedown_requested",
    "check_police_notified",
    "check_customers_notified",
];
pub const CHECK_DATE: [&str; 9] = [
    "check_mfa_mandatory_date",
    "check_passkeys_offered_date",
    "check_login_notifications_date",
    "check_trading_restrictions_date",
    "check_accounts_frozen_date",
    "check_passwords_reset_date",
    "check_takedown_requested_date",
    "check_police_notified_date",
    "check_customers_notified_date",
];

/// How a remediation item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStatus {
    Done,
    Planned(NaiveDate),
    NotApplicable,
}

impl ItemStatus {
    pub fn code(&self) -> &'static str {
        match self {
            ItemStatus::Done => "done",
            ItemStatus::Planned(_) => "planned",
            ItemStatus::NotApplicable => "na",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompensationPolicy {
    Full,
    Partial(u8),
    UnderConsideration,
}

impl CompensationPolicy {
    /// The kind, as stored.
    pub fn kind(&self) -> CompensationKind {
        match self {
            CompensationPolicy::Full => CompensationKind::Full,
            CompensationPolicy::Partial(_) => CompensationKind::Partial,
            CompensationPolicy::UnderConsideration => CompensationKind::Considering,
        }
    }

    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn percent(&self) -> Option<u8> {
        match self {
            CompensationPolicy::Partial(p) => Some(*p),
            _ => None,
        }
    }
}

/// Everything a submitted return says beyond the FSA figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnDetails {
    pub purchase_by_market: [Yen; 4],
    pub vectors: [Count; 6],
    pub detected: [Count; 3],
    pub detected_other_text: String,
    pub customer_losses: Yen,
    pub compensation_paid: Yen,
    pub accounts_compensated: Count,
    pub policy: CompensationPolicy,
    pub checklist: [ItemStatus; 9],
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: EmailAddress,
    pub warnings_explanation: String,
}

/// Field errors as (form field, message key).
pub type Problems = Vec<(&'static str, Key)>;

fn text(value: &str, max: usize, required: bool, multiline: bool) -> Result<String, Key> {
    let value = value.trim().replace("\r\n", "\n");
    if required && value.is_empty() {
        return Err(msg!("err.required"));
    }
    if value.chars().count() > max {
        return Err(msg!("err.text.too_long"));
    }
    if value.chars().any(|c| is_forbidden_control(c, multiline)) {
        return Err(msg!("err.text.control"));
    }
    Ok(value)
}

/// A free-text field of the return when it holds something: within `max`
/// characters, no control characters (line breaks only when `multiline`).
/// Whether it may be empty is a rule of submission, not of the field.
pub fn check_text(value: &str, max: usize, multiline: bool) -> Result<(), Key> {
    text(value, max, false, multiline).map(drop)
}

/// The explanation of the warnings, as kept: trimmed, line breaks as
/// `\n`, within its length, no control characters but line breaks (empty
/// when none is given).
pub fn explanation(value: &str) -> Result<String, Key> {
    text(value, limits::WARNINGS_EXPLANATION, false, true)
}

/// The contact telephone number, as a submission accepts it.
pub fn check_phone(value: &str) -> Result<(), Key> {
    phone(value).map(drop)
}

/// The compensation policy's code as the form posts it.
pub fn parse_policy_code(value: &str) -> Result<CompensationKind, Key> {
    match value {
        "full" => Ok(CompensationKind::Full),
        "partial" => Ok(CompensationKind::Partial),
        "considering" => Ok(CompensationKind::Considering),
        _ => Err(msg!("err.choose")),
    }
}

/// The share compensated under a partial policy: a whole percentage from 1
/// to 99 (a trailing `%` allowed).
pub fn parse_percent(value: &str) -> Result<u8, Key> {
    match value.trim().trim_end_matches('%').parse::<u8>() {
        Ok(p) if (1..=99).contains(&p) => Ok(p),
        _ => Err(msg!("err.percent.invalid")),
    }
}

/// A remediation item's status code as the form posts it ("done",
/// "planned", "na"); a planned item's date is its own field.
pub fn check_item_status(value: &str) -> Result<(), Key> {
    match value {
        "done" | "planned" | "na" => Ok(()),
        _ => Err(msg!("err.choose")),
    }
}

/// A planned item's target date, written YYYY-MM-DD.
pub fn parse_planned_date(value: &str) -> Result<NaiveDate, Key> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| msg!("err.date.invalid"))
}

fn phone(value: &str) -> Result<String, Key> {
    let value = text(value, limits::CONTACT_PHONE, true, false)?;
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !allowed || !(6..=20).contains(&digits) {
        return Err(msg!("err.phone.invalid"));
    }
    Ok(value)
}

/// Checks the details of a return being submitted, given its figures and
/// period. All problems are reported, not just the first.
pub fn parse_for_submission<'a>(
    get: impl Fn(&str) -> &'a str,
    figures: &ReturnFigures,
    period_start: NaiveDate,
) -> Result<ReturnDetails, Problems> {
    let mut problems = Problems::new();
    let yen = |name: &'static str, problems: &mut Problems| {
        Yen::parse(get(name))
            .map_err(|e| problems.push((name, e.key())))
            .unwrap_or_default()
    };
    let markets = MARKETS.map(|m| yen(m, &mut problems));
    let customer_losses = yen("customer_losses", &mut problems);
    let compensation_paid = yen("compensation_paid", &mut problems);
    let count = |name: &'static str, problems: &mut Problems| {
        Count::parse(get(name))
            .map_err(|e| problems.push((name, e.key())))
            .unwrap_or_default()
    };
    let vectors = VECTORS.map(|v| count(v, &mut problems));
    let detected = DETECTION.map(|d| count(d, &mut problems));
    let accounts_compensated = count("accounts_compensated", &mut problems);
    let problems_before = problems.len();
    let market_sum: i64 = markets.iter().map(Yen::value).sum();
    if problems_before == 0 && market_sum != figures.purchase_amount.value() {
        problems.push(("purchase_domestic", msg!("err.rule.markets_sum")));
    }
    let detected_other_text = text(
        get("detected_other_text"),
        limits::DETECTED_OTHER,
        detected[2].value() > 0,
        false,
    )
    .map_err(|k| problems.push(("detected_other_text", k)))
    .unwrap_or_default();
    let policy = match get("compensation_policy") {
        "full" => Some(CompensationPolicy::Full),
        "considering" => Some(CompensationPolicy::UnderConsideration),
        "partial" => match parse_percent(get("compensation_percent")) {
            Ok(p) => Some(CompensationPolicy::Partial(p)),
            Err(key) => {
                problems.push(("compensation_percent", key));
                None
            }
        },
        _ => {
            problems.push(("compensation_policy", msg!("err.choose")));
            None
        }
    };
    let mut checklist = [ItemStatus::NotApplicable; 9];
    for (i, item) in checklist.iter_mut().enumerate() {
        *item = match get(CHECK_STATUS[i]) {
            "done" => ItemStatus::Done,
            "na" => ItemStatus::NotApplicable,
            "planned" => match parse_planned_date(get(CHECK_DATE[i])) {
                Ok(date) if date >= period_start => ItemStatus::Planned(date),
                Ok(_) => {
                    problems.push((CHECK_DATE[i], msg!("err.date.before_period")));
                    ItemStatus::NotApplicable
                }
                Err(_) => {
                    problems.push((CHECK_DATE[i], msg!("err.rule.planned_without_date")));
                    ItemStatus::NotApplicable
                }
            },
            _ => {
                problems.push((CHECK_STATUS[i], msg!("err.choose")));
                ItemStatus::NotApplicable
            }
        };
    }
    let contact_name = text(get("contact_name"), limits::CONTACT_NAME, true, false)
        .map_err(|k| problems.push(("contact_name", k)));
    let contact_phone =
        phone(get("contact_phone")).map_err(|k| problems.push(("contact_phone", k)));
    let contact_email = EmailAddress::parse(get("contact_email"))
        .map_err(|e| problems.push(("contact_email", e.key())));
    if get("attestation") != "yes" {
        problems.push(("attestation", msg!("err.attestation.required")));
    }
    let warnings_explanation = explanation(get("warnings_explanation"))
        .map_err(|k| problems.push(("warnings_explanation", k)))
        .unwrap_or_default();
    match (policy, contact_name, contact_phone, contact_email) {
        (Some(policy), Ok(contact_name), Ok(contact_phone), Ok(contact_email))
            if problems.is_empty() =>
        {
            Ok(ReturnDetails {
                purchase_by_market: markets,
                vectors,
                detected,
                detected_other_text,
                customer_losses,
                compensation_paid,
                accounts_compensated,
                policy,
                checklist,
                contact_name,
                contact_phone,
                contact_email,
                warnings_explanation,
            })
        }
        _ => Err(problems),
    }
}

/// Things that may be right but need a written explanation to submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    AccountsExceedAccesses,
    TenfoldPreviousMonth(&'static str),
    CompensationAboveLosses,
    /// The month's incidents affected more accounts than the return has
    /// unauthorized accesses.
    IncidentAccountsExceedAccesses,
    /// The month's incidents count more fraudulent trades than the return.
    IncidentTradesExceedTrades,
    /// The month has incidents but the return is nil.
    IncidentsOnNilReturn,
}

impl Warning {
    pub fn key(&self) -> Key {
        match self {
            Warning::AccountsExceedAccesses => msg!("warn.accounts_exceed_accesses"),
            Warning::TenfoldPreviousMonth(_) => msg!("warn.tenfold"),
            Warning::CompensationAboveLosses => msg!("warn.compensation_above_losses"),
            Warning::IncidentAccountsExceedAccesses => msg!("warn.incident_accounts"),
            Warning::IncidentTradesExceedTrades => msg!("warn.incident_trades"),
            Warning::IncidentsOnNilReturn => msg!("warn.incidents_nil"),
        }
    }

    /// The field the warning is about.
    pub fn field(&self) -> &'static str {
        match self {
            Warning::AccountsExceedAccesses => "affected_accounts",
            Warning::TenfoldPreviousMonth(field) => field,
            Warning::CompensationAboveLosses => "compensation_paid",
            Warning::IncidentAccountsExceedAccesses => "unauthorized_accesses",
            Warning::IncidentTradesExceedTrades => "fraudulent_trades",
            Warning::IncidentsOnNilReturn => NIL_RETURN,
        }
    }
}

/// The field a nil return's warning sits beside: the nil marking itself.
pub const NIL_RETURN: &str = "nil_return";

/// The firm's incidents that began in the month (sent, not reclassified),
/// added up: what the return is reconciled with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncidentTotals {
    pub incidents: i64,
    pub accounts: i64,
    pub trades: i64,
}

impl IncidentTotals {
    /// The totals of incidents given as (accounts, trades) each.
    pub fn of(incidents: impl IntoIterator<Item = (i64, i64)>) -> Self {
        incidents
            .into_iter()
            .fold(IncidentTotals::default(), |t, (accounts, trades)| {
                IncidentTotals {
                    incidents: t.incidents + 1,
                    accounts: t.accounts.saturating_add(accounts),
                    trades: t.trades.saturating_add(trades),
                }
            })
    }
}

/// The warnings the month's incidents raise on a return: a nil return over
/// incidents (and then nothing else), or incidents adding up to more
/// accounts than the return's unauthorized accesses, or more fraudulent
/// trades than the return's. `figures` is `None` for a nil return.
pub fn incident_warnings(figures: Option<(i64, i64)>, incidents: &IncidentTotals) -> Vec<Warning> {
    let mut found = Vec::new();
    match figures {
        None if incidents.incidents > 0 => found.push(Warning::IncidentsOnNilReturn),
        None => {}
        Some((accesses, trades)) => {
            if incidents.accounts > accesses {
                found.push(Warning::IncidentAccountsExceedAccesses);
            }
            if incidents.trades > trades {
                found.push(Warning::IncidentTradesExceedTrades);
            }
        }
    }
    found
}

/// The firm's previous month, as the five comparable figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Previous {
    pub accesses: i64,
    pub trades: i64,
    pub sale: i64,
    pub purchase: i64,
}

/// The values the warnings look at, as plain numbers (a stored version's
/// are re-checked with these).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    pub accesses: i64,
    pub affected: i64,
    pub trades: i64,
    pub sale: i64,
    pub purchase: i64,
    pub losses: i64,
    pub compensation: i64,
}

/// The warnings a submission raises.
pub fn warnings(
    figures: &ReturnFigures,
    details: &ReturnDetails,
    previous: Option<Previous>,
) -> Vec<Warning> {
    warnings_of(
        &Checked {
            accesses: figures.unauthorized_accesses.value(),
            affected: figures.affected_accounts.value(),
            trades: figures.fraudulent_trades.value(),
            sale: figures.sale_amount.value(),
            purchase: figures.purchase_amount.value(),
            losses: details.customer_losses.value(),
            compensation: details.compensation_paid.value(),
        },
        previous,
    )
}

/// The warnings the values `v` raise, given the previous month.
pub fn warnings_of(v: &Checked, previous: Option<Previous>) -> Vec<Warning> {
    let mut found = Vec::new();
    if v.affected > v.accesses {
        found.push(Warning::AccountsExceedAccesses);
    }
    if let Some(prev) = previous {
        let pairs = [
            ("unauthorized_accesses", v.accesses, prev.accesses),
            ("fraudulent_trades", v.trades, prev.trades),
            ("sale_amount", v.sale, prev.sale),
            ("purchase_amount", v.purchase, prev.purchase),
        ];
        for (field, now, before) in pairs {
            if before > 0 && now > before.saturating_mul(10) {
                found.push(Warning::TenfoldPreviousMonth(field));
            }
        }
    }
    if v.compensation > v.losses {
        found.push(Warning::CompensationAboveLosses);
    }
    found
}

#[cfg(test)]
#[path = "details_tests.rs"]
mod tests;
