//! The return's fields as a form posts them: one typed struct (every field
//! named, nothing else accepted), deriving `Validate` for the rules of one
//! field at a time. Each rule calls the domain function that is its one
//! home, so the section pages, the whole-form save, the import and the
//! submission agree. A field left empty passes here: what must be filled is
//! a rule of submission (check your answers), not of a draft.

use serde::Deserialize;
use validator::Validate;

use crate::services::Invalid;
use crate::services::return_form::FiguresForm;
use crate::web::form_rules;

/// The rule of each kind of field (named in the struct below).
mod rules {
    use validator::ValidationError;

    use crate::domain::details;
    use crate::domain::email::EmailAddress;
    use crate::domain::limits;
    use crate::domain::yen::{Count, Yen};
    use crate::i18n::Key;

    fn refuse(key: Key) -> ValidationError {
        ValidationError::new(key.name())
    }

    /// Runs `rule` on what was typed, unless nothing was.
    fn unless_empty(
        value: &str,
        rule: impl Fn(&str) -> Result<(), Key>,
    ) -> Result<(), ValidationError> {
        if value.trim().is_empty() {
            Ok(())
        } else {
            rule(value).map_err(refuse)
        }
    }

    /// A count of accesses, accounts, trades or cases.
    pub fn count(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| Count::parse(v).map(drop).map_err(|e| e.key()))
    }

    /// An amount in yen.
    pub fn yen(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| Yen::parse(v).map(drop).map_err(|e| e.key()))
    }

    /// The remediation narrative (several lines).
    pub fn remediation(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| details::check_text(v, limits::REMEDIATION, true))
    }

    /// How "other" detection worked (one line).
    pub fn detected_other_text(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| {
            details::check_text(v, limits::DETECTED_OTHER, false)
        })
    }

    /// The explanation of unusual figures (several lines).
    pub fn explanation(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| {
            details::check_text(v, limits::WARNINGS_EXPLANATION, true)
        })
    }

    /// The contact person's name.
    pub fn contact_name(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| {
            details::check_text(v, limits::CONTACT_NAME, false)
        })
    }

    /// The contact person's telephone number.
    pub fn contact_phone(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, details::check_phone)
    }

    /// The contact person's email address.
    pub fn contact_email(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| {
            EmailAddress::parse(v).map(drop).map_err(|e| e.key())
        })
    }

    /// The compensation policy chosen.
    pub fn policy(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| details::parse_policy_code(v).map(drop))
    }

    /// The share compensated under a partial policy.
    pub fn percent(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| details::parse_percent(v).map(drop))
    }

    /// A remediation item's status.
    pub fn item_status(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, details::check_item_status)
    }

    /// A planned remediation item's target date.
    pub fn planned_date(value: &str) -> Result<(), ValidationError> {
        unless_empty(value, |v| details::parse_planned_date(v).map(drop))
    }
}

/// Declares the struct once with each field's rule, and from the same list
/// its field names in form order and its conversion to the stored draft.
macro_rules! return_fields {
    ($($name:ident => $rule:literal),* $(,)?) => {
        /// Every field of the return, as typed (`None` when the page did
        /// not carry it).
        #[derive(Deserialize, Validate, Default, Debug, Clone, PartialEq, Eq)]
        #[serde(default)]
        pub struct ReturnFields {
            $(
                #[validate(custom(function = $rule))]
                pub $name: Option<String>,
            )*
        }

        impl ReturnFields {
            /// The names of the fields, in form order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];

            /// The fields posted, as (name, value), in form order.
            fn posted(self) -> impl Iterator<Item = (String, String)> {
                [$((stringify!($name), self.$name)),*]
                    .into_iter()
                    .filter_map(|(name, value)| Some((name.to_owned(), value?)))
            }
        }
    };
}

