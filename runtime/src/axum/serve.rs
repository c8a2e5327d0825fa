//! Serving a router the way a public webhook endpoint needs: every client gets a bounded time to send its
//! request, the number of open connections is bounded, and shutdown waits for the deliveries in progress
//! but not for stalled clients.
//!
//! `axum::serve` has none of these limits: an idle connection, one that sent half its headers, or one
//! that stopped mid-body stays open (and keeps its buffers) as long as the client likes, and graceful
//! shutdown waits for all of them.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use ::axum::Router;
use ::axum::body::{Body, Bytes};
use ::axum::extract::ConnectInfo;
use ::axum::http::{Request, StatusCode};
use ::axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower_service::Service as _;

use crate::route::{BoxError, BoxFuture};

/// Serves `router` on `listener` over HTTP/1.1 with limits for a public endpoint; `.await` it to run
/// until Ctrl-C or SIGTERM.
///
/// ```no_run
/// # async fn run(router: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// webhook_runtime::axum::serve(listener, router).await;
/// # Ok(())
/// # }
/// ```
///
/// Every limit has a default for a Zoom webhook endpoint and a setter on [`Serve`]:
///
/// | limit | default | what happens |
/// | --- | --- | --- |
/// | [`header_read_timeout`](Serve::header_read_timeout) | [`DEFAULT_HEADER_READ_TIMEOUT`] (5 s) | a connection that has not sent a complete request head this long after it opened (or after its previous response) is closed |
/// | [`body_read_timeout`](Serve::body_read_timeout) | [`DEFAULT_BODY_READ_TIMEOUT`] (10 s) | a request whose body has not fully arrived this long after its head is answered 408 and its connection closed |
/// | [`max_connections`](Serve::max_connections) | [`DEFAULT_MAX_CONNECTIONS`] (512) | further connections wait in the listen queue until one closes |
/// | [`shutdown_timeout`](Serve::shutdown_timeout) | [`DEFAULT_SHUTDOWN_TIMEOUT`] (10 s) | after the shutdown signal, connections still open this long are dropped |
///
/// On the shutdown signal (Ctrl-C or SIGTERM by default, or the future given to
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown)) the listener is closed, idle connections
/// are closed, requests in progress are answered (without keep-alive), and whatever is still open after
/// the shutdown timeout is dropped.
///
/// Only HTTP/1.1 is served, which is what Zoom sends; put TLS in front (a load balancer or reverse
/// proxy), as Zoom only delivers to `https://` URLs.
pub fn serve(listener: TcpListener, router: Router) -> Serve {
    Serve {
        listener,
        router,
        header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
        body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        max_connections: DEFAULT_MAX_CONNECTIONS,
        shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        signal: None,
    }
}

/// How long a connection may take to send a complete request head: 5 seconds. Zoom sends its headers at
/// once; this also closes connections left idle.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a request's body may take to arrive after its head: 10 seconds. Zoom's deliveries are a few
/// kilobytes, and Zoom itself gives up after 3 seconds.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections are served at once: 512. Keep it below the process's open-file limit
/// (`ulimit -n`, often 1024), which the handlers' own files and sockets share.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How long shutdown waits for open connections before dropping them: 10 seconds.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// A server built by [`serve`]: set its limits, then `.await` it.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    max_connections: usize,
    shutdown_timeout: Duration,
    signal: Option<BoxFuture<'static, ()>>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("address", &self.listener.local_addr().ok())
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("max_connections", &self.max_connections)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("signal", &if self.signal.is_some() { "custom" } else { "Ctrl-C or SIGTERM" })
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// Sets how long a connection may take to send a complete request head, counted from when it opened
    /// or from its previous response; past it the connection is closed without an answer.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets how long a request's body may take to arrive, counted from when its head was read; past it
    /// the request is answered 408 and its connection closed. Bounds the time a slow client holds a
    /// partly read body in memory.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets how many connections are served at once (at least 1). At the limit no more connections are
    /// accepted until one closes; new ones wait in the listen queue.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Sets how long shutdown waits for open connections before it drops them.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Shuts down when `signal` completes, instead of on Ctrl-C or SIGTERM.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.signal = Some(Box::pin(signal));
        self
    }

    async fn run(self) {
        let Self {
            listener,
            router,
            header_read_timeout,
            body_read_timeout,
            max_connections,
            shutdown_timeout,
            signal,
        } = self;
        let mut signal = signal.unwrap_or_else(|| Box::pin(crate::shutdown_signal()));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
        let service = RouterService { router, timeout: body_read_timeout, peer: None };
        let slots = Arc::new(Semaphore::new(max_connections));
        let graceful = GracefulShutdown::new();
        let mut connections = JoinSet::new();

        loop {
            // Reap finished connection tasks so the set does not grow with every connection served.
            while connections.try_join_next().is_some() {}
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot,
                () = &mut signal => break,
            };
            // The semaphore is never closed.
            let Ok(slot) = slot else { break };
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        if pause_after(&err) {
                            tracing::warn!(error = %err, "cannot accept connections; retrying in 1 s");
                            tokio::select! {
                                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                                () = &mut signal => break,
                            }
                        }
                        continue;
                    }
                },
                () = &mut signal => break,
            };
            // Small answers: send them now rather than waiting for more to fill a packet.
            let (stream, peer) = stream;
            let _ = stream.set_nodelay(true);
            let service = RouterService { peer: Some(peer), ..service.clone() };
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            connections.spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(error = %err, "connection closed");
                }
                drop(slot);
            });
        }

        drop(listener);
        let open = graceful.count();
        tracing::info!(connections = open, "shutting down: finishing the requests in progress");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(shutdown_timeout) => tracing::warn!(
                timeout_ms = shutdown_timeout.as_millis(),
                "shutdown timeout reached; dropping the connections still open"
            ),
        }
        // Dropping the set aborts the connection tasks still running.
        drop(connections);
    }
}

impl IntoFuture for Serve {
    type Output = ();
    type IntoFuture = BoxFuture<'static, ()>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Whether an accept error means the process is out of a resource (descriptors, memory), so accepting
/// again at once would spin; errors about a single connection that went away do not.
fn pause_after(err: &io::Error) -> bool {
    !matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused
    )
}

/// The router as a hyper service, with a deadline on reading each request's body.
#[derive(Clone)]
struct RouterService {
    router: Router,
    timeout: Duration,
    /// The client's address, given to handlers as axum's `ConnectInfo<SocketAddr>` (as
    /// `into_make_service_with_connect_info` would), so the receiver's log names it.
    peer: Option<SocketAddr>,
}

impl hyper::service::Service<Request<Incoming>> for RouterService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let expired = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + self.timeout;
        let mut request = request;
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        let request = request.map(|body| {
            Body::new(DeadlineBody {
                inner: body,
                deadline: Box::pin(tokio::time::sleep_until(deadline)),
                expired: Arc::clone(&expired),
            })
        });
        let answer = self.router.clone().call(request);
        Box::pin(async move {
            let response = answer.await?;
            // Whatever the handler made of the failed read, the client was too slow.
            if expired.load(Ordering::Relaxed) {
                tracing::warn!("closed a connection whose request body did not arrive in time");
                return Ok((StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time").into_response());
            }
            Ok(response)
        })
    }
}

/// A request body that fails with [`BodyReadTimeout`] once its deadline has passed.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        // Checked first, so that a client trickling bytes cannot outlast it either.
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(BodyReadTimeout))));
        }
        Pin::new(&mut self.inner).poll_frame(cx).map_err(Into::into)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error a request body read fails with when the body did not arrive within the server's body read
/// timeout.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
struct BodyReadTimeout;
