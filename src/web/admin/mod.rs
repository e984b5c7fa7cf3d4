//! Regulator admin: firms, users, the reporting calendar and the audit log.

pub mod audit;
pub mod calendar;
pub mod firms;
pub mod policy;
