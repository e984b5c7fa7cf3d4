//! One backend, start to finish: data, server, sign-in, page load with wrk,
//! the 1M-row export against the database's own CSV shell, then ten times
//! the returns and the dashboard again.

use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use incident_portal::clock::Clock;
use incident_portal::db::Backend;
use incident_portal::services::Actor;
use incident_portal::services::publication_release;
use incident_portal::services::publications::{self, DEFAULT_P_PERCENT, DraftInput};
use incident_portal::services::publish;

use crate::data::{self, FIRST_PERIOD, LAST_PERIOD, Part};
use crate::database::Database;
use crate::export::{self, Failure, ms};
use crate::flood::{self, Flood};
use crate::load::{self, CONNECTIONS, Run, median};
use crate::queries;
use crate::release_day;
use crate::server::{self, CLIENT_CORE, SERVER_CORE, Server};
use crate::verify;

/// Firms in the base data set; the 10× set has ten times as many.
pub const FIRMS: i64 = 300;
pub const TRADE_ROWS: u64 = 1_000_000;

pub struct Options {
    pub secs: u32,
    /// Each sign-in flood's length.
    pub flood_secs: u32,
    /// The flood's attempts per second (0: as fast as answers come).
    pub flood_rate: u32,
    /// Each release-day run's length.
    pub release_day_secs: u32,
    pub rounds: usize,
    pub export_runs: usize,
}

/// What one backend measured.
#[derive(Default)]
pub struct Measured {
    pub generate_1x: Duration,
    pub generate_10x: Duration,
    pub static_rps: f64,
    pub dashboard_rps: f64,
    pub dashboard_ratio: f64,
    pub dashboard_p99_ms: f64,
    pub dashboard_mean_1x_ms: f64,
    pub dashboard_mean_10x_ms: f64,
    /// The dashboard's mean latency at 32 connections, 10× ÷ 1×, each in
    /// static pages' time (× the static page's rate just before and after).
    pub latency_10x_ratio: f64,
    pub static_rps_10x: f64,
    pub statistics_ratio: f64,
    pub release_ratio: f64,
    pub export_ms: f64,
    pub baseline_ms: f64,
    pub export_ratio: f64,
    pub export_growth_mib: f64,
    pub export_mb: f64,
    pub distinct_1x_ms: f64,
    pub release_all_ratio: f64,
    pub one_month_ratio: f64,
    pub dashboard_single_1x_ms: f64,
    pub dashboard_single_10x_ms: f64,
    pub dashboard_rps_10x: f64,
    pub dashboard_errors: u64,
    pub dashboard_errors_10x: u64,
    pub distinct_10x_ms: f64,
    pub flood_p99_ratio: f64,
    /// The dashboard's p99 ÷ idle with one user signing in back to back
    /// and no flood (context).
    pub sign_ins_p99_ratio: f64,
    pub flood_attempts_per_s: f64,
    pub flood_hashed_per_s: f64,
    pub flood_shed_per_s: f64,
    pub real_sign_in_p99_ms: f64,
    pub real_sign_ins_shed: u64,
    pub rss_before_flood_mib: f64,
    pub rss_after_flood_mib: f64,
    pub release_day_static_rps: f64,
    pub release_day_static_p99_ms: f64,
    pub release_day_page_rps: f64,
    pub release_day_page_p99_ms: f64,
    pub release_day_csv_p99_ms: f64,
    pub release_day_304_p99_ms: f64,
    /// Error answers and unanswered requests in all release-day runs.
    pub release_day_errors: u64,
    /// Conditional GETs of a current copy answered 304, percent.
    pub release_day_304_percent: f64,
}

const STATIC: &str = "/static/portal.css";
const DASHBOARD: &str = "/dashboard";
const STATISTICS: &str = "/statistics";
const ONE_MONTH: &str = "/dashboard?from=2025-12&to=2025-12";

