//! Publications (admin): the list, and drafting one (title, cut-off,
//! months, footnotes, the confidential p of the p% rule).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::domain::PublicationStatus;
use crate::error::AppResult;
use crate::services::publications::{
    self, DEFAULT_FOOTNOTES_EN, DEFAULT_FOOTNOTES_JA, DEFAULT_P_PERCENT, DraftInput,
};
use crate::services::{Invalid, publish};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::form_rules;
use crate::web::statistics::title_of;
use crate::web::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use crate::web::{AppState, redirect};

const LIST: &str = crate::web::paths::ADMIN_PUBLICATIONS;

#[derive(Template)]
#[template(path = "admin/publications.html")]
struct ListPage {
    c: Chrome,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    publications: Vec<(i64, String, String, String)>,
}

/// The fields in the order the form shows them (and lists their problems).
const FIELDS: [&str; 8] = [
    "title",
    "title_ja",
    "cutoff",
    "from",
    "to",
    "footnotes",
    "footnotes_ja",
    "p_percent",
];

/// The draft form: the title and footnotes in English and in Japanese. The
/// months (and the cut-off against the clock) are checked by the
/// publication service.
#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct DraftForm {
    csrf: String,
    #[validate(custom(function = "form_rules::publication_title"))]
    title: String,
    #[validate(custom(function = "form_rules::publication_title_ja"))]
    title_ja: String,
    #[validate(custom(function = "form_rules::cutoff"))]
    cutoff: String,
    from: String,
    to: String,
    #[validate(custom(function = "form_rules::publication_footnotes"))]
    footnotes: String,
    #[validate(custom(function = "form_rules::publication_footnotes_ja"))]
    footnotes_ja: String,
    #[validate(custom(function = "form_rules::p_percent"))]
    p_percent: String,
}

impl HasCsrf for DraftForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

async fn list_page(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    typed: &DraftForm,
    invalid: &Invalid,
) -> AppResult<HttpResponse> {
    let all = crate::db::run(&state.pool, |conn| Ok(publications::all(conn)?)).await?;
    let c = Chrome::signed_in(req, &who.0);
    let specs = [
        (
            "title",
            msg!("publication.field_title_en"),
            FieldKind::Text,
            typed.title.as_str(),
        ),
        (
            "title_ja",
            msg!("publication.field_title_ja"),
            FieldKind::Text,
            typed.title_ja.as_str(),
        ),
        (
            "cutoff",
            msg!("publication.field_cutoff"),
            FieldKind::Text,
            typed.cutoff.as_str(),
        ),
        (
            "from",
            msg!("publication.field_from"),
            FieldKind::Text,
            typed.from.as_str(),
        ),
        (
            "to",
            msg!("publication.field_to"),
            FieldKind::Text,
            typed.to.as_str(),
        ),
        (
            "footnotes",
            msg!("publication.field_footnotes_en"),
            FieldKind::Multiline,
            typed.footnotes.as_str(),
        ),
        (
            "footnotes_ja",
            msg!("publication.field_footnotes_ja"),
            FieldKind::Multiline,
            typed.footnotes_ja.as_str(),
        ),
        (
            "p_percent",
            msg!("publication.field_p"),
            FieldKind::Number,
            typed.p_percent.as_str(),
        ),
    ];
    let fields = fields(&c.t, &specs, invalid);
    let publications = all
        .iter()
        .map(|p| {
            let status = c.t.t(match p.status {
                PublicationStatus::Released => msg!("publication.status_released"),
                PublicationStatus::Scheduled => msg!("publication.status_scheduled"),
                PublicationStatus::Draft => msg!("publication.status_draft"),
            });
            (
                p.id,
                title_of(&c.t, p).to_owned(),
                status.to_owned(),
                c.when(&p.cutoff_at),
            )
        })
        .collect();
    let status = if invalid.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        errors: summary(&fields),
        fields,
        publications,
        c,
    };
    render(status, &page)
}

pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
) -> AppResult<HttpResponse> {
    let typed = DraftForm {
        footnotes: DEFAULT_FOOTNOTES_EN.to_owned(),
        footnotes_ja: DEFAULT_FOOTNOTES_JA.to_owned(),
        p_percent: DEFAULT_P_PERCENT.to_string(),
        ..DraftForm::default()
    };
    list_page(&req, &state, &who, &typed, &Invalid::default()).await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<DraftForm>,
) -> AppResult<HttpResponse> {
    if let Err(errors) = form.validate() {
        let invalid = form_rules::invalid(&errors, &FIELDS);
        return list_page(&req, &state, &who, &form, &invalid).await;
    }
    // The rules above passed, so both parse.
    let cutoff = publish::parse_cutoff(&form.cutoff);
    let p = form.p_percent.trim().parse::<u32>().ok();
    let (Some(cutoff), Some(p_percent)) = (cutoff, p) else {
        return list_page(&req, &state, &who, &form, &Invalid::default()).await;
    };
    let (now, actor) = (state.clock.now(), who.0.actor());
    let (title, title_ja, from, to, notes, notes_ja) = (
        form.title.clone(),
        form.title_ja.clone(),
        form.from.clone(),
        form.to.clone(),
        form.footnotes.clone(),
        form.footnotes_ja.clone(),
    );
    let outcome = crate::db::run(&state.pool, move |conn| {
        let input = DraftInput {
            title: &title,
            title_ja: &title_ja,
            cutoff,
            from: &from,
            to: &to,
            footnotes: &notes,
            footnotes_ja: &notes_ja,
            p_percent,
        };
        publications::draft(conn, &actor, &input, now)
    })
    .await?;
    match outcome {
        Ok(id) => Ok(redirect(format!("{LIST}/{id}"))),
        Err(invalid) => list_page(&req, &state, &who, &form, &invalid).await,
    }
}
