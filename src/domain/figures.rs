//! The figures of one monthly return (the five FSA figures, affected accounts,
//! remediation text): per-field parsing and the cross-field submission rules.

use super::text::is_forbidden_control;
use super::yen::{AmountError, Count, Yen};
use crate::i18n::Key;

const REMEDIATION_MAX_CHARS: usize = super::limits::REMEDIATION;

/// The parsed figures of a return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnFigures {
    pub unauthorized_accesses: Count,
    pub affected_accounts: Count,
    pub fraudulent_trades: Count,
    pub sale_amount: Yen,
    pub purchase_amount: Yen,
    pub remediation: String,
}

/// Raw form input, one string per field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FiguresInput<'a> {
    pub unauthorized_accesses: &'a str,
    pub affected_accounts: &'a str,
    pub fraudulent_trades: &'a str,
    pub sale_amount: &'a str,
    pub purchase_amount: &'a str,
    pub remediation: &'a str,
}

/// A field of the figures form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    UnauthorizedAccesses,
    AffectedAccounts,
    FraudulentTrades,
    SaleAmount,
    PurchaseAmount,
    Remediation,
}

impl Field {
    /// The HTML form field name.
    pub fn name(&self) -> &'static str {
        match self {
            Field::UnauthorizedAccesses => "unauthorized_accesses",
            Field::AffectedAccounts => "affected_accounts",
            Field::FraudulentTrades => "fraudulent_trades",
            Field::SaleAmount => "sale_amount",
            Field::PurchaseAmount => "purchase_amount",
            Field::Remediation => "remediation",
        }
    }
}

/// One error on one field, as a stable message key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub key: Key,
}

/// All errors found in a form, in field order (parse errors before rule errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// The first error key for the form field named `field_name`, if any.
    /// (`for` is a keyword: call it as `errors.r#for("sale_amount")`.)
    pub fn r#for(&self, field_name: &str) -> Option<Key> {
        self.0
            .iter()
            .find(|e| e.field.name() == field_name)
            .map(|e| e.key)
    }

    /// True when there are no errors.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The errors in order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    fn push(&mut self, field: Field, key: Key) {
        self.0.push(FieldError { field, key });
    }
}

impl<'a> IntoIterator for &'a FieldErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field.name(), e.key))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

impl std::error::Error for FieldErrors {}

/// Every field parsed on its own; `None` where that field had an error.
struct Partial {
    accesses: Option<Count>,
    accounts: Option<Count>,
    trades: Option<Count>,
    sale: Option<Yen>,
    purchase: Option<Yen>,
    remediation: Option<String>,
}

impl Partial {
    fn parse(input: &FiguresInput, errors: &mut FieldErrors) -> Partial {
        Partial {
            accesses: take(
                errors,
                Field::UnauthorizedAccesses,
                Count::parse(input.unauthorized_accesses),
            ),
            accounts: take(
                errors,
                Field::AffectedAccounts,
                Count::parse(input.affected_accounts),
            ),
            trades: take(
                errors,
                Field::FraudulentTrades,
                Count::parse(input.fraudulent_trades),
            ),
            sale: take(errors, Field::SaleAmount, Yen::parse(input.sale_amount)),
            purchase: take(
                errors,
                Field::PurchaseAmount,
                Yen::parse(input.purchase_amount),
            ),
            remediation: take(
                errors,
                Field::Remediation,
                parse_remediation(input.remediation),
            ),
        }
    }

    fn complete(self) -> Option<ReturnFigures> {
        Some(ReturnFigures {
            unauthorized_accesses: self.accesses?,
            affected_accounts: self.accounts?,
            fraudulent_trades: self.trades?,
            sale_amount: self.sale?,
            purchase_amount: self.purchase?,
            remediation: self.remediation?,
        })
    }

    /// Cross-field rules. Each rule runs only when the fields it reads parsed,
    /// and it reports on one of those fields, so a rule error never lands on a
    /// field that already has a parse error.
    fn check_rules(&self, errors: &mut FieldErrors) {
        let accesses = self.accesses.map(|c| c.value());
        let accounts = self.accounts.map(|c| c.value());
        let trades = self.trades.map(|c| c.value());
        let sale = self.sale.map(|y| y.value());
        let purchase = self.purchase.map(|y| y.value());

        if let (Some(t), Some(a)) = (trades, accesses)
            && t > a
        {
            errors.push(
                Field::FraudulentTrades,
                msg!("err.rule.trades_exceed_accesses"),
            );
        }
        for (field, amount) in [(Field::SaleAmount, sale), (Field::PurchaseAmount, purchase)] {
            if let (Some(amount), Some(0)) = (amount, trades)
                && amount > 0
            {
                errors.push(field, msg!("err.rule.amount_without_trades"));
            }
        }
        if let (Some(t), Some(0), Some(0)) = (trades, sale, purchase)
            && t > 0
        {
            errors.push(Field::SaleAmount, msg!("err.rule.trades_without_amount"));
        }
        if let (Some(acc), Some(0)) = (accounts, accesses)
            && acc > 0
        {
            errors.push(
                Field::AffectedAccounts,
                msg!("err.rule.accounts_without_accesses"),
            );
        }
    }
}

/// Records the error key of a failed field and yields the value otherwise.
fn take<T, E: ErrorKey>(errors: &mut FieldErrors, field: Field, r: Result<T, E>) -> Option<T> {
    r.map_err(|e| errors.push(field, e.key())).ok()
}

trait ErrorKey {
    fn key(&self) -> Key;
}

impl ErrorKey for AmountError {
    fn key(&self) -> Key {
        AmountError::key(self)
    }
}

impl ErrorKey for Key {
    fn key(&self) -> Key {
        *self
    }
}

/// CRLF (and lone CR) become LF, outer whitespace is trimmed; control
/// characters other than `\n` `\r` `\t` are refused, then the length is checked.
fn parse_remediation(raw: &str) -> Result<String, Key> {
    if raw.chars().any(|c| is_forbidden_control(c, true)) {
        return Err(msg!("err.text.control"));
    }
    let text = raw.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.chars().count() > REMEDIATION_MAX_CHARS {
        return Err(msg!("err.text.too_long"));
    }
    Ok(text.to_owned())
}

impl ReturnFigures {
    /// A nil return: every figure zero, remediation empty.
    pub fn nil() -> Self {
        ReturnFigures::default()
    }

    /// True when every numeric figure is zero (the remediation text is ignored).
    pub fn is_nil(&self) -> bool {
        [
            self.unauthorized_accesses.value(),
            self.affected_accounts.value(),
            self.fraudulent_trades.value(),
            self.sale_amount.value(),
            self.purchase_amount.value(),
        ]
        .iter()
        .all(|v| *v == 0)
    }

    /// Parses each field on its own, collecting every field's error.
    pub fn parse(input: &FiguresInput) -> Result<ReturnFigures, FieldErrors> {
        let mut errors = FieldErrors::default();
        let partial = Partial::parse(input, &mut errors);
        match partial.complete() {
            Some(figures) if errors.is_empty() => Ok(figures),
            _ => Err(errors),
        }
    }

    /// Parses and applies the cross-field rules a submitted version must
    /// satisfy, collecting all parse and rule errors.
    pub fn parse_for_submission(input: &FiguresInput) -> Result<ReturnFigures, FieldErrors> {
        let mut errors = FieldErrors::default();
        let partial = Partial::parse(input, &mut errors);
        partial.check_rules(&mut errors);
        match partial.complete() {
            Some(figures) if errors.is_empty() => Ok(figures),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
#[path = "figures_tests.rs"]
mod tests;
