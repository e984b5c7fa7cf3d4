//! Incidents reported in stages: what each stage says (`Report`), checked on
//! construction against the stage it is for, and the states an incident and
//! its triage move through.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use super::limits;
use super::text::is_forbidden_control;
use super::text_enum::text_enum;
use super::yen::{Count, Yen};
use crate::i18n::Key;

text_enum! {
    /// The stages of a report, in order.
    pub enum IncidentStage {
        /// What is known within hours.
        Initial = "initial",
        /// Updated figures, containment and the cause so far.
        Intermediate = "intermediate",
        /// Root cause, full figures, losses and remediation.
        Final = "final",
    }
}

impl IncidentStage {
    /// The stage after this one.
    pub fn next(self) -> Option<IncidentStage> {
        match self {
            IncidentStage::Initial => Some(IncidentStage::Intermediate),
            IncidentStage::Intermediate => Some(IncidentStage::Final),
            IncidentStage::Final => None,
        }
    }

    /// The stage before this one.
    pub fn previous(self) -> Option<IncidentStage> {
        match self {
            IncidentStage::Initial => None,
            IncidentStage::Intermediate => Some(IncidentStage::Initial),
            IncidentStage::Final => Some(IncidentStage::Intermediate),
        }
    }
}

text_enum! {
    /// Where an incident stands from the firm's side.
    pub enum IncidentStatus {
        /// Being prepared; nothing sent (only when the initial stage needs
        /// four eyes). The regulator does not see it.
        Draft = "draft",
        /// Sent; the final report is still to come.
        Open = "open",
        /// The final report is in.
        Final = "final",
        /// Reclassified as not reportable, with a reason.
        NotReportable = "not_reportable",
    }
}

text_enum! {
    /// The regulator's triage of an incident.
    pub enum Triage {
        Received = "received",
        Assessing = "assessing",
        MoreInformation = "more_information",
        Accepted = "accepted",
        Closed = "closed",
    }
}

impl Triage {
    /// The states an analyst may move to from this one.
    pub fn next_states(self) -> &'static [Triage] {
        match self {
            Triage::Received => &[Triage::Assessing, Triage::MoreInformation, Triage::Closed],
            Triage::Assessing => &[Triage::MoreInformation, Triage::Accepted, Triage::Closed],
            Triage::MoreInformation => &[Triage::Assessing, Triage::Accepted, Triage::Closed],
            Triage::Accepted => &[Triage::Assessing, Triage::Closed],
            Triage::Closed => &[Triage::Assessing],
        }
    }
}

text_enum! {
    /// What kind of incident.
    pub enum IncidentKind {
        UnauthorizedAccess = "unauthorized_access",
        FraudulentTrading = "fraudulent_trading",
        SystemBreach = "system_breach",
        Other = "other",
    }
}

text_enum! {
    /// How the attacker got in.
    pub enum AttackVector {
        Phishing = "phishing",
        CredentialStuffing = "credential_stuffing",
        Malware = "malware",
        SimSwap = "sim_swap",
        Insider = "insider",
        Vulnerability = "vulnerability",
        Other = "other",
        Unknown = "unknown",
    }
}

text_enum! {
    /// Where a version came from.
    pub enum IncidentSource {
        Portal = "portal",
        Api = "api",
    }
}

/// What one stage of a report says. Fields of later stages are `None` (or
/// empty) in earlier ones; each stage repeats the ones before it, updated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// When the firm became aware (UTC).
    pub aware_at: NaiveDateTime,
    /// When the firm classified it as reportable (UTC).
    pub classified_at: NaiveDateTime,
    /// The day (Tokyo) of the first unauthorized event; its month is the
    /// return it is reconciled with.
    pub occurred_on: NaiveDate,
    pub kind: IncidentKind,
    pub vector: AttackVector,
    /// Accounts affected (an estimate until the final report).
    pub accounts: i64,
    /// Fraudulent trades (an estimate until the final report).
    pub trades: i64,
    /// The amount involved, in yen (an estimate until the final report).
    pub amount_jpy: i64,
    pub ongoing: bool,
    /// First actions taken (initial), or all actions so far.
    pub actions: String,
    pub customers_told: bool,
    pub police_told: bool,
    /// Containment (intermediate and final).
    pub containment: String,
    /// The cause as known so far (intermediate and final).
    pub cause: String,
    /// The root cause (final).
    pub root_cause: String,
    /// Losses borne, in yen (final).
    pub losses_jpy: Option<i64>,
    /// Compensation paid or promised to customers, in yen (final).
    pub compensation_jpy: Option<i64>,
    /// Remediation, with its dates (final).
    pub remediation: String,
    /// When remediation is (to be) complete (final).
    pub remediation_by: Option<NaiveDate>,
}

