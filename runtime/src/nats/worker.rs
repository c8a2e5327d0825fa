//! Running the routes on the deliveries a receiver handed off to JetStream.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_nats::jetstream::context::CreateStreamErrorKind;
use async_nats::jetstream::message::AckKind;
use async_nats::jetstream::stream::ConsumerErrorKind;
use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{
    ATTEMPTS_HEADER, DEFAULT_CONSUMER, DEFAULT_DUPLICATE_WINDOW, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX,
    DELIVERY_KEY_HEADER, ERROR_HEADER, EVENT_HEADER, MODULE_HEADER, MSG_ID_HEADER, NatsError, StreamLimits,
    ensure_stream, message_size, subject,
};
use crate::duplicates::{Claim, DeliveryKey, DuplicateFilter};
use crate::error_chain::ErrorChain;
use crate::route::BoxError;
use crate::route_table::{Failure, Routes, fallback};
use crate::{InvalidDelivery, Received, Route, UnknownEvent};

/// How long a worker first waits before claiming a body again while an identical one is in flight or the
/// duplicate store cannot answer; the pause doubles after each try, up to [`MAX_CLAIM_RETRY_PAUSE`].
const CLAIM_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The longest pause between two claims of one held body: while the store is down, each held message
/// logs the store's error at most this often, rather than flooding the log and the recovering store.
const MAX_CLAIM_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// How long a worker first waits before setting up the stream and the consumer again while NATS cannot be
/// reached; the pause doubles after each try, up to [`MAX_SETUP_RETRY_PAUSE`].
const SETUP_RETRY_PAUSE: Duration = Duration::from_millis(500);

/// The longest pause between two tries to set up the stream and the consumer.
const MAX_SETUP_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Why setting up the stream and the consumer failed.
enum Setup {
    /// NATS or JetStream did not answer: try again.
    Unreachable(NatsError),
    /// The server answered with a refusal: trying again would not help.
    Refused(NatsError),
}

/// What a dead letter records of the delivery it holds.
#[derive(Clone, Copy)]
struct Dead<'a> {
    name: Option<&'a str>,
    module: Option<&'a str>,
    /// The delivery key, in the dead letter's message id.
    key: DeliveryKey,
    /// How many times the delivery was given to a worker.
    delivered: u32,
    /// The original's stream sequence.
    sequence: u64,
}

/// The shortest period of the in-progress acknowledgements, for a very short ack wait.
const MIN_PROGRESS_PERIOD: Duration = Duration::from_millis(100);

/// Runs the handlers of the deliveries a receiver handed off to JetStream (through a [`JetStreamSink`](super::JetStreamSink)),
/// with the same [`Route`]s a receiver takes.
///
/// Workers share one durable pull consumer ([`Worker::consumer`]), so any number of them, in any number
/// of processes, split the deliveries between them. See the [module docs](super) for the retry and
/// dead-letter policy.
#[derive(Debug)]
pub struct Worker {
    context: jetstream::Context,
    stream: String,
    prefix: String,
    consumer: String,
    routes: Routes,
    duplicates: Option<DuplicateFilter>,
    max_attempts: u32,
    backoff: Vec<Duration>,
    ack_wait: Duration,
    concurrency: usize,
}

impl Worker {
    /// How many times a delivery is handed to a handler by default before it goes to the dead letters.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

    /// How long JetStream waits by default for a worker's answer before redelivering a message (to this
    /// or another worker): 30 seconds.
    pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

    /// How many deliveries one worker handles at once by default.
    pub const DEFAULT_CONCURRENCY: usize = 16;

    /// The delays before each retry by default: 1 s, 5 s, 30 s, then 2 minutes.
    pub fn default_backoff() -> Vec<Duration> {
        [1, 5, 30, 120].map(Duration::from_secs).to_vec()
    }

    /// Connects to the NATS server at `url`, for the stream [`DEFAULT_STREAM`] and the consumer
    /// [`DEFAULT_CONSUMER`]. It does not wait for the server: the client connects in the background and
    /// reconnects whenever the connection breaks; [`Worker::run_until`] waits for it.
    ///
    /// # Errors
    ///
    /// [`NatsError::Connect`] when `url` is not a NATS address.
    pub async fn connect(url: &str) -> Result<Self, NatsError> {
        Ok(Self::new(super::connect(url).await?))
    }

