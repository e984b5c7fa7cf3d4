//! Regulator staff reading every firm's returns.

pub mod list;
pub mod version;
