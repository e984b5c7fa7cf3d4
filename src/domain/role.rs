//! User roles: firm-side reporters and approvers, regulator-side analysts
//! and administrators, with the permissions derived from them.

use std::fmt;

/// The role of a portal user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Firm user who prepares returns.
    Reporter,
    /// Firm user who approves and submits returns.
    Approver,
    /// Regulator staff who reviews returns.
    Analyst,
    /// Regulator staff who administers the portal.
    Admin,
}

impl Role {
    /// Stable identifier, as stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Approver => "approver",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }

    /// Inverse of `as_str`; surrounding whitespace and ASCII case are ignored.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        [Role::Reporter, Role::Approver, Role::Analyst, Role::Admin]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s))
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

    /// Message key of the role's display label, e.g. "role.reporter".
    pub fn label_key(&self) -> &'static str {
        match self {
            Role::Reporter => "role.reporter",
            Role::Approver => "role.approver",
            Role::Analyst => "role.analyst",
            Role::Admin => "role.admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const ALL: [Role; 4] = [Role::Reporter, Role::Approver, Role::Analyst, Role::Admin];

    #[test]
    fn string_round_trip() {
        for r in ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert_eq!(r.to_string(), r.as_str());
            assert_eq!(r.label_key(), format!("role.{}", r.as_str()));
        }
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse(""), None);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("administrator"), None);
    }

    #[test]
    fn permissions() {
        let table: Vec<(Role, [bool; 4])> = ALL
            .iter()
            .map(|r| {
                (
                    *r,
                    [r.is_firm(), r.is_staff(), r.can_submit(), r.is_admin()],
                )
            })
            .collect();
        assert_eq!(
            table,
            [
                (Role::Reporter, [true, false, false, false]),
                (Role::Approver, [true, false, true, false]),
                (Role::Analyst, [false, true, false, false]),
                (Role::Admin, [false, true, false, true]),
            ]
        );
        for r in ALL {
            assert_ne!(r.is_firm(), r.is_staff());
        }
    }
}
