//! Regulator admin: firms and users.

pub mod firms;
pub mod users;
