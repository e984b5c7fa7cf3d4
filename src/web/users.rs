//! Users: admins see and invite everyone; a firm's approvers see and invite
//! their own firm's users. Either may disable or re-enable the users they
//! see (never themselves).

use crate::i18n::Key;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::account::require_recent;
use super::csrf::{CsrfForm, HasCsrf};
use super::extract::{Admin, FirmApprover, SignedIn};
use super::form_rules;
use super::view::{Chrome, FieldKind, FieldView, fields, render, summary};
use super::{AppState, paths, redirect};
use crate::db::models::{Firm, User};
use crate::domain::amendment::ExportRight;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::services::{Invalid, accounts, export_rights, invitations};

/// Whose users a page lists.
#[derive(Clone, Copy)]
enum Scope {
    All,
    Firm(i64),
}

pub struct UserLine {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role_key: Key,
    pub firm: String,
    pub active: bool,
    pub invited: bool,
    pub is_self: bool,
    /// A staff user's right to export, on the admin's page (where it is
    /// set); `None` elsewhere and for firm users.
    pub export_right: Option<ExportRight>,
    pub export_action: String,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserLine>,
    firms: Vec<Firm>,
    fields: Vec<FieldView>,
    errors: Vec<(String, String, String)>,
    role_error: Option<String>,
    firm_error: Option<String>,
    role: String,
    firm_id: String,
    roles: Vec<(&'static str, Key)>,
    action: &'static str,
    /// The admin's page: the export right of each staff user, and its
    /// choices.
    rights: Option<Vec<ExportRight>>,
}

impl UsersPage {
    fn role_selected(&self, value: &str) -> bool {
        self.role == value
    }

