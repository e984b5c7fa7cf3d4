//! The words the staff's incident pages use for an incident's stored
//! states.

use crate::domain::incident::{
    AttackVector, IncidentKind, IncidentSource, IncidentStage, IncidentStatus, Triage,
};
use crate::i18n::Key;
use crate::services::incident_review::StateFilter;

pub fn kind(kind: IncidentKind) -> Key {
    match kind {
        IncidentKind::UnauthorizedAccess => msg!("incident_review.kind.unauthorized_access"),
        IncidentKind::FraudulentTrading => msg!("incident_review.kind.fraudulent_trading"),
        IncidentKind::SystemBreach => msg!("incident_review.kind.system_breach"),
        IncidentKind::Other => msg!("incident_review.kind.other"),
    }
}

pub fn vector(vector: AttackVector) -> Key {
    match vector {
        AttackVector::Phishing => msg!("incident_review.vector.phishing"),
        AttackVector::CredentialStuffing => msg!("incident_review.vector.credential_stuffing"),
        AttackVector::Malware => msg!("incident_review.vector.malware"),
        AttackVector::SimSwap => msg!("incident_review.vector.sim_swap"),
        AttackVector::Insider => msg!("incident_review.vector.insider"),
        AttackVector::Vulnerability => msg!("incident_review.vector.vulnerability"),
        AttackVector::Other => msg!("incident_review.vector.other"),
        AttackVector::Unknown => msg!("incident_review.vector.unknown"),
    }
}

pub fn stage(stage: IncidentStage) -> Key {
    match stage {
        IncidentStage::Initial => msg!("incident_review.stage.initial"),
        IncidentStage::Intermediate => msg!("incident_review.stage.intermediate"),
        IncidentStage::Final => msg!("incident_review.stage.final"),
    }
}

pub fn status(status: IncidentStatus) -> Key {
    match status {
        IncidentStatus::Draft => msg!("incident_review.status.draft"),
        IncidentStatus::Open => msg!("incident_review.status.open"),
        IncidentStatus::Final => msg!("incident_review.status.final"),
        IncidentStatus::NotReportable => msg!("incident_review.status.not_reportable"),
    }
}

pub fn triage(triage: Triage) -> Key {
    match triage {
        Triage::Received => msg!("incident_review.triage.received"),
        Triage::Assessing => msg!("incident_review.triage.assessing"),
        Triage::MoreInformation => msg!("incident_review.triage.more_information"),
        Triage::Accepted => msg!("incident_review.triage.accepted"),
        Triage::Closed => msg!("incident_review.triage.closed"),
    }
}

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
