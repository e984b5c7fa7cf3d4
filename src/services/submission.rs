//! What a submission must pass before it becomes a version: the full
//! rules, the warnings that need a written explanation (the preparer's
//! part, shown on every draft save by `assess`) — the month's incidents
//! included, read at check time — and what a version stores beyond its
//! figures. A nil return has one rule of its own: over a month with
//! incidents it needs the explanation too. Who may submit is `four_eyes`.

use diesel::prelude::*;

use super::Invalid;
use super::return_form::FiguresForm;
use super::returns::invalid_from;
use crate::db::DbConn;
use crate::db::models::{Version, VersionDetails};
use crate::db::schema::{return_versions, returns, version_details};
use crate::domain::details::{self, CHECKLIST, IncidentTotals, Previous, ReturnDetails, Warning};
use crate::domain::figures::ReturnFigures;
use crate::domain::period::Period;
use crate::error::AppResult;

/// A submission that passed every rule.
pub struct Checked {
    pub figures: ReturnFigures,
    pub details: ReturnDetails,
    pub warnings: Vec<details::Warning>,
}

/// The firm's latest figures for the month before, for the tenfold rule.
fn previous_month(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
) -> QueryResult<Option<Previous>> {
    let latest: Option<Version> = return_versions::table
        .filter(return_versions::firm_id.eq(firm_id))
        .filter(return_versions::period.eq(period.prev().to_string()))
        .order(return_versions::version_no.desc())
        .select(Version::as_select())
        .first(conn)
        .optional()?;
    Ok(latest.map(|v| Previous {
        accesses: v.unauthorized_accesses,
        trades: v.fraudulent_trades,
        sale: v.sale_amount_jpy,
        purchase: v.purchase_amount_jpy,
    }))
}

/// The warnings the firm's incidents that began in the month raise on a
/// return with `figures` (`None`: a nil return).
fn incident_warnings(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    figures: Option<&ReturnFigures>,
) -> QueryResult<Vec<Warning>> {
    let month = super::incidents::in_month(conn, firm_id, period)?;
    let totals = IncidentTotals::of(month.iter().map(|i| (i.accounts, i.trades)));
    Ok(details::incident_warnings(
        figures.map(|f| (f.unauthorized_accesses.value(), f.fraudulent_trades.value())),
        &totals,
    ))
}

/// A nil return that passed its rule: the warnings it raises and their
/// explanation (empty when none is needed and none was given).
pub struct NilChecked {
    pub warnings: Vec<Warning>,
    pub explanation: String,
}

/// A nil return's rule: over a month with incidents (RET-W006) it needs
/// the explanation, like any warning; what the explanation holds is
/// checked as the field's own rules say.
pub fn check_nil(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
) -> QueryResult<Result<NilChecked, Invalid>> {
    let warnings = incident_warnings(conn, firm_id, period, None)?;
    let explanation = match details::explanation(form.get("warnings_explanation")) {
        Ok(text) => text,
        Err(key) => return Ok(Err(Invalid::one("warnings_explanation", key))),
    };
    if !warnings.is_empty() && explanation.is_empty() {
        let mut invalid = Invalid(warnings.iter().map(|w| (w.field(), w.key())).collect());
        invalid.push("warnings_explanation", msg!("err.explanation.required"));
        return Ok(Err(invalid));
    }
    Ok(Ok(NilChecked {
        warnings,
        explanation,
    }))
}

/// Every rule, every problem at once.
pub fn check(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
) -> QueryResult<Result<Checked, Invalid>> {
    let figures = ReturnFigures::parse_for_submission(&form.input());
    let fallback = ReturnFigures::parse(&form.input()).unwrap_or_default();
    let detail_figures = figures.as_ref().unwrap_or(&fallback);
    let parsed = details::parse_for_submission(|k| form.get(k), detail_figures, period.first_day());
    let (figures, details) = match (figures, parsed) {
        (Ok(figures), Ok(details)) => (figures, details),
        (figures, parsed) => {
            let mut invalid = figures.err().map(invalid_from).unwrap_or_default();
            invalid.0.extend(parsed.err().unwrap_or_default());
            return Ok(Err(invalid));
        }
    };
    let mut warnings =
        details::warnings(&figures, &details, previous_month(conn, firm_id, period)?);
    warnings.extend(incident_warnings(conn, firm_id, period, Some(&figures))?);
    if !warnings.is_empty() && details.warnings_explanation.is_empty() {
        let mut invalid = Invalid(warnings.iter().map(|w| (w.field(), w.key())).collect());
        invalid.push("warnings_explanation", msg!("err.explanation.required"));
        return Ok(Err(invalid));
    }
    Ok(Ok(Checked {
        figures,
        details,
        warnings,
    }))
}