pub fn run(backend: Backend, opts: &Options) -> Result<Measured, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut m = Measured::default();
    let database = Database::create(backend)?;
    let pool = database.pool()?;
    let now = Clock::system().now();
    let mut conn = pool.get()?;

    let part = Part {
        first_firm: 1,
        last_firm: FIRMS,
        trade_rows: TRADE_ROWS,
    };
    let made = data::generate(&mut conn, &part, now)?;
    let periods = verify::verify(&mut conn)?;
    m.generate_1x = made.insert + made.summary;
    println!(
        "  1× data: {FIRMS} firms × {} months, {} versions, {} trade rows: written in {:.1} s, \
         summary through services::summary::apply in {:.1} s; summary matches a \
         recomputation over {periods} periods",
        data::MONTHS,
        made.versions,
        made.trade_rows,
        made.insert.as_secs_f64(),
        made.summary.as_secs_f64()
    );

    let (rows_ms, distinct_ms) = queries::dashboard_reads(&mut conn)?;
    m.distinct_1x_ms = distinct_ms;
    println!(
        "  dashboard reads alone (1×): summary rows {rows_ms:.3} ms, distinct firms with trades \
         {distinct_ms:.3} ms"
    );

    let staff = server::create_analyst(&mut conn, now)?;
    let cutoff = now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string();
    let released = publish::publish(&mut conn, "Bench statistics", None, &cutoff, true, now)?;
    let release_all = format!("/statistics/{}", released.id);
    let actor = Actor::system("dashboard_bench");
    let input = DraftInput {
        title: "Bench statistics 2025",
        title_ja: "ベンチマーク統計 2025",
        cutoff: now,
        from: "2025-01",
        to: LAST_PERIOD,
        footnotes: "",
        footnotes_ja: "",
        p_percent: DEFAULT_P_PERCENT,
    };
    let year = publications::draft(&mut conn, &actor, &input, now)?
        .map_err(|invalid| format!("draft refused: {:?}", invalid.0))?;
    let shown = publication_release::to_confirm(&mut conn, year)?;
    publication_release::release(&mut conn, &actor, year, &shown.sha256, now)?;
    let release_page = format!("/statistics/{year}");
    drop(conn);

    let server = Server::spawn(&database.url())?;
    let browser = rt.block_on(server::sign_in(&server.base, &staff))?;
    let cookie = browser.cookie_header();
    // Each page answers 200 with its content (wrk counts a redirect to
    // the sign-in page as a success). After an overloaded run the server
    // may still be working off its backlog: a few tries, a second apart.
    let check = |path: &str, needle: &str| -> Result<(), Failure> {
        let mut last = 0;
        for _ in 0..30 {
            let (status, body) = rt.block_on(fetch(&server.base, &cookie, path))?;
            if status == 200 && body.contains(needle) {
                return Ok(());
            }
            last = status;
            std::thread::sleep(Duration::from_secs(1));
        }
        Err(format!("{path} answered {last} without {needle:?}").into())
    };
    check(DASHBOARD, "id=\"fsa-table\"")?;
    check(STATIC, "{")?;
    check(STATISTICS, "id=\"releases\"")?;
    check(&release_page, "id=\"statistics-table\"")?;
    check(&release_all, "id=\"statistics-table\"")?;
    println!(
        "  server pid {} on core {SERVER_CORE}, wrk on core {CLIENT_CORE}; analyst signed in \
         (password + TOTP); released publications {year} (2025, 12 months) and {} (`publish` \
         command: every month from {FIRST_PERIOD} to the cut-off)",
        server.pid, released.id
    );

    hold(&server, &cookie, &staff, &release_page, &release_all)?;
    let url = |path: &str| format!("{}{path}", server.base);
    // Warm-up, not counted.
    load::wrk(&url(DASHBOARD), Some(&cookie), 1, CONNECTIONS)?;
    load::wrk(&url(STATIC), None, 1, CONNECTIONS)?;
    check(DASHBOARD, "id=\"fsa-table\"")?;
    let (mut stat, mut dash, mut one) = (vec![], vec![], vec![]);
    // The dashboard's mean latency at 32 connections in static pages' time
    // (× the static page's rate beside it), at 1× and at 10×: the machine's
    // speed drifts between the two sets of rounds.
    let mut relative_1x = vec![];
    // Each page's rate ÷ the static page's, measured just before and just
    // after it (their mean): the machine's rate drifts by ±20 % within a
    // minute, so a static run half a minute away says little.
    let (mut dash_r, mut stats_r, mut rel_r, mut all_r, mut month_r) =
        (vec![], vec![], vec![], vec![], vec![]);
    for round in 1..=opts.rounds {
        let s = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let d = load::wrk(&url(DASHBOARD), Some(&cookie), opts.secs, CONNECTIONS)?;
        load::wait_idle(server.pid);
        check(DASHBOARD, "id=\"fsa-table\"")?;
        let s2 = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        // One month instead of twelve: the distinct-firms count reads a
        // twelfth of the returns, the rest of the page is the same.
        let d_month = load::wrk(&url(ONE_MONTH), Some(&cookie), opts.secs, CONNECTIONS)?;
        load::wait_idle(server.pid);
        let s3 = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let st = load::wrk(&url(STATISTICS), None, opts.secs, CONNECTIONS)?;
        let s4 = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let r = load::wrk(&url(&release_page), None, opts.secs, CONNECTIONS)?;
        let s5 = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let a = load::wrk(&url(&release_all), None, opts.secs, CONNECTIONS)?;
        let s6 = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let d1 = load::wrk(&url(DASHBOARD), Some(&cookie), opts.secs, 1)?;
        let beside = |page: &Run, before: &Run, after: &Run| {
            page.requests_per_s / load::static_beside(before, after)
        };
        dash_r.push(beside(&d, &s, &s2));
        month_r.push(beside(&d_month, &s2, &s3));
        stats_r.push(beside(&st, &s3, &s4));
        rel_r.push(beside(&r, &s4, &s5));
        all_r.push(beside(&a, &s5, &s6));
        println!(
            "  round {round}: static {:.0}, {:.0}, {:.0}, {:.0}, {:.0}, {:.0}/s | dashboard {:.0}/s \
             (mean {:.2} ms, p99 {:.2} ms, {} errors; 1 connection: mean {:.2} ms) | dashboard of \
             one month {:.0}/s | statistics {:.0}/s | release 12 months {:.0}/s | release all \
             months {:.0}/s",
            s.requests_per_s,
            s2.requests_per_s,
            s3.requests_per_s,
            s4.requests_per_s,
            s5.requests_per_s,
            s6.requests_per_s,
            d.requests_per_s,
            d.mean_ms,
            d.p99_ms,
            d.errors,
            d1.mean_ms,
            d_month.requests_per_s,
            st.requests_per_s,
            r.requests_per_s,
            a.requests_per_s
        );
        m.dashboard_errors +=
            d.errors + d1.errors + d_month.errors + st.errors + r.errors + a.errors;
        relative_1x.push(d.mean_ms * load::static_beside(&s, &s2));
        stat.extend([s, s2, s3, s4, s5, s6]);
        dash.push(d);
        one.push(d1);
    }
    check(DASHBOARD, "id=\"fsa-table\"")?;
    let rps = |runs: &[Run]| median(&runs.iter().map(|r| r.requests_per_s).collect::<Vec<_>>());
    m.static_rps = rps(&stat);
    m.dashboard_rps = rps(&dash);
    m.dashboard_ratio = median(&dash_r);
    m.statistics_ratio = median(&stats_r);
    m.release_ratio = median(&rel_r);
    m.release_all_ratio = median(&all_r);
    m.one_month_ratio = median(&month_r);
    m.dashboard_p99_ms = median(&dash.iter().map(|r| r.p99_ms).collect::<Vec<_>>());
    m.dashboard_mean_1x_ms = median(&dash.iter().map(|r| r.mean_ms).collect::<Vec<_>>());
    m.dashboard_single_1x_ms = median(&one.iter().map(|r| r.mean_ms).collect::<Vec<_>>());

    release_day(&rt, &server, &release_page, opts, &mut m)?;
    sign_in_flood(&server, &cookie, &staff, opts, &mut m)?;
    export_runs(&database, &server, &cookie, opts, &mut m)?;

    let mut conn = pool.get()?;
    let part = Part {
        first_firm: FIRMS + 1,
        last_firm: FIRMS * 10,
        trade_rows: 0,
    };
    let made = data::generate(&mut conn, &part, now)?;
    let periods = verify::verify(&mut conn)?;
    m.generate_10x = made.insert + made.summary;
    let (rows_ms, distinct_ms) = queries::dashboard_reads(&mut conn)?;
    m.distinct_10x_ms = distinct_ms;
    drop(conn);
    println!(
        "  10× data: {} more firms (imported history) → {} firms × {} months; {} versions \
         written in {:.1} s, added to the summary in one UPDATE in {:.1} s; summary matches a recomputation over {periods} \
         periods; dashboard reads alone (10×): summary rows {rows_ms:.3} ms, distinct firms \
         with trades {distinct_ms:.3} ms",
        FIRMS * 9,
        FIRMS * 10,
        data::MONTHS,
        made.versions,
        made.insert.as_secs_f64(),
        made.summary.as_secs_f64()
    );
    check(DASHBOARD, "id=\"fsa-table\"")?;
    load::wrk(&url(DASHBOARD), Some(&cookie), 1, 1)?;
    let (mut stat10, mut dash10, mut one10, mut relative_10x) = (vec![], vec![], vec![], vec![]);
    for round in 1..=opts.rounds {
        let s = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        let d1 = load::wrk(&url(DASHBOARD), Some(&cookie), opts.secs, 1)?;
        let d = load::wrk(&url(DASHBOARD), Some(&cookie), opts.secs, CONNECTIONS)?;
        let s_after = load::wrk(&url(STATIC), None, opts.secs, CONNECTIONS)?;
        load::wait_idle(server.pid);
        check(DASHBOARD, "id=\"fsa-table\"")?;
        relative_10x.push(d.mean_ms * load::static_beside(&s, &s_after));
        println!(
            "  10× round {round}: static {:.0}/s, after {:.0}/s | dashboard {:.0}/s (mean {:.2} ms, p99 {:.2} ms, \
             {} errors; 1 connection: mean {:.2} ms)",
            s.requests_per_s,
            s_after.requests_per_s,
            d.requests_per_s,
            d.mean_ms,
            d.p99_ms,
            d.errors,
            d1.mean_ms
        );
        m.dashboard_errors_10x += d.errors + d1.errors;
        stat10.push(s);
        dash10.push(d);
        one10.push(d1);
    }
    check(DASHBOARD, "id=\"fsa-table\"")?;
    m.static_rps_10x = rps(&stat10);
    m.dashboard_rps_10x = rps(&dash10);
    m.dashboard_mean_10x_ms = median(&dash10.iter().map(|r| r.mean_ms).collect::<Vec<_>>());
    m.latency_10x_ratio = median(&relative_10x) / median(&relative_1x);
    m.dashboard_single_10x_ms = median(&one10.iter().map(|r| r.mean_ms).collect::<Vec<_>>());
    drop(server);
    drop(database);
    Ok(m)
}

