//! The incident deadline rules (admin): per stage what starts its clock,
//! how the delay is counted, the reminder's lead and whether a second
//! person must send it; with a worked example of the due times the saved
//! rules give. Each mistake is shown beside its field, what was typed kept.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::incident::IncidentStage;
use crate::domain::incident_deadline::{
    DeadlineRule, DelayUnit, ExampleLine, NUMBER_CHARS, Trigger, TypedRule, example, example_moment,
};
use crate::error::AppResult;
use crate::i18n::Key;
use crate::services::incident_rules;
use crate::web::csrf::{CsrfForm, HasCsrf};
use crate::web::extract::Admin;
use crate::web::view::{Chrome, render};
use crate::web::{AppState, paths, redirect};

/// One stage's part of the form.
pub struct StageView {
    /// The stage's name, the prefix of its fields (`initial_amount`).
    pub prefix: &'static str,
    pub legend: Key,
    pub typed: TypedRule,
    /// (part of the rule, message), in the form's order.
    pub errors: Vec<(&'static str, String)>,
    /// (value, label) of the triggers this stage may take.
    pub triggers: Vec<(&'static str, Key)>,
}

impl StageView {
    pub fn error(&self, part: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, m)| m.as_str())
    }

    pub fn id(&self, part: &str) -> String {
        format!("{}_{part}", self.prefix)
    }

    /// The `aria-describedby` of a field: its hint, then its error.
    pub fn described(&self, part: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{}-hint", self.id(part)));
        }
        if self.error(part).is_some() {
            ids.push(format!("{}-error", self.id(part)));
        }
        ids.join(" ")
    }
}

