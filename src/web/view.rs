//! What every page shares (language, who is signed in, the CSRF token) and
//! the formatting of numbers, money and times for display.

use crate::i18n::Key;
use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};

use super::extract::SignedIn;
use crate::domain::yen::group_digits;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};

/// The signed-in user as the page header shows them.
pub struct Who {
    pub name: String,
    pub email: String,
    pub role_key: Key,
    pub firm: bool,
    pub approver: bool,
    pub staff: bool,
    pub admin: bool,
    pub observer: bool,
}

/// The frame of every page.
pub struct Chrome {
    pub t: Tr,
    pub who: Option<Who>,
    pub csrf: String,
    /// Where the language switch comes back to: this page.
    pub here: String,
}

/// The page's own path and query, the language switch's way back.
fn here(req: &HttpRequest) -> String {
    req.uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

/// The language a signed-in user picked (kept in their profile).
fn profile_lang(who: &SignedIn) -> Lang {
    Lang::parse(&who.user.locale).unwrap_or(Lang::En)
}

impl Chrome {
    pub fn anonymous(req: &HttpRequest, csrf: String) -> Self {
        Chrome {
            t: Tr::new(Lang::from_request(req)),
            who: None,
            csrf,
            here: here(req),
        }
    }

    /// A public page (no sign-in needed): the signed-in frame for a
    /// signed-in visitor, the anonymous one otherwise.
    pub async fn public(req: &HttpRequest) -> Self {
        match SignedIn::extract_quietly(req).await {
            Some(who) => Chrome::signed_in(req, &who),
            None => Chrome::anonymous(req, String::new()),
        }
    }

    /// A sign-in still in progress: no navigation, but the session's CSRF
    /// token (and a way to sign out).
    pub fn pending(req: &HttpRequest, who: &SignedIn) -> Self {
        Chrome {
            t: Tr::new(profile_lang(who)),
            who: None,
            csrf: who.session.csrf_token.clone(),
            here: here(req),
        }
    }

    pub fn signed_in(req: &HttpRequest, who: &SignedIn) -> Self {
        let role = who.role();
        Chrome {
            t: Tr::new(profile_lang(who)),
            who: Some(Who {
                name: who.user.display_name.clone(),
                email: who.user.email.clone(),
                role_key: role.label_key(),
                firm: role.is_firm(),
                approver: role.can_submit(),
                staff: role.is_staff(),
                admin: role.is_admin(),
                observer: role.is_observer(),
            }),
            csrf: who.session.csrf_token.clone(),
            here: here(req),
        }
    }

    /// A stored text, or the sentence saying the retention rule removed it.
    pub fn kept(&self, stored: &str) -> String {
        crate::web::retained::shown(&self.t, stored)
    }

    /// A count with digit grouping: 1,234.
    pub fn count(&self, value: &i64) -> String {
        group_digits(*value)
    }

    /// Yen with grouping: ¥1,234,567.
    pub fn yen(&self, value: &i64) -> String {
        format!("¥{}", group_digits(*value))
    }

    /// A stored UTC time shown in Asia/Tokyo.
    pub fn when(&self, value: &NaiveDateTime) -> String {
        self.t.when(*value)
    }

    pub fn date(&self, value: &NaiveDate) -> String {
        self.t.date(*value)
    }
}

/// A template's text; a template that fails to render is the portal's
/// fault (500).
pub fn html(template: &impl Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(format!("template: {e}")))
}

/// An HTML response with the given status.
pub fn page(status: StatusCode, body: impl MessageBody + 'static) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Renders a template as an HTML response with the given status.
pub fn render(status: StatusCode, template: &impl Template) -> AppResult<HttpResponse> {
    Ok(page(status, html(template)?))
}

pub fn ok(template: &impl Template) -> AppResult<HttpResponse> {
    render(StatusCode::OK, template)
}

/// `ok` for a page known to be large: its text is written into one buffer
/// of `capacity` bytes instead of one that grows by doubling.
pub fn ok_sized(template: &impl Template, capacity: usize) -> AppResult<HttpResponse> {
    Ok(page(StatusCode::OK, render_sized(template, capacity)?))
}

/// A template's text, written into one buffer of `capacity` bytes.
pub fn render_sized(template: &impl Template, capacity: usize) -> AppResult<String> {
    let mut body = String::with_capacity(capacity);
    template
        .render_into(&mut body)
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(body)
}

/// One input of a form as the template draws it: label, what was typed,
/// and the message beside it.
pub struct FieldView {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
    pub hint: Option<String>,
    pub kind: FieldKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Number,
    Text,
    Multiline,
    Email,
    Password,
}

impl FieldView {
    /// The field's `maxlength`: the same limit its check applies.
    pub fn max_chars(&self) -> Option<usize> {
        match self.kind {
            FieldKind::Number => None,
            _ => crate::domain::limits::for_field(self.name),
        }
    }

    pub fn is(&self, kind: &str) -> bool {
        matches!(
            (kind, self.kind),
            ("number", FieldKind::Number)
                | ("text", FieldKind::Text)
                | ("multiline", FieldKind::Multiline)
                | ("email", FieldKind::Email)
                | ("password", FieldKind::Password)
        )
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            FieldKind::Email => "email",
            FieldKind::Password => "password",
            _ => "text",
        }
    }

    pub fn input_mode(&self) -> &'static str {
        match self.kind {
            FieldKind::Number => "numeric",
            FieldKind::Email => "email",
            _ => "text",
        }
    }
}

/// Builds field views from (name, label key, kind, typed value) and the
/// form's errors.
pub fn fields(
    t: &Tr,
    specs: &[(&'static str, Key, FieldKind, &str)],
    errors: &crate::services::Invalid,
) -> Vec<FieldView> {
    specs
        .iter()
        .map(|(name, label_key, kind, value)| FieldView {
            name,
            label: t.t(*label_key).to_owned(),
            value: if *kind == FieldKind::Password {
                String::new()
            } else {
                (*value).to_owned()
            },
            error: errors.for_field(name).map(|key| t.t(key).to_owned()),
            hint: None,
            kind: *kind,
        })
        .collect()
}

/// The error summary at the top of a form: (field id, label, message).
pub fn summary(fields: &[FieldView]) -> Vec<(String, String, String)> {
    fields
        .iter()
        .filter_map(|f| {
            f.error
                .as_ref()
                .map(|e| (f.name.to_owned(), f.label.clone(), e.clone()))
        })
        .collect()
}
