//! Who calls the API: the client behind `Authorization: Bearer <token>`
//! (RFC 6750). Nothing else authenticates here — a session cookie is never
//! read — which is also why the API's POSTs need no CSRF token: a
//! cross-site form cannot set that header. The token's holder is kept in
//! memory a moment like a session (`web::fresh`); suspending a client or
//! retiring a key deletes its tokens in a write that makes the kept entry
//! stale at once on this instance (and within `fresh::RECHECK` on others).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest};

use super::problem::{Problem, from_app_error, type_uri};
use crate::domain::api_client::Scope;
use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use crate::services::Actor;
use crate::services::api_tokens::client_actor;
use crate::services::api_tokens::lookup::{self, Holder};
use crate::web::extract::{client_ip, state};

/// An API client with a live token.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    /// `api_clients.id`.
    pub client_row_id: i64,
    /// The public client id (`pc_…`).
    pub client_id: String,
    /// `None`: a regulator (staff) client.
    pub firm_id: Option<i64>,
    /// What the token allows.
    pub scopes: Vec<Scope>,
    /// For the audit trail: a firm's client acts for the approver who
    /// registered it (`user_id`), labelled `api-client:<client id>`.
    pub actor: Actor,
    /// The language of the problem titles (`Accept-Language`).
    pub lang: Lang,
}

/// `WWW-Authenticate` of a refusal (RFC 6750 §3).
fn challenge(error: Option<&str>, scope: Option<Scope>) -> HeaderValue {
    let mut value = "Bearer realm=\"api\"".to_owned();
    if let Some(error) = error {
        value.push_str(&format!(", error=\"{error}\""));
    }
    if let Some(scope) = scope {
        value.push_str(&format!(", scope=\"{scope}\""));
    }
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

/// 401: no token at all (no error code, RFC 6750 §3.1), or one that is
/// not (or no longer) valid.
fn unauthorized(lang: Lang, token_sent: bool) -> Problem {
    let t = Tr::new(lang);
    let (slug, title, error) = if token_sent {
        (
            "invalid-token",
            msg!("api.problem.invalid_token"),
            Some("invalid_token"),
        )
    } else {
        ("unauthorized", msg!("api.problem.unauthorized"), None)
    };
    Problem::new(
        StatusCode::UNAUTHORIZED,
        &type_uri(slug),
        t.t(title).to_owned(),
    )
    .with_header(header::WWW_AUTHENTICATE, challenge(error, None))
}

/// 429: the client's requests for this minute are used up.
fn too_many(lang: Lang, wait: u64) -> Problem {
    let t = Tr::new(lang);
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        &type_uri("too-many-requests"),
        t.t(msg!("api.problem.too_many_requests")).to_owned(),
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from(wait))
}

impl ApiCaller {
    /// 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.scopes.contains(&scope) {
            return Ok(());
        }
        let t = Tr::new(self.lang);
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            &type_uri("insufficient-scope"),
            t.t(msg!("api.problem.insufficient_scope")).to_owned(),
        )
        .with_detail(t.tf(
            msg!("api.problem.insufficient_scope_detail"),
            &[("scope", scope.as_str())],
        ))
        .with_header(
            header::WWW_AUTHENTICATE,
            challenge(Some("insufficient_scope"), Some(scope)),
        ))
    }

    async fn load(req: HttpRequest) -> Result<ApiCaller, Problem> {
        let lang = Lang::from_accept_language(&req);
        let Some(value) = req.headers().get(header::AUTHORIZATION) else {
            return Err(unauthorized(lang, false));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim().to_owned())
            .ok_or_else(|| unauthorized(lang, true))?;
        let state = state(&req).map_err(|e| from_app_error(&e, lang))?;
        let now = state.clock.now();
        let read = || {
            let (pool, token) = (state.pool.clone(), token.clone());
            async move {
                crate::db::run(&pool, move |conn| Ok(lookup::holder(conn, &token, now)?))
                    .await?
                    .ok_or(AppError::Unauthenticated)
            }
        };
        let holder: Holder = match state.api_tokens.get_or_load(&token, read).await {
            Ok(holder) => holder,
            Err(AppError::Unauthenticated) => return Err(unauthorized(lang, true)),
            Err(other) => return Err(from_app_error(&other, lang)),
        };
        if !holder.is_live(now) {
            state.api_tokens.forget(&token);
            return Err(unauthorized(lang, true));
        }
        if let Err(wait) = state
            .api_rates
            .admit(holder.client_row_id, std::time::Instant::now())
        {
            return Err(too_many(lang, wait));
        }
        Ok(ApiCaller {
            actor: client_actor(
                &holder.client_id,
                holder.firm_id,
                holder.registered_by,
                &client_ip(&req),
            ),
            client_row_id: holder.client_row_id,
            client_id: holder.client_id,
            firm_id: holder.firm_id,
            scopes: holder.scopes.to_vec(),
            lang,
        })
    }
}

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(ApiCaller::load(req.clone()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    fn caller(scopes: Vec<Scope>, lang: Lang) -> ApiCaller {
        ApiCaller {
            client_row_id: 1,
            client_id: "pc_abcdefghijklmnopqrstuv".into(),
            firm_id: Some(7),
            scopes,
            actor: client_actor("pc_abcdefghijklmnopqrstuv", Some(7), 3, "127.0.0.1"),
            lang,
        }
    }

    #[test]
    fn a_scope_the_token_lacks_is_a_403_naming_it() {
        let reader = caller(vec![Scope::ReturnsRead], Lang::En);
        assert!(reader.require(Scope::ReturnsRead).is_ok());
        let refused = reader.require(Scope::ReturnsDraft).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.type_uri, "/api/v1/problems/insufficient-scope");
        assert_eq!(
            refused.detail.as_deref(),
            Some("This needs a token with the scope returns:draft.")
        );
        let response = refused.error_response();
        assert_eq!(
            response.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"returns:draft\""
        );
        let ja = caller(vec![], Lang::Ja)
            .require(Scope::StatsRead)
            .unwrap_err();
        assert_eq!(ja.title, "このアクセストークンではこの操作はできません");
        assert_eq!(reader.actor.user_id, Some(3));
        assert_eq!(reader.actor.label, "api-client:pc_abcdefghijklmnopqrstuv");
        let staff = client_actor("pc_abcdefghijklmnopqrstuv", None, 3, "::1");
        assert_eq!(
            staff.user_id, None,
            "a regulator client acts for no one person"
        );
    }
}