/// What was typed for one stage and its mistakes (part of the rule,
/// message).
type Typed = (IncidentStage, TypedRule, Vec<(&'static str, Key)>);

/// One row of the worked example, as shown.
pub struct ExampleRow {
    pub stage: Key,
    pub starts: String,
    pub due: String,
    pub remind: Option<String>,
    pub who: Key,
}

#[derive(Template)]
#[template(path = "admin/incident_deadlines.html")]
struct DeadlinesPage {
    c: Chrome,
    stages: Vec<StageView>,
    /// (field id, label, message) for the summary at the top.
    errors: Vec<(String, String, String)>,
    units: Vec<(&'static str, Key)>,
    number_chars: usize,
    saved: bool,
    example_at: String,
    example: Vec<ExampleRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeadlinesForm {
    csrf: String,
    initial_trigger: String,
    initial_unit: String,
    initial_amount: String,
    initial_remind_hours: String,
    initial_four_eyes: String,
    intermediate_trigger: String,
    intermediate_unit: String,
    intermediate_amount: String,
    intermediate_remind_hours: String,
    intermediate_four_eyes: String,
    final_trigger: String,
    final_unit: String,
    final_amount: String,
    final_remind_hours: String,
    final_four_eyes: String,
}

impl HasCsrf for DeadlinesForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl DeadlinesForm {
    /// What was typed for each stage, in stage order.
    fn typed(self) -> [(IncidentStage, TypedRule); 3] {
        [
            (
                IncidentStage::Initial,
                TypedRule {
                    trigger: self.initial_trigger,
                    unit: self.initial_unit,
                    amount: self.initial_amount,
                    remind_hours: self.initial_remind_hours,
                    four_eyes: self.initial_four_eyes,
                },
            ),
            (
                IncidentStage::Intermediate,
                TypedRule {
                    trigger: self.intermediate_trigger,
                    unit: self.intermediate_unit,
                    amount: self.intermediate_amount,
                    remind_hours: self.intermediate_remind_hours,
                    four_eyes: self.intermediate_four_eyes,
                },
            ),
            (
                IncidentStage::Final,
                TypedRule {
                    trigger: self.final_trigger,
                    unit: self.final_unit,
                    amount: self.final_amount,
                    remind_hours: self.final_remind_hours,
                    four_eyes: self.final_four_eyes,
                },
            ),
        ]
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SavedQuery {
    saved: String,
}

fn legend(stage: IncidentStage) -> Key {
    match stage {
        IncidentStage::Initial => msg!("incident_deadlines.stage.initial"),
        IncidentStage::Intermediate => msg!("incident_deadlines.stage.intermediate"),
        IncidentStage::Final => msg!("incident_deadlines.stage.final"),
    }
}

fn trigger_label(trigger: Trigger) -> Key {
    match trigger {
        Trigger::Awareness => msg!("incident_deadlines.trigger.awareness"),
        Trigger::Classification => msg!("incident_deadlines.trigger.classification"),
        Trigger::Previous => msg!("incident_deadlines.trigger.previous"),
    }
}

fn unit_label(unit: DelayUnit) -> Key {
    match unit {
        DelayUnit::Hours => msg!("incident_deadlines.unit.hours"),
        DelayUnit::BusinessDays => msg!("incident_deadlines.unit.business_days"),
        DelayUnit::NoonNextBusinessDay => msg!("incident_deadlines.unit.noon_next_business_day"),
    }
}

/// The label of a part of a rule, for the error summary.
fn part_label(part: &str) -> Key {
    match part {
        "trigger" => msg!("incident_deadlines.trigger"),
        "unit" => msg!("incident_deadlines.unit"),
        "amount" => msg!("incident_deadlines.amount"),
        "remind_hours" => msg!("incident_deadlines.remind_hours"),
        _ => msg!("incident_deadlines.four_eyes"),
    }
}

fn stage_view(
    c: &Chrome,
    stage: IncidentStage,
    typed: TypedRule,
    mistakes: &[(&'static str, Key)],
) -> StageView {
    StageView {
        prefix: stage.as_str(),
        legend: legend(stage),
        typed,
        errors: mistakes
            .iter()
            .map(|(part, key)| (*part, c.t.t(*key).to_owned()))
            .collect(),
        triggers: Trigger::ALL
            .iter()
            .filter(|t| stage != IncidentStage::Initial || **t != Trigger::Previous)
            .map(|t| (t.as_str(), trigger_label(*t)))
            .collect(),
    }
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &Admin,
    stages: Vec<Typed>,
    saved: bool,
) -> AppResult<HttpResponse> {
    let rules = crate::db::run(&state.pool, |conn| Ok(incident_rules::all(conn)?)).await?;
    let c = Chrome::signed_in(req, &who.0);
    let at = example_moment(state.clock.now());
    let example = example(&rules, at)
        .iter()
        .map(|line: &ExampleLine| ExampleRow {
            stage: legend(line.rule.stage),
            starts: c.when(&line.starts),
            due: c.when(&line.due),
            remind: line.remind.map(|r| c.when(&r)),
            who: if line.rule.four_eyes {
                msg!("incident_deadlines.who.two")
            } else {
                msg!("incident_deadlines.who.one")
            },
        })
        .collect();
    let stages: Vec<StageView> = stages
        .into_iter()
        .map(|(stage, typed, mistakes)| stage_view(&c, stage, typed, &mistakes))
        .collect();
    let errors: Vec<(String, String, String)> = stages
        .iter()
        .flat_map(|s| {
            s.errors.iter().map(|(part, message)| {
                let label = format!("{} – {}", c.t.t(s.legend), c.t.t(part_label(part)));
                (s.id(part), label, message.clone())
            })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = DeadlinesPage {
        stages,
        errors,
        units: DelayUnit::ALL
            .iter()
            .map(|u| (u.as_str(), unit_label(*u)))
            .collect(),
        number_chars: NUMBER_CHARS,
        saved,
        example_at: c.when(&at),
        example,
        c,
    };
    render(status, &page)
}

pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    query: web::Query<SavedQuery>,
) -> AppResult<HttpResponse> {
    let rules = crate::db::run(&state.pool, |conn| Ok(incident_rules::all(conn)?)).await?;
    let stages = rules
        .iter()
        .map(|rule: &DeadlineRule| (rule.stage, TypedRule::of(rule), Vec::new()))
        .collect();
    show(&req, &state, &who, stages, query.saved == "1").await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<DeadlinesForm>,
) -> AppResult<HttpResponse> {
    let typed = form.typed();
    let checked: Vec<Result<DeadlineRule, Vec<(&'static str, Key)>>> = typed
        .iter()
        .map(|(stage, rule)| rule.check(*stage))
        .collect();
    if checked.iter().any(Result::is_err) {
        let stages = typed
            .into_iter()
            .zip(checked)
            .map(|((stage, rule), result)| (stage, rule, result.err().unwrap_or_default()))
            .collect();
        return show(&req, &state, &who, stages, false).await;
    }
    let rules: Vec<DeadlineRule> = checked.into_iter().flatten().collect();
    let (now, actor) = (state.clock.now(), who.0.actor());
    crate::db::run(&state.pool, move |conn| {
        incident_rules::save(conn, &actor, now, &rules)
    })
    .await?;
    Ok(redirect(format!(
        "{}?saved=1",
        paths::ADMIN_INCIDENT_DEADLINES
    )))
}
