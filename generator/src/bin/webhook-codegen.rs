//! `webhook-codegen`: generates typed Rust modules from OpenAPI webhook documents into a folder of a crate.
//!
//! ```text
//! webhook-codegen generate specs/svix.json --out src/webhooks     # writes src/webhooks/svix.rs
//! webhook-codegen generate specs/svix.json --out src/webhooks --check
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
}

fn main() -> ExitCode {
    let Cli { command: Command::Generate { specs, out, check, runtime_path, verbose } } = Cli::parse();
    let mut builder = Builder::new();
    builder.form(OutputForm::ModuleFile).runtime_path(runtime_path).quiet(true);
    for spec in &specs {
        builder.spec(spec);
    }
    match generate(&builder, &out, check, verbose) {
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
