//! Shared by the receiver tests and the load benchmarks: a server on a loopback port, a plain hyper
//! HTTP/1.1 client, signed Number Management deliveries, questions to the JetStream API.

#![allow(dead_code)] // Each test target uses a different part.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use zoom_webhooks::number_management::{
    Handler, NumberManagementPeeringNumberCnamUpdated, NumberManagementPeeringNumberEmergencyAddressUpdated,
};
use zoom_webhooks::signature::zoom;

pub const SECRET: &str = "test-secret-token";
pub const PATH: &str = "/webhooks/zoom";

/// Serves `app` on 127.0.0.1 at a free port, until the test's runtime ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind a loopback port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    address
}

/// One HTTP/1.1 connection (kept alive between requests).
pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    address: SocketAddr,
}

/// A response: status and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<String>,
    pub body: String,
}

impl Client {
    pub async fn connect(address: SocketAddr) -> Self {
        let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("HTTP handshake");
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Self { sender, address }
    }

    /// Sends `method path` with `headers` and `body`.
    pub async fn send(&mut self, method: &str, path: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
        self.sender.ready().await.expect("connection ready");
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.address.to_string())
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(Bytes::from(body))).expect("request");
        let response = self.sender.send_request(request).await.expect("response");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body = response.into_body().collect().await.expect("response body").to_bytes();
        Answer { status, content_type, body: String::from_utf8_lossy(&body).into_owned() }
    }

    /// POSTs `body` to the webhook path, signed with [`SECRET`] now.
    pub async fn deliver(&mut self, body: &[u8]) -> Answer {
        let headers = signed(SECRET, now(), body);
        self.send("POST", PATH, &headers, body.to_vec()).await
    }
}

/// One request on a new connection.
pub async fn post(address: SocketAddr, headers: &[(String, String)], body: &[u8]) -> Answer {
    Client::connect(address).await.send("POST", PATH, headers, body.to_vec()).await
}

/// One signed delivery on a new connection.
pub async fn deliver(address: SocketAddr, body: &[u8]) -> Answer {
    Client::connect(address).await.deliver(body).await
}

/// Unix seconds now.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// The two Zoom signature headers for `body` sent at `timestamp`.
pub fn signed(secret: &str, timestamp: u64, body: &[u8]) -> Vec<(String, String)> {
    let timestamp = timestamp.to_string();
    let signature = zoom::sign(secret.as_bytes(), &timestamp, body);
    vec![(zoom::TIMESTAMP_HEADER.to_owned(), timestamp), (zoom::SIGNATURE_HEADER.to_owned(), signature)]
}

/// A `number_management.peering_number_cnam_updated` delivery; `event_ts` makes it unique.
pub fn cnam_body(event_ts: u64, cnam: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": "number_management.peering_number_cnam_updated",
        "event_ts": event_ts,
        "payload": {
            "account_id": "Mt6sv4u0TAyPkwgsL2lxiA",
            "object": { "carrier_code": 3457, "phone_numbers": ["+18008001000"], "cnam": cnam }
        }
    }))
    .expect("JSON")
}

/// A `number_management.peering_number_emergency_address_updated` delivery.
pub fn address_body(event_ts: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "event": "number_management.peering_number_emergency_address_updated",
        "event_ts": event_ts,
        "payload": {
            "account_id": "Mt6sv4u0TAyPkwgsL2lxiA",
            "object": {
                "emergency_address": { "address_line1": "55 ALMADEN BLVD", "city": "SAN JOSE" },
                "carrier_code": 3457,
                "phone_numbers": ["+18008001000"]
            }
        }
    }))
    .expect("JSON")
}

/// Why a [`Recorder`] fails: it fails deliveries whose CNAM is `FAIL`.
#[derive(Debug, thiserror::Error)]
#[error("the CNAM store is unavailable")]
pub struct StoreDown;

/// A Number Management handler that counts deliveries by `event_ts`, optionally taking its time.
#[derive(Clone, Default)]
pub struct Recorder {
    pub seen: Arc<Mutex<HashMap<i64, usize>>>,
    pub names: Arc<Mutex<Vec<String>>>,
    pub delay: Duration,
}

