//! A simulated filer: one firm's approver with a browser's cookie jar,
//! who signs in (password, then an authenticator code) and files complete
//! returns (form GET for the CSRF token and submission key, then POST),
//! recording each receipt the portal shows. A request the server did not
//! answer (killed, restarting) or answered 503 is sent again unchanged,
//! as a person pressing the button again would: the submission key makes
//! that safe.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use incident_portal::clock::Clock;
use incident_portal::services::totp;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::accounts::{Account, PASSWORD};

/// One answer, read whole.
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A filing the portal acknowledged (303 to its version), with what was
/// typed.
#[derive(Clone, Debug)]
pub struct Filed {
    pub firm_id: i64,
    pub period: String,
    pub version_no: i32,
    /// The receipt number shown on the receipt page (None: the page could
    /// not be fetched before the deadline).
    pub receipt_no: Option<String>,
    pub submission_key: String,
    /// accesses, accounts, trades, sale, purchase (all purchases domestic).
    pub figures: [i64; 5],
    pub remediation: String,
}

/// What one filer met.
#[derive(Default, Debug)]
pub struct Stats {
    /// Milliseconds of each answered submit POST.
    pub latencies: Vec<f64>,
    pub status_503: u64,
    /// Answers other than the expected ones (5xx other than 503, 4xx).
    pub unexpected: u64,
    pub first_unexpected: Option<String>,
    /// Requests the server never answered (it was down).
    pub no_answer: u64,
}

impl Stats {
    pub fn merge(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        self.status_503 += other.status_503;
        self.unexpected += other.unexpected;
        self.no_answer += other.no_answer;
        if self.first_unexpected.is_none() {
            self.first_unexpected = other.first_unexpected;
        }
    }

    fn unexpected(&mut self, what: String) {
        self.unexpected += 1;
        if self.first_unexpected.is_none() {
            self.first_unexpected = Some(what);
        }
    }
}

pub struct Filer {
    client: reqwest::Client,
    pub base: String,
    cookies: HashMap<String, String>,
    pub account: Account,
    /// Submissions made so far (picks the period and figures of the next).
    pub seq: i64,
}

impl Filer {
    pub fn new(base: &str, account: Account) -> Filer {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Filer {
            client,
            base: base.to_owned(),
            cookies: HashMap::new(),
            account,
            seq: 0,
        }
    }

