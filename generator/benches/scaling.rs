//! How generation time grows with the size of a spec, for the shapes that used to make it grow faster
//! than the spec: many webhooks whose names collide, many webhooks, many deep `$ref` chains, one large
//! enum, and many warnings. Each shape is generated (load, lower, emit, format) at 1x, 10x and 100x its
//! base size; the table gives the time per MB of spec and, for 10x and 100x, the ratio of that to the
//! time per MB at 1x (linear = about 1.0).
//!
//! `cargo bench -p webhook-codegen --bench scaling` (`SCALE` in the environment multiplies every base
//! size, such as `SCALE=0.1`; `SHAPES` picks shapes by name, comma-separated).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// One pathological shape: its name, its base size (1x) and how to build a spec of a given size.
struct Shape {
    name: &'static str,
    base: usize,
    build: fn(usize) -> Value,
}

const SHAPES: &[Shape] = &[
    Shape { name: "colliding names", base: 200, build: colliding_names },
    Shape { name: "many webhooks", base: 200, build: many_webhooks },
    Shape { name: "deep $ref chains", base: 4, build: ref_chains },
    Shape { name: "large enum", base: 2_000, build: large_enum },
    Shape { name: "many warnings", base: 1_000, build: many_warnings },
];

/// The links of each `$ref` chain: deep, and still inside the generator's nesting limit.
const CHAIN_LINKS: usize = 120;

fn document(webhooks: Map<String, Value>, schemas: Map<String, Value>) -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Scaling", "version": "1"},
        "webhooks": webhooks,
        "components": {"schemas": schemas},
    })
}

fn webhook(schema: Value) -> Value {
    json!({"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}})
}

/// `count` webhooks whose names differ only in characters that are not ASCII letters or digits, so all
/// want the same variant, handler and payload type names (`Ev`, `on_ev`).
fn colliding_names(count: usize) -> Value {
    const MARKS: [char; 10] = ['à', 'é', 'î', 'ö', 'ü', 'ç', 'ñ', 'ø', 'å', 'ß'];
    let webhooks = (0..count)
        .map(|i| {
            let mark: String = i.to_string().chars().map(|digit| MARKS[usize::from(digit as u8 - b'0')]).collect();
            let schema = json!({"type": "object", "properties": {"id": {"type": "string"}}});
            (format!("ev{mark}"), webhook(schema))
        })
        .collect();
    document(webhooks, Map::new())
}

/// `count` webhooks told apart by an `event` property and a `type` fixed per webhook.
fn many_webhooks(count: usize) -> Value {
    let webhooks = (0..count)
        .map(|i| {
            let name = format!("resource{i}.updated");
            let schema = json!({
                "type": "object",
                "required": ["event", "type"],
                "properties": {
                    "event": {"type": "string"},
                    "type": {"const": name},
                    "id": {"type": "string"},
                },
            });
            (name, webhook(schema))
        })
        .collect();
    document(webhooks, Map::new())
}

/// `count` webhooks, each the head of its own chain of `CHAIN_LINKS` components referring to the next;
/// the chains are alike, so structural deduplication merges them.
fn ref_chains(count: usize) -> Value {
    let mut webhooks = Map::new();
    let mut schemas = Map::new();
    for chain in 0..count {
        webhooks.insert(
            format!("chain{chain}.updated"),
            webhook(json!({"$ref": format!("#/components/schemas/C{chain}L0")})),
        );
        for link in 0..CHAIN_LINKS {
            let next = if link + 1 < CHAIN_LINKS {
                json!({"$ref": format!("#/components/schemas/C{chain}L{}", link + 1)})
            } else {
                json!({"type": "string"})
            };
            let schema = json!({"type": "object", "properties": {"next": next, "depth": {"type": "integer"}}});
            schemas.insert(format!("C{chain}L{link}"), schema);
        }
    }
    document(webhooks, schemas)
}

/// One webhook whose payload has a string enum of `count` values.
fn large_enum(count: usize) -> Value {
    let values: Vec<Value> = (0..count).map(|i| Value::String(format!("value_{i}"))).collect();
    let schema = json!({"type": "object", "properties": {"status": {"type": "string", "enum": values}}});
    document(Map::from_iter([("status.changed".to_owned(), webhook(schema))]), Map::new())
}

/// One webhook whose payload has `count` properties, each with a format the generator warns about.
fn many_warnings(count: usize) -> Value {
    let properties: Map<String, Value> =
        (0..count).map(|i| (format!("p{i}"), json!({"type": "string", "format": format!("custom-{i}")}))).collect();
    let schema = json!({"type": "object", "properties": properties});
    document(Map::from_iter([("odd.formats".to_owned(), webhook(schema))]), Map::new())
}

/// The time of each stage of one generation: load, lower, emit, format.
#[derive(Clone, Copy, Default)]
struct Stages([Duration; 4]);

impl Stages {
    fn total(&self) -> Duration {
        self.0.iter().sum()
    }
}

/// The fastest of `runs` generations of `bytes` (so a busy machine disturbs the numbers less), by stage.
fn time(bytes: &[u8], runs: usize) -> Stages {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            let loaded = webhook_codegen::load("scaling.json", black_box(bytes)).expect("spec loads");
            let loaded_at = Instant::now();
            let options = webhook_codegen::ModuleOptions::new("scaling.json", &webhook_codegen::SpecConfig::default());
            let (module, warnings) = webhook_codegen::lower(&loaded.document, &options).expect("spec lowers");
            let lowered_at = Instant::now();
            let tokens = webhook_codegen::emit_tokens(&module);
            let emitted_at = Instant::now();
            let source = webhook_codegen::format_tokens(&module.source_file, tokens).expect("tokens format");
            let formatted_at = Instant::now();
            // Dropping the outputs is not timed.
            black_box((loaded, warnings, module, source));
            Stages([loaded_at - started, lowered_at - loaded_at, emitted_at - lowered_at, formatted_at - emitted_at])
        })
        .min_by_key(Stages::total)
        .unwrap_or_default()
}

