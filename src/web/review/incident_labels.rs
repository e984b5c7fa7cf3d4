//! The words the staff's incident pages use: the firm's words for an
//! incident's kinds, vectors, stages and states (one set of keys for both
//! sides), and the staff's own for a version's source and the register's
//! state filter.

use crate::domain::incident::IncidentSource;
use crate::i18n::Key;
use crate::services::incident_review::StateFilter;

pub use crate::web::incidents::labels::{kind, stage, status, triage, vector};

pub fn source(source: IncidentSource) -> Key {
    match source {
        IncidentSource::Portal => msg!("incident_review.source.portal"),
        IncidentSource::Api => msg!("incident_review.source.api"),
    }
}

pub fn state_filter(state: StateFilter) -> Key {
    match state {
        StateFilter::All => msg!("incident_review.state.all"),
        StateFilter::Open => msg!("incident_review.state.open"),
        StateFilter::Overdue => msg!("incident_review.state.overdue"),
        StateFilter::Closed => msg!("incident_review.state.closed"),
    }
}
