//! An SMTP server inside the test process, so the mail tests need nothing
//! but Rust: a small tokio server on a loopback port of its own thread
//! (whatever the test's runtime is doing), speaking what the portal's
//! transport uses (EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing,
//! RSET, NOOP, QUIT), keeping every message for the test to read. It can be
//! stopped and started again on the same port (an outage), and can refuse
//! mail on demand with a reply code the test chooses.
//!
//! Shared by tests/api, tests/resilience and tests/browser (included with
//! `#[path]`); each uses a part of it.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Longest command or data line accepted (RFC 5321 asks for 1000 octets;
/// more room costs nothing here).
const MAX_LINE: usize = 64 * 1024;

/// One message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`), without the angle brackets.
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub rcpt_to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line ends.
    pub data: String,
}

impl Received {
    /// One header of the message (unfolded, name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<String> {
        header(&self.data, name)
    }
}

/// What the server does with mail besides accepting it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Accept every message.
    #[default]
    Accept,
    /// Answer `MAIL FROM` with this reply code (4xx: try later; 5xx: never).
    Refuse(u16),
}

#[derive(Default)]
struct Shared {
    messages: Vec<Received>,
    mode: Mode,
}

/// A running (or stopped) server; stops when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A listener on a free loopback port below the system's ephemeral range
/// (`ip_local_port_range`), where no outgoing connection takes a source
/// port: a server stopped for an outage can bind its port again. (A port
/// from `bind(":0")` is ephemeral, and a connection opened meanwhile by
/// any process may take it: "Address already in use" on resuming.)
/// Where the range leaves no room below it, any free port.
pub fn loopback_listener() -> StdListener {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FLOOR: u32 = 10_000;
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768);
    if ephemeral_from > FLOOR + 1_000 {
        let span = ephemeral_from - FLOOR;
        // Apart from other test processes (the process id) and from this
        // one's other servers (the counter).
        let start = std::process::id().wrapping_mul(7_919) % span;
        for _ in 0..span {
            let step = NEXT.fetch_add(1, Ordering::Relaxed);
            let port = FLOOR + start.wrapping_add(step) % span;
            if let Ok(port) = u16::try_from(port)
                && let Ok(listener) = StdListener::bind(("127.0.0.1", port))
            {
                return listener;
            }
        }
    }
    StdListener::bind("127.0.0.1:0").expect("a loopback port")
}

impl SmtpServer {
    /// Starts on a free loopback port (`loopback_listener`); accepting
    /// once this returns.
    pub fn start() -> SmtpServer {
        let listener = loopback_listener();
        let mut server = SmtpServer {
            addr: listener.local_addr().expect("the SMTP listener's address"),
            shared: Arc::default(),
            running: None,
        };
        server.serve(listener);
        server
    }

    /// `smtp://127.0.0.1:PORT`: plain SMTP, as the portal uses to loopback.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops listening and drops every open connection, as a server that
    /// went away. Messages received so far are kept.
    pub fn stop(&mut self) {
        if let Some((stop, thread)) = self.running.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
    }

    /// Starts again on the same port, after `stop`.
    pub fn resume(&mut self) {
        if self.running.is_some() {
            return;
        }
        let listener = StdListener::bind(self.addr).expect("the SMTP port again");
        self.serve(listener);
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// From now on, accept or refuse mail.
    pub fn set_mode(&self, mode: Mode) {
        self.lock().mode = mode;
    }

    /// Every message so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.lock().messages.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serve(&mut self, listener: StdListener) {
        listener
            .set_nonblocking(true)
            .expect("a non-blocking SMTP listener");
        let (stop, stopped) = oneshot::channel();
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name(format!("smtp-server-{}", self.addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the SMTP server");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    tokio::select! {
                        _ = stopped => {}
                        () = accept_loop(listener, shared) => {}
                    }
                });
                // Dropping the runtime ends every connection task, closing
                // its socket: clients see the server go away mid-session.
                drop(runtime);
            })
            .expect("the SMTP server thread");
        self.running = Some((stop, thread));
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(session(stream, Arc::clone(&shared)));
        }
    }
}