    fn firm_selected(&self, id: &i64) -> bool {
        self.firm_id.trim() == id.to_string()
    }
}

#[derive(Deserialize, Default, Validate)]
#[serde(default)]
pub struct InviteForm {
    csrf: String,
    #[validate(custom(function = "form_rules::email"))]
    email: String,
    #[validate(custom(function = "form_rules::display_name"))]
    display_name: String,
    #[validate(custom(function = "form_rules::role"))]
    role: String,
    #[validate(custom(function = "form_rules::firm_choice"))]
    firm_id: String,
}

/// The form's fields in the order they are shown.
const FIELDS: &[&str] = &["email", "display_name", "role", "firm_id"];

impl HasCsrf for InviteForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn role_key(user: &User) -> Key {
    user.role.label_key()
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    scope: Scope,
    form: &InviteForm,
    invalid: &Invalid,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (users, firms) = crate::db::run(&state.pool, move |conn| {
        let users = accounts::list_users(conn)?;
        let firms = accounts::list_firms(conn)?;
        Ok((users, firms))
    })
    .await?;
    let c = Chrome::signed_in(req, who);
    let fields = fields(
        &c.t,
        &[
            ("email", msg!("field.email"), FieldKind::Email, &form.email),
            (
                "display_name",
                msg!("field.display_name"),
                FieldKind::Text,
                &form.display_name,
            ),
        ],
        invalid,
    );
    let mut errors = summary(&fields);
    let role_error = invalid.for_field("role").map(|k| c.t.t(k).to_owned());
    let firm_error = invalid.for_field("firm_id").map(|k| c.t.t(k).to_owned());
    if let Some(e) = &role_error {
        errors.push((
            "role".into(),
            c.t.t(msg!("field.role")).to_owned(),
            e.clone(),
        ));
    }
    if let Some(e) = &firm_error {
        errors.push((
            "firm_id".into(),
            c.t.t(msg!("field.firm")).to_owned(),
            e.clone(),
        ));
    }
    let (offered, action): (&[Role], _) = match scope {
        Scope::All => (
            &[
                Role::Reporter,
                Role::Approver,
                Role::Analyst,
                Role::Admin,
                Role::Observer,
            ],
            paths::ADMIN_USERS,
        ),
        Scope::Firm(_) => (&[Role::Reporter, Role::Approver], paths::FIRM_USERS),
    };
    let users = users
        .into_iter()
        .filter(|(u, _)| match scope {
            Scope::All => true,
            Scope::Firm(id) => u.firm_id == Some(id),
        })
        .map(|(u, firm)| UserLine {
            export_right: (matches!(scope, Scope::All) && !u.role.is_firm())
                .then_some(u.export_right),
            export_action: paths::user_export_right(u.id),
            id: u.id,
            role_key: role_key(&u),
            invited: u.password_hash.is_none(),
            is_self: u.id == who.user.id,
            email: u.email,
            name: u.display_name,
            firm: firm.unwrap_or_default(),
            active: u.active,
        })
        .collect();
    let firms = match scope {
        Scope::All => firms,
        Scope::Firm(_) => vec![],
    };
    render(
        status,
        &UsersPage {
            users,
            firms,
            fields,
            errors,
            role_error,
            firm_error,
            role: form.role.clone(),
            firm_id: form.firm_id.clone(),
            roles: offered
                .iter()
                .map(|r| (r.as_str(), r.label_key()))
                .collect(),
            action,
            rights: matches!(scope, Scope::All).then(|| ExportRight::ALL.to_vec()),
            c,
        },
    )
}

async fn invite(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    scope: Scope,
    form: InviteForm,
) -> AppResult<HttpResponse> {
    if let Err(errors) = form.validate() {
        let mut invalid = form_rules::invalid(&errors, FIELDS);
        if invalid.for_field("firm_id").is_none()
            && invitations::firm_missing(&who.user, &form.role, &form.firm_id)
        {
            invalid.push("firm_id", msg!("err.firm.required"));
        }
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return show(req, state, who, scope, &form, &invalid, status).await;
    }
    let now = state.clock.now();
    let (actor, inviter) = (who.actor(), who.user.clone());
    let base = state.mail_links();
    let (email, name, role, firm) = (
        form.email.clone(),
        form.display_name.clone(),
        form.role.clone(),
        form.firm_id.clone(),
    );
    let invited = crate::db::run(&state.pool, move |conn| {
        let input = invitations::InviteInput {
            email: &email,
            display_name: &name,
            role: &role,
            firm_id: &firm,
        };
        invitations::invite(conn, &actor, &inviter, &input, &base, now)
    })
    .await?;
    match invited {
        Ok(_) => Ok(redirect(match scope {
            Scope::All => paths::ADMIN_USERS,
            Scope::Firm(_) => paths::FIRM_USERS,
        })),
        Err(invalid) => {
            show(
                req,
                state,
                who,
                scope,
                &form,
                &invalid,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

pub async fn admin_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
) -> AppResult<HttpResponse> {
    show(
        &req,
        &state,
        &who.0,
        Scope::All,
        &InviteForm::default(),
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn admin_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Admin,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    invite(&req, &state, &who.0, Scope::All, form).await
}

pub async fn firm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmApprover,
) -> AppResult<HttpResponse> {
    let scope = Scope::Firm(who.firm_id);
    show(
        &req,
        &state,
        &who.who,
        scope,
        &InviteForm::default(),
        &Invalid::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn firm_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: FirmApprover,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    invite(&req, &state, &who.who, Scope::Firm(who.firm_id), form).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActiveForm {
    csrf: String,
    active: String,
}

impl HasCsrf for ActiveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// Disables or re-enables a user the caller manages.
pub async fn set_active(
    state: web::Data<AppState>,
    who: SignedIn,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let role = who.role();
    let scope = match (role, who.user.firm_id) {
        (Role::Admin, _) => Scope::All,
        (Role::Approver, Some(firm)) => Scope::Firm(firm),
        _ => return Err(AppError::Forbidden),
    };
    if who.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let now = state.clock.now();
    let active = form.active == "true";
    if !active {
        // Disabling a colleague changes who may act for the firm: it needs
        // the same recent password re-check as a credential change.
        let back = match scope {
            Scope::All => paths::ADMIN_USERS,
            Scope::Firm(_) => paths::FIRM_USERS,
        };
        require_recent(&who, now, back)?;
    }
    let actor = who.actor();
    let me = who.user.id;
    crate::db::run(&state.pool, move |conn| {
        let target = accounts::require_found(accounts::get_user(conn, id)?)?;
        let managed = match scope {
            Scope::All => true,
            Scope::Firm(firm) => target.firm_id == Some(firm),
        };
        if !managed {
            return Err(AppError::NotFound);
        }
        if target.id == me {
            return Err(AppError::Conflict(msg!("err.user.self")));
        }
        invitations::set_active(conn, &actor, &target, active, now)
    })
    .await?;
    Ok(redirect(match scope {
        Scope::All => paths::ADMIN_USERS,
        Scope::Firm(_) => paths::FIRM_USERS,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportRightForm {
    csrf: String,
    right: String,
}

impl HasCsrf for ExportRightForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// An admin grants or revokes a staff user's right to export (audited).
/// Granting widens what the user may take out of the portal, so it needs
/// a recent sign-in, as disabling a user does; revoking does not.
pub async fn set_export_right(
    state: web::Data<AppState>,
    who: Admin,
    id: web::Path<String>,
    CsrfForm(form): CsrfForm<ExportRightForm>,
) -> AppResult<HttpResponse> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let right = ExportRight::parse(form.right.trim())
        .map_err(|_| AppError::BadRequest(msg!("error.bad_form")))?;
    let now = state.clock.now();
    if right != ExportRight::None {
        require_recent(&who.0, now, paths::ADMIN_USERS)?;
    }
    let actor = who.0.actor();
    crate::db::run(&state.pool, move |conn| {
        export_rights::set(conn, &actor, id, right, now)
    })
    .await?
    .map_err(AppError::Conflict)?;
    Ok(redirect(paths::ADMIN_USERS))
}