/// One GET with a cookie, no redirects followed: (status, body).
async fn fetch(base: &str, cookie: &str, path: &str) -> Result<(u16, String), Failure> {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(format!("{base}{path}"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    Ok((response.status().as_u16(), response.text().await?))
}

/// `curl` of the streamed export (pinned to the client core) to `out`:
/// the time and the bytes received.
fn curl(url: &str, cookie: &str, out: &Path) -> Result<(Duration, u64), Failure> {
    let started = Instant::now();
    let output = Command::new("taskset")
        .arg("-c")
        .arg(CLIENT_CORE.to_string())
        .args(["curl", "-sS", "-o"])
        .arg(out)
        .args(["-w", "%{http_code} %{size_download}", "-H"])
        .arg(format!("Cookie: {cookie}"))
        .arg(url)
        .output()
        .map_err(|e| format!("curl: {e} (install the curl package)"))?;
    let took = started.elapsed();
    let written = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut parts = written.split_whitespace();
    let (code, size) = (parts.next(), parts.next().and_then(|s| s.parse().ok()));
    match (output.status.success(), code, size) {
        (true, Some("200"), Some(size)) => Ok((took, size)),
        _ => Err(format!(
            "export download failed: {written} {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into()),
    }
}

fn count_lines(path: &Path) -> Result<u64, Failure> {
    let mut file = std::fs::File::open(path)?;
    let mut buffer = vec![0_u8; 1 << 20];
    let mut lines = 0;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(lines);
        }
        lines += buffer[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
}

/// The portal's streamed export of every trade row against the database's
/// own CSV shell on the same rows, alternating; the server's peak memory
/// growth during each export.
fn export_runs(
    database: &Database,
    server: &Server,
    cookie: &str,
    opts: &Options,
    m: &mut Measured,
) -> Result<(), Failure> {
    let url = format!(
        "{}/review/exports/trades.csv?from={FIRST_PERIOD}&to={LAST_PERIOD}",
        server.base
    );
    let sql = export::trade_export_sql(FIRST_PERIOD, LAST_PERIOD);
    let baseline = || -> Result<Duration, Failure> {
        let started = Instant::now();
        match database {
            // sqlite3 does the reading itself: on the server's core, where
            // the portal does it.
            Database::Sqlite { file, .. } => export::sqlite3(file, &sql, true, Some(SERVER_CORE))?,
            // psql is a client like curl; PostgreSQL does the reading.
            Database::Postgres { .. } => {
                export::psql_copy(&database.url(), &sql, Some(CLIENT_CORE))?
            }
        }
        Ok(started.elapsed())
    };
    let shell = match database {
        Database::Sqlite { .. } => "sqlite3 -csv",
        Database::Postgres { .. } => "psql \\copy",
    };
    // Once, untimed: the whole export arrives, the line saying who
    // exported what and when, the header, and one line a row.
    let check_file = std::env::temp_dir().join(format!("dashboard-bench-{}.csv", server.pid));
    let (_, bytes) = curl(&url, cookie, &check_file)?;
    let lines = count_lines(&check_file)?;
    std::fs::remove_file(&check_file)?;
    if lines != TRADE_ROWS + 2 {
        return Err(format!("the export had {lines} lines for {TRADE_ROWS} rows").into());
    }
    baseline()?;
    m.export_mb = bytes as f64 / 1e6;
    let (mut portal, mut shell_times, mut growth) = (vec![], vec![], 0_u64);
    for run in 1..=opts.export_runs {
        let reset = export::reset_peak_rss(server.pid);
        let before = if reset {
            export::proc_status_kib(Some(server.pid), "VmRSS")
        } else {
            export::peak_rss_kib(Some(server.pid))
        }
        .ok_or("cannot read the server's memory")?;
        let (took, _) = curl(&url, cookie, Path::new("/dev/null"))?;
        let peak = export::peak_rss_kib(Some(server.pid)).ok_or("cannot read VmHWM")?;
        growth = growth.max(peak.saturating_sub(before));
        let base = baseline()?;
        println!(
            "  export run {run}: portal {:.0} ms ({:.1} MB), {shell} {:.0} ms, server peak RSS \
             {:.1} MiB (+{:.1} MiB{})",
            ms(took),
            m.export_mb,
            ms(base),
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
            if reset {
                ""
            } else {
                ", peak not resettable: growth over the previous peak"
            }
        );
        portal.push(took);
        shell_times.push(base);
    }
    m.export_ms = ms(export::median(&portal));
    m.baseline_ms = ms(export::median(&shell_times));
    m.export_ratio = m.export_ms / m.baseline_ms;
    m.export_growth_mib = growth as f64 / 1024.0;
    Ok(())
}

/// For profiling by hand: with `DASHBOARD_BENCH_HOLD=<file>` set, writes
/// the server's address, pid, the signed-in cookie, the analyst's email and
/// password and the release pages to
/// that file and waits until the file is removed before measuring.
fn hold(
    server: &Server,
    cookie: &str,
    staff: &server::Staff,
    release: &str,
    release_all: &str,
) -> Result<(), Failure> {
    let Some(file) = std::env::var_os("DASHBOARD_BENCH_HOLD") else {
        return Ok(());
    };
    let file = std::path::PathBuf::from(file);
    std::fs::write(
        &file,
        format!(
            "BASE={}\nPID={}\nCOOKIE='{cookie}'\nRELEASE={release}\nRELEASE_ALL={release_all}\n\
             EMAIL='{}'\nPASSWORD='{}'\n",
            server.base, server.pid, staff.email, staff.password
        ),
    )?;
    println!(
        "  holding: details in {}; remove it to go on",
        file.display()
    );
    while file.exists() {
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}

/// The dashboard's p99 at 32 connections alone, then while a sign-in flood
/// (every attempt a password hash) runs against the same server; rounds
/// alternate the two.
/// Release day: a static page, the release page, its CSV and the CSV asked
/// for again by readers whose copy is current, each from 1,000 connections
/// at once.
fn release_day(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    release_page: &str,
    opts: &Options,
    m: &mut Measured,
) -> Result<(), Failure> {
    let url = |path: &str| format!("{}{path}", server.base);
    let csv = url(&format!("{release_page}/csv"));
    let etag = rt.block_on(async {
        let answer = reqwest::get(&csv).await?;
        let etag = answer
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok::<_, Failure>(etag)
    })?;
    let etag = etag.ok_or("the release CSV has no ETag")?;
    let secs = opts.release_day_secs;
    let mut runs = Vec::new();
    for (name, target, condition) in [
        ("static page", url(STATIC), None),
        ("release page", url(release_page), None),
        ("release CSV", csv.clone(), None),
        (
            "release CSV, If-None-Match",
            csv.clone(),
            Some(etag.as_str()),
        ),
    ] {
        let run = release_day::run(&target, secs, condition)?;
        load::wait_idle(server.pid);
        println!(
            "  release day, {} connections, {name}: {:.0}/s, p99 {:.2} ms, {} answered, {} 304, \
             {} errors",
            release_day::CONNECTIONS,
            run.requests_per_s,
            run.p99_ms,
            run.answered,
            run.not_modified,
            run.errors
        );
        runs.push(run);
    }
    let [static_page, page, csv, current] = runs.as_slice() else {
        return Err("four release-day runs".into());
    };
    m.release_day_static_rps = static_page.requests_per_s;
    m.release_day_static_p99_ms = static_page.p99_ms;
    m.release_day_page_rps = page.requests_per_s;
    m.release_day_page_p99_ms = page.p99_ms;
    m.release_day_csv_p99_ms = csv.p99_ms;
    m.release_day_304_p99_ms = current.p99_ms;
    m.release_day_errors = runs.iter().map(|r| r.errors).sum();
    m.release_day_304_percent = if current.answered == 0 {
        0.0
    } else {
        current.not_modified as f64 * 100.0 / current.answered as f64
    };
    Ok(())
}

fn sign_in_flood(
    server: &Server,
    cookie: &str,
    staff: &server::Staff,
    opts: &Options,
    m: &mut Measured,
) -> Result<(), Failure> {
    let url = format!("{}{DASHBOARD}", server.base);
    let (mut ratios, mut rates) = (vec![], vec![]);
    let (mut hashed, mut shed, mut real) = (vec![], vec![], vec![]);
    let mut script_ratios = vec![];
    let device = flood::device_cookie(&server.base, staff)?;
    for round in 1..=opts.rounds {
        // As long as the flood's run: a p99 from a short run moves too much
        // to divide by.
        let idle = load::wrk(&url, Some(cookie), opts.flood_secs, CONNECTIONS)?;
        load::wait_idle(server.pid);
        if round == 1 {
            // After the idle round, so the flood's own growth is measured.
            m.rss_before_flood_mib = flood::rss_mib(server.pid);
        }
        // The flood starts a second early and ends a second late.
        let flood = Flood::start(&server.base, opts.flood_secs + 2, opts.flood_rate)?;
        std::thread::sleep(Duration::from_secs(1));
        let user = flood::real_sign_ins(
            &server.base,
            staff,
            opts.flood_secs,
            device.clone(),
            flood::REAL_USER_PACE,
        );
        let flooded = load::wrk(&url, Some(cookie), opts.flood_secs, CONNECTIONS)?;
        let counted = flood.finish()?;
        let (times, refused) = user.join().map_err(|_| "the real user panicked")??;
        real.extend(times);
        m.real_sign_ins_shed += refused;
        load::wait_idle(server.pid);
        let attempts = counted.attempts;
        let per_s = |n: u64| n as f64 / f64::from(opts.flood_secs + 2);
        let rate = per_s(attempts);
        hashed.push(per_s(counted.hashed));
        shed.push(per_s(counted.shed));
        println!(
            "  flood round {round}: {} hashed, {} throttled, {} shed; real sign-in p99 so far {:.1} ms",
            counted.hashed,
            counted.throttled,
            counted.shed,
            flood::p99(&real)
        );
        println!(
            "  flood round {round}: dashboard p99 idle {:.2} ms ({:.0}/s), during the flood {:.2} ms \
             ({:.0}/s, {} errors); {attempts} sign-in attempts ({rate:.0}/s)",
            idle.p99_ms,
            idle.requests_per_s,
            flooded.p99_ms,
            flooded.requests_per_s,
            flooded.errors
        );
        // Context, no flood: the same user signing in back to back.
        let script = flood::real_sign_ins(
            &server.base,
            staff,
            opts.secs,
            device.clone(),
            flood::BACK_TO_BACK,
        );
        let beside_script = load::wrk(&url, Some(cookie), opts.secs, CONNECTIONS)?;
        let (script_times, _) = script.join().map_err(|_| "the scripted user panicked")??;
        load::wait_idle(server.pid);
        println!(
            "  flood round {round}: no flood, {} sign-ins back to back: dashboard p99 {:.2} ms",
            script_times.len(),
            beside_script.p99_ms
        );
        m.dashboard_errors += idle.errors + flooded.errors + beside_script.errors;
        ratios.push(flooded.p99_ms / idle.p99_ms);
        script_ratios.push(beside_script.p99_ms / idle.p99_ms);
        rates.push(rate);
    }
    m.flood_p99_ratio = median(&ratios);
    m.sign_ins_p99_ratio = median(&script_ratios);
    m.flood_attempts_per_s = median(&rates);
    m.flood_hashed_per_s = median(&hashed);
    m.flood_shed_per_s = median(&shed);
    m.real_sign_in_p99_ms = flood::p99(&real);
    m.rss_after_flood_mib = flood::rss_mib(server.pid);
    Ok(())
}
