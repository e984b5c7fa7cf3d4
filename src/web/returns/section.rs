//! One section of the return on its own page: its fields only; a save
//! keeps everything typed in that section (and nothing else changes), then
//! the page shows that section's problems beside its fields, and when an
//! unusual figure fires, the warning and the explanation field. "Save and
//! continue" goes on to the next section (or check your answers) once the
//! section has no problem; "Save and come back later" goes to the task
//! list whatever it holds.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::fields::ReturnFields;
use super::form::{load, warning_lines};
use super::section_view::{self, SectionView};
use super::summary_view::title_key;
use super::{reportable_period, sections};
use crate::domain::period::Period;
use crate::domain::return_sections::ReturnSection;
use crate::error::{AppError, AppResult};
use crate::services::return_form::FiguresForm;
use crate::services::submission::Assessment;
use crate::services::{Invalid, section_save};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, FieldKind, FieldView, render};
use crate::web::{AppState, paths, redirect};

#[derive(Template)]
#[template(path = "returns/section.html")]
struct SectionPage {
    c: Chrome,
    period: String,
    title: String,
    action: String,
    tasks_href: String,
    trades_href: String,
    figures: bool,
    v: SectionView,
    errors: Vec<(String, String, String)>,
    warnings: Vec<(String, String, String)>,
    /// The explanation field, when a warning fires on this section.
    explanation: Option<FieldView>,
    explained: bool,
    nil_draft: bool,
}

#[derive(Deserialize, Default)]
pub struct SectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    then: Then,
    #[serde(flatten)]
    fields: ReturnFields,
}

/// Where the preparer goes after saving: on to the next section once this
/// one has no problem, or back to the task list whatever it holds.
#[derive(Deserialize, Default, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Then {
    #[default]
    Continue,
    Later,
}

impl HasCsrf for SectionForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Deserialize)]
pub struct SectionPath {
    period: String,
    section: String,
}

/// The period and section of the address (an unknown section is not found).
fn target(path: &SectionPath, state: &AppState) -> AppResult<(Period, ReturnSection)> {
    let period = reportable_period(&path.period, &state.clock)?;
    let section = ReturnSection::parse(&path.section).ok_or(AppError::NotFound)?;
    Ok((period, section))
}

/// What the section's page shows beside its fields: the rules of single
/// fields that what was just posted fails (`typed`), the section's other
/// rules that fail, then, while unexplained, its warnings and the missing
/// explanation; one message per field. An empty list means the preparer
/// may go on.
fn beside(section: ReturnSection, typed: &Invalid, checks: &Assessment) -> Invalid {
    let fields = section.fields();
    let mut beside = typed.clone();
    for (field, key) in checks.errors.0.iter().filter(|(f, _)| fields.contains(f)) {
        if beside.for_field(field).is_none() {
            beside.push(field, *key);
        }
    }
    if checks.explained {
        return beside;
    }
    let mut fired = false;
    for w in checks
        .warnings
        .iter()
        .filter(|w| fields.contains(&w.field()))
    {
        fired = true;
        if beside.for_field(w.field()).is_none() {
            beside.push(w.field(), w.key());
        }
    }
    if fired && beside.for_field("warnings_explanation").is_none() {
        beside.push("warnings_explanation", msg!("err.explanation.required"));
    }
    beside
}

/// Whether the section holds anything (a section never saved shows no
/// messages yet).
fn started(section: ReturnSection, form: &FiguresForm) -> bool {
    section
        .fields()
        .iter()
        .any(|f| !form.get(f).trim().is_empty())
}

/// What the section's page is shown from.
struct Shown<'a> {
    form: &'a FiguresForm,
    typed: Invalid,
    checks: &'a Assessment,
    status: StatusCode,
}

