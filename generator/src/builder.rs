//! The `build.rs` entry point: generates modules into `OUT_DIR` at build time, the way `prost-build` does.

use std::path::{Path, PathBuf};

use crate::files::{self, FileError};
use crate::{GeneratedModule, RenderOptions, SpecConfig};

/// Generates one module per spec from a crate's `build.rs`.
///
/// ```no_run
/// // build.rs; [build-dependencies] webhook-codegen, [dependencies] webhook-runtime, serde, serde_json
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     webhook_codegen::Builder::new()
///         .spec("specs/svix.json") // repeatable; each spec is one module named after its file stem
///         .generate()?; // writes $OUT_DIR/svix.rs, prints cargo:rerun-if-changed
///     Ok(())
/// }
/// ```
///
/// and in the crate, `pub mod svix { include!(concat!(env!("OUT_DIR"), "/svix.rs")); }`.
///
/// Each spec's settings come from its `.codegen.yaml` sidecar when it has one (`specs/svix.codegen.yaml`,
/// the keys of [`SpecConfig`]), or from [`Builder::spec_with_settings`]. Tolerated quirks of a spec are
/// printed as `cargo:warning=` lines, so `cargo build` shows them; a spec that cannot be generated fails
/// the build with its file and JSON pointer.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    specs: Vec<(PathBuf, Option<SpecConfig>)>,
    out_dir: Option<PathBuf>,
    runtime_path: Option<String>,
    quiet: bool,
}

impl Builder {
    /// A builder with no specs, writing to `OUT_DIR`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a spec (YAML or JSON), with the settings of its `.codegen.yaml` sidecar if it has one. Its
    /// module is named after the file stem in snake_case (`team-chat.json` -> `team_chat.rs`) unless the
    /// settings name it.
    pub fn spec(&mut self, path: impl AsRef<Path>) -> &mut Self {
        self.specs.push((path.as_ref().to_owned(), None));
        self
    }

    /// Adds a spec with these settings; its sidecar, if any, is not read.
    pub fn spec_with_settings(&mut self, path: impl AsRef<Path>, settings: SpecConfig) -> &mut Self {
        self.specs.push((path.as_ref().to_owned(), Some(settings)));
        self
    }

    /// Writes the modules to `dir` instead of `OUT_DIR`.
    pub fn out_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.out_dir = Some(dir.as_ref().to_owned());
        self
    }

    /// The path the generated code names the runtime crate by, `::webhook_runtime` by default: set it when
    /// the crate depends on the runtime under another name or re-exports it (`crate::webhook_runtime`).
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime_path = Some(path.into());
        self
    }

    /// Prints no `cargo:` lines (for use outside a build script).
    pub fn quiet(&mut self, quiet: bool) -> &mut Self {
        self.quiet = quiet;
        self
    }

    /// Generates every spec and writes `<out dir>/<module>.rs` for each (a file whose contents did not
    /// change is left alone, so nothing that includes it rebuilds). Returns the generated modules.
    ///
    /// # Errors
    ///
    /// When no output folder is set and `OUT_DIR` is not either (outside a build script), a spec or its
    /// settings cannot be read or generated, two specs would become the same module, or a file cannot be
    /// written: a module file is never written through a symbolic link, named `lib.rs` or `main.rs`, or
    /// over a file the generator did not write (see [`files::write_module`]).
    pub fn generate(&self) -> Result<Vec<GeneratedModule>, BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR").map(PathBuf::from).ok_or(BuildError::NoOutDir)?,
        };
        let render = RenderOptions {
            generator: "webhook-codegen".to_owned(),
            runtime_path: self.runtime_path.clone().unwrap_or_else(|| crate::DEFAULT_RUNTIME_PATH.to_owned()),
            for_include: true,
        };
        let mut modules = Vec::with_capacity(self.specs.len());
        for (path, settings) in &self.specs {
            let label = path.display().to_string();
            self.say(&format!("cargo:rerun-if-changed={label}"));
            let settings = match settings {
                Some(settings) => settings.clone(),
                None => {
                    self.say(&format!("cargo:rerun-if-changed={}", files::settings_file(path).display()));
                    files::read_settings(path, &label)?
                }
            };
            let generated = files::generate_file(path, &label, &settings, &render)?;
            for warning in &generated.warnings {
                self.say(&format!("cargo:warning={label}#{warning}"));
            }
            modules.push(generated);
        }
        files::check_unique_modules(&modules)?;
        std::fs::create_dir_all(&out_dir).map_err(FileError::io(&out_dir))?;
        for generated in &modules {
            files::write_module(&out_dir, generated)?;
        }
        Ok(modules)
    }

    fn say(&self, line: &str) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

/// Why [`Builder::generate`] failed. `Debug` prints the message, as `Display` does, so a `build.rs` that
/// returns it (`fn main() -> Result<(), Box<dyn Error>>`) shows the file and JSON pointer.
#[derive(thiserror::Error)]
pub enum BuildError {
    /// No output folder: not run by cargo as a build script, and no [`Builder::out_dir`].
    #[error("OUT_DIR is not set: run the builder from build.rs, or give it an out_dir")]
    NoOutDir,
    /// Reading, generating or writing failed.
    #[error(transparent)]
    File(#[from] FileError),
}

impl std::fmt::Debug for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::error::write_with_causes(self, f)
    }
}
