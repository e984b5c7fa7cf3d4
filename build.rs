//! Rebuilds when migrations change, turns on the PostgreSQL and browser
//! test variants (and the resilience harnesses, and the outside API
//! fuzzer) when their environment is given, and generates the typed
//! message keys (`build/messages.rs`).

#[path = "build/messages.rs"]
mod messages;

fn main() {
    messages::generate();
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo:rerun-if-env-changed=PORTAL_BROWSER_TESTS");
    println!("cargo:rerun-if-env-changed=PORTAL_RESILIENCE");
    println!("cargo:rerun-if-env-changed=PORTAL_API_FUZZ");
    println!("cargo::rustc-check-cfg=cfg(test_postgres)");
    println!("cargo::rustc-check-cfg=cfg(test_browser)");
    println!("cargo::rustc-check-cfg=cfg(test_resilience)");
    println!("cargo::rustc-check-cfg=cfg(test_api_fuzz)");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=test_postgres");
    }
    if std::env::var("PORTAL_BROWSER_TESTS").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cfg=test_browser");
    }
    // `short` (CI) or `full` (scripts/resilience): the crash, concurrency,
    // multi-instance and outage harnesses in tests/resilience.
    if std::env::var("PORTAL_RESILIENCE").is_ok_and(|v| v == "short" || v == "full") {
        println!("cargo:rustc-cfg=test_resilience");
    }
    // Schemathesis against the running portal, and the Python example
    // client end to end (tests/api_fuzz.rs).
    if std::env::var("PORTAL_API_FUZZ").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-cfg=test_api_fuzz");
    }
}
