//! Codegen time against its floor: generating every spec of the shared Zoom, standard and vendor corpora
//! (load, lower, emit, format; nothing written) compared with parsing the same files into
//! `serde_json::Value` (`webhook_codegen::parse_value`, the first step of `load`). Prints, for each corpus
//! and for all of them together, both times, the ratio (target: at most 5x) and the time of each stage
//! with its ratio to the floor (target: at most 2x each).
//!
//! The generator renders (emits and formats) a module's parts on every core, so codegen is given twice:
//! as it runs (`render`, timed as `webhook_codegen::render` does it, after load and lower) and as one
//! core's work (each stage alone, one after the other, emit and format on one thread).
//!
//! `cargo bench -p webhook-codegen --bench codegen` (`SAMPLES` in the environment changes the number of
//! samples; `CORPUS` another corpus root holding `zoom/`, `standard/` and `vendors/`). The corpus lives
//! beside the workspace (`../shared/corpus`); without it the benchmark says so and exits successfully.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use webhook_codegen::{ModuleOptions, SpecConfig};

/// The corpora generated, relative to the corpus root; each has its own table.
const CORPORA: &[&str] = &["zoom", "standard", "vendors"];
/// The ratio of codegen to the parse floor this benchmark checks against.
const TARGET_RATIO: f64 = 5.0;
/// The ratio of any one stage to the parse floor this benchmark checks against.
const STAGE_TARGET_RATIO: f64 = 2.0;

struct Spec {
    /// Index into `CORPORA`.
    corpus: usize,
    file: String,
    bytes: Vec<u8>,
}

fn corpus_root() -> PathBuf {
    match std::env::var_os("CORPUS") {
        Some(root) => PathBuf::from(root),
        // generator/ -> workspace root -> ../shared/corpus
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    }
}

fn read_specs(root: &Path) -> Result<Vec<Spec>, String> {
    let mut specs = Vec::new();
    for (index, corpus) in CORPORA.iter().enumerate() {
        let dir = root.join(corpus);
        let entries = std::fs::read_dir(&dir).map_err(|err| format!("{}: {err}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| {
                let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
                !name.contains(".codegen.")
                    && matches!(path.extension().and_then(|ext| ext.to_str()), Some("yaml" | "yml" | "json"))
            })
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).map_err(|err| format!("{}: {err}", path.display()))?;
            specs.push(Spec {
                corpus: index,
                file: format!("{corpus}/{}", path.file_name().unwrap_or_default().to_string_lossy()),
                bytes,
            });
        }
    }
    Ok(specs)
}

/// Settings of a corpus spec: its sidecar when it has one, else the defaults.
fn options(root: &Path, spec: &Spec) -> ModuleOptions {
    let sidecar = root.join(&spec.file).with_extension("codegen.yaml");
    let config = match std::fs::read(&sidecar) {
        Ok(bytes) => SpecConfig::parse(&sidecar.display().to_string(), &bytes).expect("settings"),
        Err(_) => SpecConfig::default(),
    };
    ModuleOptions::new(&spec.file, &config)
}

/// Time of each stage over the whole corpus, in one sample.
#[derive(Default, Clone, Copy)]
struct Sample {
    parse: Duration,
    load: Duration,
    lower: Duration,
    emit: Duration,
    format: Duration,
    /// Emit and format as the generator runs them, on every core.
    render: Duration,
}

impl Sample {
    /// As the generator runs: load, lower, then render on every core.
    fn codegen(&self) -> Duration {
        self.load + self.lower + self.render
    }

    /// One core's work: every stage one after the other.
    fn serial(&self) -> Duration {
        self.load + self.lower + self.emit + self.format
    }

    fn add(&mut self, other: &Sample) {
        self.parse += other.parse;
        self.load += other.load;
        self.lower += other.lower;
        self.emit += other.emit;
        self.format += other.format;
        self.render += other.render;
    }
}

/// One sample of every corpus: the time of each stage, one entry per corpus of `CORPORA`.
fn sample(specs: &[Spec], options: &[ModuleOptions]) -> Vec<Sample> {
    let mut samples = vec![Sample::default(); CORPORA.len()];
    // The floor: bytes -> serde_json::Value for every file.
    let mut values = Vec::with_capacity(specs.len());
    for spec in specs {
        let started = Instant::now();
        values.push(webhook_codegen::parse_value(&spec.file, black_box(&spec.bytes)).expect("parse"));
        samples[spec.corpus].parse += started.elapsed();
    }
    // Dropping the values is not timed, as below for the generator's outputs.
    black_box(values);
    // The generator, one stage at a time (each stage's output is the next one's input).
    for (spec, options) in specs.iter().zip(options) {
        let sample = &mut samples[spec.corpus];
        let started = Instant::now();
        let loaded = webhook_codegen::load(&spec.file, black_box(&spec.bytes)).expect("load");
        let loaded_at = Instant::now();
        let (module, warnings) = webhook_codegen::lower(&loaded.document, options).expect("lower");
        let lowered_at = Instant::now();
        let tokens = webhook_codegen::emit_tokens(&module);
        let emitted_at = Instant::now();
        let source = webhook_codegen::format_tokens(&module.source_file, tokens).expect("format");
        let formatted_at = Instant::now();
        let rendered = webhook_codegen::render(&module).expect("render");
        sample.render += formatted_at.elapsed();
        assert!(rendered == source, "{}: rendering on every core printed another text", spec.file);
        sample.load += loaded_at - started;
        sample.lower += lowered_at - loaded_at;
        sample.emit += emitted_at - lowered_at;
        sample.format += formatted_at - emitted_at;
        // Dropping the outputs is not timed.
        black_box((loaded, warnings, module, source, rendered));
    }
    samples
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:9.2} ms", duration.as_secs_f64() * 1e3)
}

