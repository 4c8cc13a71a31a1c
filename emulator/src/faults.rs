//! Fault injection: [`FaultProxy`], a loopback HTTP/1.1 proxy that breaks a share of
//! the requests it passes to a server (normally a running emulator), so that a client's
//! real error paths — connection resets, early closes, truncated bodies, throttling —
//! run in tests and examples without a network.
//!
//! For every request the proxy reads the whole request, then does one of the
//! [`FaultKind`]s or forwards it untouched: the next step of a [script](FaultProxy::script)
//! if one is left, otherwise a choice drawn from a [`FaultMix`] with a seeded random
//! number generator (so a sequential run is the same every time; with concurrent
//! requests the order of the draws follows the order the requests arrive in).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use syncano_emulator::faults::{FaultKind, FaultMix, FaultProxy};
//! use syncano_emulator::{Emulator, EmulatorConfig};
//!
//! let server = Emulator::start(EmulatorConfig::default()).await?;
//! // 2 % of requests fail in each of the ways the proxy knows, with seed 7.
//! let proxy = FaultProxy::start(server.addr(), FaultMix::each(0.02), 7).await?;
//! // point the client under test at proxy.base_url() instead of server.base_url() …
//! // … and make the next request, whatever it is, fail with a connection reset:
//! proxy.script([Some(FaultKind::ResetBeforeForward)]);
//! println!("{:?}", proxy.stats());
//! proxy.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Bounds: the proxy binds `127.0.0.1` only and refuses a server address that is not a
//! loopback address; it reads at most [`MAX_MESSAGE_BYTES`] of a request or an answer,
//! handles at most [`MAX_CONNECTIONS`] connections at once, gives each request at most
//! [`REQUEST_DEADLINE`], and delays by at most [`MAX_DELAY`]. Each connection carries
//! one request: every answer it passes on says `connection: close`.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

/// The largest request or answer (head and body) the proxy reads.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;
/// The most connections the proxy serves at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// The longest a request may take through the proxy (reading, forwarding, answering).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(60);
/// The longest [`FaultKind::Delay`] the proxy waits.
pub const MAX_DELAY: Duration = Duration::from_secs(5);
/// The largest `Retry-After` (in seconds) the proxy's 503 and 429 answers carry.
pub const MAX_RETRY_AFTER_SECS: u64 = 5;
/// The largest request head the proxy reads.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// One way of breaking a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Answers `503 Service Unavailable` with `Retry-After` without forwarding.
    ServiceUnavailable,
    /// Answers `429 Too Many Requests` with `Retry-After` without forwarding (as the
    /// platform's throttle does, before the request reaches a view).
    TooManyRequests,
    /// Resets the connection (TCP RST) after reading the request, without forwarding it.
    ResetBeforeForward,
    /// Forwards the request, lets the server answer, then closes the connection
    /// without passing the answer on: the server applied the request, the client never
    /// learns it.
    DropAfterForward,
    /// Forwards the request, then passes on only the first half of the answer's body
    /// (of its head when the body is empty) and closes the connection.
    TruncateBody,
    /// Waits [`FaultMix::delay`] before forwarding; the answer itself is untouched.
    Delay,
}

impl FaultKind {
    /// Every kind, in the order of the variants.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::ServiceUnavailable,
        FaultKind::TooManyRequests,
        FaultKind::ResetBeforeForward,
        FaultKind::DropAfterForward,
        FaultKind::TruncateBody,
        FaultKind::Delay,
    ];

    /// A short name: `503`, `429`, `reset`, `drop-after-forward`, `truncate`, `delay`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ServiceUnavailable => "503",
            FaultKind::TooManyRequests => "429",
            FaultKind::ResetBeforeForward => "reset",
            FaultKind::DropAfterForward => "drop-after-forward",
            FaultKind::TruncateBody => "truncate",
            FaultKind::Delay => "delay",
        }
    }

    /// Whether the server receives the request (and so may have applied it).
    pub fn reaches_server(self) -> bool {
        matches!(
            self,
            FaultKind::DropAfterForward | FaultKind::TruncateBody | FaultKind::Delay
        )
    }

    fn index(self) -> usize {
        FaultKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or_default()
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How often each [`FaultKind`] happens to a request that no script step covers, and
/// the parameters of the faults.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultMix {
    rates: [f64; 6],
    retry_after_secs: u64,
    delay: Duration,
}

