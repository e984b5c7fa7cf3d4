//! The sign-in policy: whether regulator staff may use an authenticator
//! app (TOTP), and until when firms may.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::error::AppResult;
use crate::services::{Invalid, policy};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/policy.html")]
struct PolicyPage {
    c: Chrome,
    staff_totp: bool,
    firms_until: String,
    /// (field, the element the summary links to, message), in the form's
    /// order; each message is also shown beside its field.
    errors: Vec<(&'static str, &'static str, String)>,
    saved: bool,
}

impl PolicyPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _, _)| *f == field)
            .map(|(_, _, m)| m.as_str())
    }
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct PolicyForm {
    csrf: String,
    #[validate(custom(function = "form_rules::staff_totp"))]
    staff_totp: String,
    #[validate(custom(function = "form_rules::firms_until"))]
    firms_until: String,
}

/// The form's fields in the order they are shown.
const FIELDS: &[&str] = &["staff_totp", "firms_until"];

impl HasCsrf for PolicyForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let current = crate::db::run(&state.pool, |conn| Ok(policy::current(conn)?)).await?;
    let c = Chrome::signed_in(&req, &who.0);
    let page = PolicyPage {
        c,
        staff_totp: current.staff_totp,
        firms_until: current
            .firms_until
            .map(|d| d.to_string())
            .unwrap_or_default(),
        errors: Vec::new(),
        saved: query.saved == "1",
    };
    render(StatusCode::OK, &page)
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<PolicyForm>,
) -> AppResult<HttpResponse> {
    let checked = form
        .validate()
        .map_err(|errors| form_rules::invalid(&errors, FIELDS))
        .and_then(|()| {
            // The rules passed, so the service's parse of the same fields does.
            let staff_totp = policy::parse_staff_totp(&form.staff_totp);
            let until = policy::parse_firms_until(&form.firms_until);
            match (staff_totp, until) {
                (Ok(staff_totp), Ok(firms_until)) => Ok(policy::Policy {
                    staff_totp,
                    firms_until,
                }),
                _ => Err(Invalid::one("firms_until", msg!("err.date.invalid"))),
            }
        });
    let wanted = match checked {
        Ok(wanted) => wanted,
        Err(invalid) => {
            let c = Chrome::signed_in(&req, &who.0);
            let errors = invalid
                .0
                .iter()
                .map(|(field, key)| {
                    // The choice's summary link goes to its first option.
                    let anchor = if *field == "staff_totp" {
                        "staff-forbidden"
                    } else {
                        field
                    };
                    (*field, anchor, c.t.t(key).to_owned())
                })
                .collect();
            let page = PolicyPage {
                c,
                staff_totp: form.staff_totp == "allowed",
                firms_until: form.firms_until,
                errors,
                saved: false,
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let now = state.clock.now();
    let actor = who.0.actor();
    let _: Result<(), Invalid> = crate::db::run(&state.pool, move |conn| {
        policy::save(conn, &actor, &wanted, now).map(Ok)
    })
    .await?;
    Ok(redirect(format!("{}?saved=1", paths::ADMIN_POLICY)))
}