fn main() {
    let scale: f64 = std::env::var("SCALE").ok().and_then(|value| value.parse().ok()).unwrap_or(1.0);
    let only: Option<Vec<String>> =
        std::env::var("SHAPES").ok().map(|names| names.split(',').map(|name| name.trim().to_owned()).collect());
    println!("scaling: time per MB of spec at 1x, 10x and 100x each shape's base size (scale {scale})");
    println!(
        "  {:<18} {:>8} {:>9} {:>11} {:>12}   {:>8} {:>8}   ms per MB: load/lower/emit/format",
        "shape", "size", "spec MB", "time", "ms per MB", "10x/1x", "100x/1x"
    );
    for shape in SHAPES {
        if only.as_ref().is_some_and(|only| !only.iter().any(|name| name == shape.name)) {
            continue;
        }
        let base = ((shape.base as f64 * scale).round() as usize).max(1);
        let mut per_mb_at_1x = None;
        let mut ratios = Vec::new();
        for (factor, runs) in [(1, 5), (10, 2), (100, 1)] {
            let size = base * factor;
            let bytes = serde_json::to_vec(&(shape.build)(size)).expect("spec serializes");
            let stages = time(&bytes, runs);
            let elapsed = stages.total();
            let mb = bytes.len() as f64 / 1e6;
            let per_mb = elapsed.as_secs_f64() * 1e3 / mb;
            let base_per_mb = *per_mb_at_1x.get_or_insert(per_mb);
            if factor > 1 {
                ratios.push(per_mb / base_per_mb);
            }
            let split: Vec<String> =
                stages.0.iter().map(|stage| format!("{:.0}", stage.as_secs_f64() * 1e3 / mb)).collect();
            println!(
                "  {:<18} {size:>8} {mb:>9.3} {:>8.1} ms {per_mb:>12.1}   {:>17}   {}",
                if factor == 1 { shape.name } else { "" },
                elapsed.as_secs_f64() * 1e3,
                "",
                split.join("/")
            );
        }
        println!("  {:<18} {:>55}   {:>8.2} {:>8.2}", "", "ratio to 1x:", ratios[0], ratios[1]);
    }
}
