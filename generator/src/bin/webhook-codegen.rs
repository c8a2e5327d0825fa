//! `webhook-codegen`: generates typed Rust modules from OpenAPI webhook documents into a folder of a crate.
//!
//! ```text
//! webhook-codegen generate specs/svix.json --out src/webhooks     # writes src/webhooks/svix.rs
//! webhook-codegen generate specs/svix.json --out src/webhooks --check
//! webhook-codegen send --url http://127.0.0.1:8080/webhooks/zoom --secret "$SECRET" --body delivery.json
//! webhook-codegen check specs/svix.json captured/        # a drift report; exit 1 when anything differs
//! webhook-codegen send --url http://127.0.0.1:8080/webhooks/svix --secret whsec_... --spec specs/svix.yaml --webhook endpoint.created
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::time::SystemTime;

use clap::{ArgGroup, Parser, Subcommand};
use webhook_codegen::cli::{check, send};
use webhook_codegen::files::{self, QuirkTally};
use webhook_codegen::{BuildError, Builder, OutputForm};

#[derive(Parser)]
#[command(name = "webhook-codegen", version, about = "Typed Rust for OpenAPI 3.1 webhooks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate one module file per spec: <OUT>/<module>.rs
    ///
    /// Each file is a module to use as `mod <module>;`, named after its spec's file stem in snake_case.
    /// A module file is never written through a symbolic link, as lib.rs or main.rs, or over a file
    /// that the generator did not write.
    /// Each spec's settings come from its `.codegen.yaml` sidecar when it has one. The crate needs the
    /// dependencies webhook-runtime, serde and serde_json.
    Generate {
        /// The OpenAPI documents (YAML or JSON); each becomes a module named after its file stem.
        #[arg(required = true, value_name = "SPEC")]
        specs: Vec<PathBuf>,
        /// The folder the module files go to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Write nothing; print a diff and exit 1 when a module file differs from what its spec gives.
        #[arg(long)]
        check: bool,
        /// The path the generated code names the runtime crate by.
        #[arg(long, value_name = "PATH", default_value = webhook_codegen::DEFAULT_RUNTIME_PATH)]
        runtime_path: String,
        /// List every tolerated quirk of each spec with its JSON pointer (by default they are counted by
        /// kind).
        #[arg(long, short)]
        verbose: bool,
    },
    /// POST a signed delivery to a receiver and print one line per request with the answer
    ///
    /// The body is a file sent byte for byte (--body: a captured delivery, an edited example), a webhook's
    /// example from one spec (--spec, with --webhook when it declares several; only that spec is read; a
    /// numeric `event_ts` is set to the send time), or Zoom's URL validation challenge (--validate, whose
    /// answer is checked). It is signed at the current time (or --timestamp) with a fresh message id
    /// (Standard Webhooks' webhook-id, GitHub's X-GitHub-Delivery; or --id), and sent --repeat times as the
    /// same delivery, as a vendor's retry would be: a receiver with a duplicate filter handles it once.
    /// Zoom's receivers key duplicates by the body, so sending the same --body file again is a retry too.
    ///
    /// Exit status 0 when every answer is 200 or 204 (what Zoom counts as delivered) and a URL validation
    /// answer is correct, 1 otherwise.
    #[command(group(ArgGroup::new("what").required(true).args(["body", "spec", "validate"])), after_long_help = SEND_EXAMPLES)]
    Send {
        /// Where the receiver listens: http:// or https://.
        #[arg(long)]
        url: String,
        /// The secret that signs: Zoom's secret token, a Standard Webhooks whsec_... secret, GitHub's
        /// webhook secret.
        #[arg(long, env = "WEBHOOK_SECRET", hide_env_values = true)]
        secret: String,
        /// How to sign (default: the `signature` the spec's .codegen.yaml names, else zoom).
        #[arg(long, value_enum)]
        scheme: Option<SchemeArg>,
        /// Send this file's bytes as the body.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["spec", "validate"])]
        body: Option<PathBuf>,
        /// Send an example of a webhook of this spec.
        #[arg(long, value_name = "FILE", conflicts_with = "validate")]
        spec: Option<PathBuf>,
        /// The webhook whose example --spec sends.
        #[arg(long, value_name = "NAME", requires = "spec")]
        webhook: Option<String>,
        /// The example's name, when the webhook has several (default: the first).
        #[arg(long, value_name = "NAME", requires = "spec")]
        example: Option<String>,
        /// Send Zoom's URL validation challenge and check the answer's encryptedToken.
        #[arg(long)]
        validate: bool,
        /// Sign at this time: Unix seconds, or an offset from now (-600, -10m, +1h) for a stale or
        /// future delivery.
        #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
        timestamp: Option<String>,
        /// The message id (webhook-id, X-GitHub-Delivery) instead of a fresh one: a redelivery.
        #[arg(long)]
        id: Option<String>,
        /// GitHub's X-GitHub-Event (push, pull_request, ...).
        #[arg(long, value_name = "EVENT")]
        github_event: Option<String>,
        /// Send the same signed delivery this many times.
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// Check captured deliveries against a spec and print where they drift from it
    ///
    /// Each delivery (a .json file, a line of a .jsonl or .ndjson file, or such files in a folder) is
    /// checked, without building any Rust, against the types the generated code has for its webhook: the
    /// one its body names by the spec's discriminator (Zoom's `event`, Svix's `type`), or --webhook. The
    /// report gives per webhook how many deliveries parsed (and of those, how many with drift the types
    /// tolerate) and failed, then per JSON path (`[]`: any array element) each kind of difference with
    /// its count and one example: missing required field, wrong type (these fail to parse), unknown enum
    /// value, undeclared property, a value that fits no alternative (these are kept by the generated
    /// types but still drift). Deliveries naming an unknown webhook, or that are not JSON, are counted
    /// too.
    ///
    /// Exit status 0 when every delivery matches its schema exactly, 1 when anything differs or fails.
    #[command(after_long_help = CHECK_EXAMPLES)]
    Check {
        /// The OpenAPI document (YAML or JSON), with its .codegen.yaml settings when it has them.
        spec: PathBuf,
        /// Delivery files (.json: one body; .jsonl, .ndjson: one per line) and folders of them.
        #[arg(required = true, value_name = "DELIVERY")]
        deliveries: Vec<PathBuf>,
        /// Check every delivery as this webhook instead of the one its body names.
        #[arg(long, value_name = "NAME")]
        webhook: Option<String>,
    },
}

