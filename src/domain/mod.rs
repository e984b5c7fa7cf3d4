//! Pure domain model of the incident-reporting portal: value types, validation
//! (with stable message keys), figures rules, receipts, calendar and roles. No I/O.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod amendment;
pub mod api_client;
pub mod audit_action;
pub mod compensation;
pub mod details;
pub mod disclosure;
pub mod due_date;
pub mod email;
pub mod extension;
pub mod figures;
pub mod idempotency_key;
pub mod incident;
pub mod incident_deadline;
pub mod interval_audit;
pub mod jwk;
pub mod lei;
pub mod limits;
pub mod observer_scope;
pub mod period;
pub mod receipt;
pub mod registration;
pub mod retention;
pub mod return_sections;
pub mod review_comment;
pub mod role;
pub mod rules;
pub mod stage;
pub mod states;
pub mod suppression_plan;
pub mod text_enum;
pub mod time;
pub mod trades;
pub mod vintages;
pub mod yen;

pub(crate) mod text;

pub use due_date::Timeliness;
pub use email::{EmailAddress, EmailError};
pub use figures::{Field, FieldError, FieldErrors, FiguresInput, ReturnFigures};
pub use lei::{Lei, LeiError};
pub use period::{Period, PeriodError};
pub use receipt::{ReceiptError, ReceiptNumber};
pub use registration::{RegistrationError, RegistrationNo};
pub use role::Role;
pub use states::{PublicationStatus, ReturnState, ReviewOutcome, VersionStatus};
pub use yen::{AmountError, Count, Yen};
