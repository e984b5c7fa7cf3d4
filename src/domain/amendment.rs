//! Why an amendment was made (each version from the second on says so),
//! and what a staff user may extract from the portal. Both are chosen
//! from short lists stored as text.

use super::limits;
use super::text::is_forbidden_control;
use super::text_enum::text_enum;
use crate::i18n::Key;

text_enum! {
    /// The kind of reason an amendment gives (`version_amendments.reason`).
    pub enum AmendmentReason {
        /// Cases the firm found after its last version.
        LateDiscovery = "late_discovery",
        /// An error in the last version put right.
        Correction = "correction",
        /// The regulator asked for it (a returned version, an enquiry).
        RegulatorRequest = "regulator_request",
    }
}

impl AmendmentReason {
    /// The reason's words on pages and in emails.
    pub fn label_key(self) -> Key {
        match self {
            AmendmentReason::LateDiscovery => msg!("amendment.reason.late_discovery"),
            AmendmentReason::Correction => msg!("amendment.reason.correction"),
            AmendmentReason::RegulatorRequest => msg!("amendment.reason.regulator_request"),
        }
    }
}

/// An amendment's reason as kept: a kind from the list and the approver's
/// words (trimmed, line breaks as `\n`, within `limits::AMENDMENT_REASON`,
/// no control characters but line breaks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amendment {
    pub reason: AmendmentReason,
    pub text: String,
}

/// The form fields an amendment's reason is typed in.
pub const REASON_FIELD: &str = "amendment_reason";
pub const TEXT_FIELD: &str = "amendment_reason_text";
/// Both, in the form's order.
pub const FIELDS: [&str; 2] = [REASON_FIELD, TEXT_FIELD];

impl Amendment {
    /// Parses what was typed; every problem at once, by field (the message
    /// beside the reason says it is needed: rule RET-E023).
    pub fn parse(reason: &str, text: &str) -> Result<Amendment, Vec<(&'static str, Key)>> {
        let mut problems = Vec::new();
        let reason = match reason.trim() {
            "" => {
                problems.push((REASON_FIELD, msg!("err.amendment.reason_required")));
                None
            }
            code => match AmendmentReason::parse(code) {
                Ok(reason) => Some(reason),
                Err(_) => {
                    problems.push((REASON_FIELD, msg!("err.choose")));
                    None
                }
            },
        };
        let text = text.trim().replace("\r\n", "\n");
        if text.is_empty() {
            problems.push((TEXT_FIELD, msg!("err.amendment.text_required")));
        } else if text.chars().count() > limits::AMENDMENT_REASON {
            problems.push((TEXT_FIELD, msg!("err.text.too_long")));
        } else if text.chars().any(|c| is_forbidden_control(c, true)) {
            problems.push((TEXT_FIELD, msg!("err.text.control")));
        }
        match reason {
            Some(reason) if problems.is_empty() => Ok(Amendment { reason, text }),
            _ => Err(problems),
        }
    }
}

text_enum! {
    /// What a staff user may export (`users.export_right`), granted by an
    /// admin. Admins may always export; contact details need
    /// `ExportContacts` whoever asks.
    pub enum ExportRight {
        None = "none",
        Export = "export",
        /// Exports, and may include the firms' contact details.
        ExportContacts = "export_contacts",
    }
}

impl ExportRight {
    pub fn label_key(self) -> Key {
        match self {
            ExportRight::None => msg!("extract.right.none"),
            ExportRight::Export => msg!("extract.right.export"),
            ExportRight::ExportContacts => msg!("extract.right.export_contacts"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_needs_a_kind_and_words() {
        let ok = Amendment::parse("correction", "  Sale amount\r\nfixed ").unwrap();
        assert_eq!(ok.reason, AmendmentReason::Correction);
        assert_eq!(ok.text, "Sale amount\nfixed");
        let fields = |r: Result<Amendment, Vec<(&'static str, Key)>>| {
            r.unwrap_err()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(Amendment::parse("", "")), [REASON_FIELD, TEXT_FIELD]);
        assert_eq!(fields(Amendment::parse("other", "x")), [REASON_FIELD]);
        assert_eq!(
            fields(Amendment::parse("correction", "a\u{0}b")),
            [TEXT_FIELD]
        );
        let long = "あ".repeat(limits::AMENDMENT_REASON + 1);
        assert_eq!(fields(Amendment::parse("correction", &long)), [TEXT_FIELD]);
    }

    #[test]
    fn codes_round_trip() {
        for r in AmendmentReason::ALL {
            assert_eq!(AmendmentReason::parse(r.as_str()), Ok(*r));
        }
        for r in ExportRight::ALL {
            assert_eq!(ExportRight::parse(r.as_str()), Ok(*r));
        }
    }
}
