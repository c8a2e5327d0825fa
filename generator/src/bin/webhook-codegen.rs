//! `webhook-codegen`: generates typed Rust modules from OpenAPI webhook documents into a folder of a crate.
//!
//! ```text
//! webhook-codegen generate specs/svix.json --out src/webhooks     # writes src/webhooks/svix.rs
//! webhook-codegen generate specs/svix.json --out src/webhooks --check
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use webhook_codegen::files::{self, FileError};
use webhook_codegen::{GeneratedModule, RenderOptions};

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
    },
}

fn main() -> ExitCode {
    let Cli { command: Command::Generate { specs, out, check, runtime_path } } = Cli::parse();
    let render = RenderOptions { generator: "webhook-codegen".to_owned(), runtime_path, for_include: false };
    match generate(&specs, &out, check, &render) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn generate(specs: &[PathBuf], out: &Path, check: bool, render: &RenderOptions) -> Result<ExitCode, FileError> {
    let mut modules: Vec<GeneratedModule> = Vec::with_capacity(specs.len());
    for path in specs {
        let label = path.display().to_string();
        let settings = files::read_settings(path, &label)?;
        modules.push(files::generate_file(path, &label, &settings, render)?);
    }
    files::check_unique_modules(&modules)?;
    let mut drifted = Vec::new();
    for generated in &modules {
        let target = files::module_path(out, generated)?;
        let module = &generated.module;
        print!(
            "{}",
            files::summary_lines(
                &module.source_file,
                &target.display().to_string(),
                module.events.len(),
                module.types.len(),
                &generated.warnings
            )
        );
        let current = files::read_or_empty(&target)?;
        if current == generated.source {
            continue;
        }
        if check {
            let name = target.display().to_string();
            let diff = similar::TextDiff::from_lines(&current, &generated.source)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
                .to_string();
            drifted.push((name, diff));
        } else {
            std::fs::create_dir_all(out).map_err(FileError::io(out))?;
            files::write_module(out, generated)?;
            println!("wrote {}", target.display());
        }
    }
    if drifted.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut message = String::new();
    for (_, diff) in &drifted {
        message.push_str(diff);
    }
    let names: Vec<&str> = drifted.iter().map(|(name, _)| name.as_str()).collect();
    let specs: Vec<String> = specs.iter().map(|spec| spec.display().to_string()).collect();
    let _ = write!(
        message,
        "\nerror: generated code is out of date with its specs ({}).\nRun `webhook-codegen generate {} --out {}` and commit the result.\n",
        names.join(", "),
        specs.join(" "),
        out.display()
    );
    eprint!("{message}");
    Ok(ExitCode::FAILURE)
}
