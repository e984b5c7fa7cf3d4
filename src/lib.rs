//! Incident reporting portal: securities firms file monthly returns on
//! unauthorized account access and fraudulent trading; the regulator
//! reviews them and watches the aggregates.

pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod secrets;
pub mod server;
pub mod services;
pub mod web;
