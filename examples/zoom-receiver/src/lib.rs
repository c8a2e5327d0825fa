//! The handlers, logging and duplicate filter of the Zoom receiver example (`src/main.rs`), shared with
//! the hand-off example's receiver and worker (`examples/zoom-handoff`): Meetings and Number Management
//! handlers that log each event, and the duplicate filter, in memory or in Redis when
//! `ZOOM_WEBHOOK_REDIS_URL` is set.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use zoom_webhooks::axum::Receiver;
use zoom_webhooks::duplicates::{DuplicateFilter, RedisStore, StoreFailure};
use zoom_webhooks::meetings::{self, MeetingParticipantJoined, MeetingStarted, RecordingCompleted};
use zoom_webhooks::number_management::{
    self, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};

/// Logs the three Meetings events most integrations start with; every other Meetings event goes to the
/// trait's default method, which accepts it. Like [`LogNumbers`], quick enough to run in the receiver.
#[derive(Debug, Default)]
pub struct LogMeetings {
    accepted: Accepted,
}

impl LogMeetings {
    /// Logs each event, then calls `accepted` with its name.
    pub fn then(accepted: fn(&str)) -> Self {
        Self { accepted: Accepted(Some(accepted)) }
    }
}

/// What a handler calls with the event's name once the event is logged: the receiver logs its `handled`
/// line there. The worker leaves it unset, since the worker itself logs `handled` for each delivery it
/// completes.
#[derive(Debug, Default, Clone, Copy)]
struct Accepted(Option<fn(&str)>);

impl Accepted {
    fn call(self, event: &str) {
        if let Some(accepted) = self.0 {
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
        self.accepted.call(&event.event);
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
        self.accepted.call(&event.event);
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
        self.accepted.call(&event.event);
        Ok(())
    }
}

/// Logs each Number Management event. Real handlers should be as quick when they run in the receiver:
/// Zoom waits 3 seconds.
#[derive(Debug, Default)]
pub struct LogNumbers {
    accepted: Accepted,
}

impl LogNumbers {
    /// Logs each event, then calls `accepted` with its name.
    pub fn then(accepted: fn(&str)) -> Self {
        Self { accepted: Accepted(Some(accepted)) }
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
        self.accepted.call(&event.event);
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
        self.accepted.call(&event.event);
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
    let mut store = RedisStore::connect(&url).await.map_err(|err| format!("{REDIS_URL} is not usable: {err}"))?;
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

/// A receiver for `ZOOM_WEBHOOK_SECRET_TOKEN`, without routes yet; an unset, empty or blank secret is
/// refused, since anyone could sign with an empty key.
pub fn receiver_from_env() -> Result<Receiver, String> {
    let secret = std::env::var("ZOOM_WEBHOOK_SECRET_TOKEN")
        .map_err(|_| "set ZOOM_WEBHOOK_SECRET_TOKEN to the app's secret token".to_owned())?;
    Receiver::try_new(secret).map_err(|err| format!("ZOOM_WEBHOOK_SECRET_TOKEN is not usable: {err}"))
}

/// A listener on every address, at `PORT` (8080 when unset).
pub async fn listener_from_env() -> Result<tokio::net::TcpListener, String> {
    let port = match std::env::var("PORT") {
        Err(_) => 8080,
        Ok(port) => port.parse::<u16>().map_err(|err| format!("PORT must be a port number: {err}"))?,
    };
    let address = SocketAddr::from((Ipv4Addr::UNSPECIFIED, port));
    tokio::net::TcpListener::bind(address).await.map_err(|err| format!("cannot listen on {address}: {err}"))
}
