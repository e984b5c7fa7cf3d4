//! Retention of personal data and narratives on both backends: the daily
//! purge replaces exactly the contact fields and narratives of months past
//! the setting (`services::retention::targets` lists them) and keeps
//! figures, versions, receipts, the period summary, publications and the
//! audit chain; a legal hold suspends it; a second run changes nothing and
//! audits nothing; the day is claimed once across instances; the admin's
//! setting refuses nonsense beside the field; pages show a purged field as
//! a sentence in both languages and exports write the marker.

mod holds;
mod purge;
mod setting;
pub mod support;
