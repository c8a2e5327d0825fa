//! `cargo xtask`: the project's command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use xtask::{codegen, codesize, conformance, send};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Generate typed webhook code from the OpenAPI specs in specs/")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate one module per spec in specs/ into generated/src/.
    Codegen {
        /// Write nothing; fail with a diff when the checked-in code differs from what the specs give.
        #[arg(long)]
        check: bool,
        /// List every tolerated quirk of each spec with its JSON pointer (by default they are counted by
        /// kind).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Check specs of your own: each generates, builds with warnings denied (clippy, rustdoc) and parses
    /// and re-serializes every example to the same JSON. Only scratch/ of the target folder is written.
    Conformance {
        /// Spec files, and folders whose .yaml, .yml and .json files are all checked.
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Print only the table, the failures and the summary, not each spec's tolerated quirks.
        #[arg(long)]
        quiet: bool,
        /// Let the schema alone decide the types, so examples that disagree with it fail (by default
        /// types widen to accept the spec's examples, with a warning).
        #[arg(long)]
        strict_examples: bool,
    },
    /// Measure what the generated crate costs to compile: generated lines, named types and a clean debug
    /// `cargo build` of the crate, with every spec module and with each alone. Only scratch/ of the target
    /// folder is written.
    Codesize {
        /// Spec files, and folders whose .yaml, .yml and .json files are all measured (default: specs/).
        #[arg(value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Compare instead: the checked-in generated crate at this commit (a git revision) against this
        /// checkout's, each built clean in debug, checked and built in release, one after the other, with
        /// the ratio of each build.
        #[arg(long, value_name = "REV", conflicts_with = "paths")]
        baseline: Option<String>,
    },
    /// POST a webhook's example from specs/ (or --spec) to a receiver, signed with the current time, and
    /// print the answer (`webhook-codegen send`, finding the spec by the webhook's name). Each send sets the example's `event_ts` to now (Zoom), or sends a new
    /// `webhook-id` (Standard Webhooks), so it is a new delivery.
    /// `endpoint.url_validation` sends Zoom's URL validation challenge and checks the answer. Exits
    /// non-zero unless the receiver answers 200 or 204 (as Zoom counts deliveries).
    Send {
        /// The webhook name, such as number_management.peering_number_cnam_updated.
        event: String,
        /// Where the receiver listens (http:// or https://), such as http://127.0.0.1:8080/webhooks/zoom.
        #[arg(long)]
        url: String,
        /// The secret that signs the delivery: Zoom's app secret token, or a Standard Webhooks
        /// `whsec_...` secret.
        #[arg(long)]
        secret: String,
        /// Which example to send when the spec has several (by its name); the first by default.
        #[arg(long)]
        example: Option<String>,
        /// How to sign: `zoom` (x-zm-* headers) or `standard` (Standard Webhooks: webhook-* headers, as
        /// Svix and the vendors built on it sign).
        #[arg(long, value_enum, default_value_t = SchemeArg::Zoom)]
        scheme: SchemeArg,
        /// Take the example from this spec file instead of specs/ (another vendor's spec).
        #[arg(long, value_name = "FILE")]
        spec: Option<PathBuf>,
    },
}

/// `--scheme` of `cargo xtask send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SchemeArg {
    /// Zoom's signature.
    Zoom,
    /// Standard Webhooks.
    Standard,
}

/// What `cargo xtask send` sends.
struct SendArgs<'a> {
    event: &'a str,
    url: &'a str,
    secret: &'a str,
    example: Option<&'a str>,
    scheme: SchemeArg,
    spec: Option<&'a std::path::Path>,
}

fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Codegen { check, verbose } => run_codegen(&root, check, verbose).map_err(|err| err.to_string()),
        Command::Conformance { paths, quiet, strict_examples } => {
            run_conformance(&root, &paths, quiet, strict_examples).map_err(|err| err.to_string())
        }
        Command::Codesize { paths, baseline: None } => run_codesize(&root, &paths).map_err(|err| err.to_string()),
        Command::Codesize { baseline: Some(rev), .. } => {
            codesize::compare::run(&root, &rev, &mut |message| eprintln!("{message}"))
                .map(|comparison| {
                    print!("{}", comparison.render());
                    ExitCode::SUCCESS
                })
                .map_err(|err| err.to_string())
        }
        Command::Send { event, url, secret, example, scheme, spec } => {
            let args = SendArgs {
                event: &event,
                url: &url,
                secret: &secret,
                example: example.as_deref(),
                scheme,
                spec: spec.as_deref(),
            };
            run_send(&root, &args).map_err(|err| err.to_string())
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run_codegen(root: &std::path::Path, check: bool, verbose: bool) -> Result<ExitCode, codegen::CodegenError> {
    let plan = codegen::plan(root)?;
    let mut quirks = webhook_codegen::files::QuirkTally::default();
    for report in &plan.reports {
        if verbose {
            print!("{}", codegen::report_lines(report));
        } else {
            print!("{}", codegen::report_line(report));
            quirks.add(&report.warnings);
        }
    }
    print!("{}", quirks.render("`cargo xtask codegen --verbose` lists each with its JSON pointer"));
    for shared in &plan.shared_events {
        println!("{}", codegen::shared_event_warning(shared));
    }
    if check {
        let drifts = codegen::drift(root, &plan)?;
        if drifts.is_empty() {
            println!("generated code is up to date with {}/", codegen::SPECS_DIR);
            return Ok(ExitCode::SUCCESS);
        }
        eprint!("{}", codegen::drift_message(&drifts));
        return Ok(ExitCode::FAILURE);
    }
    let touched = codegen::write(root, &plan)?;
    if touched.is_empty() {
        println!("generated code was already up to date");
    }
    for path in touched {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_conformance(
    root: &std::path::Path,
    paths: &[PathBuf],
    quiet: bool,
    strict_examples: bool,
) -> Result<ExitCode, conformance::ConformanceError> {
    let options = conformance::Options { strict_examples, ..conformance::Options::default() };
    let mut progress = |message: &str| {
        if !quiet {
            eprintln!("{message}");
        }
    };
    let report = conformance::run(root, paths, &options, &mut progress)?;
    print!("{}", report.render(quiet));
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn run_codesize(root: &std::path::Path, paths: &[PathBuf]) -> Result<ExitCode, codesize::CodesizeError> {
    let report = codesize::run(root, paths, &mut |message| eprintln!("{message}"))?;
    print!("{}", report.render());
    Ok(ExitCode::SUCCESS)
}

fn run_send(root: &std::path::Path, args: &SendArgs<'_>) -> Result<ExitCode, send::XtaskSendError> {
    let SendArgs { event, url, secret, example, scheme, spec } = *args;
    let mut request = if event == send::URL_VALIDATION_EVENT && scheme == SchemeArg::Zoom {
        webhook_codegen::cli::send::Send::new(url, secret, webhook_codegen::cli::send::Body::UrlValidation)
    } else {
        let candidates = send::candidate_specs(root, event, spec)?;
        send::request(&candidates, event, example, url, secret)?
    };
    request.scheme = Some(match scheme {
        SchemeArg::Zoom => send::Scheme::Zoom,
        SchemeArg::Standard => send::Scheme::Standard,
    });
    let delivered = request.run(&mut std::io::stdout().lock()).map_err(send::XtaskSendError::from)?;
    Ok(if delivered { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
