//! What a submission must pass before it becomes a version: the full
//! rules, the warnings that need a written explanation, and four eyes (the
//! approver who submits is not the one who prepared the figures, unless
//! the firm has a single active user).

use diesel::prelude::*;

use super::Invalid;
use super::accounts::active_users_of_firm;
use super::return_form::FiguresForm;
use super::returns::invalid_from;
use crate::db::DbConn;
use crate::db::models::{ReturnRow, Version, VersionDetails};
use crate::db::schema::{return_versions, version_details};
use crate::domain::details::{self, CHECKLIST, Previous, ReturnDetails};
use crate::domain::figures::ReturnFigures;
use crate::domain::period::Period;

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
    let warnings = details::warnings(&figures, &details, previous_month(conn, firm_id, period)?);
    if !warnings.is_empty() && details.warnings_explanation.is_empty() {
        let mut invalid = Invalid(warnings.iter().map(|w| (w.field(), w.key())).collect());
        invalid.push("warnings_explanation", "err.explanation.required");
        return Ok(Err(invalid));
    }
    Ok(Ok(Checked {
        figures,
        details,
        warnings,
    }))
}

fn without_blanks(form: &FiguresForm) -> FiguresForm {
    FiguresForm(
        form.0
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.replace("\r\n", "\n").trim().to_owned()))
            .collect(),
    )
}

/// Four eyes: who prepared what is being submitted. `None` when the rule
/// refuses the submission.
pub fn four_eyes(
    conn: &mut DbConn,
    row: &ReturnRow,
    submitter: Option<i64>,
    form: &FiguresForm,
) -> QueryResult<Option<String>> {
    if active_users_of_firm(conn, row.firm_id)? <= 1 {
        return Ok(Some("exempt: the firm has one active user".to_owned()));
    }
    let draft: Option<FiguresForm> = row
        .draft_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    match (row.draft_updated_by, draft) {
        (Some(preparer), Some(draft))
            if Some(preparer) != submitter && without_blanks(&draft) == without_blanks(form) =>
        {
            Ok(Some(format!("prepared by user {preparer}")))
        }
        _ => Ok(None),
    }
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
            .map(|w| w.key())
            .collect::<Vec<_>>()
            .join(","),
        warnings_explanation: d.warnings_explanation.clone(),
        four_eyes: four_eyes.to_owned(),
    };
    diesel::insert_into(version_details::table)
        .values(&row)
        .execute(conn)
}

/// A version's details, if it has them (imported and nil versions do not).
pub fn details_of(conn: &mut DbConn, version_id: i64) -> QueryResult<Option<VersionDetails>> {
    version_details::table
        .find(version_id)
        .select(VersionDetails::as_select())
        .first(conn)
        .optional()
}
