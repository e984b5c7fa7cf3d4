//! How long each typed text may be, in characters: one constant per limit,
//! used by the check that refuses a longer value and by the form field's
//! `maxlength`, so the browser stops typing where the server would refuse.

/// A return's remediation narrative.
pub const REMEDIATION: usize = 4000;
/// A return's explanation of warnings it is submitted with.
pub const WARNINGS_EXPLANATION: usize = 2000;
/// A return's "detected otherwise" description.
pub const DETECTED_OTHER: usize = 500;
/// A return's contact name.
pub const CONTACT_NAME: usize = 100;
/// A return's contact telephone number.
pub const CONTACT_PHONE: usize = 30;
/// An email address (RFC 5321 path limit; ASCII, so bytes are characters).
pub const EMAIL: usize = 254;
/// A person's display name.
pub const DISPLAY_NAME: usize = 100;
/// A firm's name.
pub const FIRM_NAME: usize = 200;
/// A firm's registration number as typed.
pub const REGISTRATION_NO: usize = 64;
/// A password or passphrase.
pub const PASSWORD: usize = 128;
/// A publication's title.
pub const PUBLICATION_TITLE: usize = 200;
/// A publication's footnotes (all lines together), in either language.
pub const PUBLICATION_FOOTNOTES: usize = 2000;
/// An admin's justification for releasing a suppressed cell.
pub const JUSTIFICATION: usize = 2000;
/// The reason a return is sent back to its firm.
pub const RETURN_REASON: usize = 2000;
/// A passkey's name.
pub const PASSKEY_NAME: usize = 60;
/// A one-time code as typed: six TOTP digits or a recovery code
/// (`XXXX-XXXX-XXXX`), with room for spaces a user pastes around it.
pub const ONE_TIME_CODE: usize = 32;
/// A date typed as `YYYY-MM-DD`.
pub const DATE: usize = 10;
/// The longest date and time a form takes (RFC 3339 with fractions).
pub const DATE_TIME: usize = 35;
/// A month typed as `YYYY-MM`.
pub const PERIOD: usize = 7;
/// An API client's name.
pub const API_CLIENT_NAME: usize = 100;
/// A public key pasted as a JWK (an EC P-256 key with the optional members
/// is about 250 characters; room for pretty-printing and a `kid`).
pub const PUBLIC_JWK: usize = 2000;

/// The limit of the form field called `name`, when it is a text field with
/// one.
pub fn for_field(name: &str) -> Option<usize> {
    Some(match name {
        "remediation" => REMEDIATION,
        "warnings_explanation" => WARNINGS_EXPLANATION,
        "detected_other_text" => DETECTED_OTHER,
        "contact_name" => CONTACT_NAME,
        "contact_phone" => CONTACT_PHONE,
        "email" | "contact_email" => EMAIL,
        "display_name" => DISPLAY_NAME,
        "name" => FIRM_NAME,
        "registration_no" => REGISTRATION_NO,
        "password" | "password_confirm" => PASSWORD,
        "title" | "title_ja" => PUBLICATION_TITLE,
        "footnotes" | "footnotes_ja" => PUBLICATION_FOOTNOTES,
        "justification" => JUSTIFICATION,
        "reason" => RETURN_REASON,
        "code" => ONE_TIME_CODE,
        "firms_until" | "new_due_date" => DATE,
        "first_period" => PERIOD,
        "client_name" => API_CLIENT_NAME,
        "public_jwk" => PUBLIC_JWK,
        "amendment_reason_text" => AMENDMENT_REASON,
        _ => return None,
    })
}

/// Each free-text field of an incident report, a reason or a message.
pub const INCIDENT_TEXT: usize = 4000;
/// A campaign's name.
pub const CAMPAIGN_NAME: usize = 200;

/// The words an amendment's reason is given in.
pub const AMENDMENT_REASON: usize = 2000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_field_has_its_limit() {
        assert_eq!(for_field("remediation"), Some(4000));
        assert_eq!(for_field("contact_email"), Some(EMAIL));
        assert_eq!(for_field("password_confirm"), Some(PASSWORD));
        assert_eq!(for_field("unauthorized_accesses"), None);
    }
}
