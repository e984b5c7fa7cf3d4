//! Who is calling: the signed-in user from the session cookie, and the
//! role guards every handler names in its signature.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::NaiveDateTime;

use super::AppState;
use crate::db::models::{Session, User};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::services::sessions::{self, Stage};
use crate::services::{Actor, tokens};

pub const SESSION_COOKIE: &str = "__Host-session";

pub fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("application state missing".into()))
}

/// The client's address as the socket sees it (no proxy header is trusted).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

pub fn user_agent(req: &HttpRequest) -> String {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// The session token from the cookie, if it has the shape of one.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    req.cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| tokens::looks_like_token(t))
}

/// A signed-in user with a live session. `Debug` shows neither the
/// session token nor the user's secrets.
#[derive(Clone)]
pub struct SignedIn {
    pub user: User,
    pub session: Session,
    pub token: String,
    pub ip: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user", &self.user)
            .field("session", &self.session)
            .field("token", &"[redacted]")
            .field("ip", &self.ip)
            .finish()
    }
}

impl SignedIn {
    pub fn role(&self) -> Role {
        self.user.role
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            label: self.user.email.clone(),
            ip: self.ip.clone(),
        }
    }

    pub fn stage(&self) -> Stage {
        self.session.stage
    }

    /// A fully signed-in user; a sign-in still waiting for its second
    /// factor is sent to finish it.
    async fn load(req: HttpRequest) -> Result<SignedIn, AppError> {
        let any = SignedIn::load_any(req).await?;
        match any.stage() {
            Stage::Full => Ok(any),
            Stage::SecondFactor => Err(AppError::SecondFactorRequired),
            Stage::Enrol => Err(AppError::EnrolmentRequired),
        }
    }

    /// The session at whatever stage its sign-in has reached.
    pub async fn load_any(req: HttpRequest) -> Result<SignedIn, AppError> {
        if let Some(cached) = req.extensions().get::<SignedIn>() {
            return Ok(cached.clone());
        }
        let token = session_token(&req).ok_or(AppError::Unauthenticated)?;
        let state = state(&req)?;
        let now = state.clock.now();
        let (session, user) = live_session(&state, &token, now).await?;
        let signed_in = SignedIn {
            user,
            session,
            token,
            ip: client_ip(&req),
        };
        req.extensions_mut().insert(signed_in.clone());
        Ok(signed_in)
    }
}

/// The session behind `token` and its user: from memory while fresh
/// (`fresh`), else from the database (which also touches or ends it).
async fn live_session(
    state: &AppState,
    token: &str,
    now: NaiveDateTime,
) -> Result<(Session, User), AppError> {
    let read = || {
        let (pool, token) = (state.pool.clone(), token.to_owned());
        async move {
            crate::db::run(&pool, move |conn| Ok(sessions::lookup(conn, &token, now)?))
                .await?
                .ok_or(AppError::Unauthenticated)
        }
    };
    // Keyed by the token itself: it is in this request anyway, and hashing
    // it on every request is what the memory saves.
    let (session, user) = state.sessions.get_or_load(token, read).await?;
    if sessions::is_live(&session, &user, now) {
        return Ok((session, user));
    }
    // Expired while kept: the database ends it and says so.
    state.sessions.forget(token);
    state.sessions.get_or_load(token, read).await
}

type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, AppError>>>>;

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(SignedIn::load(req.clone()))
    }
}

/// A session at any stage of its sign-in (second-factor and enrolment
/// pages).
#[derive(Clone, Debug)]
pub struct AnySession(pub SignedIn);

impl FromRequest for AnySession {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { SignedIn::load_any(req).await.map(AnySession) })
    }
}

/// Extracts a signed-in user and lets `admit` decide: the guard's value,
/// or 403.
fn guard<T: 'static>(req: &HttpRequest, admit: fn(SignedIn) -> Option<T>) -> Extracting<T> {
    let req = req.clone();
    Box::pin(async move { admit(active(req).await?).ok_or(AppError::Forbidden) })
}

/// A signed-in user allowed past the forced password change.
async fn active(req: HttpRequest) -> Result<SignedIn, AppError> {
    let signed_in = SignedIn::load(req).await?;
    if signed_in.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(signed_in)
}

/// A firm's reporter or approver, with the firm every query is scoped by.
#[derive(Clone, Debug)]
pub struct FirmUser {
    pub who: SignedIn,
    pub firm_id: i64,
}

impl FromRequest for FirmUser {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guard(req, |who| match (who.role().is_firm(), who.user.firm_id) {
            (true, Some(firm_id)) => Some(FirmUser { who, firm_id }),
            _ => None,
        })
    }
}

/// A firm's approver (manages the firm's users).
#[derive(Clone, Debug)]
pub struct FirmApprover {
    pub who: SignedIn,
    pub firm_id: i64,
}

impl FromRequest for FirmApprover {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guard(req, |who| match (who.role(), who.user.firm_id) {
            (Role::Approver, Some(firm_id)) => Some(FirmApprover { who, firm_id }),
            _ => None,
        })
    }
}

/// Regulator staff: an analyst or an admin.
#[derive(Clone, Debug)]
pub struct Staff(pub SignedIn);

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guard(req, |who| who.role().is_staff().then_some(Staff(who)))
    }
}

/// A regulator admin.
#[derive(Clone, Debug)]
pub struct Admin(pub SignedIn);

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guard(req, |who| who.role().is_admin().then_some(Admin(who)))
    }
}

/// An observer from a partner authority. Their scope is read per request
/// (`services::observers`): an admin's change applies at once.
#[derive(Clone, Debug)]
pub struct Observer(pub SignedIn);

impl FromRequest for Observer {
    type Error = AppError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        guard(req, |who| who.role().is_observer().then_some(Observer(who)))
    }
}

impl SignedIn {
    /// The signed-in user if there is one; never an error.
    pub async fn extract_quietly(req: &HttpRequest) -> Option<SignedIn> {
        session_token(req)?;
        SignedIn::load(req.clone()).await.ok()
    }
}
