//! The words for an incident's kinds, vectors, stages and states, in the
//! reader's language (message keys, one per variant).

use crate::domain::incident::{AttackVector, IncidentKind, IncidentStage, IncidentStatus, Triage};
use crate::i18n::Key;

pub fn kind(k: IncidentKind) -> Key {
    match k {
        IncidentKind::UnauthorizedAccess => msg!("incident.kind.unauthorized_access"),
        IncidentKind::FraudulentTrading => msg!("incident.kind.fraudulent_trading"),
        IncidentKind::SystemBreach => msg!("incident.kind.system_breach"),
        IncidentKind::Other => msg!("incident.kind.other"),
    }
}

pub fn vector(v: AttackVector) -> Key {
    match v {
        AttackVector::Phishing => msg!("incident.vector.phishing"),
        AttackVector::CredentialStuffing => msg!("incident.vector.credential_stuffing"),
        AttackVector::Malware => msg!("incident.vector.malware"),
        AttackVector::SimSwap => msg!("incident.vector.sim_swap"),
        AttackVector::Insider => msg!("incident.vector.insider"),
        AttackVector::Vulnerability => msg!("incident.vector.vulnerability"),
        AttackVector::Other => msg!("incident.vector.other"),
        AttackVector::Unknown => msg!("incident.vector.unknown"),
    }
}

pub fn stage(s: IncidentStage) -> Key {
    match s {
        IncidentStage::Initial => msg!("incident.stage.initial"),
        IncidentStage::Intermediate => msg!("incident.stage.intermediate"),
        IncidentStage::Final => msg!("incident.stage.final"),
    }
}

pub fn status(s: IncidentStatus) -> Key {
    match s {
        IncidentStatus::Draft => msg!("incident.status.draft"),
        IncidentStatus::Open => msg!("incident.status.open"),
        IncidentStatus::Final => msg!("incident.status.final"),
        IncidentStatus::NotReportable => msg!("incident.status.not_reportable"),
    }
}

pub fn triage(t: Triage) -> Key {
    match t {
        Triage::Received => msg!("incident.triage.received"),
        Triage::Assessing => msg!("incident.triage.assessing"),
        Triage::MoreInformation => msg!("incident.triage.more_information"),
        Triage::Accepted => msg!("incident.triage.accepted"),
        Triage::Closed => msg!("incident.triage.closed"),
    }
}

/// The label of a report field.
pub fn field(name: &str) -> Key {
    match name {
        "aware_at" => msg!("incident.field.aware_at"),
        "classified_at" => msg!("incident.field.classified_at"),
        "occurred_on" => msg!("incident.field.occurred_on"),
        "kind" => msg!("incident.field.kind"),
        "vector" => msg!("incident.field.vector"),
        "accounts" => msg!("incident.field.accounts"),
        "trades" => msg!("incident.field.trades"),
        "amount_jpy" => msg!("incident.field.amount_jpy"),
        "ongoing" => msg!("incident.field.ongoing"),
        "actions" => msg!("incident.field.actions"),
        "customers_told" => msg!("incident.field.customers_told"),
        "police_told" => msg!("incident.field.police_told"),
        "containment" => msg!("incident.field.containment"),
        "cause" => msg!("incident.field.cause"),
        "root_cause" => msg!("incident.field.root_cause"),
        "losses_jpy" => msg!("incident.field.losses_jpy"),
        "compensation_jpy" => msg!("incident.field.compensation_jpy"),
        "remediation" => msg!("incident.field.remediation"),
        "remediation_by" => msg!("incident.field.remediation_by"),
        _ => msg!("incident.field.reason"),
    }
}
