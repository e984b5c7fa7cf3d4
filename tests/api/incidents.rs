//! Incidents reported in stages: the due times frozen when their trigger
//! happens, lateness frozen on each version, four eyes per the stage's
//! rule, stale forms refused, reclassification; the monthly return
//! reconciled with the month's incidents.

pub mod lifecycle;
pub mod reconcile;