    /// A worker reading through `context`, with no routes and the defaults.
    pub fn new(context: jetstream::Context) -> Self {
        Self {
            context,
            stream: DEFAULT_STREAM.to_owned(),
            prefix: DEFAULT_SUBJECT_PREFIX.to_owned(),
            consumer: DEFAULT_CONSUMER.to_owned(),
            routes: Routes::default(),
            duplicates: None,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            backoff: Self::default_backoff(),
            ack_wait: Self::DEFAULT_ACK_WAIT,
            concurrency: Self::DEFAULT_CONCURRENCY,
        }
    }

    /// Sets the stream's name ([`DEFAULT_STREAM`] by default), as the sink has it.
    #[must_use]
    pub fn stream(mut self, name: impl Into<String>) -> Self {
        self.stream = name.into();
        self
    }

    /// Sets the first token of the subjects ([`DEFAULT_SUBJECT_PREFIX`] by default), as the sink has it.
    #[must_use]
    pub fn subject_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Sets the durable consumer's name ([`DEFAULT_CONSUMER`] by default). Workers with the same name
    /// share the deliveries. A stream the sink or a worker creates is a work queue, which takes one
    /// consumer on the deliveries: a worker with another name is refused ([`NatsError::Consumer`]).
    #[must_use]
    pub fn consumer(mut self, durable_name: impl Into<String>) -> Self {
        self.consumer = durable_name.into();
        self
    }

    /// Adds the route of one module, such as `number_management::route(handler)`: a delivery goes to the
    /// route of the module the receiver named, else to the first route answering for its webhook name.
    #[must_use]
    pub fn route(mut self, route: Route) -> Self {
        self.routes.push(route);
        self
    }

    /// Sets the fallback for webhooks no route answers for; it gets the name and the whole body. Without
    /// one, such deliveries are acknowledged and logged at `info` level. Its error is retried like a
    /// handler's.
    #[must_use]
    pub fn on_unknown<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(UnknownEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.routes.set_unknown(fallback(handler));
        self
    }