fn return_id_of(conn: &mut DbConn, firm_id: i64, period: Period) -> QueryResult<Option<i64>> {
    returns::table
        .filter(returns::firm_id.eq(firm_id))
        .filter(returns::period.eq(period.to_string()))
        .select(returns::id)
        .first(conn)
        .optional()
}

/// A draft's problems and warnings, as the preparer sees them on every
/// save (nothing is refused). The attestation is the approver's and is not
/// asked of the preparer.
#[derive(Default)]
pub struct Assessment {
    pub errors: Invalid,
    pub warnings: Vec<details::Warning>,
    /// Whether an explanation is given for the warnings.
    pub explained: bool,
}

impl Assessment {
    /// Ready for an approver: no problem, and any warning explained.
    pub fn ready(&self) -> bool {
        self.errors.0.is_empty() && (self.warnings.is_empty() || self.explained)
    }
}

/// Every rule and every warning over a draft (a nil draft's: the
/// explanation, and the warning of the month's incidents).
pub fn assess(
    conn: &mut DbConn,
    firm_id: i64,
    period: Period,
    form: &FiguresForm,
) -> AppResult<Assessment> {
    if form.is_nil() {
        let warnings = incident_warnings(conn, firm_id, period, None)?;
        let given = form.get("warnings_explanation");
        let errors = match details::explanation(given) {
            Ok(_) => Invalid::default(),
            Err(key) => Invalid::one("warnings_explanation", key),
        };
        return Ok(Assessment {
            errors,
            warnings,
            explained: !given.trim().is_empty(),
        });
    }
    let mut form = form.clone();
    form.set("attestation", "yes");
    let previous = previous_month(conn, firm_id, period)?;
    let figures = ReturnFigures::parse_for_submission(&form.input());
    let fallback = ReturnFigures::parse(&form.input()).ok();
    let detail_figures = figures.as_ref().ok().or(fallback.as_ref());
    let default = ReturnFigures::default();
    let parsed = details::parse_for_submission(
        |k| form.get(k),
        detail_figures.unwrap_or(&default),
        period.first_day(),
    );
    let explained = !form.get("warnings_explanation").trim().is_empty();
    let mut warnings = match (&figures, &parsed) {
        (Ok(f), Ok(d)) => details::warnings(f, d, previous),
        _ => partial_warnings(detail_figures, &form, previous),
    };
    if let Some(f) = detail_figures {
        warnings.extend(incident_warnings(conn, firm_id, period, Some(f))?);
    }
    let mismatch = match (&figures, return_id_of(conn, firm_id, period)?) {
        (Ok(f), Some(return_id)) => super::trades::reconcile(conn, return_id, f.into())?.err(),
        _ => None,
    };
    let mut errors = figures.err().map(invalid_from).unwrap_or_default();
    if let Some(mismatch) = mismatch {
        errors.0.extend(mismatch.invalid().0);
    }
    errors.0.extend(parsed.err().unwrap_or_default());
    Ok(Assessment {
        errors,
        warnings,
        explained,
    })
}

/// The warnings that can be told while other parts of the draft are still
/// wrong (the same rules as `details::warnings`).
fn partial_warnings(
    figures: Option<&ReturnFigures>,
    form: &FiguresForm,
    previous: Option<Previous>,
) -> Vec<details::Warning> {
    use crate::domain::yen::Yen;
    let mut found = Vec::new();
    if let Some(f) = figures {
        if f.affected_accounts.value() > f.unauthorized_accesses.value() {
            found.push(details::Warning::AccountsExceedAccesses);
        }
        if let Some(prev) = previous {
            let pairs = [
                (
                    "unauthorized_accesses",
                    f.unauthorized_accesses.value(),
                    prev.accesses,
                ),
                (
                    "fraudulent_trades",
                    f.fraudulent_trades.value(),
                    prev.trades,
                ),
                ("sale_amount", f.sale_amount.value(), prev.sale),
                ("purchase_amount", f.purchase_amount.value(), prev.purchase),
            ];
            for (field, now, before) in pairs {
                if before > 0 && now > before.saturating_mul(10) {
                    found.push(details::Warning::TenfoldPreviousMonth(field));
                }
            }
        }
    }
    if let (Ok(paid), Ok(losses)) = (
        Yen::parse(form.get("compensation_paid")),
        Yen::parse(form.get("customer_losses")),
    ) && paid.value() > losses.value()
    {
        found.push(details::Warning::CompensationAboveLosses);
    }
    found
}

