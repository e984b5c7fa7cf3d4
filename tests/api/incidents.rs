//! Incidents reported in stages: the due times frozen when their trigger
//! happens, lateness frozen on each version, four eyes per the stage's
//! rule, stale forms refused, reclassification; the regulator's register,
//! triage, thread and campaigns.

mod firm_pages;
pub mod lifecycle;
pub mod review;