impl Default for FaultMix {
    fn default() -> Self {
        FaultMix::none()
    }
}

impl FaultMix {
    /// No faults: every request is forwarded (scripts still apply).
    pub fn none() -> Self {
        FaultMix {
            rates: [0.0; 6],
            retry_after_secs: 0,
            delay: Duration::from_millis(200),
        }
    }

    /// Each kind happens to a share `rate` (0.0 to 1.0) of the requests, so
    /// `6 × rate` of them meet a fault. The rates are scaled down to sum to 1 if
    /// they would exceed it.
    pub fn each(rate: f64) -> Self {
        FaultKind::ALL
            .iter()
            .fold(FaultMix::none(), |mix, kind| mix.with(*kind, rate))
    }

    /// Sets the share of requests meeting `kind` (clamped to 0.0 to 1.0; not a number
    /// counts as 0).
    pub fn with(mut self, kind: FaultKind, rate: f64) -> Self {
        self.rates[kind.index()] = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The `Retry-After` seconds of the 503 and 429 answers (default 0, at most
    /// [`MAX_RETRY_AFTER_SECS`]).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = seconds.min(MAX_RETRY_AFTER_SECS);
        self
    }

    /// How long [`FaultKind::Delay`] waits (default 200 ms, at most [`MAX_DELAY`]).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay.min(MAX_DELAY);
        self
    }

    /// The share of requests meeting `kind`.
    pub fn rate(&self, kind: FaultKind) -> f64 {
        self.rates[kind.index()]
    }

    /// Draws what happens to one request: a fault, or `None` to forward it.
    fn draw(&self, rng: &mut StdRng) -> Option<FaultKind> {
        let total: f64 = self.rates.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let scale = if total > 1.0 { total } else { 1.0 };
        let roll: f64 = rng.r#gen::<f64>() * scale;
        let mut edge = 0.0;
        for kind in FaultKind::ALL {
            edge += self.rate(kind);
            if roll < edge {
                return Some(kind);
            }
        }
        None
    }
}

/// What a proxy did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Requests read in full.
    pub requests: u64,
    /// Requests passed to the server (faulted or not).
    pub forwarded: u64,
    faults: [u64; 6],
}

impl FaultStats {
    /// How many requests met `kind`.
    pub fn faults(&self, kind: FaultKind) -> u64 {
        self.faults[kind.index()]
    }

    /// How many requests met any fault.
    pub fn total_faults(&self) -> u64 {
        self.faults.iter().sum()
    }
}

impl fmt::Display for FaultStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests, {} forwarded, {} faulted (",
            self.requests,
            self.forwarded,
            self.total_faults()
        )?;
        for (n, kind) in FaultKind::ALL.iter().enumerate() {
            let sep = if n == 0 { "" } else { ", " };
            write!(f, "{sep}{kind}: {}", self.faults(*kind))?;
        }
        f.write_str(")")
    }
}

/// The state the proxy's tasks share.
struct Shared {
    upstream: SocketAddr,
    mix: Mutex<FaultMix>,
    rng: Mutex<StdRng>,
    script: Mutex<VecDeque<Option<FaultKind>>>,
    stats: Mutex<FaultStats>,
}

/// Locks a mutex, also after a task panicked while holding it (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// What to do with the next request, counted in the stats.
    fn decide(&self) -> (Option<FaultKind>, FaultMix) {
        let mix = lock(&self.mix).clone();
        let scripted = lock(&self.script).pop_front();
        let fault = match scripted {
            Some(step) => step,
            None => mix.draw(&mut lock(&self.rng)),
        };
        let mut stats = lock(&self.stats);
        stats.requests += 1;
        if let Some(kind) = fault {
            stats.faults[kind.index()] += 1;
        }
        if fault.is_none_or(FaultKind::reaches_server) {
            stats.forwarded += 1;
        }
        (fault, mix)
    }
}

/// A running fault-injecting proxy; see the [module documentation](self). Dropping it
/// stops accepting connections.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .field("mix", &*lock(&self.shared.mix))
            .finish_non_exhaustive()
    }
}

