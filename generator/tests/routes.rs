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

/// A later spec that declares `recording.completed` again, beside a webhook of its own.
const CLIPS: &str = r#"
openapi: 3.1.0
info:
  title: Clips
  version: 1.0.0
webhooks:
  clip.ready:
    post:
      requestBody:
        content:
          application/json:
            schema: { type: object, required: [event], properties: { event: { type: string } } }
  recording.completed:
    post:
      requestBody:
        content:
          application/json:
            schema: { type: object, required: [event], properties: { event: { type: string } } }
"#;

#[test]
fn a_webhook_in_two_modules_goes_to_the_first_whose_feature_is_on() {
    let clips = webhook_codegen::generate("specs/clips.yaml", CLIPS.as_bytes()).expect("clips");
    let meetings = webhook_codegen::generate("specs/meetings.yaml", MEETINGS.as_bytes()).expect("meetings");
    let recordings = webhook_codegen::generate("specs/recordings.yaml", RECORDINGS.as_bytes()).expect("recordings");
    let modules = [&clips.module, &meetings.module, &recordings.module];

    let shared = webhook_codegen::shared_event_names(&modules);
    assert_eq!(
        shared,
        [webhook_codegen::SharedEventName {
            name: "recording.completed".to_owned(),
            modules: vec!["clips".to_owned(), "recordings".to_owned()],
        }]
    );
    assert!(webhook_codegen::shared_event_names(&[&meetings.module, &recordings.module]).is_empty());

    let index = squash(&webhook_codegen::generate_index("specs/", &modules).expect("index"));
    // `clips` comes first in file order and takes the name whenever its feature is on ...
    assert!(
        index.contains(
            r#"#[cfg(feature = "clips")] "clip.ready" | "recording.completed" => { Self::Clips(clips::Event::from_named(name, body)?) }"#
        ),
        "{index}"
    );
    // ... and `recordings` has it typed when `clips` is off, with no unreachable arm when both are on.
    assert!(
        index.contains(
            r#"#[cfg(all(feature = "recordings", not(any(feature = "clips"))))] "recording.completed" => { Self::Recordings("#
        ),
        "{index}"
    );
    assert_eq!(index.matches(r#""recording.completed""#).count(), 4, "two parse paths, two arms each: {index}");
}

/// A spec whose `event` is fixed per webhook (`const`), to `value_of(name)` for each webhook name.
fn fixed_event_spec(title: &str, names: &[&str], value_of: impl Fn(&str) -> String) -> String {
    let mut text = format!("openapi: 3.1.0\ninfo: {{title: {title}, version: '1'}}\nwebhooks:\n");
    for name in names {
        text.push_str(&format!(
            "  {name}:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema: {{type: object, required: [event], properties: {{event: {{const: {}}}}}}}\n",
            value_of(name)
        ));
    }
    text
}

#[test]
fn any_event_reads_the_name_from_modules_whose_fixed_event_values_are_the_names() {
    use webhook_codegen::ir::DiscriminatorRule;
    let meetings = webhook_codegen::generate("specs/meetings.yaml", MEETINGS.as_bytes()).expect("meetings");
    let names = ["clip.ready", "clip.gone"];
    let same = fixed_event_spec("Clips", &names, str::to_owned);
    let same = webhook_codegen::generate("specs/clips.yaml", same.as_bytes()).expect("clips");
    assert_eq!(same.module.discriminator.as_ref().map(|d| d.rule), Some(DiscriminatorRule::FixedValue));
    let index = squash(&webhook_codegen::generate_index("specs/", &[&meetings.module, &same.module]).expect("index"));
    assert!(index.contains("pub fn from_slice(body: &[u8]) -> Result<Self, ParseError> {"), "{index}");
    assert!(index.contains("impl ::webhook_runtime::__private::Discriminated for AnyEvent"), "{index}");
    // With every module's feature off, no arm is left: the fallback still uses the arguments.
    assert!(index.contains("_ => { let _ = (map, parsed); }"), "{index}");

    // Values that are not the webhook names cannot be looked up across modules: no `AnyEvent::from_slice`.
    let other = fixed_event_spec("Clips", &names, |name| format!("v1.{name}"));
    let other = webhook_codegen::generate("specs/clips.yaml", other.as_bytes()).expect("clips");
    let index = squash(&webhook_codegen::generate_index("specs/", &[&meetings.module, &other.module]).expect("index"));
    assert!(!index.contains("pub fn from_slice"), "{index}");
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
    assert!(docs(SignatureScheme::GitHub).contains("`axum::Receiver::github` (feature `axum`)."));
    assert!(docs(SignatureScheme::None).contains("The vendor signs no delivery"));
    let unspecified = docs(SignatureScheme::Unspecified);
    assert!(!unspecified.contains("signed") && !unspecified.contains("signs"), "{unspecified}");
}
