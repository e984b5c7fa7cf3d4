//! The approver's page: the whole prepared return, read-only (every
//! section, the checks that fired, the explanation, who prepared it, the
//! trade file and the firm's incidents that began in the month), and the
//! approver's own act — the attestation and an optional note — which
//! submits it. Nothing here edits the return.

use super::tasks::ready_line;
use crate::i18n::Key;
use crate::services::handover::{self, ReadyMark};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{load, warning_lines};
use super::incidents_view::{self, MonthIncidents};
use super::summary_view::{SummaryBlock, blocks, statuses};
use super::{reportable_period, sections};
use crate::domain::amendment::{self, AmendmentReason};
use crate::domain::period::Period;
use crate::domain::rules::Subject;
use crate::error::{AppError, AppResult};
use crate::services::returns::{self, Approval, ReturnState};
use crate::services::submission::Assessment;
use crate::services::trades::UploadSummary;
use crate::services::{Invalid, four_eyes, incidents, tokens, trades};
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::FirmUser;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

/// Whether (and why not) the viewer may submit what is prepared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    CanSubmit,
    NothingPrepared,
    NotApprover,
    Preparer,
    NotReady,
}

impl Standing {
    fn key(self) -> Key {
        match self {
            Standing::CanSubmit => msg!("approve.can_submit"),
            Standing::NothingPrepared => msg!("approve.nothing_prepared"),
            Standing::NotApprover => msg!("approve.not_approver"),
            Standing::Preparer => msg!("approve.preparer"),
            Standing::NotReady => msg!("approve.not_ready"),
        }
    }
}

#[derive(Template)]
#[template(path = "returns/approve.html")]
struct ApprovePage {
    c: Chrome,
    /// The preparer's ready-for-approval mark, if any: (still current, line).
    ready: Option<(bool, String)>,
    firm_name: String,
    period: String,
    back: String,
    submit_action: String,
    submission_key: String,
    prepared_sha256: String,
    nil: bool,
    summary: Vec<SummaryBlock>,
    errors: Vec<(String, String, String)>,
    warnings: Vec<(String, String, String)>,
    explanation: String,
    /// Why the submission lacks the explanation, beside it.
    explanation_error: Option<String>,
    /// Where a nil return's explanation is written (the task list).
    explain_href: Option<String>,
    incidents: Option<MonthIncidents>,
    preparers: String,
    trade_file: Option<String>,
    exemption: Option<String>,
    standing: Key,
    can_submit: bool,
    /// Each refusal: the field it links to, if the form has it, and the text.
    refused: Vec<(Option<String>, String)>,
    attested: bool,
    attestation_error: Option<String>,
    note: String,
    note_error: Option<String>,
    amending: bool,
    amendment: AmendmentFields,
}

/// An amendment's reason as the approver's form shows it: the choices,
/// what was typed, and the message beside each field.
struct AmendmentFields {
    reasons: Vec<(&'static str, String)>,
    reason: String,
    text: String,
    reason_error: Option<String>,
    text_error: Option<String>,
    maxlength: usize,
}

impl AmendmentFields {
    fn new(c: &Chrome, form: &ApprovalForm, invalid: &Invalid) -> Self {
        let message = |field| {
            invalid
                .for_field(field)
                .map(|k| crate::web::rules::message(&c.t, Subject::Return, k))
        };
        AmendmentFields {
            reasons: AmendmentReason::ALL
                .iter()
                .map(|r| (r.as_str(), c.t.t(r.label_key()).to_owned()))
                .collect(),
            reason: form.amendment_reason.clone(),
            text: form.amendment_reason_text.clone(),
            reason_error: message(amendment::REASON_FIELD),
            text_error: message(amendment::TEXT_FIELD),
            maxlength: crate::domain::limits::AMENDMENT_REASON,
        }
    }

