//! The one error type: every failure a request can meet, mapped to a status
//! and a message key; the page itself is rendered by `web::error_page`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};

/// The message key of an error page, left in the response for the renderer.
#[derive(Clone, Copy, Debug)]
pub struct ErrorKey(pub &'static str);

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
    BadRequest(&'static str),
    #[error("request body too large")]
    TooLarge,
    #[error("conflict ({0})")]
    Conflict(&'static str),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Db(#[source] diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A lost database connection (the server restarting, the network gone) is
/// an outage, answered 503 like a pool that cannot connect; any other
/// database error is a fault (500).
impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        let lost = match &e {
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => true,
            // PostgreSQL's admin_shutdown / cannot_connect_now, before
            // libpq has marked the connection bad.
            Error::DatabaseError(_, info) => {
                info.message().starts_with("terminating connection")
                    || info.message().starts_with("the database system is")
            }
            _ => false,
        };
        if lost {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Db(e)
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl AppError {
    pub fn key(&self) -> &'static str {
        match self {
            AppError::NotFound => "error.not_found",
            AppError::Forbidden => "error.forbidden",
            AppError::Unauthenticated => "error.unauthenticated",
            AppError::PasswordChangeRequired
            | AppError::SecondFactorRequired
            | AppError::EnrolmentRequired
            | AppError::ReauthenticationRequired(_) => "error.unauthenticated",
            AppError::Csrf => "error.csrf",
            AppError::TooLarge => "error.too_large",
            AppError::BadRequest(key) | AppError::Conflict(key) => key,
            AppError::Unavailable(_) => "error.unavailable",
            AppError::Db(_) | AppError::Internal(_) => "error.internal",
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthenticated
            | AppError::PasswordChangeRequired
            | AppError::SecondFactorRequired
            | AppError::EnrolmentRequired
            | AppError::ReauthenticationRequired(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Db(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unauthenticated => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, crate::web::paths::LOGIN))
                    .finish();
            }
            AppError::PasswordChangeRequired => return see_other(crate::web::paths::PASSWORD),
            AppError::SecondFactorRequired => return see_other(crate::web::paths::LOGIN_VERIFY),
            AppError::EnrolmentRequired => return see_other(crate::web::paths::ENROL),
            AppError::ReauthenticationRequired(next) => {
                return see_other(&crate::web::paths::reauth(next));
            }
            AppError::Db(_) | AppError::Internal(_) | AppError::Unavailable(_) => {
                tracing::error!(error = %self, cause = %causes(self), "request failed");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code()).finish();
        response.extensions_mut().insert(ErrorKey(self.key()));
        response
    }
}

/// The chain of sources below an error, e.g. which stored value did not
/// parse under diesel's "Error deserializing field 'role'".
fn causes(error: &dyn std::error::Error) -> String {
    let mut chain = Vec::new();
    let mut next = error.source();
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    chain.join(": ")
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
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
    fn a_lost_connection_is_an_outage_not_a_fault() {
        for lost in [
            db_error(
                DatabaseErrorKind::ClosedConnection,
                "server closed the connection",
            ),
            db_error(
                DatabaseErrorKind::UnableToSendCommand,
                "no connection to the server",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "terminating connection due to administrator command",
            ),
            db_error(
                DatabaseErrorKind::Unknown,
                "the database system is shutting down",
            ),
        ] {
            assert_eq!(
                lost.status_code(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{lost}"
            );
        }
        for fault in [
            AppError::from(Error::NotFound),
            db_error(DatabaseErrorKind::UniqueViolation, "duplicate key value"),
            db_error(DatabaseErrorKind::Unknown, "syntax error at or near"),
        ] {
            assert_eq!(
                fault.status_code(),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{fault}"
            );
        }
    }
}
