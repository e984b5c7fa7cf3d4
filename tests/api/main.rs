//! The integration suite: the real portal over HTTP, on SQLite and (when
//! TEST_DATABASE_URL is set) PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/api_client.rs"]
mod api_support;
mod helpers;

mod api_clients;
mod api_token;
mod as_of;
mod audit;
mod auth;
mod authz;
mod backup;
mod binary;
mod calendar;
mod charts;
mod completeness;
mod csrf;
mod cutoff_and_links;
mod dashboard;
mod exports;
mod extensions;
mod filing_api;
mod first_month;
mod form_rules;
mod four_eyes;
mod freshness;
mod handover;
mod headers;
mod hostile;
mod idempotency;
mod import;
mod incidents;
mod invitations;
mod isolation;
mod language;
mod layers;
mod linked_releases;
mod load_shedding;
mod mail;
mod maxlength;
mod migrations;
mod open_data;
mod openapi;
mod outage;
mod passkeys;
mod publication_languages;
mod publication_release;
mod publications;
mod reminders;
mod returns;
mod review;
mod review_complete;
mod revisions;
mod rules;
mod scheduled_release;
mod second_factor;
mod seed_demo;
mod setup;
mod task_list;
mod throttle;
mod trades;
mod typed_state;
mod validation;
