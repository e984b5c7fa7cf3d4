//! Outgoing email through a transactional outbox.
//!
//! A use case that causes an email (an invitation, a password reset, a
//! security notice) builds it with [`messages`] and writes it with
//! [`outbox::enqueue`] on the same connection, inside the same transaction as
//! the change itself: if the change rolls back, no email exists; if it
//! commits, the email will be delivered even if the process dies right after.
//!
//! The [`worker`] claims due rows in a short write transaction (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several instances never take
//! the same row), sends them outside any transaction through the
//! [`transport`] (SMTP, `.eml` files, or memory in tests) and records the
//! outcome: sent, or failed with a backoff before the next attempt.
//!
//! Delivery is at least once: a crash between the SMTP server accepting a
//! message and the row being marked sent sends it again after the claim
//! expires. Each message carries a Message-ID derived from its outbox row, so
//! a repeat is recognisable as the same message.

pub mod incident_messages;
pub mod messages;
pub mod outbox;
pub mod review_messages;
pub mod thread_messages;
pub mod transport;
pub mod worker;
pub mod workflow_messages;
