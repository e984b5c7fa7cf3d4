//! The states a return, a version and a publication move through, and the
//! outcomes of a review, as stored (text, with a CHECK on both backends).

use super::text_enum::text_enum;

text_enum! {
    /// Where a firm's return for a period stands (`returns.state`).
    pub enum ReturnState {
        /// Saved but never submitted.
        Draft = "draft",
        /// Its latest version awaits review.
        Submitted = "submitted",
        /// Its latest version was accepted.
        Accepted = "accepted",
        /// Its latest version was returned for amendment.
        Returned = "returned",
    }
}

text_enum! {
    /// Where one submitted version stands (`return_versions.status`).
    pub enum VersionStatus {
        /// Awaits review.
        Submitted = "submitted",
        /// Accepted by regulator staff (or imported as accepted).
        Accepted = "accepted",
        /// Returned to the firm for amendment.
        Returned = "returned",
    }
}

text_enum! {
    /// What a reviewer decided about a submitted version.
    pub enum ReviewOutcome {
        /// The version stands.
        Accepted = "accepted",
        /// The firm must amend it.
        Returned = "returned",
    }
}

impl ReviewOutcome {
    /// The version's status after this outcome.
    pub fn status(self) -> VersionStatus {
        match self {
            ReviewOutcome::Accepted => VersionStatus::Accepted,
            ReviewOutcome::Returned => VersionStatus::Returned,
        }
    }

    /// The return's state after this outcome.
    pub fn return_state(self) -> ReturnState {
        match self {
            ReviewOutcome::Accepted => ReturnState::Accepted,
            ReviewOutcome::Returned => ReturnState::Returned,
        }
    }
}

impl VersionStatus {
    /// The return's state when this is its latest version.
    pub fn return_state(self) -> ReturnState {
        match self {
            VersionStatus::Submitted => ReturnState::Submitted,
            VersionStatus::Accepted => ReturnState::Accepted,
            VersionStatus::Returned => ReturnState::Returned,
        }
    }
}

text_enum! {
    /// A statistics publication's life (`publications.status`).
    pub enum PublicationStatus {
        /// Being prepared; cells may still be released by hand.
        Draft = "draft",
        /// Frozen and confirmed, public from its `released_at` (an
        /// embargo): the scheduler releases it at that moment.
        Scheduled = "scheduled",
        /// Published; frozen.
        Released = "released",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_strangers_are_refused() {
        for &s in ReturnState::ALL {
            assert_eq!(ReturnState::parse(s.as_str()), Ok(s));
        }
        for &s in VersionStatus::ALL {
            assert_eq!(VersionStatus::parse(s.as_str()), Ok(s));
            assert_eq!(s.return_state().as_str(), s.as_str());
        }
        for &o in ReviewOutcome::ALL {
            assert_eq!(ReviewOutcome::parse(o.as_str()), Ok(o));
            assert_eq!(o.status().as_str(), o.as_str());
            assert_eq!(o.return_state().as_str(), o.as_str());
        }
        for &p in PublicationStatus::ALL {
            assert_eq!(PublicationStatus::parse(p.as_str()), Ok(p));
        }
        assert!(VersionStatus::parse("draft").is_err());
        assert!(ReviewOutcome::parse("submitted").is_err());
        assert!(ReturnState::parse("Accepted").is_err());
        assert!(PublicationStatus::parse("").is_err());
    }
}
