//! Shared by the `receiver` and `worker` examples: the Meetings and Number Management handlers, logging, the
//! duplicate filter and the NATS settings, all read from the same environment variables.

#![allow(dead_code)] // Each example uses a different part.

use std::time::Duration;

use zoom_webhooks::duplicates::DuplicateFilter;
use zoom_webhooks::meetings::{self, MeetingParticipantJoined, MeetingStarted, RecordingCompleted};
use zoom_webhooks::number_management::{
    self, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};

/// Logs the three Meetings events most integrations start with; every other Meetings event goes to the
/// trait's default method, which accepts it. Like [`LogNumbers`], quick enough to run in the receiver.
#[derive(Debug, Default)]
pub struct LogMeetings {
    /// As [`LogNumbers`]' `accepted`.
    accepted: Option<fn(&str)>,
}

impl LogMeetings {
    /// Logs each event, then calls `accepted` with its name.
    pub fn then(accepted: fn(&str)) -> Self {
        Self { accepted: Some(accepted) }
    }

    fn accepted(&self, event: &str) {
        if let Some(accepted) = self.accepted {
            accepted(event);
        }
    }
}

impl meetings::Handler for LogMeetings {
    type Error = std::convert::Infallible;

    async fn on_meeting_started(&self, event: MeetingStarted) -> Result<(), Self::Error> {
        let meeting = &event.payload.object;
        tracing::info!(
            event = event.event,
            meeting = meeting.id,
            topic = meeting.topic,
            host = meeting.host_id,
            start_time = meeting.start_time,
            "meeting started"
        );
        self.accepted(&event.event);
        Ok(())
    }

    async fn on_meeting_participant_joined(&self, event: MeetingParticipantJoined) -> Result<(), Self::Error> {
        let meeting = &event.payload.object;
        // The participant's name and email are personal data: log the ids only.
        tracing::info!(
            event = event.event,
            meeting = meeting.id,
            meeting_uuid = meeting.uuid,
            participant = meeting.participant.participant_uuid,
            join_time = meeting.participant.join_time,
            "participant joined"
        );
        self.accepted(&event.event);
        Ok(())
    }

    async fn on_recording_completed(&self, event: RecordingCompleted) -> Result<(), Self::Error> {
        let recording = &event.payload.object;
        // Each file's `download_url` needs `download_token` (valid 24 hours) as a bearer token.
        tracing::info!(
            event = event.event,
            meeting = recording.id,
            topic = recording.topic,
            files = recording.recording_files.len(),
            total_size = recording.total_size,
            "recording completed"
        );
        self.accepted(&event.event);
        Ok(())
    }
}

/// Logs each Number Management event. Real handlers should be as quick when they run in the receiver:
/// Zoom waits 3 seconds.
#[derive(Debug, Default)]
pub struct LogNumbers {
    /// Called with the event's name once the event is logged: the receiver logs its `handled` line there.
    /// The worker leaves it unset, since the worker itself logs `handled` for each delivery it completes.
    accepted: Option<fn(&str)>,
}

impl LogNumbers {
    /// Logs each event, then calls `accepted` with its name.
    pub fn then(accepted: fn(&str)) -> Self {
        Self { accepted: Some(accepted) }
    }

    fn accepted(&self, event: &str) {
        if let Some(accepted) = self.accepted {
            accepted(event);
        }
    }
}

impl number_management::Handler for LogNumbers {
    type Error = std::convert::Infallible;

    async fn on_number_management_peering_number_emergency_address_updated(
        &self,
        event: NumberManagementPeeringNumberEmergencyAddressUpdated,
    ) -> Result<(), Self::Error> {
        let object = &event.payload.object;
        tracing::info!(
            event = event.event,
            event_ts = event.event_ts,
            account = event.payload.account_id,
            carrier_code = object.carrier_code,
            phone_numbers = ?object.phone_numbers,
            address = ?object.emergency_address.as_ref().map(|address| &address.address_line1),
            "emergency address updated"
        );
        self.accepted(&event.event);
        Ok(())
    }

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), Self::Error> {
        let object = &event.payload.object;
        tracing::info!(
            event = event.event,
            event_ts = event.event_ts,
            account = event.payload.account_id,
            carrier_code = object.carrier_code,
            phone_numbers = ?object.phone_numbers,
            cnam = ?object.cnam,
            "CNAM updated"
        );
        self.accepted(&event.event);
        Ok(())
    }
}

/// Logs at `info` and above to stdout, in color only on a terminal (so a log file or a pipe reads
/// `event=... sha256=...` as plain text).
pub fn init_logging() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_ansi(std::io::stdout().is_terminal()).init();
}

/// The variable naming the Redis of the shared duplicate store.
pub const REDIS_URL: &str = "ZOOM_WEBHOOK_REDIS_URL";

