//! Observers from partner authorities: scoped to firms and months (or the
//! published aggregates only) until a Tokyo day; 404 outside the scope; no
//! contact details, trade detail or exports; every view audited and listed
//! to admins; scopes set by admins, audited and refused when stale; the
//! role added to the users table without losing anything.

mod access;
mod admin;
mod migration;
pub mod support;
