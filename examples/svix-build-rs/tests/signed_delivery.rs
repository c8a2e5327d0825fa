//! A delivery signed as Svix signs it, through the receiver in-process: the generated module parses it
//! into its type and the handler gets it.

use std::sync::{Arc, Mutex};

use example_svix_build_rs::{receiver, svix};
use webhook_runtime::testing::StandardSigner;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Records the endpoints created.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl svix::Handler for Recorder {
    type Error = std::convert::Infallible;

    async fn on_endpoint_created(&self, event: svix::EndpointCreatedEvent) -> Result<(), Self::Error> {
        self.0.lock().expect("lock").push(event.data.endpoint_id);
        Ok(())
    }
}

const CREATED: &str = r#"{"type":"endpoint.created","data":{"appId":"app_1","endpointId":"ep_1"}}"#;

#[tokio::test]
async fn a_signed_delivery_reaches_its_typed_handler() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    let answer = StandardSigner::new(SECRET).expect("a usable secret").sign(CREATED).send_to(&receiver).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(*recorder.0.lock().expect("lock"), ["ep_1"]);
}

#[tokio::test]
async fn a_wrong_signature_or_a_payload_off_its_schema_is_refused() {
    let recorder = Recorder::default();
    let receiver = receiver(SECRET, recorder.clone()).expect("a usable secret");
    let other = StandardSigner::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("a usable secret");
    assert_eq!(other.sign(CREATED).send_to(&receiver).await.status, 401);
    // `endpointId` is a string in the spec.
    let off_schema = r#"{"type":"endpoint.created","data":{"appId":"app_1","endpointId":7}}"#;
    let answer = StandardSigner::new(SECRET).expect("a usable secret").sign(off_schema).send_to(&receiver).await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("data.endpointId"), "{}", answer.body);
    assert!(recorder.0.lock().expect("lock").is_empty());
}