impl FaultProxy {
    /// Starts a proxy on a free port of `127.0.0.1` in front of the server at
    /// `upstream`, breaking requests as `mix` says, with random draws seeded by `seed`.
    ///
    /// # Errors
    /// `InvalidInput` when `upstream` is not a loopback address; the bind error when no
    /// port can be bound.
    pub async fn start(upstream: SocketAddr, mix: FaultMix, seed: u64) -> io::Result<FaultProxy> {
        if !upstream.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the fault proxy only fronts loopback servers, not {upstream}"),
            ));
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            mix: Mutex::new(mix),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            script: Mutex::new(VecDeque::new()),
            stats: Mutex::new(FaultStats::default()),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared), stopped));
        Ok(FaultProxy {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The proxy's base URL, e.g. `http://127.0.0.1:40124`: give it to the client
    /// under test in place of the server's.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Replaces the mix for the requests that follow.
    pub fn set_mix(&self, mix: FaultMix) {
        *lock(&self.shared.mix) = mix;
    }

    /// Scripts the next requests, in the order they are read: `Some(kind)` meets that
    /// fault, `None` is forwarded untouched. Steps are added after any left from an
    /// earlier script; once all are used up, the mix decides again.
    pub fn script(&self, steps: impl IntoIterator<Item = Option<FaultKind>>) {
        lock(&self.shared.script).extend(steps);
    }

    /// Drops the script steps not used yet.
    pub fn clear_script(&self) {
        lock(&self.shared.script).clear();
    }

    /// The script steps not used yet.
    pub fn script_len(&self) -> usize {
        lock(&self.shared.script).len()
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> FaultStats {
        lock(&self.shared.stats).clone()
    }

    /// Stops accepting connections and waits for the accepting task to end
    /// (connections being served finish on their own, within [`REQUEST_DEADLINE`]).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Accepts connections until `stopped`, at most [`MAX_CONNECTIONS`] served at once.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(REQUEST_DEADLINE, serve(stream, &shared)).await;
        });
    }
}

/// Serves the one request of a connection.
async fn serve(mut client: TcpStream, shared: &Shared) -> io::Result<()> {
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let (fault, mix) = shared.decide();
    match fault {
        Some(FaultKind::ServiceUnavailable) => {
            let answer = refusal(503, "Service Unavailable", mix.retry_after_secs);
            return finish(client, &answer).await;
        }
        Some(FaultKind::TooManyRequests) => {
            let answer = refusal(429, "Too Many Requests", mix.retry_after_secs);
            return finish(client, &answer).await;
        }
        Some(FaultKind::ResetBeforeForward) => {
            client.set_zero_linger()?;
            drop(client);
            return Ok(());
        }
        Some(FaultKind::Delay) => tokio::time::sleep(mix.delay).await,
        Some(FaultKind::DropAfterForward | FaultKind::TruncateBody) | None => {}
    }
    let answer = match forward(shared.upstream, &request).await {
        Ok(answer) => answer,
        Err(e) => {
            let text = format!("the fault proxy could not reach the server: {e}");
            let answer = plain_answer(502, "Bad Gateway", &[], &text);
            return finish(client, &answer).await;
        }
    };
    match fault {
        Some(FaultKind::DropAfterForward) => {
            client.shutdown().await?;
            Ok(())
        }
        Some(FaultKind::TruncateBody) => {
            let cut = if answer.bytes.len() > answer.head_len {
                answer.head_len + (answer.bytes.len() - answer.head_len) / 2
            } else {
                answer.head_len / 2
            };
            finish(client, &answer.bytes[..cut]).await
        }
        _ => finish(client, &answer.bytes).await,
    }
}

/// Writes `bytes` and closes the connection cleanly.
async fn finish(mut client: TcpStream, bytes: &[u8]) -> io::Result<()> {
    client.write_all(bytes).await?;
    client.shutdown().await
}

/// A request read in full, its head rewritten to close the connection after the answer.
struct Request {
    bytes: Vec<u8>,
}

/// An answer read in full, its head rewritten to say `connection: close`.
struct Answer {
    bytes: Vec<u8>,
    head_len: usize,
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Reads more of `stream` into `buf`; `false` at the end of the stream.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<bool> {
    if buf.len() >= MAX_MESSAGE_BYTES {
        return Err(invalid("message too large for the fault proxy"));
    }
    let mut chunk = [0u8; 16 * 1024];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n > 0)
}