/// The duplicate filter: in Redis when `ZOOM_WEBHOOK_REDIS_URL` is set, in memory otherwise. `in_flight`
/// bounds how long a claim on a delivery holds in Redis when its holder dies (the store's default when
/// `None`); the worker passes its ack wait, after which JetStream gives the delivery to another worker.
pub async fn duplicate_filter(in_flight: Option<Duration>) -> Result<DuplicateFilter, String> {
    let Ok(url) = std::env::var(REDIS_URL) else { return Ok(DuplicateFilter::default()) };
    redis_filter(&url, in_flight).await
}

#[cfg(feature = "redis")]
async fn redis_filter(url: &str, in_flight: Option<Duration>) -> Result<DuplicateFilter, String> {
    use zoom_webhooks::duplicates::{RedisStore, StoreFailure};
    let mut store = RedisStore::connect(url).await.map_err(|err| format!("{REDIS_URL} is not usable: {err}"))?;
    if let Some(in_flight) = in_flight {
        store = store.in_flight_ttl(in_flight);
    }
    // Run even while Redis is down (refusing deliveries until it is back), but say so at start.
    match store.ping().await {
        Ok(()) => tracing::info!("duplicates are filtered in Redis, shared by every replica"),
        Err(err) => tracing::warn!(%err, "Redis does not answer yet; deliveries are refused until it does"),
    }
    Ok(DuplicateFilter::with_store(store).on_store_failure(StoreFailure::FailClosed))
}

#[cfg(not(feature = "redis"))]
async fn redis_filter(_url: &str, _in_flight: Option<Duration>) -> Result<DuplicateFilter, String> {
    Err(format!("{REDIS_URL} is set, but the example was built without the `redis` feature"))
}

/// The variable naming the NATS server: set, the receiver hands deliveries off to JetStream.
pub const NATS_URL: &str = "ZOOM_WEBHOOK_NATS_URL";
/// The variable naming the JetStream stream (default `WEBHOOKS`).
pub const NATS_STREAM: &str = "ZOOM_WEBHOOK_NATS_STREAM";
/// The variable naming the subject prefix (default `webhooks`).
pub const NATS_SUBJECT: &str = "ZOOM_WEBHOOK_NATS_SUBJECT";
/// The variable setting the worker's ack wait in seconds (default 30).
pub const NATS_ACK_WAIT_SECS: &str = "ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS";

/// `ZOOM_WEBHOOK_NATS_URL`, when it is set.
pub fn nats_url() -> Option<String> {
    std::env::var(NATS_URL).ok()
}

/// Where deliveries are handed off to and read from: the server, the stream and the subject prefix.
#[derive(Debug, Clone)]
pub struct NatsSettings {
    pub url: String,
    pub stream: String,
    pub subject_prefix: String,
}

#[cfg(feature = "nats")]
impl NatsSettings {
    /// From the environment, or `None` when `ZOOM_WEBHOOK_NATS_URL` is not set. The stream and the
    /// prefix default to the runtime's.
    pub fn from_env() -> Option<Self> {
        use zoom_webhooks::nats::{DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX};
        let url = nats_url()?;
        let stream = std::env::var(NATS_STREAM).unwrap_or_else(|_| DEFAULT_STREAM.to_owned());
        let subject_prefix = std::env::var(NATS_SUBJECT).unwrap_or_else(|_| DEFAULT_SUBJECT_PREFIX.to_owned());
        Some(Self { url, stream, subject_prefix })
    }

    /// A sink publishing to the stream, which is created when missing. NATS down at start is a warning:
    /// the sink connects once the server is back, and deliveries are answered 503 meanwhile.
    pub async fn sink(&self) -> Result<zoom_webhooks::nats::JetStreamSink, zoom_webhooks::nats::NatsError> {
        let sink = zoom_webhooks::nats::JetStreamSink::connect(&self.url)
            .await?
            .stream(self.stream.clone())
            .subject_prefix(self.subject_prefix.clone());
        if let Err(err) = sink.ensure_stream().await {
            tracing::warn!(%err, "NATS JetStream does not answer yet; deliveries are answered 503 until it does");
        }
        Ok(sink)
    }

    /// A worker reading the stream, without routes yet.
    pub async fn worker(&self) -> Result<zoom_webhooks::nats::Worker, zoom_webhooks::nats::NatsError> {
        let worker = zoom_webhooks::nats::Worker::connect(&self.url).await?;
        Ok(worker.stream(self.stream.clone()).subject_prefix(self.subject_prefix.clone()))
    }
}

/// `ZOOM_WEBHOOK_NATS_ACK_WAIT_SECS`, when it is set: how long JetStream waits for a worker's answer
/// before it delivers the message again.
pub fn ack_wait() -> Result<Option<Duration>, String> {
    let Ok(secs) = std::env::var(NATS_ACK_WAIT_SECS) else { return Ok(None) };
    match secs.parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
        _ => Err(format!("{NATS_ACK_WAIT_SECS} must be a whole number of seconds above 0, not `{secs}`")),
    }
}
