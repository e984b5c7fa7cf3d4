//! The retention setting (admins): how many years after its month a
//! return's and incident's contact details and narratives are kept, the
//! last daily run, and the firms under a legal hold.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::retention::RetentionYears;
use crate::error::AppResult;
use crate::services::{Invalid, accounts, legal_holds, retention};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "admin/retention.html")]
struct RetentionPage {
    c: Chrome,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    saved: bool,
    /// The last run, as a sentence (or that none ran yet).
    last_run: String,
    /// Firms under a legal hold: (name, link to its hold page).
    held: Vec<(String, String)>,
    action: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RetentionForm {
    csrf: String,
    retention_years: String,
}

impl HasCsrf for RetentionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    typed: Option<&str>,
    invalid: &Invalid,
    saved: bool,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (years, last, held) = crate::db::run(&state.pool, |conn| {
        let held = legal_holds::held_firms(conn)?;
        let names = accounts::list_firms(conn)?
            .into_iter()
            .filter(|f| held.contains(&f.id))
            .map(|f| (f.name, paths::admin_firm_legal_hold(f.id)))
            .collect::<Vec<_>>();
        Ok((retention::years(conn)?, retention::last_run(conn)?, names))
    })
    .await?;
    let c = Chrome::signed_in(req, &who.0);
    let value = typed.map_or_else(|| years.get().to_string(), str::to_owned);
    let mut fields = fields(
        &c.t,
        &[(
            "retention_years",
            msg!("retention.years"),
            FieldKind::Number,
            &value,
        )],
        invalid,
    );
    for f in &mut fields {
        f.hint = Some(c.t.t(msg!("retention.years_hint")).to_owned());
    }
    let errors = summary(&fields);
    let last_run = match last {
        (_, Some(at), purged) => c.t.tf(
            msg!("retention.last_run"),
            &[("when", &c.when(&at)), ("n", &purged.to_string())],
        ),
        _ => c.t.t(msg!("retention.never_run")).to_owned(),
    };
    render(
        status,
        &RetentionPage {
            c,
            fields,
            errors,
            saved,
            last_run,
            held,
            action: paths::ADMIN_RETENTION,
        },
    )
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let saved = query.saved == "1";
    show(
        &req,
        &state,
        &who,
        None,
        &Invalid::default(),
        saved,
        StatusCode::OK,
    )
    .await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<RetentionForm>,
) -> AppResult<HttpResponse> {
    let years = match RetentionYears::parse(&form.retention_years) {
        Ok(years) => years,
        Err(key) => {
            return show(
                &req,
                &state,
                &who,
                Some(&form.retention_years),
                &Invalid::one("retention_years", key),
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (now, actor) = (state.clock.now(), who.0.actor());
    crate::db::run(&state.pool, move |conn| {
        retention::save_years(conn, &actor, years, now)
    })
    .await?;
    Ok(redirect(format!("{}?saved=1", paths::ADMIN_RETENTION)))
}