    fn chosen(&self, value: &str) -> bool {
        self.reason == value
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApprovalForm {
    csrf: String,
    submission_key: String,
    prepared_sha256: String,
    attestation: String,
    approver_note: String,
    amendment_reason: String,
    amendment_reason_text: String,
}

impl HasCsrf for ApprovalForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

struct Loaded {
    firm_name: String,
    state: ReturnState,
    checks: Assessment,
    sha256: String,
    upload: Option<UploadSummary>,
    exemption: Option<chrono::NaiveDate>,
    ready: Option<ReadyMark>,
    incidents: Vec<crate::db::models::Incident>,
}

async fn gather(state: &AppState, who: &FirmUser, period: Period) -> AppResult<Loaded> {
    let (firm_name, loaded, checks) = load(state, who, period).await?;
    let (firm_id, return_id) = (who.firm_id, loaded.row.as_ref().map(|r| r.id));
    // The hash is of the draft this page shows (not of the draft as it is
    // by now), so a save made meanwhile makes the submission stale.
    let shown = loaded.draft.clone().unwrap_or_default();
    let (sha256, upload, exemption, ready, month) = crate::db::run(&state.pool, move |conn| {
        let (sha, upload) = match return_id {
            Some(id) => (
                four_eyes::draft_sha256(conn, id, &shown)?,
                trades::summary(conn, id)?,
            ),
            None => (String::new(), None),
        };
        Ok((
            sha,
            upload,
            four_eyes::exemption(conn, firm_id)?,
            handover::ready_mark(conn, firm_id, period)?,
            incidents::in_month(conn, firm_id, period)?,
        ))
    })
    .await?;
    Ok(Loaded {
        firm_name,
        state: loaded,
        checks,
        sha256,
        upload,
        exemption,
        ready,
        incidents: month,
    })
}

fn standing(who: &FirmUser, l: &Loaded) -> Standing {
    let me = who.who.user.id;
    let unrecorded = l.exemption.is_none() && l.state.preparers.is_empty();
    if l.state.draft.is_none() || unrecorded {
        Standing::NothingPrepared
    } else if !who.who.role().can_submit() {
        Standing::NotApprover
    } else if l.exemption.is_none() && l.state.preparers.iter().any(|(id, _)| *id == me) {
        Standing::Preparer
    } else if !l.checks.ready() {
        Standing::NotReady
    } else {
        Standing::CanSubmit
    }
}

struct Typed<'a> {
    form: &'a ApprovalForm,
    invalid: &'a Invalid,
}

fn respond(
    req: &HttpRequest,
    who: &FirmUser,
    period: Period,
    l: Loaded,
    typed: Typed<'_>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let c = Chrome::signed_in(req, &who.who);
    let standing = standing(who, &l);
    let draft = l.state.draft.clone().unwrap_or_default();
    let nil = draft.is_nil();
    let summary = if nil || l.state.draft.is_none() {
        vec![]
    } else {
        let trade_line = match &l.upload {
            Some(u) => c.t.tf(
                msg!("task.trades_file"),
                &[("file", &u.file_name), ("rows", &c.count(&u.totals.rows))],
            ),
            None => c.t.t(msg!("task.trades_none")).to_owned(),
        };
        let states = statuses(&draft, &l.checks, l.upload.is_some());
        blocks(&c.t, period, &draft, &states, trade_line, false)
    };
    let errors = sections::build(&c.t, &draft, &l.checks.errors).summary(&c.t);
    // Every refusal is listed at the top, where the page opens again; those
    // of the form's own fields link to the field, where the message is.
    let refused = typed
        .invalid
        .0
        .iter()
        .map(|(field, key)| {
            let beside = matches!(*field, "attestation" | "approver_note")
                || amendment::FIELDS.contains(field);
            let text = match *field {
                "four_eyes" => c.t.t(key).to_owned(),
                f => format!("{}: {}", c.t.named(&format!("field.{f}")), c.t.t(key)),
            };
            (beside.then(|| (*field).to_owned()), text)
        })
        .collect();
    let unexplained = !l.checks.warnings.is_empty() && !l.checks.explained;
    let explanation_error = typed
        .invalid
        .for_field("warnings_explanation")
        .or(unexplained.then_some(msg!("err.explanation.required")))
        .map(|k| crate::web::rules::message(&c.t, crate::domain::rules::Subject::Return, k));
    let explain_href = (nil && unexplained)
        .then(|| format!("{}#warnings_explanation", paths::return_page(period)));
    let key = if tokens::looks_like_token(&typed.form.submission_key) {
        typed.form.submission_key.clone()
    } else {
        tokens::new_token()
    };
    let page = ApprovePage {
        ready: l.ready.as_ref().map(|m| ready_line(&c, m)),
        firm_name: l.firm_name,
        period: period.to_string(),
        back: paths::return_page(period),
        submit_action: paths::return_submit(period),
        submission_key: key,
        prepared_sha256: l.sha256,
        nil,
        summary,
        errors,
        warnings: warning_lines(&c.t, &l.checks),
        explanation: draft.get("warnings_explanation").to_owned(),
        explanation_error,
        explain_href,
        incidents: incidents_view::month(&c, &l.incidents, paths::incident),
        preparers: l
            .state
            .preparers
            .iter()
            .map(|(_, name)| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        trade_file: l.upload.map(|u| {
            c.t.tn(
                msg!("approve.trade_file"),
                u.totals.rows,
                &[
                    ("file", &u.file_name),
                    ("rows", &c.count(&u.totals.rows)),
                    ("who", u.uploaded_by.as_deref().unwrap_or("?")),
                ],
            )
        }),
        exemption: l
            .exemption
            .map(|d| c.t.tf(msg!("four_eyes.exempt"), &[("date", &c.date(&d))])),
        standing: standing.key(),
        can_submit: standing == Standing::CanSubmit,
        refused,
        attested: typed.form.attestation == "yes",
        attestation_error: typed
            .invalid
            .for_field("attestation")
            .map(|k| c.t.t(k).to_owned()),
        note: typed.form.approver_note.clone(),
        note_error: typed
            .invalid
            .for_field("approver_note")
            .map(|k| c.t.t(k).to_owned()),
        amending: !l.state.versions.is_empty(),
        amendment: AmendmentFields::new(&c, typed.form, typed.invalid),
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    let loaded = gather(&state, &who, period).await?;
    // A reason the preparer proposed in the draft (the filing API's
    // `amendment`) is offered; the approver's choice is what is filed.
    let draft = loaded.state.draft.as_ref();
    let proposed = |field| draft.map_or("", |d| d.get(field)).to_owned();
    let form = ApprovalForm {
        amendment_reason: proposed(amendment::REASON_FIELD),
        amendment_reason_text: proposed(amendment::TEXT_FIELD),
        ..ApprovalForm::default()
    };
    let typed = Typed {
        form: &form,
        invalid: &Invalid::default(),
    };
    respond(&req, &who, period, loaded, typed, StatusCode::OK)
}

/// The approver submits what was prepared, with the attestation and their
/// note. Refusals re-render the page with the reason (422).
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmUser,
    period: web::Path<String>,
    CsrfForm(form): CsrfForm<ApprovalForm>,
) -> AppResult<HttpResponse> {
    let period = reportable_period(&period, &state.clock)?;
    if !who.who.role().can_submit() {
        return Err(AppError::Forbidden);
    }
    if !tokens::looks_like_token(&form.submission_key) {
        return Err(AppError::BadRequest(msg!("error.bad_form")));
    }
    let now = state.clock.now();
    let approval = Approval {
        attested: form.attestation == "yes",
        note: form.approver_note.clone(),
        prepared_sha256: form.prepared_sha256.clone(),
        amendment_reason: form.amendment_reason.clone(),
        amendment_text: form.amendment_reason_text.clone(),
    };
    let (actor, firm_id, key) = (who.who.actor(), who.firm_id, form.submission_key.clone());
    let filed = crate::db::run(&state.pool, move |conn| {
        returns::submit(conn, &actor, firm_id, period, &approval, &key, now)
    })
    .await?;
    match filed {
        Ok(version) => Ok(redirect(paths::return_version(period, version.version_no))),
        Err(invalid) => {
            let loaded = gather(&state, &who, period).await?;
            let typed = Typed {
                form: &form,
                invalid: &invalid,
            };
            respond(
                &req,
                &who,
                period,
                loaded,
                typed,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}
