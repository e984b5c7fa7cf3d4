//! What an observer reads: the versions their live scope covers, each
//! selected without the contact person, the submitter, the review note or
//! the trade detail (the types below have no such field, so no page built
//! from them can show one).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::VersionDetails;
use crate::db::schema::{firms, return_versions, version_details};
use crate::domain::VersionStatus;
use crate::domain::compensation::CompensationKind;
use crate::domain::observer_scope::{ObserverScope, Reach};

/// A version as an observer sees it (the names match `Version`, so the
/// shared receipt and figures partials render it).
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = return_versions)]
pub struct ObservedVersion {
    pub id: i64,
    pub firm_id: i64,
    pub period: String,
    pub version_no: i32,
    pub receipt_no: String,
    pub status: VersionStatus,
    pub is_nil: bool,
    pub unauthorized_accesses: i64,
    pub affected_accounts: i64,
    pub fraudulent_trades: i64,
    pub sale_amount_jpy: i64,
    pub purchase_amount_jpy: i64,
    pub remediation: String,
    pub submitted_at: NaiveDateTime,
    pub due_date: NaiveDate,
    pub on_time: bool,
}

/// A version's details without the contact person, the attester or the
/// four-eyes record.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = version_details)]
pub struct ObservedDetails {
    pub version_id: i64,
    pub purchase_domestic_jpy: i64,
    pub purchase_china_hk_jpy: i64,
    pub purchase_us_jpy: i64,
    pub purchase_other_jpy: i64,
    pub vector_phishing: i64,
    pub vector_credential_stuffing: i64,
    pub vector_malware: i64,
    pub vector_sim_swap: i64,
    pub vector_insider: i64,
    pub vector_unknown: i64,
    pub detected_customer: i64,
    pub detected_monitoring: i64,
    pub detected_other: i64,
    pub detected_other_text: String,
    pub customer_losses_jpy: i64,
    pub compensation_paid_jpy: i64,
    pub accounts_compensated: i64,
    pub compensation_policy: CompensationKind,
    pub compensation_percent: Option<i32>,
    pub checklist: String,
    pub warnings: String,
    pub warnings_explanation: String,
}

impl ObservedDetails {
    /// The details in the shape the shared sections view reads, the
    /// contact person and attestation left empty (they were never read).
    pub fn as_details(&self) -> VersionDetails {
        VersionDetails {
            version_id: self.version_id,
            purchase_domestic_jpy: self.purchase_domestic_jpy,
            purchase_china_hk_jpy: self.purchase_china_hk_jpy,
            purchase_us_jpy: self.purchase_us_jpy,
            purchase_other_jpy: self.purchase_other_jpy,
            vector_phishing: self.vector_phishing,
            vector_credential_stuffing: self.vector_credential_stuffing,
            vector_malware: self.vector_malware,
            vector_sim_swap: self.vector_sim_swap,
            vector_insider: self.vector_insider,
            vector_unknown: self.vector_unknown,
            detected_customer: self.detected_customer,
            detected_monitoring: self.detected_monitoring,
            detected_other: self.detected_other,
            detected_other_text: self.detected_other_text.clone(),
            customer_losses_jpy: self.customer_losses_jpy,
            compensation_paid_jpy: self.compensation_paid_jpy,
            accounts_compensated: self.accounts_compensated,
            compensation_policy: self.compensation_policy,
            compensation_percent: self.compensation_percent,
            checklist: self.checklist.clone(),
            contact_name: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
            attested_by: None,
            warnings: self.warnings.clone(),
            warnings_explanation: self.warnings_explanation.clone(),
            four_eyes: String::new(),
        }
    }
}

/// One version in the observer's list.
pub struct Line {
    pub id: i64,
    pub firm: String,
    pub period: String,
    pub version_no: i32,
    pub status: VersionStatus,
    pub submitted_at: NaiveDateTime,
}

/// The versions a live firm scope covers, by firm, month and version.
pub fn covered(
    conn: &mut DbConn,
    scope: &ObserverScope,
    today: NaiveDate,
) -> QueryResult<Vec<Line>> {
    let Reach::Firms {
        firms: ids,
        from,
        to,
    } = &scope.reach
    else {
        return Ok(vec![]);
    };
    if !scope.is_live(today) {
        return Ok(vec![]);
    }
    let rows: Vec<(i64, String, String, i32, VersionStatus, NaiveDateTime)> =
        return_versions::table
            .inner_join(firms::table)
            .filter(return_versions::firm_id.eq_any(ids))
            .filter(return_versions::period.ge(from.to_string()))
            .filter(return_versions::period.le(to.to_string()))
            .order((
                firms::name,
                return_versions::period.desc(),
                return_versions::version_no.desc(),
            ))
            .select((
                return_versions::id,
                firms::name,
                return_versions::period,
                return_versions::version_no,
                return_versions::status,
                return_versions::submitted_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, firm, period, version_no, status, submitted_at)| Line {
                id,
                firm,
                period,
                version_no,
                status,
                submitted_at,
            },
        )
        .collect())
}

/// One version as an observer reads it.
pub struct Observed {
    pub version: ObservedVersion,
    pub firm_name: String,
    pub details: Option<ObservedDetails>,
    /// The return's other versions (id, number), oldest first.
    pub siblings: Vec<(i64, i32)>,
}

/// The version `id` if the live scope covers its firm and month; `None`
/// otherwise, the same answer as for a version that does not exist.
pub fn version(
    conn: &mut DbConn,
    scope: &ObserverScope,
    id: i64,
    today: NaiveDate,
) -> QueryResult<Option<Observed>> {
    let found: Option<(ObservedVersion, String)> = return_versions::table
        .inner_join(firms::table)
        .filter(return_versions::id.eq(id))
        .select((ObservedVersion::as_select(), firms::name))
        .first(conn)
        .optional()?;
    let Some((version, firm_name)) = found else {
        return Ok(None);
    };
    if !scope.covers(version.firm_id, &version.period, today) {
        return Ok(None);
    }
    let details = version_details::table
        .find(version.id)
        .select(ObservedDetails::as_select())
        .first(conn)
        .optional()?;
    let siblings = return_versions::table
        .filter(return_versions::firm_id.eq(version.firm_id))
        .filter(return_versions::period.eq(&version.period))
        .order(return_versions::version_no)
        .select((return_versions::id, return_versions::version_no))
        .load(conn)?;
    Ok(Some(Observed {
        version,
        firm_name,
        details,
        siblings,
    }))
}
