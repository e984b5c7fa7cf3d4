//! The outbox table: writing a message inside the caller's transaction, and
//! counts for tests and administration.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::email_outbox;
use crate::domain::email::EmailAddress;

/// Longest subject kept; longer ones are cut (on a character boundary).
const MAX_SUBJECT_CHARS: usize = 200;

/// One message ready to be written to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    pub subject: String,
    /// The text/plain part.
    pub text: String,
    /// The text/html part (already escaped by its template).
    pub html: String,
}

/// Writes `email` to the outbox, due at once. Call it inside the transaction
/// of the change that causes the email (`db::write_tx`), on the same
/// connection: a rollback then discards the message with the change.
/// Returns the outbox id.
pub fn enqueue(conn: &mut DbConn, email: &Email, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(email_outbox::table)
        .values((
            email_outbox::created_at.eq(now),
            email_outbox::to_addr.eq(email.to.as_str()),
            email_outbox::subject.eq(clean_subject(&email.subject)),
            email_outbox::body_text.eq(&email.text),
            email_outbox::body_html.eq(&email.html),
            email_outbox::attempts.eq(0),
            email_outbox::next_attempt_at.eq(now),
        ))
        .returning(email_outbox::id)
        .get_result(conn)
}

/// A subject safe for a mail header: every control character (CR and LF
/// above all: header injection) becomes a space, runs of white space
/// collapse to one, the ends are trimmed and the length is bounded.
pub fn clean_subject(subject: &str) -> String {
    let spaced: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_SUBJECT_CHARS)
        .collect()
}

/// Messages not yet sent (due or waiting for a retry).
pub fn pending_count(conn: &mut DbConn) -> QueryResult<i64> {
    email_outbox::table
        .filter(email_outbox::sent_at.is_null())
        .count()
        .get_result(conn)
}

/// Messages sent.
pub fn sent_count(conn: &mut DbConn) -> QueryResult<i64> {
    email_outbox::table
        .filter(email_outbox::sent_at.is_not_null())
        .count()
        .get_result(conn)
}

/// Messages whose last attempt failed and that wait for a retry.
pub fn failing_count(conn: &mut DbConn) -> QueryResult<i64> {
    email_outbox::table
        .filter(email_outbox::sent_at.is_null())
        .filter(email_outbox::attempts.gt(0))
        .count()
        .get_result(conn)
}

/// The delivery state of one message, for tests and an admin view.
#[derive(Clone, Debug, PartialEq, Eq, Queryable)]
pub struct OutboxStatus {
    pub id: i64,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// The delivery state of message `id`.
pub fn status(conn: &mut DbConn, id: i64) -> QueryResult<OutboxStatus> {
    email_outbox::table
        .find(id)
        .select((
            email_outbox::id,
            email_outbox::attempts,
            email_outbox::next_attempt_at,
            email_outbox::claimed_until,
            email_outbox::sent_at,
            email_outbox::last_error,
        ))
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::clean_subject;

    #[test]
    fn subjects_cannot_inject_headers() {
        assert_eq!(
            clean_subject("Hello\r\nBcc: evil@example.com"),
            "Hello Bcc: evil@example.com"
        );
        assert_eq!(clean_subject("  a\n\tb\u{0}c \u{85} "), "a b c");
        assert_eq!(clean_subject("パスワード変更"), "パスワード変更");
        assert_eq!(clean_subject(&"あ".repeat(500)).chars().count(), 200);
    }
}
