//! A downstream crate that enables one Zoom area only (`default-features = false, features =
//! ["whiteboard"]`) builds on its own, with warnings denied, and dispatches every Whiteboard example of the
//! spec: the area's types do not need any other area's feature.

use std::fmt::Write as _;

use pipeline_tests::{body_of, workspace_root};
use xtask::scratch::ScratchCrate;

/// The downstream crate's `main`: dispatches each delivery (one `<webhook name> <body>` per line of the file
/// it is given) with a handler that overrides `whiteboard.created` only, and prints what it saw. Deliveries
/// go by name, as the spec lists them: one Whiteboard example names another event in its body.
const MAIN: &str = r#"
use std::sync::atomic::{AtomicUsize, Ordering};

use zoom_webhooks::whiteboard::{self, Handler, WhiteboardCreated};
use zoom_webhooks::{AnyEvent, MODULES};

#[derive(Default)]
struct Boards {
    created: AtomicUsize,
}

impl Handler for Boards {
    type Error = std::convert::Infallible;

    async fn on_whiteboard_created(&self, event: WhiteboardCreated) -> Result<(), Self::Error> {
        self.created.fetch_add(1, Ordering::Relaxed);
        println!("created {}", event.payload.object.whiteboard_name);
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
    let path = std::env::args().nth(1).expect("usage: whiteboard-receiver <deliveries, one per line>");
    let boards = Boards::default();
    for line in std::fs::read_to_string(path).expect("deliveries").lines() {
        let (name, body) = line.split_once(' ').expect("<name> <body>");
        let any = AnyEvent::from_named(name, body.as_bytes()).expect("parses");
        assert!(matches!(any, AnyEvent::Whiteboard(_)), "{line}");
        run(whiteboard::dispatch_named(&boards, name, body.as_bytes())).expect("dispatches");
        println!("{} {}", any.module().unwrap_or("unknown"), name);
    }
    println!("handled {}", boards.created.load(Ordering::Relaxed));
}
"#;

#[test]
fn a_crate_with_only_the_whiteboard_feature_builds_and_dispatches() {
    let root = workspace_root();
    let generated = xtask::codegen::generate_file(&root.join("specs/whiteboard.json"), "specs/whiteboard.json")
        .expect("the whiteboard spec generates");
    let mut bodies = String::new();
    let mut expected = vec!["modules whiteboard".to_owned()];
    let mut created = 0;
    for event in &generated.module.events {
        for example in &event.examples {
            let body = String::from_utf8(body_of(&example.value)).expect("JSON is UTF-8");
            let _ = writeln!(bodies, "{} {body}", event.name);
            if event.name == "whiteboard.created" {
                let name = example.value["payload"]["object"]["whiteboard_name"].as_str().unwrap_or_default();
                expected.push(format!("created {name}"));
                created += 1;
            }
            expected.push(format!("whiteboard {}", event.name));
        }
    }
    expected.push(format!("handled {created}"));
    assert_eq!(created, 1, "the spec has one `whiteboard.created` example");
    assert_eq!(expected.len(), 2 + generated.module.events.len() + 1, "one example per webhook: {expected:?}");

    let scratch = downstream_crate(&root, &bodies);
    let input = scratch.dir.join("bodies.jsonl");
    let run = scratch.cargo(&["run", "--quiet", "--", &input.to_string_lossy()]).expect("cargo runs");
    assert!(run.success, "the downstream crate failed:\n{}", run.stderr);
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
}

/// Writes `target/scratch/one-area`: a crate of its own (not in this workspace) that depends on the
/// generated crate by path with only the `whiteboard` feature, plus the bodies it dispatches.
fn downstream_crate(root: &std::path::Path, bodies: &str) -> ScratchCrate {
    let base = root.join("target").join("scratch");
    let dir = base.join("one-area");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).expect("scratch folder");
    let generated = root.join("generated");
    let manifest = format!(
        "[package]\nname = \"whiteboard-receiver\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nzoom-webhooks = {{ path = {:?}, default-features = false, features = [\"whiteboard\"] }}\n\n\
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
