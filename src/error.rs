//! The one error type: every failure a request can meet, with its source
//! kept for the log, and the message key a page shows for it. It knows
//! nothing of HTTP: `web::error_page` maps it to a status and a response.

use crate::i18n::Key;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("sign-in required")]
    Unauthenticated,
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("second factor required")]
    SecondFactorRequired,
    #[error("second factor enrolment required")]
    EnrolmentRequired,
    #[error("recent sign-in required")]
    ReauthenticationRequired(String),
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("bad request ({0})")]
    BadRequest(Key),
    #[error("request body too large")]
    TooLarge,
    #[error("conflict ({0})")]
    Conflict(Key),
    #[error("service unavailable")]
    Unavailable(#[source] Outage),
    #[error("database error")]
    Db(#[source] diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the database cannot serve a request right now.
#[derive(Debug, thiserror::Error)]
pub enum Outage {
    #[error("the database connection was lost")]
    Connection(#[source] diesel::result::Error),
    #[error("no database connection could be had")]
    Pool(#[source] diesel::r2d2::PoolError),
    /// Work the server sheds under load (a full hashing queue).
    #[error("the server is busy: {0}")]
    Overloaded(&'static str),
}

/// A lost database connection (the server restarting, the network gone) is
/// an outage, like a pool that cannot connect; any other database error is
/// a fault. Decided by the error's kind (`db::outage`), never its text;
/// `db::run` also asks the connection when the kind cannot tell.
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::outage::is_outage(&e) {
            AppError::Unavailable(Outage::Connection(e))
        } else {
            AppError::Db(e)
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(Outage::Pool(e))
    }
}

impl AppError {
    pub fn key(&self) -> Key {
        match self {
            AppError::NotFound => msg!("error.not_found"),
            AppError::Forbidden => msg!("error.forbidden"),
            AppError::Unauthenticated => msg!("error.unauthenticated"),
            AppError::PasswordChangeRequired
            | AppError::SecondFactorRequired
            | AppError::EnrolmentRequired
            | AppError::ReauthenticationRequired(_) => msg!("error.unauthenticated"),
            AppError::Csrf => msg!("error.csrf"),
            AppError::TooLarge => msg!("error.too_large"),
            AppError::BadRequest(key) | AppError::Conflict(key) => *key,
            AppError::Unavailable(_) => msg!("error.unavailable"),
            AppError::Db(_) | AppError::Internal(_) => msg!("error.internal"),
        }
    }

    /// Whether this is the system's failure rather than the request's: it
    /// is logged with its source chain.
    pub fn is_failure(&self) -> bool {
        // Work shed under load is expected then: not logged as a failure.
        matches!(
            self,
            AppError::Db(_)
                | AppError::Internal(_)
                | AppError::Unavailable(Outage::Connection(_) | Outage::Pool(_))
        )
    }

    /// The error and every source under it, outermost first, on one line.
    pub fn chain(&self) -> String {
        chain(self)
    }
}

/// Any error and every source under it, outermost first, on one line: what
/// a log line or the command line shows.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> AppError {
        AppError::from(Error::DatabaseError(kind, Box::new(message.to_owned())))
    }

    #[test]
    fn a_lost_connection_is_an_outage_in_any_language() {
        for lost in [
            db_error(
                DatabaseErrorKind::ClosedConnection,
                "管理者コマンドにより接続を終了しています",
            ),
            db_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "no connection to the server",
            ),
        ] {
            assert!(
                matches!(lost, AppError::Unavailable(Outage::Connection(_))),
                "{lost:?}"
            );
        }
        for fault in [
            AppError::from(Error::NotFound),
            db_error(DatabaseErrorKind::UniqueViolation, "duplicate key value"),
            db_error(DatabaseErrorKind::Unknown, "syntax error at or near"),
            // Text alone no longer makes an outage: the connection is asked
            // instead (db::run).
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
        ] {
            assert!(matches!(fault, AppError::Db(_)), "{fault:?}");
        }
    }

    #[test]
    fn the_source_chain_is_kept_for_the_log() {
        let lost = db_error(DatabaseErrorKind::ClosedConnection, "接続が切れました");
        assert_eq!(
            lost.chain(),
            "service unavailable: the database connection was lost: 接続が切れました"
        );
        assert!(lost.is_failure());
        assert!(!AppError::NotFound.is_failure());
    }
}
