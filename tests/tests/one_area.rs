//! A downstream crate that enables one Zoom area only (`default-features = false, features =
//! ["meetings"]`) builds on its own, with warnings denied, and dispatches every Meetings example of the
//! spec to its typed variant: the area's types do not need any other area's feature.

use std::fmt::Write as _;

use pipeline_tests::{body_of, workspace_root};
use xtask::scratch::ScratchCrate;

/// The downstream crate's `main`: dispatches each delivery (one `<webhook name> <body>` per line of the file
/// it is given) with a handler that overrides `meeting.started` only, and prints what it saw. Deliveries
/// go by name, as the spec lists them.
const MAIN: &str = r#"
use std::sync::atomic::{AtomicUsize, Ordering};

use zoom_webhooks::meetings::{self, Event, Handler, MeetingStarted};
use zoom_webhooks::{AnyEvent, MODULES};

#[derive(Default)]
struct Meetings {
    started: AtomicUsize,
}

impl Handler for Meetings {
    type Error = std::convert::Infallible;

    async fn on_meeting_started(&self, event: MeetingStarted) -> Result<(), Self::Error> {
        self.started.fetch_add(1, Ordering::Relaxed);
        println!("started {}", event.payload.object.topic);
        Ok(())
    }
}

/// The handler never waits, so polling once with a no-op waker finishes it.
fn run<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the handler waited"),
    }
}

fn main() {
    let modules: Vec<&str> = MODULES.iter().map(|module| module.name).collect();
    println!("modules {}", modules.join(","));
    let path = std::env::args().nth(1).expect("usage: meetings-receiver <deliveries, one per line>");
    let handler = Meetings::default();
    for line in std::fs::read_to_string(path).expect("deliveries").lines() {
        let (name, body) = line.split_once(' ').expect("<name> <body>");
        let any = AnyEvent::from_named(name, body.as_bytes()).expect("parses");
        let AnyEvent::Meetings(event) = &any else { panic!("not a Meetings event: {line}") };
        assert!(!matches!(event, Event::Unknown(_)), "parsed as an unknown event: {line}");
        assert_eq!(event.name(), name);
        run(meetings::dispatch_named(&handler, name, body.as_bytes())).expect("dispatches");
        println!("{} {}", any.module().unwrap_or("unknown"), name);
    }
    println!("handled {}", handler.started.load(Ordering::Relaxed));
}
"#;

#[test]
fn a_crate_with_only_the_meetings_feature_builds_and_dispatches_every_example() {
    let root = workspace_root();
    let mut generated = xtask::codegen::builder()
        .root(&root)
        .spec("specs/meetings.json")
        .generate_in_memory()
        .expect("the meetings spec generates");
    let generated = generated.modules.remove(0);
    let mut bodies = String::new();
    let mut expected = vec!["modules meetings".to_owned()];
    let mut started = 0;
    for event in &generated.module.events {
        for example in &event.examples {
            let body = String::from_utf8(body_of(&example.value)).expect("JSON is UTF-8");
            let _ = writeln!(bodies, "{} {body}", event.name);
            if event.name == "meeting.started" {
                let topic = example.value["payload"]["object"]["topic"].as_str().unwrap_or_default();
                expected.push(format!("started {topic}"));
                started += 1;
            }
            expected.push(format!("meetings {}", event.name));
        }
    }
    expected.push(format!("handled {started}"));
    assert_eq!(started, 1, "the spec has one `meeting.started` example");
    // 105 webhooks (meeting 61, webinar 23, recording 18, user 3), one JSON example each.
    assert_eq!(generated.module.events.len(), 105);
    assert_eq!(expected.len(), 2 + 105 + 1, "one example per webhook: {expected:?}");

    let scratch = downstream_crate(&root, &bodies);
    let input = scratch.dir.join("bodies.jsonl");
    let run = scratch.cargo(&["run", "--quiet", "--", &input.to_string_lossy()]).expect("cargo runs");
    assert!(run.success, "the downstream crate failed:\n{}", run.stderr);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}

/// Writes `<target>/scratch/one-area`: a crate of its own (not in this workspace) that depends on the
/// generated crate by path with only the `meetings` feature, plus the bodies it dispatches.
fn downstream_crate(root: &std::path::Path, bodies: &str) -> ScratchCrate {
    let base = xtask::scratch::scratch_base(root);
    let dir = base.join("one-area");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("scratch folder");
    let generated = root.join("generated");
    let manifest = format!(
        "[package]\nname = \"meetings-receiver\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nzoom-webhooks = {{ path = {:?}, default-features = false, features = [\"meetings\"] }}\n\n\
         [workspace]\n",
        generated.to_string_lossy()
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    // The workspace's lock file pins the versions already in the local cache (builds run offline).
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock file");
    std::fs::write(dir.join("src/main.rs"), MAIN).expect("main");
    std::fs::write(dir.join("bodies.jsonl"), bodies).expect("bodies");
    ScratchCrate { dir, target_dir: base.join("target") }
}
