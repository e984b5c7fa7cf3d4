//! Regulator admin: firms, users, the reporting calendar, publications and
//! the audit log.

pub mod audit;
pub mod audit_view;
pub mod calendar;
pub mod firm_start;
pub mod firms;
pub mod incident_deadlines;
pub mod legal_hold;
pub mod observers;
pub mod policy;
pub mod publication;
pub mod publication_release;
pub mod publications;
pub mod retention;