    /// The same person, now talking to another instance.
    pub fn moved_to(&self, base: &str) -> Filer {
        let mut other = Filer::new(base, self.account.clone());
        other.cookies = self.cookies.clone();
        other
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, response: reqwest::Response) -> Result<Reply, reqwest::Error> {
        for value in response.headers().get_all(SET_COOKIE) {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, val)) = pair.split_once('=') {
                if value.to_ascii_lowercase().contains("max-age=0") || val.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), val.to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await?;
        Ok(Reply {
            status,
            location,
            body,
        })
    }

    pub async fn get(&mut self, path: &str) -> Result<Reply, reqwest::Error> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await?;
        self.read(response).await
    }

    pub async fn post(
        &mut self,
        path: &str,
        fields: &[(String, String)],
    ) -> Result<Reply, reqwest::Error> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(fields)
            .send()
            .await?;
        self.read(response).await
    }

    /// Password, then the authenticator code; fails with what the portal
    /// answered.
    pub async fn sign_in(&mut self) -> Result<(), String> {
        self.sign_in_at(Clock::system()).await
    }

    /// As `sign_in`, with codes from `clock` (an in-process portal whose
    /// clock stands still).
    pub async fn sign_in_at(&mut self, clock: Clock) -> Result<(), String> {
        let reply = self.password_attempt(PASSWORD).await?;
        if reply.location.as_deref() != Some("/login/verify") {
            return Err(format!(
                "password not accepted ({}): {}",
                reply.status, reply.body
            ));
        }
        let form = self.get("/login/verify").await.map_err(|e| e.to_string())?;
        let code =
            totp::code_at(&self.account.totp_secret, clock.now()).map_err(|e| e.to_string())?;
        let mut fields = hidden_fields(&form.body);
        fields.push(("code".into(), code));
        let done = self
            .post("/login/verify/totp", &fields)
            .await
            .map_err(|e| e.to_string())?;
        if done.location.as_deref() != Some("/") {
            return Err(format!(
                "second factor not accepted ({}): {}",
                done.status, done.body
            ));
        }
        Ok(())
    }

    /// The sign-in form posted with `password`.
    pub async fn password_attempt(&mut self, password: &str) -> Result<Reply, String> {
        let form = self.get("/login").await.map_err(|e| e.to_string())?;
        let mut fields = hidden_fields(&form.body);
        fields.push(("email".into(), self.account.email.clone()));
        fields.push(("password".into(), password.to_owned()));
        self.post("/login", &fields)
            .await
            .map_err(|e| e.to_string())
    }

    /// POST until the server answers a redirect (303); a 503 or no answer
    /// is retried until the deadline, anything else is recorded.
    async fn post_patiently(
        &mut self,
        path: &str,
        fields: &[(String, String)],
        stats: &mut Stats,
        deadline: Instant,
    ) -> Option<Reply> {
        while Instant::now() < deadline {
            match self.post(path, fields).await {
                Ok(reply) if reply.status == 303 => return Some(reply),
                Ok(reply) if reply.status == 503 => stats.status_503 += 1,
                Ok(reply) => {
                    stats.unexpected(format!("POST {path}: {} {}", reply.status, reply.body));
                    return None;
                }
                Err(_) => stats.no_answer += 1,
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// GET until the server answers something other than 503 (or the
    /// deadline passes).
    async fn get_patiently(
        &mut self,
        path: &str,
        stats: &mut Stats,
        deadline: Instant,
    ) -> Option<Reply> {
        while Instant::now() < deadline {
            match self.get(path).await {
                Ok(reply) if reply.status == 503 => stats.status_503 += 1,
                Ok(reply) => return Some(reply),
                Err(_) => stats.no_answer += 1,
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// Files the next complete return, retrying through outages until
    /// `deadline`. None: not acknowledged (deadline, or a refusal recorded
    /// in `stats`).
    pub async fn file_next(&mut self, stats: &mut Stats, deadline: Instant) -> Option<Filed> {
        let seq = self.seq;
        self.seq += 1;
        let firm = self.account.firm_id;
        // 24 past months, so each filer's returns spread over periods and
        // amendments; figures stay within a narrow band (no warnings).
        let period = format!("{}-{:02}", 2024 + seq % 24 / 12, seq % 12 + 1);
        let accesses = 100 + (firm * 7 + seq * 13) % 100;
        let figures = [
            accesses,
            accesses - seq % 10,
            10 + (firm + seq) % 10,
            1_000_000 + firm * 1000 + seq,
            900_000 + seq * 10 + firm,
        ];
        let remediation = format!("Filer {firm}, submission {seq}: accounts frozen.");
        let form_path = format!("/returns/{period}");
        let form = self.get_patiently(&form_path, stats, deadline).await?;
        if form.status != 200 {
            stats.unexpected(format!("GET {form_path}: {} {}", form.status, form.body));
            return None;
        }
        // The approver prepares (the regulator exempted each filer's
        // single-user firm from four eyes), then submits from the review
        // page with the attestation.
        let mut draft = hidden_fields(&form.body);
        draft.extend(complete_return(&figures, &remediation));
        let draft_path = format!("/returns/{period}/draft");
        self.post_patiently(&draft_path, &draft, stats, deadline)
            .await?;
        let review_path = format!("/returns/{period}/approve");
        let review = self.get_patiently(&review_path, stats, deadline).await?;
        if review.status != 200 {
            stats.unexpected(format!(
                "GET {review_path}: {} {}",
                review.status, review.body
            ));
            return None;
        }
        let mut fields = hidden_fields(&review.body);
        fields.push(("attestation".into(), "yes".into()));
        // From a month's second version on, the page asks why.
        if review.body.contains("name=\"amendment_reason\"") {
            fields.push(("amendment_reason".into(), "correction".into()));
            fields.push((
                "amendment_reason_text".into(),
                format!("Filer {firm}, submission {seq}: figures corrected."),
            ));
        }
        let submission_key = fields
            .iter()
            .find(|(k, _)| k == "submission_key")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let submit = format!("/returns/{period}/submit");
        let location = loop {
            if Instant::now() >= deadline {
                return None;
            }
            let started = Instant::now();
            match self.post(&submit, &fields).await {
                Ok(reply) if reply.status == 303 => {
                    stats
                        .latencies
                        .push(started.elapsed().as_secs_f64() * 1000.0);
                    break reply.location.unwrap_or_default();
                }
                Ok(reply) if reply.status == 503 => stats.status_503 += 1,
                Ok(reply) => {
                    stats.unexpected(format!("POST {submit}: {} {}", reply.status, reply.body));
                    return None;
                }
                Err(_) => stats.no_answer += 1,
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        };
        let Some(version_no) = location
            .strip_prefix(&format!("/returns/{period}/versions/"))
            .and_then(|n| n.parse().ok())
        else {
            stats.unexpected(format!("POST {submit}: 303 to {location}"));
            return None;
        };
        let receipt = self.get_patiently(&location, stats, deadline).await;
        let receipt_no = match receipt {
            Some(page) if page.status == 200 => receipt_no(&page.body),
            Some(page) => {
                stats.unexpected(format!("GET {location}: {} {}", page.status, page.body));
                None
            }
            None => None,
        };
        Some(Filed {
            firm_id: firm,
            period,
            version_no,
            receipt_no,
            submission_key,
            figures,
            remediation,
        })
    }
}

/// Every hidden input of the page's forms (CSRF token, submission key).
/// A plain scan rather than an HTML parser: the filers must not spend the
/// CPU the server under test needs.
pub fn hidden_fields(body: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for tag in body.split("<input").skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        if !tag.contains("type=\"hidden\"") {
            continue;
        }
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value"))
            && !fields.iter().any(|(k, _)| *k == name)
        {
            fields.push((name, value));
        }
    }
    fields
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].replace("&amp;", "&"))
}

/// The receipt number on a version page.
pub fn receipt_no(body: &str) -> Option<String> {
    let start = body.find("class=\"receipt-no\">")? + "class=\"receipt-no\">".len();
    let len = body[start..].find('<')?;
    Some(body[start..start + len].trim().to_owned())
}

/// A complete return as typed: the five figures, all purchases domestic,
/// no vectors or detections counted, nothing compensated, every measure
/// done, a contact and the attestation.
pub fn complete_return(figures: &[i64; 5], remediation: &str) -> Vec<(String, String)> {
    let [accesses, accounts, trades, sale, purchase] = figures.map(|n| n.to_string());
    let mut fields: Vec<(String, String)> = vec![
        ("unauthorized_accesses".into(), accesses),
        ("affected_accounts".into(), accounts),
        ("fraudulent_trades".into(), trades),
        ("sale_amount".into(), sale),
        ("purchase_amount".into(), purchase.clone()),
        ("remediation".into(), remediation.to_owned()),
        ("purchase_domestic".into(), purchase),
        ("purchase_china_hk".into(), "0".into()),
        ("purchase_us".into(), "0".into()),
        ("purchase_other".into(), "0".into()),
    ];
    for name in incident_portal::domain::details::VECTORS
        .into_iter()
        .chain(incident_portal::domain::details::DETECTION)
    {
        fields.push((name.into(), "0".into()));
    }
    for name in incident_portal::domain::details::CHECK_STATUS {
        fields.push((name.into(), "done".into()));
    }
    for (name, value) in [
        ("customer_losses", "0"),
        ("compensation_paid", "0"),
        ("accounts_compensated", "0"),
        ("compensation_policy", "considering"),
        ("contact_name", "Hanako Sato"),
        ("contact_phone", "+81 3-1234-5678"),
        ("contact_email", "compliance@firm.example"),
        ("attestation", "yes"),
    ] {
        fields.push((name.into(), value.into()));
    }
    fields
}