/// Prints the table of one corpus (or of all of them): medians of the samples in `runs`.
fn report(title: &str, runs: &[Sample]) {
    let pick = |stage: fn(&Sample) -> Duration| median(runs.iter().map(stage).collect());
    let parse = pick(|s| s.parse);
    let codegen = pick(Sample::codegen);
    let serial = pick(Sample::serial);
    let ratio = codegen.as_secs_f64() / parse.as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);

    println!("{title}");
    println!("  floor: parse to serde_json::Value   {}", ms(parse));
    println!("  codegen (load+lower+render)          {}   ({cores} cores)", ms(codegen));
    println!(
        "  ratio codegen / parse                {ratio:9.2}x   (target <= {TARGET_RATIO}x: {})",
        met(ratio <= TARGET_RATIO)
    );
    println!(
        "  one core's work (every stage)        {}   {:5.2}x parse",
        ms(serial),
        serial.as_secs_f64() / parse.as_secs_f64()
    );
    println!("  stages (median each; target <= {STAGE_TARGET_RATIO}x parse each; % of one core's work):");
    for (name, stage) in [
        ("load (parse + document model)", pick(|s| s.load)),
        ("lower (document -> IR)", pick(|s| s.lower)),
        ("emit (IR -> tokens, one core)", pick(|s| s.emit)),
        ("format (syn + prettyplease, one core)", pick(|s| s.format)),
    ] {
        let stage_ratio = stage.as_secs_f64() / parse.as_secs_f64();
        println!(
            "    {name:<38} {}  {stage_ratio:5.2}x parse  {:5.1}% of one core  {}",
            ms(stage),
            100.0 * stage.as_secs_f64() / serial.as_secs_f64(),
            met(stage_ratio <= STAGE_TARGET_RATIO)
        );
    }
    let render = pick(|s| s.render);
    let render_ratio = render.as_secs_f64() / parse.as_secs_f64();
    println!(
        "    {:<38} {}  {render_ratio:5.2}x parse  {:>19}  {}",
        format!("render (emit + format, {cores} cores)"),
        ms(render),
        "",
        met(render_ratio <= STAGE_TARGET_RATIO)
    );
}

fn met(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn main() {
    let root = corpus_root();
    let root = root.canonicalize().unwrap_or(root);
    let specs = match read_specs(&root) {
        Ok(specs) => specs,
        Err(err) => {
            println!("codegen benchmark skipped: no corpus at {} ({err})", root.display());
            return;
        }
    };
    let samples: usize = std::env::var("SAMPLES").ok().and_then(|value| value.parse().ok()).unwrap_or(11).max(1);
    let options: Vec<ModuleOptions> = specs.iter().map(|spec| options(&root, spec)).collect();
    let bytes: usize = specs.iter().map(|spec| spec.bytes.len()).sum();
    println!(
        "codegen: {} specs ({:.1} MB) from {}, median of {samples} samples (after one warm-up)",
        specs.len(),
        bytes as f64 / 1e6,
        root.display()
    );

    sample(&specs, &options); // warm-up: page in the files, allocator and caches
    let runs: Vec<Vec<Sample>> = (0..samples).map(|_| sample(&specs, &options)).collect();
    for (index, corpus) in CORPORA.iter().enumerate() {
        let in_corpus: Vec<&Spec> = specs.iter().filter(|spec| spec.corpus == index).collect();
        let bytes: usize = in_corpus.iter().map(|spec| spec.bytes.len()).sum();
        let corpus_runs: Vec<Sample> = runs.iter().map(|run| run[index]).collect();
        report(&format!("{corpus}/: {} specs ({:.1} MB)", in_corpus.len(), bytes as f64 / 1e6), &corpus_runs);
    }
    let totals: Vec<Sample> = runs
        .iter()
        .map(|run| {
            let mut total = Sample::default();
            run.iter().for_each(|corpus| total.add(corpus));
            total
        })
        .collect();
    report(&format!("total: {} specs ({:.1} MB)", specs.len(), bytes as f64 / 1e6), &totals);
}
