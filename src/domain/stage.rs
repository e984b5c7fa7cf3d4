//! How far a session's sign-in has come, as stored (`sessions.stage`, with
//! a CHECK on both backends).

use super::text_enum::text_enum;

text_enum! {
    /// How far a session's sign-in has come (`sessions.stage`).
    pub enum Stage {
        /// Password checked; a second factor must be presented.
        SecondFactor = "second_factor",
        /// Password checked; the user has no second factor yet and must enrol one.
        Enrol = "enrol",
        /// Signed in.
        Full = "full",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_that_names_none_is_refused_not_read_as_pending() {
        for &s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Ok(s));
        }
        for bad in ["", "FULL", "second-factor", "done"] {
            assert!(Stage::parse(bad).is_err(), "{bad}");
        }
    }
}
