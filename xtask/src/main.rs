//! `cargo xtask`: the project's command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use xtask::codegen;

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
}

fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Command::Codegen { check } => run_codegen(&root, check),
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