return_fields! {
    unauthorized_accesses => "rules::count",
    affected_accounts => "rules::count",
    fraudulent_trades => "rules::count",
    sale_amount => "rules::yen",
    purchase_amount => "rules::yen",
    remediation => "rules::remediation",
    purchase_domestic => "rules::yen",
    purchase_china_hk => "rules::yen",
    purchase_us => "rules::yen",
    purchase_other => "rules::yen",
    vector_phishing => "rules::count",
    vector_credential_stuffing => "rules::count",
    vector_malware => "rules::count",
    vector_sim_swap => "rules::count",
    vector_insider => "rules::count",
    vector_unknown => "rules::count",
    detected_customer => "rules::count",
    detected_monitoring => "rules::count",
    detected_other => "rules::count",
    detected_other_text => "rules::detected_other_text",
    customer_losses => "rules::yen",
    compensation_paid => "rules::yen",
    accounts_compensated => "rules::count",
    compensation_policy => "rules::policy",
    compensation_percent => "rules::percent",
    check_mfa_mandatory => "rules::item_status",
    check_mfa_mandatory_date => "rules::planned_date",
    check_passkeys_offered => "rules::item_status",
    check_passkeys_offered_date => "rules::planned_date",
    check_login_notifications => "rules::item_status",
    check_login_notifications_date => "rules::planned_date",
    check_trading_restrictions => "rules::item_status",
    check_trading_restrictions_date => "rules::planned_date",
    check_accounts_frozen => "rules::item_status",
    check_accounts_frozen_date => "rules::planned_date",
    check_passwords_reset => "rules::item_status",
    check_passwords_reset_date => "rules::planned_date",
    check_takedown_requested => "rules::item_status",
    check_takedown_requested_date => "rules::planned_date",
    check_police_notified => "rules::item_status",
    check_police_notified_date => "rules::planned_date",
    check_customers_notified => "rules::item_status",
    check_customers_notified_date => "rules::planned_date",
    warnings_explanation => "rules::explanation",
    contact_name => "rules::contact_name",
    contact_phone => "rules::contact_phone",
    contact_email => "rules::contact_email",
}

impl ReturnFields {
    /// The fields posted, as a draft holds them (what a section's page
    /// did not carry stays out, so the save leaves it as it was).
    pub fn draft(self) -> FiguresForm {
        FiguresForm::from_fields(self.posted())
    }

    /// The problems of single fields among `fields`, first per field, as
    /// the page shows them beside each one.
    pub fn problems(&self, fields: &[&'static str]) -> Invalid {
        match self.validate() {
            Ok(()) => Invalid::default(),
            Err(errors) => form_rules::invalid(&errors, fields),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::limits;
    use crate::i18n::Key;
    use crate::services::return_form::is_field;

    #[test]
    fn the_struct_names_every_field_of_the_return_and_nothing_else() {
        assert!(ReturnFields::NAMES.iter().all(|n| is_field(n)));
        let all = crate::domain::return_sections::ReturnSection::ALL
            .iter()
            .flat_map(|s| s.fields())
            .collect::<Vec<_>>();
        for field in &all {
            assert!(ReturnFields::NAMES.contains(field), "{field} has no member");
        }
    }

    fn problems(fields: ReturnFields) -> Vec<(&'static str, Key)> {
        fields.problems(ReturnFields::NAMES).0
    }

    #[test]
    fn empty_fields_pass_and_each_rule_names_its_key() {
        assert_eq!(problems(ReturnFields::default()), []);
        let typed = ReturnFields {
            unauthorized_accesses: Some("１，２３４".into()),
            sale_amount: Some("¥1,000円".into()),
            compensation_policy: Some("partial".into()),
            compensation_percent: Some("40%".into()),
            check_mfa_mandatory: Some("planned".into()),
            check_mfa_mandatory_date: Some("2026-01-31".into()),
            contact_phone: Some("+81 3-1234-5678".into()),
            contact_email: Some("kei@firm.example".into()),
            ..ReturnFields::default()
        };
        assert_eq!(problems(typed), []);
        let typed = ReturnFields {
            unauthorized_accesses: Some("-3".into()),
            sale_amount: Some("1.5".into()),
            compensation_policy: Some("most".into()),
            compensation_percent: Some("100".into()),
            check_mfa_mandatory: Some("soon".into()),
            check_mfa_mandatory_date: Some("31/01/2026".into()),
            contact_name: Some("a\u{7}b".into()),
            contact_phone: Some("call me".into()),
            contact_email: Some("kei@".into()),
            detected_other_text: Some("x".repeat(limits::DETECTED_OTHER + 1)),
            ..ReturnFields::default()
        };
        assert_eq!(
            problems(typed),
            [
                ("unauthorized_accesses", msg!("err.number.negative")),
                ("sale_amount", msg!("err.number.invalid")),
                ("detected_other_text", msg!("err.text.too_long")),
                ("compensation_policy", msg!("err.choose")),
                ("compensation_percent", msg!("err.percent.invalid")),
                ("check_mfa_mandatory", msg!("err.choose")),
                ("check_mfa_mandatory_date", msg!("err.date.invalid")),
                ("contact_name", msg!("err.text.control")),
                ("contact_phone", msg!("err.phone.invalid")),
                ("contact_email", msg!("err.email.invalid")),
            ]
        );
    }

    #[test]
    fn a_draft_holds_the_posted_fields_only() {
        let typed = ReturnFields {
            sale_amount: Some("12".into()),
            contact_name: Some("Kei".into()),
            ..ReturnFields::default()
        };
        let draft = typed.draft();
        assert_eq!(draft.get("sale_amount"), "12");
        assert_eq!(draft.get("contact_name"), "Kei");
        assert_eq!(draft.filled().len(), 2);
        assert!(!draft.0.contains_key("purchase_amount"));
    }
}