const CHECK_EXAMPLES: &str = "\
Examples:
  webhook-codegen check specs/zoom/meetings.json captured/
  webhook-codegen check svix.yaml deliveries.jsonl --webhook endpoint.created

Report:
  meeting.started: 120 deliveries, 118 parsed (3 with drift), 2 failed
    payload.object.duration  wrong type  2  (fails; e.g. captured/7.json: expected a 32-bit integer, got a string \"60\")
    payload.object.type  unknown enum value  3  (tolerated; e.g. captured/9.json: a string \"9\")
  120 deliveries: 118 parsed (3 with drift), 2 failed, 0 not matched, 0 not JSON";

const SEND_EXAMPLES: &str = "\
Examples:
  webhook-codegen send --url http://127.0.0.1:8080/webhooks/zoom --secret \"$SECRET\" --body delivery.json
  webhook-codegen send --url http://127.0.0.1:8080/webhooks/zoom --secret \"$SECRET\" --validate
  webhook-codegen send --url https://example.ngrok.app/hooks --secret whsec_... \\
      --spec svix.yaml --webhook endpoint.created --repeat 2     # the second is a retry
  webhook-codegen send --url http://127.0.0.1:8080/webhooks/zoom --secret \"$SECRET\" \\
      --body delivery.json --timestamp -10m                     # stale: a receiver answers 401";

/// `--scheme` of `send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SchemeArg {
    /// Zoom's x-zm-request-timestamp and x-zm-signature.
    Zoom,
    /// Standard Webhooks' webhook-id, webhook-timestamp and webhook-signature (Svix and the vendors built
    /// on it).
    Standard,
    /// GitHub's X-Hub-Signature-256.
    Github,
}

impl From<SchemeArg> for send::Scheme {
    fn from(scheme: SchemeArg) -> Self {
        match scheme {
            SchemeArg::Zoom => Self::Zoom,
            SchemeArg::Standard => Self::Standard,
            SchemeArg::Github => Self::GitHub,
        }
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Generate { specs, out, check, runtime_path, verbose } => {
            let mut builder = Builder::new();
            builder.form(OutputForm::ModuleFile).runtime_path(runtime_path).quiet(true);
            for spec in &specs {
                builder.spec(spec);
            }
            generate(&builder, &out, check, verbose).map_err(|err| err.to_string())
        }
        Command::Check { spec, deliveries, webhook } => match check::run(&spec, webhook.as_deref(), &deliveries) {
            Ok(report) => {
                print!("{}", report.render());
                Ok(if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
            }
            Err(err) => Err(err.to_string()),
        },
        Command::Send {
            url,
            secret,
            scheme,
            body,
            spec,
            webhook,
            example,
            validate,
            timestamp,
            id,
            github_event,
            repeat,
        } => {
            let body = match (body, spec) {
                (Some(file), _) => send::Body::File(file),
                (None, Some(spec)) => send::Body::Example { spec, webhook, example },
                (None, None) => send::Body::UrlValidation,
            };
            debug_assert!(validate == (body == send::Body::UrlValidation));
            let timestamp = timestamp.map(|text| send::parse_timestamp(&text, SystemTime::now())).transpose();
            timestamp.and_then(|timestamp| {
                let mut request = send::Send::new(url, secret, body);
                request.scheme = scheme.map(send::Scheme::from);
                request.timestamp = timestamp;
                request.id = id;
                request.github_event = github_event;
                request.repeat = repeat;
                let delivered = request.run(&mut std::io::stdout().lock()).map_err(|err| err.to_string())?;
                Ok(if delivered { ExitCode::SUCCESS } else { ExitCode::FAILURE })
            })
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

fn generate(builder: &Builder, out: &Path, check: bool, verbose: bool) -> Result<ExitCode, BuildError> {
    let generated = builder.generate_in_memory()?;
    let mut quirks = QuirkTally::default();
    for module in &generated.modules {
        let target = files::module_path(out, module)?.display().to_string();
        let (ir, warnings) = (&module.module, &module.warnings);
        if verbose {
            print!("{}", files::summary_lines(&ir.source_file, &target, ir.events.len(), ir.types.len(), warnings));
        } else {
            print!(
                "{}",
                files::summary_line(&ir.source_file, &target, ir.events.len(), ir.types.len(), warnings.len())
            );
            quirks.add(warnings);
        }
    }
    print!("{}", quirks.render("`--verbose` lists each with its JSON pointer"));
    if check {
        let checked = builder.check_generated(&generated, out)?;
        if checked.is_up_to_date() {
            return Ok(ExitCode::SUCCESS);
        }
        eprint!("{}", checked.message());
        return Ok(ExitCode::FAILURE);
    }
    for path in builder.write_generated(&generated, out)?.written {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