/// Reads one request (head and body); `None` when the client closed first.
async fn read_request(stream: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let (head_len, head) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 100];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf).map_err(|e| invalid(e.to_string()))? {
            httparse::Status::Complete(len) => {
                let method = parsed.method.unwrap_or("GET");
                let path = parsed.path.unwrap_or("/");
                let head = rewrite_head(&format!("{method} {path} HTTP/1.1"), parsed.headers);
                let framing = Framing::of(parsed.headers)?;
                break (len, (head, framing));
            }
            httparse::Status::Partial => {
                if buf.len() > MAX_HEAD_BYTES {
                    return Err(invalid("request head too large"));
                }
                if !fill(stream, &mut buf).await? {
                    return Ok(None);
                }
            }
        }
    };
    let (head, framing) = head;
    let body_len = read_body(stream, &mut buf, head_len, framing, false).await?;
    let mut bytes = head;
    bytes.extend_from_slice(&buf[head_len..head_len + body_len]);
    Ok(Some(Request { bytes }))
}

/// Sends `request` to `upstream` on a new connection and reads the answer in full.
async fn forward(upstream: SocketAddr, request: &Request) -> io::Result<Answer> {
    let mut server = TcpStream::connect(upstream).await?;
    server.write_all(&request.bytes).await?;
    let mut buf = Vec::new();
    let (head_len, head, framing) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 100];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(&buf).map_err(|e| invalid(e.to_string()))? {
            httparse::Status::Complete(len) => {
                let code = parsed.code.unwrap_or(502);
                let reason = parsed.reason.unwrap_or("");
                let head = rewrite_head(&format!("HTTP/1.1 {code} {reason}"), parsed.headers);
                let framing = if code == 204 || code == 304 || (100..200).contains(&code) {
                    Framing::Length(0)
                } else {
                    Framing::of(parsed.headers)?
                };
                break (len, head, framing);
            }
            httparse::Status::Partial => {
                if buf.len() > MAX_HEAD_BYTES {
                    return Err(invalid("answer head too large"));
                }
                if !fill(&mut server, &mut buf).await? {
                    return Err(invalid("the server closed before answering"));
                }
            }
        }
    };
    let body_len = read_body(&mut server, &mut buf, head_len, framing, true).await?;
    let new_head_len = head.len();
    let mut bytes = head;
    bytes.extend_from_slice(&buf[head_len..head_len + body_len]);
    Ok(Answer {
        bytes,
        head_len: new_head_len,
    })
}

/// How the end of a message body is found.
#[derive(Clone, Copy)]
enum Framing {
    /// `content-length` bytes (0 without the header, for a request).
    Length(usize),
    /// `transfer-encoding: chunked`.
    Chunked,
    /// Until the connection closes (an answer without either header).
    UntilClose,
}

impl Framing {
    fn of(headers: &[httparse::Header<'_>]) -> io::Result<Framing> {
        let value = |name: &str| {
            headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
        };
        if value("transfer-encoding").is_some_and(|v| v.ends_with("chunked")) {
            return Ok(Framing::Chunked);
        }
        match value("content-length") {
            Some(v) => v
                .parse()
                .map(Framing::Length)
                .map_err(|_| invalid(format!("bad content-length {v:?}"))),
            None => Ok(Framing::UntilClose),
        }
    }
}

/// Reads the body starting at `start` of `buf`; returns its length in `buf`. A request
/// without framing headers has no body; an answer without them runs to the close.
async fn read_body(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    start: usize,
    framing: Framing,
    is_answer: bool,
) -> io::Result<usize> {
    match framing {
        Framing::Length(len) => {
            if len > MAX_MESSAGE_BYTES {
                return Err(invalid("body too large for the fault proxy"));
            }
            while buf.len() < start + len {
                if !fill(stream, buf).await? {
                    return Err(invalid("the peer closed within the body"));
                }
            }
            Ok(len)
        }
        Framing::UntilClose if !is_answer => Ok(0),
        Framing::UntilClose => {
            while fill(stream, buf).await? {}
            Ok(buf.len() - start)
        }
        Framing::Chunked => loop {
            if let Some(len) = chunked_len(&buf[start..])? {
                return Ok(len);
            }
            if !fill(stream, buf).await? {
                return Err(invalid("the peer closed within a chunked body"));
            }
        },
    }
}

/// The length of a complete chunked body at the start of `bytes` (trailers included),
/// or `None` if more is needed.
fn chunked_len(bytes: &[u8]) -> io::Result<Option<usize>> {
    let mut at = 0;
    loop {
        let Some(line_end) = find_crlf(&bytes[at..]) else {
            return Ok(None);
        };
        let line = String::from_utf8_lossy(&bytes[at..at + line_end]);
        let size_text = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| invalid(format!("bad chunk size {size_text:?}")))?;
        at += line_end + 2;
        if size == 0 {
            // trailers, each ending in CRLF, then an empty line
            loop {
                let Some(end) = find_crlf(&bytes[at..]) else {
                    return Ok(None);
                };
                at += end + 2;
                if end == 0 {
                    return Ok(Some(at));
                }
            }
        }
        if size > MAX_MESSAGE_BYTES || bytes.len() < at + size + 2 {
            return if size > MAX_MESSAGE_BYTES {
                Err(invalid("chunk too large for the fault proxy"))
            } else {
                Ok(None)
            };
        }
        at += size + 2;
    }
}

