//! A stored text as a page shows it: a field the retention purge replaced
//! by its marker reads as a sentence in the page's language ("Removed on
//! 2031-06-01 under the retention rule"), never as the marker itself.
//! Exports write the marker as stored.

use crate::domain::retention::Marker;
use crate::i18n::Tr;

pub fn shown(t: &Tr, stored: &str) -> String {
    match Marker::parse(stored) {
        Some(marker) => t.tf(msg!("retention.removed"), &[("date", &t.date(marker.on()))]),
        None => stored.to_owned(),
    }
}