/// A report as typed: every field a string, kept for showing back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportForm {
    pub aware_at: String,
    pub classified_at: String,
    pub occurred_on: String,
    pub kind: String,
    pub vector: String,
    pub accounts: String,
    pub trades: String,
    pub amount_jpy: String,
    pub ongoing: String,
    pub actions: String,
    pub customers_told: String,
    pub police_told: String,
    pub containment: String,
    pub cause: String,
    pub root_cause: String,
    pub losses_jpy: String,
    pub compensation_jpy: String,
    pub remediation: String,
    pub remediation_by: String,
}

/// The field names of a report form, in the order of the page.
pub const FIELDS: [&str; 19] = [
    "aware_at",
    "classified_at",
    "occurred_on",
    "kind",
    "vector",
    "accounts",
    "trades",
    "amount_jpy",
    "ongoing",
    "actions",
    "customers_told",
    "police_told",
    "containment",
    "cause",
    "root_cause",
    "losses_jpy",
    "compensation_jpy",
    "remediation",
    "remediation_by",
];

/// Whether `field` is asked for at `stage`.
pub fn asked(field: &str, stage: IncidentStage) -> bool {
    match field {
        "containment" | "cause" => stage != IncidentStage::Initial,
        "root_cause" | "losses_jpy" | "compensation_jpy" | "remediation" | "remediation_by" => {
            stage == IncidentStage::Final
        }
        _ => true,
    }
}