fn find_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// A message head with `first_line`, the `headers` except the connection ones, and
/// `connection: close`.
fn rewrite_head(first_line: &str, headers: &[httparse::Header<'_>]) -> Vec<u8> {
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(first_line.as_bytes());
    head.extend_from_slice(b"\r\n");
    for header in headers {
        if header.name.eq_ignore_ascii_case("connection")
            || header.name.eq_ignore_ascii_case("keep-alive")
        {
            continue;
        }
        head.extend_from_slice(header.name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(header.value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"connection: close\r\n\r\n");
    head
}

/// The proxy's own 503 or 429 answer.
fn refusal(status: u16, reason: &str, retry_after_secs: u64) -> Vec<u8> {
    let retry_after = retry_after_secs.to_string();
    let body = format!("{{\"detail\": \"{reason} (injected by the fault proxy).\"}}");
    plain_answer(
        status,
        reason,
        &[
            ("retry-after", &retry_after),
            ("content-type", "application/json"),
        ],
        &body,
    )
}

/// An answer with `status`, `headers`, `body` and `connection: close`.
fn plain_answer(status: u16, reason: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut answer = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        answer.push_str(&format!("{name}: {value}\r\n"));
    }
    answer.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    answer.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_are_measured_to_their_end() {
        let body = b"4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\n\r\nNEXT";
        assert_eq!(chunked_len(body).unwrap(), Some(body.len() - 4));
        assert_eq!(chunked_len(&body[..10]).unwrap(), None);
        assert!(chunked_len(b"zz\r\n").is_err());
    }

    #[test]
    fn the_mix_draws_each_kind_at_its_rate() {
        let mix = FaultMix::each(0.1);
        let mut rng = StdRng::seed_from_u64(1);
        let mut counts = [0u32; 7];
        for _ in 0..60_000 {
            let slot = mix.draw(&mut rng).map_or(6, FaultKind::index);
            counts[slot] += 1;
        }
        for (slot, count) in counts.iter().enumerate().take(6) {
            assert!((5_000..7_000).contains(count), "kind {slot}: {count}");
        }
        assert!(
            (22_000..26_000).contains(&counts[6]),
            "forwarded: {}",
            counts[6]
        );
        assert_eq!(FaultMix::none().draw(&mut rng), None);
    }

    #[test]
    fn rates_beyond_one_are_scaled_and_nonsense_is_clamped() {
        let mix = FaultMix::each(0.5).with(FaultKind::Delay, f64::NAN);
        assert_eq!(mix.rate(FaultKind::Delay), 0.0);
        let mut rng = StdRng::seed_from_u64(2);
        assert!((0..100).all(|_| mix.draw(&mut rng).is_some()));
        assert_eq!(
            FaultMix::none().retry_after(99).retry_after_secs,
            MAX_RETRY_AFTER_SECS
        );
    }

    #[tokio::test]
    async fn a_server_that_is_not_loopback_is_refused() {
        let remote: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let error = FaultProxy::start(remote, FaultMix::none(), 0)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    }
}
