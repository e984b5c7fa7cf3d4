//! A comment of the regulator's review: which part of the return it is
//! about (a section of the task list, or the return as a whole) and the
//! rule its text meets (that of a thread message).

use super::return_sections::ReturnSection;
use super::text_enum::text_enum;
use crate::i18n::Key;

text_enum! {
    /// What a review comment is about (`review_comments.section`).
    pub enum CommentSection {
        /// The return as a whole.
        General = "general",
        Figures = "figures",
        Markets = "markets",
        Vectors = "vectors",
        Losses = "losses",
        Remediation = "remediation",
        Narrative = "narrative",
        Trades = "trades",
    }
}

impl CommentSection {
    /// The section of the task list, `None` for the return as a whole.
    pub fn return_section(self) -> Option<ReturnSection> {
        ReturnSection::parse(self.as_str())
    }

    /// The comment section of a task-list section.
    pub fn of(section: ReturnSection) -> CommentSection {
        CommentSection::parse(section.slug()).unwrap_or(CommentSection::General)
    }

    /// Its title, as the task list names the section.
    pub fn title_key(self) -> Key {
        match self.return_section() {
            Some(section) => section.title_key(),
            None => msg!("review_thread.section.general"),
        }
    }
}

/// A comment or an answer as typed: required, trimmed, at most
/// `limits::INCIDENT_TEXT` characters, no control characters but line
/// breaks and tabs (the rule of a thread's message).
pub fn check_text(input: &str) -> Result<String, Key> {
    super::incident::check_message(input)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_return_section_has_its_comment_section_and_back() {
        for &s in ReturnSection::ALL.iter() {
            assert_eq!(CommentSection::of(s).return_section(), Some(s));
        }
        assert_eq!(CommentSection::General.return_section(), None);
        assert_eq!(CommentSection::ALL.len(), ReturnSection::ALL.len() + 1);
    }

    #[test]
    fn text_is_checked_as_a_thread_message() {
        assert_eq!(check_text("  ok \r\n"), Ok("ok".to_owned()));
        assert!(check_text(" ").is_err());
        assert!(check_text("a\u{0}b").is_err());
        assert!(check_text(&"x".repeat(4001)).is_err());
    }
}