/// The mistakes in a form: (field, message key).
pub type Mistakes = Vec<(&'static str, Key)>;

const JST_SECONDS: i32 = 9 * 3600;

/// A Tokyo wall-clock time as typed (`2026-05-01 23:30`, or with a `T`
/// between date and time; seconds optional) as the UTC instant it names.
pub fn parse_tokyo_time(input: &str) -> Option<NaiveDateTime> {
    let input = input.trim();
    if input.len() > limits::DATE_TIME {
        return None;
    }
    let input = input.replacen(' ', "T", 1);
    let local = NaiveDateTime::parse_from_str(&input, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(&input, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    let jst = chrono::FixedOffset::east_opt(JST_SECONDS)?;
    jst.from_local_datetime(&local)
        .single()
        .map(|t| t.naive_utc())
}

/// The UTC instant as a form shows it back: Tokyo wall-clock `YYYY-MM-DD HH:MM`.
pub fn tokyo_time_input(at: NaiveDateTime) -> String {
    super::time::to_tokyo(at)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn date(input: &str) -> Result<NaiveDate, Key> {
    let input = input.trim();
    if input.len() > limits::DATE {
        return Err(msg!("err.date.invalid"));
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d").map_err(|_| msg!("err.date.invalid"))
}

fn yes_no(input: &str) -> Result<bool, Key> {
    match input.trim() {
        "yes" => Ok(true),
        "no" => Ok(false),
        "" => Err(msg!("err.choose")),
        _ => Err(msg!("err.form.invalid")),
    }
}

fn text(input: &str, required: bool) -> Result<String, Key> {
    let value = input.trim().replace("\r\n", "\n");
    if required && value.is_empty() {
        return Err(msg!("err.required"));
    }
    if value.chars().count() > limits::INCIDENT_TEXT {
        return Err(msg!("err.text.too_long"));
    }
    if value.chars().any(|c| is_forbidden_control(c, true)) {
        return Err(msg!("err.text.control"));
    }
    Ok(value)
}

fn count(input: &str) -> Result<i64, Key> {
    if input.trim().is_empty() {
        return Err(msg!("err.required"));
    }
    Count::parse(input).map(|c| c.value()).map_err(|e| e.key())
}

fn yen(input: &str) -> Result<i64, Key> {
    if input.trim().is_empty() {
        return Err(msg!("err.required"));
    }
    Yen::parse(input).map(|y| y.value()).map_err(|e| e.key())
}

/// A choice: none made, or one the form never offers.
fn pick<T>(parsed: Result<T, super::text_enum::Unknown>, input: &str) -> Result<T, Key> {
    parsed.map_err(|_| {
        if input.trim().is_empty() {
            msg!("err.choose")
        } else {
            msg!("err.form.invalid")
        }
    })
}

/// Collects a field's value or its mistake.
fn take<T>(mistakes: &mut Mistakes, field: &'static str, result: Result<T, Key>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(key) => {
            mistakes.push((field, key));
            None
        }
    }
}

impl ReportForm {
    /// Checks the form for `stage` at `now` (UTC): every field the stage
    /// asks for, and the times in order and not in the future. Fields the
    /// stage does not ask for are ignored.
    pub fn check(&self, stage: IncidentStage, now: NaiveDateTime) -> Result<Report, Mistakes> {
        let mut m = Mistakes::new();
        let at = |input: &str| -> Result<NaiveDateTime, Key> {
            if input.trim().is_empty() {
                return Err(msg!("err.required"));
            }
            let at = parse_tokyo_time(input).ok_or(msg!("err.incident.time"))?;
            if at > now {
                return Err(msg!("err.incident.future"));
            }
            Ok(at)
        };
        let aware_at = take(&mut m, "aware_at", at(&self.aware_at));
        let classified_at = take(
            &mut m,
            "classified_at",
            at(&self.classified_at).and_then(|c| match aware_at {
                Some(a) if c < a => Err(msg!("err.incident.classified_before_aware")),
                _ => Ok(c),
            }),
        );
        let occurred_on = take(
            &mut m,
            "occurred_on",
            if self.occurred_on.trim().is_empty() {
                Err(msg!("err.required"))
            } else {
                date(&self.occurred_on).and_then(|d| match aware_at {
                    Some(a) if d > super::time::tokyo_date(a) => {
                        Err(msg!("err.incident.occurred_after_aware"))
                    }
                    _ => Ok(d),
                })
            },
        );
        let kind = take(
            &mut m,
            "kind",
            pick(IncidentKind::parse(self.kind.trim()), &self.kind),
        );
        let vector = take(
            &mut m,
            "vector",
            pick(AttackVector::parse(self.vector.trim()), &self.vector),
        );
        let accounts = take(&mut m, "accounts", count(&self.accounts));
        let trades = take(&mut m, "trades", count(&self.trades));
        let amount_jpy = take(&mut m, "amount_jpy", yen(&self.amount_jpy));
        let ongoing = take(&mut m, "ongoing", yes_no(&self.ongoing));
        let actions = take(&mut m, "actions", text(&self.actions, true));
        let customers_told = take(&mut m, "customers_told", yes_no(&self.customers_told));
        let police_told = take(&mut m, "police_told", yes_no(&self.police_told));
        let later = stage != IncidentStage::Initial;
        let last = stage == IncidentStage::Final;
        let containment = take(&mut m, "containment", text(&self.containment, later));
        let cause = take(&mut m, "cause", text(&self.cause, later));
        let root_cause = take(&mut m, "root_cause", text(&self.root_cause, last));
        let losses_jpy = if last {
            take(&mut m, "losses_jpy", yen(&self.losses_jpy)).map(Some)
        } else {
            Some(None)
        };
        let compensation_jpy = if last {
            take(&mut m, "compensation_jpy", yen(&self.compensation_jpy)).map(Some)
        } else {
            Some(None)
        };
        let remediation = take(&mut m, "remediation", text(&self.remediation, last));
        let remediation_by = if last {
            take(
                &mut m,
                "remediation_by",
                if self.remediation_by.trim().is_empty() {
                    Err(msg!("err.required"))
                } else {
                    date(&self.remediation_by)
                },
            )
            .map(Some)
        } else {
            Some(None)
        };
        match (
            aware_at,
            classified_at,
            occurred_on,
            kind,
            vector,
            accounts,
            trades,
            amount_jpy,
            ongoing,
            actions,
            customers_told,
            police_told,
            containment,
            cause,
            root_cause,
            losses_jpy,
            compensation_jpy,
            remediation,
            remediation_by,
        ) {
            (
                Some(aware_at),
                Some(classified_at),
                Some(occurred_on),
                Some(kind),
                Some(vector),
                Some(accounts),
                Some(trades),
                Some(amount_jpy),
                Some(ongoing),
                Some(actions),
                Some(customers_told),
                Some(police_told),
                Some(containment),
                Some(cause),
                Some(root_cause),
                Some(losses_jpy),
                Some(compensation_jpy),
                Some(remediation),
                Some(remediation_by),
            ) if m.is_empty() => Ok(Report {
                aware_at,
                classified_at,
                occurred_on,
                kind,
                vector,
                accounts,
                trades,
                amount_jpy,
                ongoing,
                actions,
                customers_told,
                police_told,
                containment: if later { containment } else { String::new() },
                cause: if later { cause } else { String::new() },
                root_cause: if last { root_cause } else { String::new() },
                losses_jpy,
                compensation_jpy,
                remediation: if last { remediation } else { String::new() },
                remediation_by,
            }),
            _ => Err(m),
        }
    }
}

fn yes(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

impl From<&Report> for ReportForm {
    /// The form a stage opens with, prefilled from the last one.
    fn from(r: &Report) -> Self {
        ReportForm {
            aware_at: tokyo_time_input(r.aware_at),
            classified_at: tokyo_time_input(r.classified_at),
            occurred_on: r.occurred_on.to_string(),
            kind: r.kind.as_str().to_owned(),
            vector: r.vector.as_str().to_owned(),
            accounts: r.accounts.to_string(),
            trades: r.trades.to_string(),
            amount_jpy: r.amount_jpy.to_string(),
            ongoing: yes(r.ongoing),
            actions: r.actions.clone(),
            customers_told: yes(r.customers_told),
            police_told: yes(r.police_told),
            containment: r.containment.clone(),
            cause: r.cause.clone(),
            root_cause: r.root_cause.clone(),
            losses_jpy: r.losses_jpy.map(|v| v.to_string()).unwrap_or_default(),
            compensation_jpy: r
                .compensation_jpy
                .map(|v| v.to_string())
                .unwrap_or_default(),
            remediation: r.remediation.clone(),
            remediation_by: r.remediation_by.map(|d| d.to_string()).unwrap_or_default(),
        }
    }
}

impl ReportForm {
    /// The value typed in `field` (empty for an unknown name).
    pub fn value(&self, field: &str) -> &str {
        match field {
            "aware_at" => &self.aware_at,
            "classified_at" => &self.classified_at,
            "occurred_on" => &self.occurred_on,
            "kind" => &self.kind,
            "vector" => &self.vector,
            "accounts" => &self.accounts,
            "trades" => &self.trades,
            "amount_jpy" => &self.amount_jpy,
            "ongoing" => &self.ongoing,
            "actions" => &self.actions,
            "customers_told" => &self.customers_told,
            "police_told" => &self.police_told,
            "containment" => &self.containment,
            "cause" => &self.cause,
            "root_cause" => &self.root_cause,
            "losses_jpy" => &self.losses_jpy,
            "compensation_jpy" => &self.compensation_jpy,
            "remediation" => &self.remediation,
            "remediation_by" => &self.remediation_by,
            _ => "",
        }
    }
}

/// The reason given when an incident is reclassified as not reportable.
pub fn check_reason(input: &str) -> Result<String, Key> {
    text(input, true)
}

/// A message in an incident's thread.
pub fn check_message(input: &str) -> Result<String, Key> {
    text(input, true)
}

/// The start of the Tokyo day `d`, as UTC.
pub fn tokyo_midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_time(NaiveTime::MIN) - chrono::Duration::seconds(i64::from(JST_SECONDS))
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
