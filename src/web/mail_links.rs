//! The links emails carry, from the route table: what the services are
//! given so they never spell a URL themselves.

use super::{AppState, paths};
use crate::services::mail_links::{MailLinks, Routes};

const ROUTES: Routes = Routes {
    invitation: paths::invitation,
    password_reset: paths::password_reset,
    return_page: |period| paths::RETURN.replace("{period}", period),
    review: || paths::REVIEW.to_owned(),
    approve_page: |period| paths::RETURN_APPROVE.replace("{period}", period),
    incident_thread: paths::incident_thread,
    review_incident_thread: paths::review_incident_thread,
    incident: paths::incident,
    review_incident: paths::review_incident,
    review_version: paths::review_comments_anchor,
};

/// Links under the portal's public address `base`.
pub fn for_portal(base: &str) -> MailLinks {
    MailLinks::new(base, ROUTES)
}

impl AppState {
    /// Links under this portal's configured public address.
    pub fn mail_links(&self) -> MailLinks {
        for_portal(&self.config.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_the_routes_under_the_public_address() {
        let links = for_portal("https://portal.example/");
        assert_eq!(links.invitation("t0k"), "https://portal.example/invite/t0k");
        assert_eq!(
            links.password_reset("t0k"),
            "https://portal.example/password/reset/t0k"
        );
        assert_eq!(
            links.return_page("2025-04"),
            "https://portal.example/returns/2025-04"
        );
        assert_eq!(links.review(), "https://portal.example/review");
        assert_eq!(
            links.approve_page("2025-04"),
            "https://portal.example/returns/2025-04/approve"
        );
        assert_eq!(
            links.incident_thread(7),
            "https://portal.example/incidents/7#thread"
        );
        assert_eq!(
            links.review_incident_thread(7),
            "https://portal.example/review/incidents/7#thread"
        );
        assert_eq!(links.incident(12), "https://portal.example/incidents/12");
        assert_eq!(
            links.review_version(5),
            "https://portal.example/review/versions/5#comments"
        );
        assert_eq!(
            links.review_incident(12),
            "https://portal.example/review/incidents/12"
        );
    }
}
