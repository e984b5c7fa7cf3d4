//! The addresses an email links to. Services know nothing of URLs: the web
//! layer, which owns the routes, hands them a `MailLinks` built from the
//! portal's public address and its route table (`web::mail_links`).

/// The routes emails point at, as the web layer spells them.
#[derive(Clone, Copy, Debug)]
pub struct Routes {
    /// The page that accepts an invitation token.
    pub invitation: fn(&str) -> String,
    /// The page that accepts a password-reset token.
    pub password_reset: fn(&str) -> String,
    /// A firm's return for a period (`YYYY-MM`).
    pub return_page: fn(&str) -> String,
    /// The analysts' review queue.
    pub review: fn() -> String,
    /// The approver's page of a firm's return for a period (`YYYY-MM`).
    pub approve_page: fn(&str) -> String,
    /// The thread of a firm's incident (id), on the firm's incident page.
    pub incident_thread: fn(i64) -> String,
    /// The thread of an incident (id), on the staff's incident page.
    pub review_incident_thread: fn(i64) -> String,
    /// A firm's incident (by id).
    pub incident: fn(i64) -> String,
    /// The regulator's page of an incident (by id).
    pub review_incident: fn(i64) -> String,
    /// The regulator's page of a version (by id).
    pub review_version: fn(i64) -> String,
}

/// Absolute links for emails: the public address before each route.
#[derive(Clone, Debug)]
pub struct MailLinks {
    base: String,
    routes: Routes,
}

impl MailLinks {
    pub fn new(base: &str, routes: Routes) -> Self {
        MailLinks {
            base: base.trim_end_matches('/').to_owned(),
            routes,
        }
    }

    pub fn invitation(&self, token: &str) -> String {
        format!("{}{}", self.base, (self.routes.invitation)(token))
    }

    pub fn password_reset(&self, token: &str) -> String {
        format!("{}{}", self.base, (self.routes.password_reset)(token))
    }

    pub fn return_page(&self, period: &str) -> String {
        format!("{}{}", self.base, (self.routes.return_page)(period))
    }

    pub fn approve_page(&self, period: &str) -> String {
        format!("{}{}", self.base, (self.routes.approve_page)(period))
    }

    pub fn review_version(&self, version_id: i64) -> String {
        format!("{}{}", self.base, (self.routes.review_version)(version_id))
    }

    pub fn incident_thread(&self, incident_id: i64) -> String {
        format!(
            "{}{}",
            self.base,
            (self.routes.incident_thread)(incident_id)
        )
    }

    pub fn review_incident_thread(&self, incident_id: i64) -> String {
        format!(
            "{}{}",
            self.base,
            (self.routes.review_incident_thread)(incident_id)
        )
    }

    pub fn review(&self) -> String {
        format!("{}{}", self.base, (self.routes.review)())
    }

    pub fn incident(&self, id: i64) -> String {
        format!("{}{}", self.base, (self.routes.incident)(id))
    }

    pub fn review_incident(&self, id: i64) -> String {
        format!("{}{}", self.base, (self.routes.review_incident)(id))
    }
}
