//! The account page: second factors, recovery codes, sessions, password.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::enrol::RecoveryCodesPage;
use super::require_recent;
use crate::error::AppResult;
use crate::services::audit::{self, Action, Event};
use crate::services::second_factor::{self, Usable};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::SignedIn;
use crate::web::view::{Chrome, ok, render};
use crate::web::{AppState, paths};

#[derive(Template)]
#[template(path = "account/overview.html")]
struct OverviewPage {
    c: Chrome,
    usable: Usable,
    totp_enrolled: bool,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
) -> AppResult<HttpResponse> {
    let user = who.user.clone();
    let today = state.clock.now().date();
    let usable = crate::db::run(&state.pool, move |conn| {
        Ok(second_factor::usable(conn, &user, today)?)
    })
    .await?;
    let c = Chrome::signed_in(&req, &who);
    ok(&OverviewPage {
        c,
        usable,
        totp_enrolled: who.user.totp_enabled_at.is_some(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PlainForm {
    csrf: String,
}

impl HasCsrf for PlainForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// New recovery codes (the old ones stop working), shown once.
pub async fn new_recovery_codes(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    CsrfForm(_form): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    let now = state.clock.now();
    require_recent(&who, now, paths::ACCOUNT)?;
    let (actor, user_id) = (who.actor(), who.user.id);
    let codes = crate::db::run(&state.pool, move |conn| {
        crate::db::write_tx(conn, |conn| {
            let codes = second_factor::new_recovery_codes(conn, user_id, now)?;
            audit::record(
                conn,
                now,
                &actor,
                Event {
                    action: Action::FactorAdded,
                    object_type: "user",
                    object_id: &user_id.to_string(),
                    detail: "recovery codes replaced",
                },
            )?;
            Ok(codes)
        })
    })
    .await?;
    let c = Chrome::signed_in(&req, &who);
    render(
        StatusCode::OK,
        &RecoveryCodesPage {
            c,
            codes,
            next: paths::ACCOUNT,
        },
    )
}
