//! API clients as stored: their life (pending until a second person
//! confirms, active, suspended), the signature algorithms their keys may
//! use, the scopes a token may carry, and the shape of a client id.

use super::text_enum::{Unknown, text_enum};

text_enum! {
    /// Where an API client stands (`api_clients.status`).
    pub enum ClientStatus {
        /// Registered; waits for a second person to confirm it.
        Pending = "pending",
        /// Confirmed: may get tokens.
        Active = "active",
        /// Stopped: gets no token, and its tokens were deleted.
        Suspended = "suspended",
    }
}

text_enum! {
    /// The JWS algorithm of a client's key (`api_client_keys.alg`).
    pub enum KeyAlg {
        /// ECDSA with P-256 and SHA-256.
        Es256 = "ES256",
        /// Ed25519.
        EdDsa = "EdDSA",
    }
}

text_enum! {
    /// What an access token lets its holder do (RFC 6749 scope tokens).
    pub enum Scope {
        /// Read the firm's own returns.
        ReturnsRead = "returns:read",
        /// Write the firm's own drafts (never submit).
        ReturnsDraft = "returns:draft",
        /// Read the firm's own incidents, their versions and the messages
        /// the regulator let the firm see.
        IncidentsRead = "incidents:read",
        /// Report the firm's incidents: send a stage, or leave it for a
        /// second person when it needs four eyes (never approve).
        IncidentsReport = "incidents:report",
        /// Read the regulator's statistics (staff clients).
        StatsRead = "stats:read",
    }
}

/// The scopes a firm's client may be granted.
pub const FIRM_SCOPES: &[Scope] = &[
    Scope::ReturnsRead,
    Scope::ReturnsDraft,
    Scope::IncidentsRead,
    Scope::IncidentsReport,
];
/// The scopes a regulator (staff) client may be granted.
pub const STAFF_SCOPES: &[Scope] = &[Scope::StatsRead];

/// The prefix of every public client id.
pub const CLIENT_ID_PREFIX: &str = "pc_";
/// Random characters after the prefix (URL-safe base64: 132 bits).
pub const CLIENT_ID_RANDOM: usize = 22;

/// Whether `text` has the shape of a client id (anything else is refused
/// before it reaches a query).
pub fn looks_like_client_id(text: &str) -> bool {
    text.strip_prefix(CLIENT_ID_PREFIX).is_some_and(|rest| {
        rest.len() == CLIENT_ID_RANDOM
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A set of scopes, each once, in declaration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn of(scopes: &[Scope]) -> Scopes {
        let mut list = scopes.to_vec();
        list.sort();
        list.dedup();
        Scopes(list)
    }

    /// A space-separated list as RFC 6749 writes it (and as stored):
    /// every member must be a known scope.
    pub fn parse(text: &str) -> Result<Scopes, Unknown> {
        let scopes = text
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(Scope::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scopes::of(&scopes))
    }

    /// The scopes in both sets.
    pub fn intersect(&self, other: &Scopes) -> Scopes {
        Scopes(
            self.0
                .iter()
                .copied()
                .filter(|s| other.contains(*s))
                .collect(),
        )
    }

    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_vec(&self) -> Vec<Scope> {
        self.0.clone()
    }

    /// Space-separated, as sent and stored.
    pub fn as_text(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_and_strangers_are_refused() {
        for &s in ClientStatus::ALL {
            assert_eq!(ClientStatus::parse(s.as_str()), Ok(s));
        }
        for &a in KeyAlg::ALL {
            assert_eq!(KeyAlg::parse(a.as_str()), Ok(a));
        }
        assert!(KeyAlg::parse("none").is_err());
        assert!(KeyAlg::parse("HS256").is_err());
        assert!(ClientStatus::parse("Active").is_err());
    }

    #[test]
    fn scopes_parse_as_a_set_and_intersect() {
        let asked = Scopes::parse("returns:draft  returns:read returns:draft").unwrap();
        assert_eq!(asked.as_text(), "returns:read returns:draft");
        assert!(Scopes::parse("returns:read admin").is_err());
        assert!(Scopes::parse("").unwrap().is_empty());
        let firm = Scopes::of(FIRM_SCOPES);
        let staff = Scopes::of(STAFF_SCOPES);
        assert!(asked.intersect(&staff).is_empty());
        assert_eq!(asked.intersect(&firm), asked);
        assert_eq!(
            Scopes::parse("stats:read returns:read")
                .unwrap()
                .intersect(&firm)
                .as_text(),
            "returns:read"
        );
    }

    #[test]
    fn client_ids_have_one_shape() {
        assert!(looks_like_client_id("pc_abcdefghijklmnopqrstuv"));
        assert!(looks_like_client_id("pc_ABC-_efghijklmnopqrstu"));
        assert!(!looks_like_client_id("pc_abcdefghijklmnopqrstu"));
        assert!(!looks_like_client_id("xx_abcdefghijklmnopqrstuv"));
        assert!(!looks_like_client_id("pc_abcdefghijklmnopqrst.v"));
        assert!(!looks_like_client_id(""));
    }
}
