//! `cargo xtask`: the project's command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use xtask::{codegen, conformance};

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
    },
    /// Check specs of your own: each generates, builds with warnings denied (clippy, rustdoc) and parses
    /// and re-serializes every example to the same JSON. Only target/scratch/ is written.
    Conformance {
        /// Spec files, and folders whose .yaml, .yml and .json files are all checked.
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// Print only the table, the failures and the summary, not each spec's tolerated quirks.
        #[arg(long)]
        quiet: bool,
    },
}

fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Codegen { check } => run_codegen(&root, check).map_err(|err| err.to_string()),
        Command::Conformance { paths, quiet } => run_conformance(&root, &paths, quiet).map_err(|err| err.to_string()),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run_codegen(root: &std::path::Path, check: bool) -> Result<ExitCode, codegen::CodegenError> {
    let plan = codegen::plan(root)?;
    for report in &plan.reports {
        print!("{}", codegen::report_lines(report));
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
) -> Result<ExitCode, conformance::ConformanceError> {
    let options = conformance::Options::default();
    let mut progress = |message: &str| {
        if !quiet {
            eprintln!("{message}");
        }
    };
    let report = conformance::run(root, paths, &options, &mut progress)?;
    print!("{}", report.render(quiet));
    Ok(if report.failed() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
