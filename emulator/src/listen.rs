//! The TCP side of the server: the accept loop, HTTP/1.1 connections with a
//! header-read timeout and an idle timeout, and graceful shutdown.
//!
//! * **Header-read timeout** (hyper's): a connection that has not sent a whole
//!   request head within [`Timeouts::header_read`] of starting to send it — or,
//!   between requests of a kept-alive connection, of the previous answer — is closed.
//! * **Idle timeout**: a connection on which no byte has been read or written for
//!   [`Timeouts::idle`] is closed, except while one of its requests is being answered
//!   (from the end of its body until its answer is handed back: see [`Answering`]),
//!   so that a channel's long poll is not cut. A client that stops sending a body it
//!   announced, or stops reading its answer, is covered.
//! * **Shutdown**: when the stop signal comes, no new connection is accepted, every
//!   connection finishes the request it is answering and closes, and the server's
//!   future ends when the last one has.

use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;

/// The connection timeouts of the TCP server.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// How long a client may take to send a request head.
    pub header_read: Duration,
    /// How long a connection may move no byte while none of its requests is being
    /// answered.
    pub idle: Duration,
}

/// The last moment bytes moved on a connection and how many of its requests are
/// being answered.
#[derive(Debug)]
struct Activity {
    start: Instant,
    /// Milliseconds from `start` to the last read or write that moved bytes.
    last_io_ms: AtomicU64,
    answering: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_io_ms: AtomicU64::new(0),
            answering: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_io_ms.store(ms, Ordering::Relaxed);
    }

    fn last_io(&self) -> Instant {
        self.start + Duration::from_millis(self.last_io_ms.load(Ordering::Relaxed))
    }
}

/// A request extension (requests arriving on a socket carry it): while an
/// [`AnsweringGuard`] from [`Answering::begin`] lives, the connection's idle timeout
/// does not run. The HTTP layer takes one once a request's body has been read.
#[derive(Debug, Clone)]
pub struct Answering(Arc<Activity>);

impl Answering {
    /// Marks the request as being answered until the guard is dropped.
    pub fn begin(&self) -> AnsweringGuard {
        self.0.answering.fetch_add(1, Ordering::Relaxed);
        AnsweringGuard(self.0.clone())
    }
}

/// See [`Answering::begin`].
#[derive(Debug)]
pub struct AnsweringGuard(Arc<Activity>);

impl Drop for AnsweringGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A TCP stream that records when bytes move on it.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `stop` resolves, then drains the open
/// connections.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    timeouts: Timeouts,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) {
    // Dropping `stop_rx` tells every connection to finish; every connection holds a
    // `done_rx` until it has closed.
    let (stop_tx, stop_rx) = watch::channel(());
    tokio::spawn(async move {
        stop.await;
        drop(stop_rx);
    });
    let (done_tx, done_rx) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop_tx.closed() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // too many open files and the like: wait a little, as axum does
                tracing::debug!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(
            stream,
            router.clone(),
            timeouts,
            stop_tx.clone(),
            done_rx.clone(),
        ));
    }
    drop(done_rx);
    drop(listener);
    done_tx.closed().await;
}

/// Serves one connection until it ends, times out or the server stops.
async fn connection(
    stream: TcpStream,
    router: axum::Router,
    timeouts: Timeouts,
    stop: watch::Sender<()>,
    done: watch::Receiver<()>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let answering = Answering(activity.clone());
    let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
        use tower::ServiceExt;
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(answering.clone());
        router.clone().oneshot(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    let mut conn = pin!(builder.serve_connection(io, service));
    let mut stopping = pin!(stop.closed());
    let mut stop_seen = false;
    let idle_check = tokio::time::sleep(timeouts.idle);
    let mut idle_check = pin!(idle_check);
    loop {
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!("connection ended: {e}");
                }
                break;
            }
            () = &mut stopping, if !stop_seen => {
                stop_seen = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut idle_check => {
                let quiet_until = activity.last_io() + timeouts.idle;
                let now = Instant::now();
                if activity.answering.load(Ordering::Relaxed) == 0 && quiet_until <= now {
                    tracing::debug!("closing a connection idle for {:?}", timeouts.idle);
                    break;
                }
                // look again when it may have gone quiet for long enough, or a little
                // later while a request is being answered
                let recheck = (timeouts.idle / 4).max(Duration::from_millis(10));
                idle_check.as_mut().reset(quiet_until.max(now + recheck));
            }
        }
    }
    drop(done);
}