fn response(
    req: &HttpRequest,
    who: &FirmUser,
    period: Period,
    section: ReturnSection,
    shown: Shown<'_>,
) -> AppResult<HttpResponse> {
    let Shown {
        form,
        typed,
        checks,
        status,
    } = shown;
    let c = Chrome::signed_in(req, &who.who);
    let telling = started(section, form) || status != StatusCode::OK;
    let shown = if telling {
        beside(section, &typed, checks)
    } else {
        Invalid::default()
    };
    let v = section_view::build(&c.t, section, form, &shown);
    // The summary lists what blocks (the rules, the missing explanation);
    // the warnings themselves have their own box below it.
    let blocking = Invalid(
        shown
            .0
            .iter()
            .filter(|(_, key)| !checks.warnings.iter().any(|w| w.key() == *key))
            .copied()
            .collect(),
    );
    let errors = sections::build(&c.t, form, &blocking)
        .summary(&c.t)
        .into_iter()
        .filter(|(id, _, _)| {
            ReturnSection::of_field(id) == Some(section) || id == "warnings_explanation"
        })
        .collect();
    let fields = section.fields();
    let warnings: Vec<_> = if !telling {
        Vec::new()
    } else {
        warning_lines(&c.t, checks)
            .into_iter()
            .filter(|(id, _, _)| fields.contains(&id.as_str()))
            .collect()
    };
    let explanation = (!warnings.is_empty() && section != ReturnSection::Narrative).then(|| {
        let mut all = sections::build(&c.t, form, &shown).explanation;
        all.pop().unwrap_or(FieldView {
            name: "warnings_explanation",
            label: c.t.t(msg!("field.warnings_explanation")).to_owned(),
            value: String::new(),
            error: None,
            hint: None,
            kind: FieldKind::Multiline,
        })
    });
    let page = SectionPage {
        period: period.to_string(),
        title: c.t.t(title_key(section)).to_owned(),
        action: paths::return_section(period, section),
        tasks_href: paths::return_page(period),
        trades_href: paths::return_trades(period),
        figures: section == ReturnSection::Figures,
        v,
        errors,
        warnings,
        explanation,
        explained: checks.explained,
        nil_draft: form.is_nil(),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<SectionPath>,
) -> AppResult<HttpResponse> {
    let (period, section) = target(&path, &state)?;
    if section == ReturnSection::Trades {
        return Ok(redirect(paths::return_trades(period)));
    }
    let (_, loaded, checks) = load(&state, &who, period).await?;
    let form = loaded.form();
    let shown = Shown {
        form: &form,
        typed: Invalid::default(),
        checks: &checks,
        status: StatusCode::OK,
    };
    response(&req, &who, period, section, shown)
}

/// Saves the section, then goes on or shows what to fix.
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    path: web::Path<SectionPath>,
    CsrfForm(typed): CsrfForm<SectionForm>,
) -> AppResult<HttpResponse> {
    let (period, section) = target(&path, &state)?;
    if section == ReturnSection::Trades {
        return Ok(redirect(paths::return_trades(period)));
    }
    let now = state.clock.now();
    let (actor, firm_id) = (who.who.actor(), who.firm_id);
    let problems = typed.fields.problems(&section.fields());
    let figures = typed.fields.draft();
    crate::db::run(&state.pool, move |conn| {
        section_save::save_section(conn, &actor, firm_id, period, section, &figures, now)
    })
    .await?;
    if typed.then == Then::Later {
        return Ok(redirect(format!("{}?saved=1", paths::return_page(period))));
    }
    let (_, loaded, checks) = load(&state, &who, period).await?;
    let form = loaded.form();
    if !beside(section, &problems, &checks).is_empty() {
        let shown = Shown {
            form: &form,
            typed: problems,
            checks: &checks,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        };
        return response(&req, &who, period, section, shown);
    }
    let next = match section.next() {
        Some(ReturnSection::Trades) | None => paths::return_check(period),
        Some(next) => paths::return_section(period, next),
    };
    Ok(redirect(next))
}
