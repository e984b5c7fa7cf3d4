//! Uploading files as a browser's multipart form would, and reading what
//! the trade-detail page and the database say.

use diesel::prelude::*;
use incident_portal::db::schema::{draft_trades, trade_details};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap};

use crate::helpers::{Browser, Page, TestApp};

pub const HEADER: &str = "trade_date,side,security_code,market,quantity,amount_jpy,account_ref";
const BOUNDARY: &str = "----portal-test-boundary-7c1f0e9a4b2d";

/// Two sells (¥300,000) and one buy in China/HK (¥250,000), in April 2025.
pub fn good_csv() -> String {
    format!(
        "{HEADER}\n2025-04-03,sell,7203,domestic,100,100000,ACC-0001\n\
         2025-04-03,sell,6758,domestic,\"1,000\",\"200,000\",ACC-0002\n\
         2025-04-04,buy,00700.HK,china_hk,500,250000,ACC-0001\n"
    )
}

/// The same trades with Japanese headers and values.
pub fn japanese_csv() -> String {
    "約定日,売買区分,銘柄コード,市場,数量,金額,口座参照\r\n\
     2025/4/3,売,7203,国内,100,100000,ACC-0001\r\n\
     2025/4/3,売却,6758,国内,1000,200000,ACC-0002\r\n\
     2025/4/4,買付,00700.HK,中国・香港,500,250000,ACC-0001\r\n"
        .to_owned()
}

pub enum Part<'a> {
    Field(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Field(name, value) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}")
                        .as_bytes(),
                );
            }
            Part::File(filename, content_type, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// POSTs a multipart form to the upload route with the browser's cookies.
pub async fn post_parts(
    app: &TestApp,
    browser: &Browser,
    period: &str,
    parts: &[Part<'_>],
) -> Page {
    let cookies = browser.cookie_header();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/returns/{period}/trades", app.address))
        .header(COOKIE, cookies)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body(parts))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers: HeaderMap = response.headers().clone();
    let body = response.text().await.unwrap();
    Page {
        status,
        headers,
        body,
    }
}

/// Uploads `bytes` as `filename` the way the page's form does.
pub async fn upload(app: &TestApp, browser: &mut Browser, filename: &str, bytes: &[u8]) -> Page {
    let page = browser.get("/returns/2025-04/trades").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.input_value("csrf").unwrap();
    post_parts(
        app,
        browser,
        "2025-04",
        &[
            Part::Field("csrf", &csrf),
            Part::File(filename, "text/csv", bytes),
        ],
    )
    .await
}

/// (row, column, message) of every problem listed.
pub fn problems(page: &Page) -> Vec<(String, String, String)> {
    let html = page.html();
    let row = scraper::Selector::parse("tr.problem").unwrap();
    let cell = scraper::Selector::parse("td").unwrap();
    html.select(&row)
        .map(|tr| {
            let cells: Vec<String> = tr
                .select(&cell)
                .map(|td| td.text().collect::<String>().trim().to_owned())
                .collect();
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

pub fn staged_rows(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().unwrap();
    draft_trades::table.count().get_result(&mut conn).unwrap()
}

pub fn detail_rows(app: &TestApp, version_id: i64) -> i64 {
    let mut conn = app.pool.get().unwrap();
    trade_details::table
        .filter(trade_details::version_id.eq(version_id))
        .count()
        .get_result(&mut conn)
        .unwrap()
}

/// The staged upload's (rows, sells total, buys total) for a firm's April.
pub fn staged_totals(app: &TestApp, firm_id: i64) -> Option<(i64, i64, i64)> {
    let mut conn = app.pool.get().unwrap();
    let period = incident_portal::domain::period::Period::parse("2025-04").unwrap();
    incident_portal::services::trades::summary_for(&mut conn, firm_id, period)
        .unwrap()
        .map(|s| (s.totals.rows, s.totals.sell, s.totals.buy))
}