    /// Sets the handler for deliveries whose payload does not match its webhook's schema
    /// ([`InvalidDelivery`]). Its error is retried like a handler's. Without one, such deliveries go to
    /// the dead letters at once (retrying would not make them parse).
    #[must_use]
    pub fn on_invalid<F, Fut, E>(mut self, handler: F) -> Self
    where
        F: Fn(InvalidDelivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<BoxError>,
    {
        self.routes.set_invalid(fallback(handler));
        self
    }

    /// Switches on a duplicate filter keyed by each message's delivery key (its `Webhook-Delivery-Key`:
    /// the `webhook-id` for Standard Webhooks, the body for Zoom; the body for a message without the
    /// header): a key already handled within the filter's time-to-live is acknowledged without calling
    /// the handler again (JetStream's own window is only minutes long). While the same key is in flight
    /// elsewhere, or the store cannot answer (failing closed), the message is held in progress and the
    /// claim tried again; see the [module docs](super).
    #[must_use]
    pub fn duplicate_filter(mut self, filter: DuplicateFilter) -> Self {
        self.duplicates = Some(filter);
        self
    }

    /// Sets after how many deliveries to a failing handler a message goes to the dead letters (5 by
    /// default; at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the delays before the retries: the delay before attempt `n + 1` is `backoff[n - 1]`, the last
    /// one repeating (1 s, 5 s, 30 s, 2 min by default). An empty list retries without delay.
    #[must_use]
    pub fn backoff(mut self, delays: Vec<Duration>) -> Self {
        self.backoff = delays;
        self
    }

    /// Sets how long JetStream waits for an answer before it redelivers a message, when the consumer is
    /// created (30 s by default; an existing consumer keeps its own): how soon the deliveries of a worker
    /// that died are handled again. Running handlers are kept in progress, so it need not cover the slowest
    /// one; but a worker fetches up to [`Worker::concurrency`] messages ahead, which wait unacknowledged
    /// while every slot is busy, so keep it longer than a handler usually takes.
    #[must_use]
    pub fn ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// Sets how many deliveries this worker handles at once (16 by default; at least 1).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Runs until the message stream fails; see [`Worker::run_until`].
    ///
    /// # Errors
    ///
    /// As [`Worker::run_until`].
    pub async fn run(self) -> Result<(), NatsError> {
        self.run_until(std::future::pending()).await
    }

    /// Ensures the stream and the durable consumer exist, then handles deliveries until `shutdown`
    /// completes; the deliveries being handled then are finished (acknowledged or not) before it returns.
    ///
    /// While NATS cannot be reached (at start, or JetStream not answering yet) the worker waits and tries
    /// again, logging each failed try (the pause doubles from half a second up to 5 s), and returns `Ok`
    /// if `shutdown` completes first; once running, the client reconnects by itself. A stream the worker
    /// creates (no receiver created it yet) is created as the sink would, with the default duplicate
    /// window and no limits; for others, create it first with the sink's
    /// [`JetStreamSink::ensure_stream`](super::JetStreamSink::ensure_stream).
    ///
    /// # Errors
    ///
    /// [`NatsError::Stream`] or [`NatsError::Consumer`] when the server refuses the stream or the consumer
    /// (a stream of that name with other subjects, a second consumer on a work-queue stream's
    /// deliveries), or the consumer was deleted while running.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> Result<(), NatsError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut pause = SETUP_RETRY_PAUSE;
        let mut messages = loop {
            let opened = tokio::select! {
                () = &mut shutdown => return Ok(()),
                opened = self.open() => opened,
            };
            match opened {
                Ok(messages) => break messages,
                Err(Setup::Refused(err)) => return Err(err),
                Err(Setup::Unreachable(err)) => {
                    tracing::error!(stream = self.stream, consumer = self.consumer, error = %ErrorChain(&err), retry_in_ms = pause.as_millis(), "cannot reach NATS JetStream; trying again");
                }
            }
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(MAX_SETUP_RETRY_PAUSE);
        };
        let consumer_name = self.consumer.clone();
        let consumer_error = move |source: BoxError| NatsError::Consumer { consumer: consumer_name.clone(), source };
        tracing::info!(stream = self.stream, consumer = self.consumer, "worker started");
        let worker = Arc::new(self);
        let (stop, stopping) = watch::channel(false);
        let permits = Arc::new(Semaphore::new(worker.concurrency));
        let mut running = JoinSet::new();
        let outcome = loop {
            // A slot first, then a message: a message is only taken when it can be handled at once (and is
            // then kept in progress), never left waiting for a slot while its ack wait runs out.
            let permit = tokio::select! {
                () = &mut shutdown => break Ok(()),
                permit = Arc::clone(&permits).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break Ok(()),
                },
            };
            let next = tokio::select! {
                () = &mut shutdown => break Ok(()),
                next = messages.next() => next,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(err)) => match err.kind() {
                    consumer::pull::MessagesErrorKind::ConsumerDeleted => break Err(consumer_error(err.into())),
                    _ => {
                        tracing::warn!(error = %ErrorChain(&err), "reading the consumer failed; reading on");
                        continue;
                    }
                },
                None => break Ok(()),
            };
            let worker = Arc::clone(&worker);
            let stopping = stopping.clone();
            running.spawn(async move {
                worker.process(message, stopping).await;
                drop(permit);
            });
            // Collect the finished ones, so the set does not grow.
            while running.try_join_next().is_some() {}
        };
        // Messages held for a duplicate claim are let go; handlers running are finished.
        let _ = stop.send(true);
        while running.join_next().await.is_some() {}
        outcome
    }

    /// Gets or creates the stream and the durable consumer, and opens its messages.
    async fn open(&self) -> Result<consumer::pull::Stream, Setup> {
        let connected = || self.context.client().connection_state() == async_nats::connection::State::Connected;
        let stream =
            ensure_stream(&self.context, &self.stream, &self.prefix, DEFAULT_DUPLICATE_WINDOW, StreamLimits::default())
                .await
                .map_err(|err| {
                    let transient = matches!(&err, NatsError::Stream { source, .. } if matches!(source.kind(), CreateStreamErrorKind::JetStreamUnavailable | CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::Response));
                    if transient || !connected() { Setup::Unreachable(err) } else { Setup::Refused(err) }
                })?;
        let consumer_error = |source: BoxError| NatsError::Consumer { consumer: self.consumer.clone(), source };
        let config = consumer::pull::Config {
            durable_name: Some(self.consumer.clone()),
            filter_subject: format!("{}.deliveries.>", self.prefix),
            ack_wait: self.ack_wait,
            ..Default::default()
        };
        let consumer = stream.get_or_create_consumer(&self.consumer, config).await.map_err(|err| {
            let transient = matches!(err.kind(), ConsumerErrorKind::TimedOut | ConsumerErrorKind::Request);
            let err = consumer_error(err.into());
            if transient || !connected() { Setup::Unreachable(err) } else { Setup::Refused(err) }
        })?;
        consumer
            .stream()
            .max_messages_per_batch(self.concurrency)
            .messages()
            .await
            .map_err(|err| Setup::Unreachable(consumer_error(err.into())))
    }

    /// Handles one message: acknowledges it once handled or dead-lettered, else asks for its redelivery.
    async fn process(&self, message: jetstream::Message, stopping: watch::Receiver<bool>) {
        let (delivered, sequence, published) = match message.info() {
            Ok(info) => (
                u32::try_from(info.delivered).unwrap_or(u32::MAX),
                info.stream_sequence,
                SystemTime::from(info.published),
            ),
            Err(err) => {
                tracing::error!(error = %err, subject = %message.subject, "a message without JetStream metadata; leaving it");
                return;
            }
        };
        let header = |name: &str| {
            message.headers.as_ref().and_then(|headers| headers.get(name)).map(|value| value.as_str().to_owned())
        };
        let module = header(MODULE_HEADER);
        let sha256 = DeliveryKey::of(&message.payload);
        // A message published without the header (by an earlier version of the sink) is keyed by its body.
        let key = match header(DELIVERY_KEY_HEADER) {
            None => Some(sha256),
            Some(hex) => DeliveryKey::from_hex(&hex),
        };
        let (Some(name), Some(key)) = (header(EVENT_HEADER), key) else {
            let error = match header(EVENT_HEADER) {
                None => format!("the message has no {EVENT_HEADER} header"),
                Some(_) => format!("the message's {DELIVERY_KEY_HEADER} header is not 64 hex digits"),
            };
            let dead = Dead { name: None, module: None, key: sha256, delivered, sequence };
            self.dead_letter(&message, &dead, &error).await;
            return;
        };
        let (sha256, key_hex) = (sha256.to_hex(), key.to_hex());
        let dead = Dead { name: Some(&name), module: module.as_deref(), key, delivered, sequence };
        let route = self.routes.find(module.as_deref(), &name);
        let claim = match &self.duplicates {
            Some(filter) => match self.in_progress(&message, self.claim(filter, key, stopping)).await {
                Claim::Duplicate => {
                    tracing::debug!(event = name, key = key_hex, sha256, "duplicate delivery, already handled");
                    self.ack(&message, AckKind::Ack).await;
                    return;
                }
                Claim::First(claim) => Some(claim),
                Claim::Unfiltered => None,
                // Stopping: left unacknowledged, redelivered after the ack wait.
                Claim::InFlight | Claim::StoreDown => return,
            },
            None => None,
        };
        // The time JetStream stored the message: when the receiver handed the delivery off.
        let received = Received::new(name.as_str(), message.payload.clone()).with_key(key).with_received_at(published);
        match self.in_progress(&message, self.routes.handle(route, &received)).await {
            Ok(()) => {
                if let Some(claim) = claim {
                    // Marked before the log line and the ack: a worker killed in between leaves a mark, so
                    // the redelivery is recognised as a duplicate.
                    if let Err(err) = claim.try_handled().await {
                        let delay = self.delay(delivered);
                        tracing::warn!(event = name, key = key_hex, sha256, error = %ErrorChain(&err), retry_in_ms = delay.as_millis(), "handled, but the duplicate store did not record it; retrying later");
                        self.ack(&message, AckKind::Nak(Some(delay))).await;
                        return;
                    }
                }
                tracing::info!(event = name, module = route.map(Route::module), key = key_hex, sha256, "handled");
                self.ack(&message, AckKind::Ack).await;
            }
            // Retrying would not make it parse.
            Err(failure @ Failure::Parse(_)) => self.dead_letter(&message, &dead, &failure.to_string()).await,
            Err(failure) if delivered >= self.max_attempts => {
                self.dead_letter(&message, &dead, &failure.to_string()).await;
            }
            Err(failure) => {
                let delay = self.delay(delivered);
                tracing::warn!(event = name, module = route.map(Route::module), attempt = delivered, error = %failure, retry_in_ms = delay.as_millis(), "webhook handler failed; retrying later");
                self.ack(&message, AckKind::Nak(Some(delay))).await;
            }
        }
    }

    /// Claims the body in the duplicate filter, trying again while an identical delivery is in flight or
    /// the store cannot answer (the message is held meanwhile, see [`Worker::in_progress`]); the last
    /// answer when the worker is stopping.
    async fn claim(&self, filter: &DuplicateFilter, key: DeliveryKey, mut stopping: watch::Receiver<bool>) -> Claim {
        let mut pause = CLAIM_RETRY_PAUSE;
        loop {
            let claim = filter.claim(key).await;
            if !matches!(claim, Claim::InFlight | Claim::StoreDown) || *stopping.borrow() {
                return claim;
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = stopping.changed() => return claim,
            }
            pause = (pause * 2).min(MAX_CLAIM_RETRY_PAUSE);
        }
    }

    /// Runs `work` while telling JetStream the message is in progress every third of the ack wait, so it
    /// is not redelivered meanwhile; a worker that dies stops telling, and the message comes back after
    /// the ack wait.
    async fn in_progress<T>(&self, message: &jetstream::Message, work: impl Future<Output = T>) -> T {
        let mut work = std::pin::pin!(work);
        let period = (self.ack_wait / 3).max(MIN_PROGRESS_PERIOD);
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            tokio::select! {
                output = &mut work => return output,
                _ = ticks.tick() => {
                    if let Err(err) = message.ack_with(AckKind::Progress).await {
                        tracing::warn!(error = %err, subject = %message.subject, "could not tell JetStream a message is in progress; it may be redelivered");
                    }
                }
            }
        }
    }

    /// The delay before the attempt after attempt `delivered`.
    fn delay(&self, delivered: u32) -> Duration {
        let index = usize::try_from(delivered.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff.get(index).or(self.backoff.last()).copied().unwrap_or_default()
    }

    /// Publishes the message as a dead letter and, once JetStream stored it, takes the original off the
    /// consumer; if it cannot be stored, the original is redelivered later.
    async fn dead_letter(&self, message: &jetstream::Message, dead: &Dead<'_>, error: &str) {
        let Dead { name, module, key, delivered, sequence } = *dead;
        let key = key.to_hex();
        let mut headers = message.headers.clone().unwrap_or_default();
        headers.insert(MSG_ID_HEADER, format!("dead-{key}-{sequence}"));
        headers.insert(ATTEMPTS_HEADER, delivered.to_string());
        // Header values are one line; the error is shortened so the dead letter stays within the server's
        // limit, which the sink left room for (a message over it would close the connection).
        headers.insert(ERROR_HEADER, "");
        let limit = self.context.client().server_info().max_payload;
        let size = message_size(&headers, message.payload.len());
        if limit > 0 && size > limit {
            // Published by something else than the sink, without the room: retried, never dropped.
            tracing::error!(
                event = name,
                module,
                key,
                size,
                limit,
                error,
                "a dead letter of this delivery would exceed the server's max_payload; it stays in the stream and is retried"
            );
            self.ack(message, AckKind::Nak(Some(self.delay(delivered)))).await;
            return;
        }
        let header_error = one_line_within(error, if limit > 0 { limit - size } else { usize::MAX });
        headers.insert(ERROR_HEADER, header_error);
        let subject = subject(&self.prefix, "dead", module);
        let published = async {
            self.context.publish_with_headers(subject, headers, message.payload.clone()).await?.await?;
            Ok::<_, BoxError>(())
        };
        match published.await {
            Ok(()) => {
                tracing::error!(
                    event = name,
                    module,
                    key,
                    attempts = delivered,
                    error,
                    "webhook delivery moved to the dead letters"
                );
                self.ack(message, AckKind::Term).await;
            }
            Err(err) => {
                tracing::error!(event = name, module, key, error = %ErrorChain(&*err), "could not store a dead letter; the delivery is retried");
                self.ack(message, AckKind::Nak(Some(self.delay(delivered)))).await;
            }
        }
    }

    /// Answers JetStream for `message`, waiting for the server's confirmation; a lost answer is logged (the
    /// message is then redelivered after the ack wait).
    async fn ack(&self, message: &jetstream::Message, kind: AckKind) {
        if let Err(err) = message.double_ack_with(kind).await {
            tracing::warn!(error = %err, subject = %message.subject, "JetStream did not confirm the answer to a message; it may be redelivered");
        }
    }
}

/// `error` on one line (header values are), shortened to at most `room` bytes (ending in `...` when cut).
fn one_line_within(error: &str, room: usize) -> String {
    let mut line = error.replace(['\r', '\n'], " ");
    if line.len() > room {
        let mut end = room.saturating_sub("...".len());
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        if room >= "...".len() {
            line.push_str("...");
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::one_line_within;

    #[test]
    fn errors_are_one_line_and_shortened_at_a_char_boundary() {
        assert_eq!(one_line_within("a\r\nb", 100), "a  b");
        assert_eq!(one_line_within("abcdefgh", 6), "abc...");
        assert_eq!(one_line_within("ééééé", 6), "é...");
        assert_eq!(one_line_within("abcdefgh", 2), "");
        assert_eq!(one_line_within("abc", 3), "abc");
    }
}
