//! Regulator staff reading every firm's returns, deciding on them, comparing
//! versions, the reporting calendar board, and the register of incidents
//! with their triage, threads and campaigns.

pub mod board;
pub mod campaign;
pub mod comments;
pub mod compare;
pub mod compare_rows;
pub mod completeness;
pub mod decide;
pub mod exports;
pub mod extensions;
pub mod firm;
pub mod incident;
pub mod incident_forms;
pub mod incident_labels;
pub mod incident_timeline;
pub mod incidents;
pub mod list;
pub mod month_picker;
pub mod queue;
pub mod timeliness;
pub mod version;
pub mod version_file;
