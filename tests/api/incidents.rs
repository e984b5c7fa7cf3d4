//! Incidents reported in stages: the due times frozen when their trigger
//! happens, lateness frozen on each version, four eyes per the stage's
//! rule, stale forms refused, reclassification; the deadline settings, the
//! reminders and overdue notices, and the dashboard's incident figures.

mod deadlines;
mod lifecycle;
mod notices;