impl Recorder {
    pub fn with_delay(delay: Duration) -> Self {
        Self { delay, ..Self::default() }
    }

    pub fn count(&self, event_ts: i64) -> usize {
        self.seen.lock().expect("lock").get(&event_ts).copied().unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.seen.lock().expect("lock").values().sum()
    }

    fn record(&self, name: &str, event_ts: i64) {
        *self.seen.lock().expect("lock").entry(event_ts).or_default() += 1;
        self.names.lock().expect("lock").push(name.to_owned());
    }
}

impl Handler for Recorder {
    type Error = StoreDown;

    async fn on_number_management_peering_number_emergency_address_updated(
        &self,
        event: NumberManagementPeeringNumberEmergencyAddressUpdated,
    ) -> Result<(), StoreDown> {
        self.record(&event.event, event.event_ts);
        Ok(())
    }

    async fn on_number_management_peering_number_cnam_updated(
        &self,
        event: NumberManagementPeeringNumberCnamUpdated,
    ) -> Result<(), StoreDown> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if event.payload.object.cnam.as_deref() == Some("FAIL") {
            return Err(StoreDown);
        }
        self.record(&event.event, event.event_ts);
        Ok(())
    }
}

/// Asks the JetStream API at `url` on `subject` with `payload` over the plain NATS protocol and returns
/// the JSON answer. A server without JetStream has no responder: that is an error too.
pub async fn jetstream_api(url: &str, subject: &str, payload: &str) -> Result<serde_json::Value, String> {
    let address = url.split("://").last().unwrap_or(url);
    let address = address.rsplit('@').next().unwrap_or(address).trim_end_matches('/');
    let ask = async {
        let stream = tokio::net::TcpStream::connect(address).await.map_err(|err| err.to_string())?;
        let (read, mut write) = stream.into_split();
        let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(read));
        let request = format!(
            "CONNECT {{\"verbose\":false,\"headers\":true,\"no_responders\":true}}\r\nSUB test.api.reply 1\r\nPUB {subject} test.api.reply {}\r\n{payload}\r\n",
            payload.len()
        );
        tokio::io::AsyncWriteExt::write_all(&mut write, request.as_bytes()).await.map_err(|err| err.to_string())?;
        while let Some(line) = lines.next_line().await.map_err(|err| err.to_string())? {
            if line.starts_with("MSG ") {
                let answer = lines.next_line().await.map_err(|err| err.to_string())?.unwrap_or_default();
                return serde_json::from_str(&answer).map_err(|err| format!("{err}: {answer}"));
            } else if line.starts_with("HMSG ") {
                return Err("no JetStream responds (is the server started with -js?)".to_owned());
            } else if line.starts_with("-ERR") {
                return Err(line);
            } else if line == "PING" {
                tokio::io::AsyncWriteExt::write_all(&mut write, b"PONG\r\n").await.map_err(|err| err.to_string())?;
            }
        }
        Err("the server closed the connection".to_owned())
    };
    let answer: serde_json::Value =
        tokio::time::timeout(Duration::from_secs(5), ask).await.map_err(|_| "no answer within 5 s".to_owned())??;
    match answer.get("error") {
        Some(error) => Err(format!("JetStream error: {error}")),
        None => Ok(answer),
    }
}

/// A raw TCP connection to `address`, for clients that misbehave below HTTP (half-sent requests).
pub async fn raw(address: SocketAddr) -> tokio::net::TcpStream {
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// The head of a POST to the webhook path announcing a body of `content_length` bytes, with `headers`.
pub fn request_head(content_length: usize, headers: &[(String, String)]) -> Vec<u8> {
    let mut head = format!(
        "POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// Everything the server sends on `stream` until it closes the connection, or `None` if it is still open
/// after `bound`. A reset counts as closed.
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream, bound: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(bound, read).await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

/// The status line and headers the server sends on `stream`, or `None` if they did not come within
/// `bound` (or the connection closed first).
pub async fn read_head(stream: &mut tokio::net::TcpStream, bound: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let read = async {
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        while !received.windows(4).any(|window| window == b"\r\n\r\n") {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
        Some(String::from_utf8_lossy(&received).into_owned())
    };
    tokio::time::timeout(bound, read).await.ok().flatten()
}
