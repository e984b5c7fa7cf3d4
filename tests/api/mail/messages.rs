//! The emails themselves, in English and Japanese: subject, text and HTML.

use incident_portal::domain::email::EmailAddress;
use incident_portal::i18n::Lang;
use incident_portal::mail::messages::{self, FactorChange};

#[test]
fn print_all() {
    let to = EmailAddress::parse("x@firm.example").unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2025, 5, 20).unwrap().and_hms_opt(10, 0, 0).unwrap();
    for lang in [Lang::En, Lang::Ja] {
        for e in [
            messages::invitation(&to, lang, "https://portal.example/invite/abc?x=1&y=2", "Hanako <Sato>", Some("Kabu & Co"), at).unwrap(),
            messages::invitation(&to, lang, "https://portal.example/invite/abc", "Hanako", None, at).unwrap(),
            messages::password_reset(&to, lang, "https://portal.example/reset/abc", at).unwrap(),
            messages::account_locked(&to, lang, at).unwrap(),
            messages::password_changed(&to, lang, at).unwrap(),
            messages::factor_changed(&to, lang, FactorChange::PasskeyAdded, at).unwrap(),
        ] {
            println!("=== {}\n--- text\n{}|END\n--- html\n{}|END", e.subject, e.text, e.html);
        }
    }
}