/// Stores what the version says beyond the figures.
pub fn store_details(
    conn: &mut DbConn,
    version_id: i64,
    checked: &Checked,
    attested_by: Option<i64>,
    four_eyes: &str,
) -> QueryResult<usize> {
    let d = &checked.details;
    let checklist = CHECKLIST
        .iter()
        .zip(d.checklist.iter())
        .map(|(item, status)| match status {
            details::ItemStatus::Planned(date) => format!("{item}=planned:{date}"),
            other => format!("{item}={}", other.code()),
        })
        .collect::<Vec<_>>()
        .join(";");
    let row = VersionDetails {
        version_id,
        purchase_domestic_jpy: d.purchase_by_market[0].value(),
        purchase_china_hk_jpy: d.purchase_by_market[1].value(),
        purchase_us_jpy: d.purchase_by_market[2].value(),
        purchase_other_jpy: d.purchase_by_market[3].value(),
        vector_phishing: d.vectors[0].value(),
        vector_credential_stuffing: d.vectors[1].value(),
        vector_malware: d.vectors[2].value(),
        vector_sim_swap: d.vectors[3].value(),
        vector_insider: d.vectors[4].value(),
        vector_unknown: d.vectors[5].value(),
        detected_customer: d.detected[0].value(),
        detected_monitoring: d.detected[1].value(),
        detected_other: d.detected[2].value(),
        detected_other_text: d.detected_other_text.clone(),
        customer_losses_jpy: d.customer_losses.value(),
        compensation_paid_jpy: d.compensation_paid.value(),
        accounts_compensated: d.accounts_compensated.value(),
        compensation_policy: d.policy.kind(),
        compensation_percent: d.policy.percent().map(i32::from),
        checklist,
        contact_name: d.contact_name.clone(),
        contact_phone: d.contact_phone.clone(),
        contact_email: d.contact_email.as_str().to_owned(),
        attested_by,
        warnings: checked
            .warnings
            .iter()
            .map(|w| w.key().name())
            .collect::<Vec<_>>()
            .join(","),
        warnings_explanation: d.warnings_explanation.clone(),
        four_eyes: four_eyes.to_owned(),
    };
    diesel::insert_into(version_details::table)
        .values(&row)
        .execute(conn)
}

/// Stores what a nil version says: the warnings it raised and their
/// explanation.
pub fn store_nil(conn: &mut DbConn, version_id: i64, checked: &NilChecked) -> QueryResult<usize> {
    let warnings = checked
        .warnings
        .iter()
        .map(|w| w.key().name())
        .collect::<Vec<_>>()
        .join(",");
    diesel::update(return_versions::table.find(version_id))
        .set((
            return_versions::nil_warnings.eq(warnings),
            return_versions::nil_explanation.eq(&checked.explanation),
        ))
        .execute(conn)
}

/// What a nil version was filed with: the warnings it raised (message
/// keys) and their explanation (both empty when none fired and none was
/// given; always for any other version).
pub fn nil_explanation_of(
    conn: &mut DbConn,
    version_id: i64,
) -> QueryResult<Option<(String, String)>> {
    let (warnings, explanation): (String, String) = return_versions::table
        .find(version_id)
        .select((
            return_versions::nil_warnings,
            return_versions::nil_explanation,
        ))
        .first(conn)?;
    Ok((!warnings.is_empty() || !explanation.is_empty()).then_some((warnings, explanation)))
}

/// A version's details, if it has them (imported and nil versions do not).
pub fn details_of(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<VersionDetails>> {
    version_details::table
        .find(version_id)
        .select(VersionDetails::as_select())
        .first(conn)
        .optional()
}
