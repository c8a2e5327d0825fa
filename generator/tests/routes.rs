//! Every generated module gets a `route(handler)` that names its own module, event list and discriminator,
//! so a receiver can serve the modules of several specs at one URL.

const MEETINGS: &str = r#"
openapi: 3.1.0
info:
  title: Meetings
  version: 1.0.0
webhooks:
  meeting.started:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, event_ts, payload]
              properties:
                event: { type: string }
                event_ts: { type: integer, format: int64 }
                payload: { type: object, properties: { account_id: { type: string } } }
  meeting.ended:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, payload]
              properties:
                event: { type: string }
                payload: { type: object }
"#;

const RECORDINGS: &str = r#"
openapi: 3.1.0
info:
  title: Recordings
  version: 1.0.0
webhooks:
  recording.completed:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [event, payload]
              properties:
                event: { type: string }
                payload: { type: object, properties: { object: { type: object } } }
"#;

fn squash(source: &str) -> String {
    source.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn each_module_routes_its_own_events() {
    let meetings = webhook_codegen::generate("specs/meetings.yaml", MEETINGS.as_bytes()).expect("meetings");
    let recordings = webhook_codegen::generate("specs/recordings.yaml", RECORDINGS.as_bytes()).expect("recordings");

    for (generated, module, names) in [
        (&meetings, "meetings", r#"&["meeting.started", "meeting.ended"]"#),
        (&recordings, "recordings", r#"&["recording.completed"]"#),
    ] {
        let source = squash(&generated.source);
        assert!(source.contains(&format!("pub const EVENT_NAMES: &[&str] = {names};")), "{source}");
        assert!(
            source.contains(
                "pub fn route<H>(handler: H) -> __runtime::Route where H: Handler + 'static, H::Error: Into<__runtime::BoxError>, {"
            ),
            "{source}"
        );
        // The route carries the module's discriminator: the property, and its values (the event names here).
        let call =
            format!("__runtime::module_route( \"{module}\", EVENT_NAMES, Some((\"event\", EVENT_NAMES)), handler,");
        assert!(source.contains(&call), "{source}");
        assert!(source.contains("Box::pin(__runtime::erase(dispatch_named(handler, name, body)))"), "{source}");
        assert_eq!(source.matches("pub fn route<").count(), 1);
    }

    let index = webhook_codegen::generate_index("specs/", &[&meetings.module, &recordings.module]).expect("index");
    let index = squash(&index);
    assert!(index.contains("pub mod meetings;") && index.contains("pub mod recordings;"), "{index}");
    assert!(index.contains("\"meeting.started\" | \"meeting.ended\" => { Self::Meetings("), "{index}");
    assert!(index.contains("\"recording.completed\" => { Self::Recordings("), "{index}");
}

#[test]
fn a_module_without_a_discriminator_routes_by_name_only() {
    let settings =
        webhook_codegen::SpecConfig { discriminator: webhook_codegen::DiscriminatorChoice::None, ..Default::default() };
    let generated =
        webhook_codegen::generate_with("specs/meetings.yaml", MEETINGS.as_bytes(), &settings).expect("meetings");
    let source = squash(&generated.source);
    assert!(source.contains("__runtime::module_route( \"meetings\", EVENT_NAMES, None, handler,"), "{source}");
}

#[test]
fn the_signature_setting_is_said_in_the_module_docs() {
    let docs = |signature| {
        let settings = webhook_codegen::SpecConfig { signature, ..Default::default() };
        let generated =
            webhook_codegen::generate_with("specs/meetings.yaml", MEETINGS.as_bytes(), &settings).expect("meetings");
        squash(&generated.source)
    };
    use webhook_codegen::SignatureScheme;
    assert!(docs(SignatureScheme::Standard).contains("//! `axum::Receiver::standard` (feature `axum`)."));
    assert!(docs(SignatureScheme::Zoom).contains("`axum::Receiver::new` (feature `axum`)."));
    assert!(docs(SignatureScheme::None).contains("The vendor signs no delivery"));
    let unspecified = docs(SignatureScheme::Unspecified);
    assert!(!unspecified.contains("signed") && !unspecified.contains("signs"), "{unspecified}");
}
