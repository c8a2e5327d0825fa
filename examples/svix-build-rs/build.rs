//! Generates the Svix module from `specs/svix.yaml` (with its settings, `specs/svix.codegen.yaml`) into
//! `OUT_DIR`, for `include!` in `src/lib.rs`; cargo reruns it when either file changes.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    webhook_codegen::Builder::new().spec("specs/svix.yaml").generate()?;
    Ok(())
}