/// The state of one transaction on a connection.
#[derive(Default)]
struct Transaction {
    greeted: bool,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

/// One client connection, until QUIT, a read error or the server stops.
async fn session(stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    if reply(&mut write, "220 localhost test SMTP server ready")
        .await
        .is_err()
    {
        return;
    }
    let mut tx = Transaction::default();
    while let Some(line) = read_line(&mut reader).await {
        let line = String::from_utf8_lossy(&line).into_owned();
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let answer = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                tx = Transaction {
                    greeted: true,
                    ..Transaction::default()
                };
                "250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP".to_owned()
            }
            "HELO" => {
                tx = Transaction {
                    greeted: true,
                    ..Transaction::default()
                };
                "250 localhost".to_owned()
            }
            "MAIL" if !tx.greeted => "503 5.5.1 EHLO first".to_owned(),
            "MAIL" => match (mode(&shared), address(arg, "FROM:")) {
                (Mode::Refuse(code), _) => format!("{code} refused by the test"),
                (Mode::Accept, Some(from)) => {
                    tx.mail_from = Some(from);
                    tx.rcpt_to.clear();
                    "250 2.1.0 OK".to_owned()
                }
                (Mode::Accept, None) => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
            },
            "RCPT" if tx.mail_from.is_none() => "503 5.5.1 MAIL first".to_owned(),
            "RCPT" => match address(arg, "TO:") {
                Some(to) if !to.is_empty() => {
                    tx.rcpt_to.push(to);
                    "250 2.1.5 OK".to_owned()
                }
                _ => "501 5.5.4 Syntax: RCPT TO:<address>".to_owned(),
            },
            "DATA" if tx.rcpt_to.is_empty() => "503 5.5.1 RCPT first".to_owned(),
            "DATA" => {
                if reply(&mut write, "354 End data with <CR><LF>.<CR><LF>")
                    .await
                    .is_err()
                {
                    return;
                }
                let Some(data) = read_data(&mut reader).await else {
                    return;
                };
                let message = Received {
                    mail_from: tx.mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut tx.rcpt_to),
                    data,
                };
                lock(&shared).messages.push(message);
                "250 2.0.0 OK: queued".to_owned()
            }
            "RSET" => {
                tx.mail_from = None;
                tx.rcpt_to.clear();
                "250 2.0.0 OK".to_owned()
            }
            "NOOP" => "250 2.0.0 OK".to_owned(),
            "QUIT" => {
                let _ = reply(&mut write, "221 2.0.0 Bye").await;
                return;
            }
            _ => "502 5.5.2 Command not recognized".to_owned(),
        };
        if reply(&mut write, &answer).await.is_err() {
            return;
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn mode(shared: &Mutex<Shared>) -> Mode {
    lock(shared).mode
}

/// `FROM:<a@b> BODY=8BITMIME` → `a@b` (the `<>` null sender → empty).
fn address(arg: &str, prefix: &str) -> Option<String> {
    let arg = arg.trim();
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some(inner[..end].to_owned())
}

/// One line without its CRLF (or LF); `None` at end of stream or when the
/// line is too long.
async fn read_line(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let n = reader.read_until(b'\n', &mut line).await.ok()?;
    if n == 0 || line.len() > MAX_LINE || !line.ends_with(b"\n") {
        return None;
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Some(line)
}

/// The message after DATA up to the lone `.`, with a leading dot removed
/// from each line that has one (RFC 5321 4.5.2).
async fn read_data(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Option<String> {
    let mut data = Vec::new();
    loop {
        let line = read_line(reader).await?;
        if line == b"." {
            return Some(String::from_utf8_lossy(&data).into_owned());
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(line);
        data.extend_from_slice(b"\r\n");
    }
}

async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> std::io::Result<()> {
    write.write_all(format!("{text}\r\n").as_bytes()).await?;
    write.flush().await
}

/// One header of a raw message (unfolded, name matched case-insensitively).
pub fn header(raw: &str, name: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    let head = raw
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace("\n ", " ")
        .replace("\n\t", " ");
    let prefix = format!("{}:", name.to_ascii_lowercase());
    head.lines().find_map(|line| {
        line.to_ascii_lowercase()
            .starts_with(&prefix)
            .then(|| line[prefix.len()..].trim().to_owned())
    })
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpStream;

    use super::{Mode, SmtpServer};

    /// A raw client: sends each line, returns each reply's first line.
    fn converse(port: u16, lines: &[&str]) -> Vec<String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut replies = vec![read_reply(&mut reader)];
        let mut in_data = false;
        for line in lines {
            writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
            if in_data && *line != "." {
                continue;
            }
            let reply = read_reply(&mut reader);
            in_data = reply.starts_with("354");
            replies.push(reply);
        }
        replies
    }

    fn read_reply(reader: &mut impl BufRead) -> String {
        let mut first = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if first.is_empty() {
                first = line.trim_end().to_owned();
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return first;
            }
        }
    }

    #[test]
    fn speaks_smtp_and_unstuffs_dots() {
        let server = SmtpServer::start();
        let replies = converse(
            server.port(),
            &[
                "EHLO client",
                "MAIL FROM:<a@x.example> BODY=8BITMIME",
                "RCPT TO:<b@y.example>",
                "RCPT TO:<c@y.example>",
                "DATA",
                "Subject: hi",
                "",
                "..dot line",
                ".",
                "NOOP",
                "QUIT",
            ],
        );
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(
            codes,
            [
                "220", "250", "250", "250", "250", "354", "250", "250", "221"
            ]
        );
        let got = server.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].mail_from, "a@x.example");
        assert_eq!(got[0].rcpt_to, ["b@y.example", "c@y.example"]);
        assert_eq!(got[0].data, "Subject: hi\r\n\r\n.dot line\r\n");
        assert_eq!(got[0].header("subject").as_deref(), Some("hi"));
    }

    #[test]
    fn refuses_on_demand_and_comes_back_on_the_same_port() {
        let mut server = SmtpServer::start();
        server.set_mode(Mode::Refuse(451));
        let replies = converse(server.port(), &["HELO c", "MAIL FROM:<a@x.example>"]);
        assert!(replies[2].starts_with("451"), "{replies:?}");
        server.set_mode(Mode::Accept);
        let port = server.port();
        server.stop();
        // Not a connection attempt: another test's listener may take the
        // freed port, or a loopback connect to a free ephemeral port may
        // connect to itself; neither says anything about this server.
        assert!(!server.is_running());
        server.resume();
        assert!(server.is_running());
        assert_eq!(server.port(), port);
        let replies = converse(port, &["RSET", "MAIL FROM:<a@x.example>", "QUIT"]);
        assert_eq!(replies[1].get(..3), Some("250"));
        assert_eq!(replies[2].get(..3), Some("503"), "EHLO first");
    }
}
