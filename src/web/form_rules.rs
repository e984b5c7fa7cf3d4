//! Field rules of the account and administration forms, for `validator`'s
//! `#[derive(Validate)]`: each custom rule calls the domain constructor or
//! service check that is the one home of that rule, and returns its message
//! key as the error code; `invalid` turns validator's errors into the
//! (field, message key) pairs the form shows beside each field.

use crate::i18n::Key;
use std::borrow::Cow;

use chrono::NaiveDateTime;
use validator::{ValidationError, ValidationErrors};

use crate::domain::email::EmailAddress;
use crate::domain::lei::Lei;
use crate::domain::limits;
use crate::domain::registration::RegistrationNo;
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::services::{
    Invalid, accounts, calendar, firm_start, passkeys, password, policy, publications, publish,
    review,
};

/// The key shown for an error code that is not a message key (a built-in
/// rule without `code = "err.…"`); every rule here names its key, so this
/// is a safety net, not a message users are meant to meet.
const FALLBACK_KEY: Key = msg!("err.form.invalid");

/// The key for the must-match rule of a password confirmation.
pub const MISMATCH: Key = msg!("err.password.mismatch");

/// Whose password is being chosen: the policy refuses one built from the
/// account's email address.
pub struct PasswordOwner {
    pub email: String,
}

