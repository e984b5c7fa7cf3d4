//! Regulator admin: firms, users and the audit log.

pub mod audit;
pub mod firms;
pub mod policy;
