//! The outside programs these tests run: found on `PATH` or the test
//! fails (it never skips), run with a time limit, their output kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// `name` on `PATH`; panics, saying how to install it, when it is not.
pub fn require(name: &str, install: &str) -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("PORTAL_API_FUZZ=1 needs `{name}` on PATH, and it is not there: {install}")
        })
}

/// What a program did.
pub struct Ran {
    pub success: bool,
    pub code: Option<i32>,
    pub report: String,
}

/// Runs `program` with `args` in `dir`, for at most `limit` (then it is
/// killed and the test fails).
pub async fn run(program: &PathBuf, args: &[String], dir: &Path, limit: Duration) -> Ran {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{} ran longer than {limit:?}", program.display()))
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    Ran {
        success: output.status.success(),
        code: output.status.code(),
        report: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