/// validator's errors as (field, message key) pairs, in the form's field
/// order (`fields`), the first error of each field.
pub fn invalid(errors: &ValidationErrors, fields: &[&'static str]) -> Invalid {
    let by_field = errors.field_errors();
    let mut invalid = Invalid::default();
    for field in fields {
        if let Some(first) = by_field.get(*field).and_then(|errs| errs.first()) {
            invalid.push(field, message_key(first));
        }
    }
    invalid
}

/// The message key of one error: its code when the code is a key (custom
/// rules return their key; built-in rules may carry `code = "err.…"`).
pub fn message_key(error: &ValidationError) -> Key {
    match error.code {
        // Message keys are dotted; validator's own codes ("length") are not.
        Cow::Borrowed(code) if code.contains('.') => Key::find(code).unwrap_or(FALLBACK_KEY),
        Cow::Borrowed("required") => msg!("err.required"),
        Cow::Borrowed("email") => msg!("err.email.invalid"),
        Cow::Borrowed("must_match") => MISMATCH,
        Cow::Borrowed("length") => msg!("err.text.too_long"),
        _ => FALLBACK_KEY,
    }
}

fn refuse(key: Key) -> ValidationError {
    ValidationError::new(key.name())
}

/// An email address, as `EmailAddress::parse` accepts it.
pub fn email(value: &str) -> Result<(), ValidationError> {
    EmailAddress::parse(value)
        .map(drop)
        .map_err(|e| refuse(e.key()))
}

/// A person's display name, as the account service accepts it.
pub fn display_name(value: &str) -> Result<(), ValidationError> {
    accounts::clean_display_name(value)
        .map(drop)
        .map_err(refuse)
}

/// A firm's name, as the account service accepts it.
pub fn firm_name(value: &str) -> Result<(), ValidationError> {
    accounts::clean_firm_name(value).map(drop).map_err(refuse)
}

/// A firm's registration number, as `RegistrationNo::parse` accepts it.
pub fn registration_no(value: &str) -> Result<(), ValidationError> {
    RegistrationNo::parse(value)
        .map(drop)
        .map_err(|e| refuse(e.key()))
}

/// A firm's LEI when one is given (it is optional).
pub fn lei(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    Lei::parse(value).map(drop).map_err(|e| refuse(e.key()))
}

/// The due day of the month, as the calendar service accepts it.
pub fn due_day(value: &str) -> Result<(), ValidationError> {
    calendar::parse_due_day(value).map(drop).map_err(refuse)
}

/// The reminder lead in days, as the calendar service accepts it.
pub fn reminder_days(value: &str) -> Result<(), ValidationError> {
    calendar::parse_reminder_days(value)
        .map(drop)
        .map_err(refuse)
}

/// A publication's cut-off, as the publishing service reads it.
pub fn cutoff(value: &str) -> Result<(), ValidationError> {
    publish::parse_cutoff(value)
        .map(drop)
        .ok_or_else(|| refuse(msg!("publication.cutoff_invalid")))
}

/// A publication's English title, as the publication service accepts it.
pub fn publication_title(value: &str) -> Result<(), ValidationError> {
    publications::title_ok(value)
        .then_some(())
        .ok_or_else(|| refuse(msg!("publication.title_invalid")))
}

/// A publication's Japanese title: the same rule.
pub fn publication_title_ja(value: &str) -> Result<(), ValidationError> {
    publications::title_ok(value)
        .then_some(())
        .ok_or_else(|| refuse(msg!("publication.title_ja_invalid")))
}

/// A publication's English footnotes, as the publication service accepts
/// them.
pub fn publication_footnotes(value: &str) -> Result<(), ValidationError> {
    publications::footnotes_ok(value)
        .then_some(())
        .ok_or_else(|| refuse(msg!("publication.footnotes_invalid")))
}

/// A publication's Japanese footnotes: the same rule.
pub fn publication_footnotes_ja(value: &str) -> Result<(), ValidationError> {
    publications::footnotes_ok(value)
        .then_some(())
        .ok_or_else(|| refuse(msg!("publication.footnotes_ja_invalid")))
}

/// When a scheduled release becomes public, as the publishing service
/// reads a time (whether it is still to come is the service's check).
pub fn release_time(value: &str) -> Result<(), ValidationError> {
    at_most(value, limits::DATE_TIME)?;
    publish::parse_cutoff(value)
        .map(drop)
        .ok_or_else(|| refuse(msg!("publication.schedule_invalid")))
}

/// The p% of the dominance rule: a whole number (the service bounds it).
pub fn p_percent(value: &str) -> Result<(), ValidationError> {
    value
        .trim()
        .parse::<u32>()
        .map(drop)
        .map_err(|_| refuse(msg!("publication.p_invalid")))
}

/// A new password under the password policy, for its owner.
pub fn new_password(value: &str, owner: &PasswordOwner) -> Result<(), ValidationError> {
    password::check_policy(value, &owner.email).map_err(refuse)
}

/// A role as the invitation form offers it (whom the inviter may invite
/// is the invitation service's check).
pub fn role(value: &str) -> Result<(), ValidationError> {
    Role::from_input(value)
        .map(drop)
        .ok_or_else(|| refuse(msg!("err.role.invalid")))
}

/// A firm chosen from the list: none, or a firm's id (whether the role
/// needs one and the firm exists is the invitation service's check).
pub fn firm_choice(value: &str) -> Result<(), ValidationError> {
    let value = value.trim();
    if value.is_empty() || value.parse::<i64>().is_ok() {
        Ok(())
    } else {
        Err(refuse(msg!("err.firm.required")))
    }
}

/// The reason a return is sent back to its firm, as the review service
/// accepts it.
pub fn return_reason(value: &str) -> Result<(), ValidationError> {
    review::clean_reason(value).map(drop).map_err(refuse)
}

/// When the form was sent: rules that depend on today's date read it here.
pub struct Today(pub NaiveDateTime);

/// A firm's first reporting month, as the firm-start service accepts it.
pub fn first_period(value: &str, today: &Today) -> Result<(), ValidationError> {
    firm_start::parse_first(value, today.0)
        .map(drop)
        .map_err(refuse)
}

/// The sign-in policy's choice for staff, as the policy service reads it.
pub fn staff_totp(value: &str) -> Result<(), ValidationError> {
    policy::parse_staff_totp(value).map(drop).map_err(refuse)
}

/// The firms' last day of TOTP, as the policy service reads it.
pub fn firms_until(value: &str) -> Result<(), ValidationError> {
    policy::parse_firms_until(value).map(drop).map_err(refuse)
}

/// A passkey's name as the passkey service accepts it when renaming.
pub fn passkey_name(value: &str) -> Result<(), ValidationError> {
    passkeys::clean_name(value, true).map(drop).map_err(refuse)
}

/// A new passkey's name, which may be left empty (a default is given).
pub fn passkey_name_optional(value: &str) -> Result<(), ValidationError> {
    passkeys::clean_name(value, false).map(drop).map_err(refuse)
}

fn at_most(value: &str, max: usize) -> Result<(), ValidationError> {
    if value.chars().count() > max {
        Err(refuse(msg!("err.text.too_long")))
    } else {
        Ok(())
    }
}

/// An email address typed to sign in: no longer than any address can be
/// (whether it is an account is the sign-in's question, answered alike).
pub fn typed_email(value: &str) -> Result<(), ValidationError> {
    at_most(value, limits::EMAIL)
}

/// A password typed to sign in: no longer than any password can be.
pub fn typed_password(value: &str) -> Result<(), ValidationError> {
    at_most(value, limits::PASSWORD)
}

/// A one-time code (TOTP or recovery): no longer than any code can be.
pub fn one_time_code(value: &str) -> Result<(), ValidationError> {
    at_most(value, limits::ONE_TIME_CODE)
}

/// A language the portal speaks.
pub fn language(value: &str) -> Result<(), ValidationError> {
    Lang::parse(value)
        .map(drop)
        .ok_or_else(|| refuse(msg!("error.bad_form")))
}

#[cfg(test)]
mod tests {
    use validator::{Validate, ValidateArgs};

    use super::*;

    #[derive(Validate)]
    #[validate(context = PasswordOwner)]
    struct Sample {
        #[validate(custom(function = "email"))]
        email: String,
        #[validate(custom(function = "display_name"))]
        name: String,
        #[validate(custom(function = "new_password", use_context))]
        password: String,
        #[validate(must_match(other = "password", code = "err.password.mismatch"))]
        password_confirm: String,
        #[validate(length(max = 3))]
        short: String,
    }

    const FIELDS: &[&str] = &["email", "name", "password", "password_confirm", "short"];

    fn owner() -> PasswordOwner {
        PasswordOwner {
            email: "hanako@firm.example".into(),
        }
    }

    fn check(sample: &Sample) -> Vec<(&'static str, Key)> {
        match sample.validate_with_args(&owner()) {
            Ok(()) => Vec::new(),
            Err(errors) => invalid(&errors, FIELDS).0,
        }
    }

    fn good() -> Sample {
        Sample {
            email: "hanako@firm.example".into(),
            name: "Hanako Sato".into(),
            password: "a long passphrase 2025 here".into(),
            password_confirm: "a long passphrase 2025 here".into(),
            short: "abc".into(),
        }
    }

    #[test]
    fn a_good_form_passes() {
        assert_eq!(check(&good()), []);
    }

    #[test]
    fn each_rule_gives_its_domain_key_beside_its_field_in_form_order() {
        let sample = Sample {
            email: "not an email".into(),
            name: " ".into(),
            password: "short".into(),
            password_confirm: "other".into(),
            short: "abcd".into(),
        };
        assert_eq!(
            check(&sample),
            [
                ("email", msg!("err.email.invalid")),
                ("name", msg!("err.required")),
                ("password", msg!("err.password.too_short")),
                ("password_confirm", msg!("err.password.mismatch")),
                ("short", msg!("err.text.too_long")),
            ]
        );
    }

    #[test]
    fn the_password_policy_sees_its_owner() {
        let sample = Sample {
            password: "hanako-hanako-hanako-2025".into(),
            password_confirm: "hanako-hanako-hanako-2025".into(),
            ..good()
        };
        assert_eq!(check(&sample), [("password", msg!("err.password.common"))]);
    }

    #[test]
    fn firm_fields_use_the_domain_types() {
        assert_eq!(lei(""), Ok(()));
        assert_eq!(
            lei("nope").map_err(|e| message_key(&e)),
            Lei::parse("nope").map(drop).map_err(|e| e.key())
        );
        assert_eq!(
            registration_no("").map_err(|e| message_key(&e)),
            RegistrationNo::parse("").map(drop).map_err(|e| e.key())
        );
        assert!(firm_name(&"x".repeat(201)).is_err());
        assert_eq!(firm_name("Alpha Securities"), Ok(()));
    }

    #[test]
    fn calendar_fields_keep_their_ranges() {
        assert_eq!(due_day("28"), Ok(()));
        assert_eq!(reminder_days(" 20 "), Ok(()));
        for bad in ["0", "29", "x", ""] {
            assert_eq!(
                due_day(bad).map_err(|e| message_key(&e)),
                Err(msg!("err.due_day.range"))
            );
        }
        assert_eq!(
            reminder_days("21").map_err(|e| message_key(&e)),
            Err(msg!("err.reminder_days.range"))
        );
    }

    #[test]
    fn publication_fields() {
        assert_eq!(p_percent(" 50 "), Ok(()));
        assert_eq!(
            p_percent("half").map_err(|e| message_key(&e)),
            Err(msg!("publication.p_invalid"))
        );
        assert_eq!(
            cutoff("yesterday").map_err(|e| message_key(&e)),
            Err(msg!("publication.cutoff_invalid"))
        );
        assert_eq!(cutoff("2025-04-16T18:00"), Ok(()));
    }

    fn key(result: Result<(), ValidationError>) -> Result<(), Key> {
        result.map_err(|e| message_key(&e))
    }

    #[test]
    fn invitation_fields() {
        assert_eq!(key(role(" Approver ")), Ok(()));
        for bad in ["superuser", "", "admin; drop", "{role}"] {
            assert_eq!(key(role(bad)), Err(msg!("err.role.invalid")), "{bad:?}");
        }
        assert_eq!(key(firm_choice("")), Ok(()));
        assert_eq!(key(firm_choice(" 12 ")), Ok(()));
        assert_eq!(key(firm_choice("1 OR 1=1")), Err(msg!("err.firm.required")));
    }

    #[test]
    fn the_return_reason_is_the_review_services_rule() {
        assert_eq!(key(return_reason("Figures do not add up")), Ok(()));
        // Blank passes the form: open review comments may say why, and the
        // service refuses a blank reason when none is open.
        assert_eq!(key(return_reason("  ")), Ok(()));
        let long = "x".repeat(limits::RETURN_REASON + 1);
        assert_eq!(key(return_reason(&long)), Err(msg!("err.text.too_long")));
        assert_eq!(key(return_reason("a\u{7}b")), Err(msg!("err.text.control")));
    }

    #[test]
    fn admin_fields() {
        let today = Today(crate::db::testing::test_now());
        assert_eq!(key(first_period("", &today)), Ok(()));
        assert_eq!(key(first_period("2024-01", &today)), Ok(()));
        assert!(key(first_period("{period}", &today)).is_err());
        assert_eq!(
            key(first_period("2026-01", &today)),
            Err(msg!("err.first_period.future"))
        );
        assert_eq!(key(staff_totp("allowed")), Ok(()));
        assert_eq!(key(staff_totp("forbidden")), Ok(()));
        assert_eq!(key(staff_totp("superuser")), Err(msg!("err.form.invalid")));
        assert_eq!(key(firms_until("")), Ok(()));
        assert_eq!(key(firms_until("2026-03-31")), Ok(()));
        assert_eq!(
            key(firms_until("next spring")),
            Err(msg!("err.date.invalid"))
        );
        assert_eq!(key(language("ja")), Ok(()));
        assert_eq!(key(language("superuser")), Err(msg!("error.bad_form")));
    }

    #[test]
    fn sign_in_fields_stop_at_their_limits() {
        let email = "a".repeat(limits::EMAIL);
        assert_eq!(key(typed_email(&email)), Ok(()));
        assert_eq!(
            key(typed_email(&(email + "a"))),
            Err(msg!("err.text.too_long"))
        );
        // Characters, not bytes.
        let password = "鍵".repeat(limits::PASSWORD);
        assert_eq!(key(typed_password(&password)), Ok(()));
        assert_eq!(
            key(typed_password(&(password + "x"))),
            Err(msg!("err.text.too_long"))
        );
        assert_eq!(key(one_time_code("ABCD-EFGH-JKMN")), Ok(()));
        assert_eq!(
            key(one_time_code(&"1".repeat(limits::ONE_TIME_CODE + 1))),
            Err(msg!("err.text.too_long"))
        );
        assert_eq!(key(passkey_name_optional("")), Ok(()));
        assert_eq!(key(passkey_name("")), Err(msg!("err.required")));
        assert_eq!(
            key(passkey_name("Laptop\nkey")),
            Err(msg!("err.text.control"))
        );
        assert_eq!(
            key(passkey_name(&"k".repeat(limits::PASSKEY_NAME + 1))),
            Err(msg!("err.text.too_long"))
        );
    }

    #[test]
    fn an_unknown_code_falls_back_to_a_key() {
        assert_eq!(message_key(&ValidationError::new("range")), FALLBACK_KEY);
        let owned = ValidationError {
            // A key-shaped code that is not 'static (built at run time).
            code: Cow::Owned(format!("{}.made.up", "err")),
            message: None,
            params: Default::default(),
        };
        assert_eq!(message_key(&owned), FALLBACK_KEY);
    }
}
