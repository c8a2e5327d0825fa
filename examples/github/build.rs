//! Generates the GitHub module from `specs/github-webhooks.json` (GitHub's description as published, with
//! its settings in `specs/github-webhooks.codegen.yaml`) into `OUT_DIR`, for `include!` in `src/lib.rs`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    webhook_codegen::Builder::new().spec("specs/github-webhooks.json").generate()?;
    Ok(())
}
