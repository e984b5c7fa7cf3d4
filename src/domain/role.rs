//! User roles: firm-side reporters and approvers, regulator-side analysts
//! and administrators, and observers from partner authorities, with the
//! permissions derived from them.

use super::text_enum::text_enum;
use crate::i18n::Key;

text_enum! {
    /// The role of a portal user (`users.role`, with a CHECK on both
    /// backends).
    pub enum Role {
        /// Firm user who prepares returns.
        Reporter = "reporter",
        /// Firm user who approves and submits returns.
        Approver = "approver",
        /// Regulator staff who reviews returns.
        Analyst = "analyst",
        /// Regulator staff who administers the portal.
        Admin = "admin",
        /// A partner authority (the self-regulatory body, the police)
        /// reading within a scope an admin set: neither firm nor staff.
        Observer = "observer",
    }
}

impl Role {
    /// A role as typed in a form: surrounding whitespace and ASCII case
    /// are ignored. (Stored values are read with the exact `parse`.)
    pub fn from_input(s: &str) -> Option<Role> {
        Role::parse(&s.trim().to_ascii_lowercase()).ok()
    }

    /// A user of a securities firm (reporter or approver).
    pub fn is_firm(&self) -> bool {
        matches!(self, Role::Reporter | Role::Approver)
    }

    /// Regulator staff (analyst or admin).
    pub fn is_staff(&self) -> bool {
        matches!(self, Role::Analyst | Role::Admin)
    }

    /// May submit a return on behalf of the firm (approvers only).
    pub fn can_submit(&self) -> bool {
        matches!(self, Role::Approver)
    }

    /// Portal administrator.
    pub fn is_admin(&self) -> bool {
        matches!(self, Role::Admin)
    }

    /// A partner authority's reader, scoped by `observer_scopes`.
    pub fn is_observer(&self) -> bool {
        matches!(self, Role::Observer)
    }

    /// Message key of the role's display label, e.g. "role.reporter".
    pub fn label_key(&self) -> Key {
        match self {
            Role::Reporter => msg!("role.reporter"),
            Role::Approver => msg!("role.approver"),
            Role::Analyst => msg!("role.analyst"),
            Role::Admin => msg!("role.admin"),
            Role::Observer => msg!("role.observer"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn string_round_trip() {
        for &r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
            assert_eq!(r.to_string(), r.as_str());
            assert_eq!(r.label_key().name(), format!("role.{}", r.as_str()));
        }
        assert_eq!(Role::from_input(" Admin "), Some(Role::Admin));
        assert_eq!(Role::from_input("root"), None);
    }

    #[test]
    fn a_stored_value_that_names_no_role_is_refused_not_read_as_reporter() {
        for bad in ["", "root", "administrator", " admin", "Admin", "reporter\0"] {
            let err = Role::parse(bad).unwrap_err();
            assert_eq!(err.type_name, "Role");
            assert_eq!(err.value, bad);
        }
        assert_eq!(Role::ALL.len(), 5);
    }

    #[test]
    fn permissions() {
        let table: Vec<(Role, [bool; 5])> = Role::ALL
            .iter()
            .map(|r| {
                (
                    *r,
                    [
                        r.is_firm(),
                        r.is_staff(),
                        r.can_submit(),
                        r.is_admin(),
                        r.is_observer(),
                    ],
                )
            })
            .collect();
        assert_eq!(
            table,
            [
                (Role::Reporter, [true, false, false, false, false]),
                (Role::Approver, [true, false, true, false, false]),
                (Role::Analyst, [false, true, false, false, false]),
                (Role::Admin, [false, true, false, true, false]),
                (Role::Observer, [false, false, false, false, true]),
            ]
        );
        // Every role is exactly one of firm, staff and observer.
        for r in Role::ALL {
            let sides = [r.is_firm(), r.is_staff(), r.is_observer()];
            assert_eq!(sides.iter().filter(|s| **s).count(), 1, "{r}");
        }
    }
}
