//! The kinds of compensation policy a firm declares, as stored
//! (`version_details.compensation_policy`, with a CHECK on both backends).

use super::text_enum::text_enum;

text_enum! {
    /// Which compensation policy a firm declared for a version.
    pub enum CompensationKind {
        /// Customers' losses compensated in full.
        Full = "full",
        /// A stated percentage compensated (`compensation_percent`).
        Partial = "partial",
        /// The policy is still under consideration.
        Considering = "considering",
    }
}
