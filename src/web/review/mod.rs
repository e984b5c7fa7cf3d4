//! Regulator staff reading every firm's returns, deciding on them, comparing
//! versions, and the reporting calendar board.

pub mod board;
pub mod compare;
pub mod compare_rows;
pub mod completeness;
pub mod decide;
pub mod exports;
pub mod firm;
pub mod list;
pub mod month_picker;
pub mod queue;
pub mod version;
pub mod version_file;
