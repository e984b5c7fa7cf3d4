//! What must hold in the database after a crash or an outage: every
//! receipt a filer was shown is there with exactly the figures typed, no
//! version is half-written (each has its details row), the period summary
//! equals a recomputation from the versions, no submission was filed twice,
//! SQLite's integrity check passes and the audit chain verifies.

use std::collections::{BTreeMap, HashMap};

use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel::sql_types::Text;
use incident_portal::db::schema::{period_summary, return_versions, returns, version_details};
use incident_portal::db::{DbConn, DbPool};

use crate::filer::Filed;

/// The verdict on one database.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Acknowledged filings found with their receipt number and figures.
    pub found: usize,
    /// Acknowledged filings missing, or stored with other figures.
    pub lost: Vec<String>,
    /// Versions without their details row.
    pub half_written: i64,
    /// Submission keys that made more than one version.
    pub duplicates: usize,
    /// Versions no filer was told about (a request cut off mid-way whose
    /// filer gave up); reported, allowed.
    pub unacknowledged: usize,
    pub summary_drift: Option<String>,
    pub integrity: String,
}

impl Verdict {
    /// Panics with everything wrong, if anything is.
    pub fn assert_sound(&self, what: &str) {
        assert!(
            self.lost.is_empty(),
            "{what}: receipts lost: {:?}",
            self.lost
        );
        assert_eq!(self.half_written, 0, "{what}: versions without details");
        assert_eq!(self.duplicates, 0, "{what}: submissions filed twice");
        assert!(
            self.summary_drift.is_none(),
            "{what}: {}",
            self.summary_drift.as_deref().unwrap_or_default()
        );
        assert_eq!(self.integrity, "ok", "{what}: integrity check");
    }
}

type Stored = (
    i64,
    String,
    i32,
    String,
    Option<String>,
    [i64; 5],
    String,
    i64,
);

/// firm, period, version, receipt, submission key, the five figures,
/// remediation, domestic purchases.
type VersionRow = (
    i64,
    String,
    i32,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
);

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

pub fn verify(pool: &DbPool, filed: &[Filed]) -> Verdict {
    let mut conn = pool.get().unwrap();
    let rows: Vec<VersionRow> = return_versions::table
        .inner_join(version_details::table)
        .select((
            return_versions::firm_id,
            return_versions::period,
            return_versions::version_no,
            return_versions::receipt_no,
            return_versions::idempotency_key,
            return_versions::unauthorized_accesses,
            return_versions::affected_accounts,
            return_versions::fraudulent_trades,
            return_versions::sale_amount_jpy,
            return_versions::purchase_amount_jpy,
            return_versions::remediation,
            version_details::purchase_domestic_jpy,
        ))
        .load(&mut conn)
        .unwrap();
    let stored: HashMap<(i64, String, i32), Stored> = rows
        .into_iter()
        .map(|r| {
            (
                (r.0, r.1.clone(), r.2),
                (
                    r.0,
                    r.1,
                    r.2,
                    r.3,
                    r.4,
                    [r.5, r.6, r.7, r.8, r.9],
                    r.10,
                    r.11,
                ),
            )
        })
        .collect();
    let mut verdict = Verdict::default();
    for f in filed {
        let key = (f.firm_id, f.period.clone(), f.version_no);
        match stored.get(&key) {
            None => verdict.lost.push(format!("{key:?} not stored")),
            Some((_, _, _, receipt, idem, figures, remediation, domestic)) => {
                let same = f.receipt_no.as_ref().is_none_or(|r| r == receipt)
                    && idem.as_deref() == Some(f.submission_key.as_str())
                    && *figures == f.figures
                    && *remediation == f.remediation
                    && *domestic == f.figures[4];
                if same {
                    verdict.found += 1;
                } else {
                    verdict.lost.push(format!(
                        "{key:?} stored as {receipt} {idem:?} {figures:?} {remediation:?}, \
                         filed as {:?} {} {:?} {:?}",
                        f.receipt_no, f.submission_key, f.figures, f.remediation
                    ));
                }
            }
        }
    }
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for (_, _, _, _, idem, _, _, _) in stored.values() {
        if let Some(idem) = idem {
            *by_key.entry(idem.as_str()).or_default() += 1;
        }
    }
    verdict.duplicates = by_key.values().filter(|n| **n > 1).count();
    let acknowledged: std::collections::HashSet<(i64, &str, i32)> = filed
        .iter()
        .map(|f| (f.firm_id, f.period.as_str(), f.version_no))
        .collect();
    verdict.unacknowledged = stored
        .keys()
        .filter(|(firm, period, no)| !acknowledged.contains(&(*firm, period.as_str(), *no)))
        .count();
    verdict.half_written = return_versions::table
        .filter(not(exists(
            version_details::table.filter(version_details::version_id.eq(return_versions::id)),
        )))
        .count()
        .get_result(&mut conn)
        .unwrap();
    verdict.summary_drift = summary_drift(&mut conn);
    verdict.integrity = match &mut *conn {
        DbConn::Sqlite(lite) => diesel::sql_query("PRAGMA integrity_check")
            .load::<Integrity>(lite)
            .unwrap()
            .into_iter()
            .map(|r| r.integrity_check)
            .collect::<Vec<_>>()
            .join("; "),
        DbConn::Pg(_) => "ok".to_owned(),
    };
    verdict
}

/// The period summary against a recomputation from the latest version of
/// every firm-month; None when they agree.
fn summary_drift(conn: &mut DbConn) -> Option<String> {
    let latest: Vec<(String, i64, i64, i64, i64, i64, String)> = returns::table
        .inner_join(
            return_versions::table.on(return_versions::return_id
                .eq(returns::id)
                .and(return_versions::version_no.eq(returns::current_version))),
        )
        .select((
            return_versions::period,
            return_versions::unauthorized_accesses,
            return_versions::affected_accounts,
            return_versions::fraudulent_trades,
            return_versions::sale_amount_jpy,
            return_versions::purchase_amount_jpy,
            return_versions::status,
        ))
        .load(conn)
        .unwrap();
    let mut expected: BTreeMap<String, [i64; 8]> = BTreeMap::new();
    for (period, accesses, accounts, trades, sale, purchase, status) in latest {
        let e = expected.entry(period).or_default();
        e[0] += i64::from(trades > 0);
        e[1] += 1;
        e[2] += accesses;
        e[3] += accounts;
        e[4] += trades;
        e[5] += sale;
        e[6] += purchase;
        e[7] += i64::from(status == "submitted");
    }
    let actual: BTreeMap<String, [i64; 8]> = period_summary::table
        .select((
            period_summary::period,
            period_summary::firms_with_fraudulent_trades,
            period_summary::firms_reporting,
            period_summary::unauthorized_accesses,
            period_summary::affected_accounts,
            period_summary::fraudulent_trades,
            period_summary::sale_amount_jpy,
            period_summary::purchase_amount_jpy,
            period_summary::awaiting_review,
        ))
        .load::<(String, i64, i64, i64, i64, i64, i64, i64, i64)>(conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.0, [r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8]))
        .collect();
    (actual != expected).then(|| format!("period_summary {actual:?} != recomputed {expected:?}"))
}
