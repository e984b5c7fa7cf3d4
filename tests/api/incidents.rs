//! Incidents reported in stages: the due times frozen when their trigger
//! happens, lateness frozen on each version, four eyes per the stage's
//! rule, stale forms refused, reclassification; the regulator's register,
//! triage, thread and campaigns; the monthly return reconciled with the
//! month's incidents; the deadline settings, the reminders and overdue
//! notices, and the dashboard's incident figures.

mod deadlines;
mod firm_pages;
pub mod lifecycle;
mod notices;
pub mod reconcile;
pub mod review;
