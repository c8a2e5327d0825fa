//! The file side of the generator, under the [`Builder`](crate::Builder): reading a spec with its
//! settings sidecar, writing generated files safely, and comparing generated text with what is on disk.
//! The pipeline stages themselves never touch files.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::{Error, GeneratedModule, Overlay, OverlaySource, SpecConfig, Warning};

/// Module names whose file is a crate root (`lib.rs`, `main.rs`), never a module of its own. A spec that
/// would become one is refused. (A spec named `mod` becomes `mod_`, a keyword's module name.)
pub const RESERVED_MODULE_NAMES: &[&str] = &["lib", "main"];

/// Why generating from files failed. `Debug` prints the message, as `Display` does.
#[derive(thiserror::Error)]
pub enum FileError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A spec or its settings could not be generated (the message names the file and JSON pointer).
    #[error(transparent)]
    Spec(#[from] Error),
    /// Two specs would become the same module.
    #[error(
        "{first} and {second} would both become module `{module}`; rename one of them or set `module` in its settings"
    )]
    DuplicateModule {
        /// The Rust module name.
        module: String,
        /// The first spec file.
        first: String,
        /// The second spec file.
        second: String,
    },
    /// A spec's module file would be a crate root (`lib.rs`, `main.rs`).
    #[error(
        "{spec} would be written to {}, which is a crate root, not a module; rename the spec or set `module` in its settings",
        path.display()
    )]
    ReservedModuleName {
        /// The spec file.
        spec: String,
        /// The file it would replace.
        path: PathBuf,
    },
    /// The file to write is a symbolic link; writing would change whatever it points to instead.
    #[error(
        "{} is a symbolic link: refusing to write generated code through it (remove the link or generate into another folder)",
        path.display()
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// The file to write exists and the generator did not write it.
    #[error(
        "{} exists and was not written by the generator (its first line is not `// @generated ...`): refusing to replace it with the module of {spec}; rename the spec or set `module` in its settings",
        path.display()
    )]
    NotGenerated {
        /// The spec file.
        spec: String,
        /// The existing file.
        path: PathBuf,
    },
}

impl std::fmt::Debug for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::error::write_with_causes(self, f)
    }
}

impl FileError {
    /// An I/O error on `path`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_owned(), source }
    }
}

/// The settings sidecar of a spec: `specs/museum.yaml` -> `specs/museum.codegen.yaml`.
pub fn settings_file(spec: &Path) -> PathBuf {
    spec.with_extension("codegen.yaml")
}

/// Whether `path` is a settings sidecar or an overlay rather than a spec.
pub fn is_settings_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.contains(".codegen.") || name.contains(".overlay."))
}

/// The overlay files found beside a spec: `specs/github.json` -> `specs/github.overlay.yaml` and
/// `specs/github.overlay.json`.
pub fn overlay_files(spec: &Path) -> [PathBuf; 2] {
    [spec.with_extension("overlay.yaml"), spec.with_extension("overlay.json")]
}

/// The settings of the spec at `path` (its `.codegen.yaml` sidecar), or the defaults when it has none,
/// with its overlay read ([`read_overlay`], found beside the spec unless the settings name one); `label`
/// is how the spec is named in messages.
///
/// # Errors
///
/// When the sidecar or the overlay cannot be read or is invalid.
pub fn read_settings(path: &Path, label: &str) -> Result<SpecConfig, FileError> {
    let settings_path = settings_file(path);
    let mut settings = match fs::read(&settings_path) {
        Ok(settings) => {
            let settings_label = Path::new(label).with_extension("codegen.yaml").display().to_string();
            SpecConfig::parse(&settings_label, &settings)?
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => SpecConfig::default(),
        Err(source) => return Err(FileError::Io { path: settings_path, source }),
    };
    read_overlay(path, label, &mut settings, true)?;
    Ok(settings)
}

/// Reads the overlay of the spec at `path` into `settings`: the file they name
/// ([`OverlaySource::File`], relative to the spec's folder), or with `find_beside` and none named, the
/// one beside the spec ([`overlay_files`]). Returns the overlay file's label (`label`'s folder and the
/// file name: how messages name it), or `None` when no file was read.
///
/// # Errors
///
/// When a named overlay cannot be read, both a YAML and a JSON overlay are beside the spec, or the
/// overlay is invalid.
pub fn read_overlay(
    path: &Path,
    label: &str,
    settings: &mut SpecConfig,
    find_beside: bool,
) -> Result<Option<String>, FileError> {
    let folder = |of: &Path| of.parent().map(Path::to_path_buf).unwrap_or_default();
    let (file, file_label) = match &settings.overlay {
        Some(OverlaySource::Loaded(_)) => return Ok(None),
        Some(OverlaySource::File(name)) => (folder(path).join(name), folder(Path::new(label)).join(name)),
        None if find_beside => {
            let found: Vec<PathBuf> = overlay_files(path).into_iter().filter(|file| file.is_file()).collect();
            match found.as_slice() {
                [] => return Ok(None),
                [file] => {
                    let name = file.file_name().map(PathBuf::from).unwrap_or_default();
                    (file.clone(), folder(Path::new(label)).join(name))
                }
                [yaml, json, ..] => {
                    return Err(FileError::Spec(Error::Spec {
                        file: label.to_owned(),
                        pointer: crate::JsonPointer::root(),
                        message: format!(
                            "two overlays are beside this spec, {} and {}; keep one (or name it with `overlay` in \
                             the settings)",
                            yaml.display(),
                            json.display()
                        ),
                    }));
                }
            }
        }
        None => return Ok(None),
    };
    let bytes = fs::read(&file).map_err(FileError::io(&file))?;
    let file_label = file_label.display().to_string();
    settings.overlay = Some(OverlaySource::Loaded(Overlay::parse(&file_label, &bytes)?));
    Ok(Some(file_label))
}

/// The spec at `path` with its settings sidecar and overlay, loaded and lowered (not rendered): the webhooks, their
/// examples and the types generated code would have, for tools that work from a spec without building
/// Rust (the command's `send` and `check`). Returns the module and the quirks tolerated on the way.
///
/// # Errors
///
/// When the spec or its sidecar cannot be read, or the spec cannot be generated.
pub fn lower_spec_file(path: &Path) -> Result<(crate::ir::Module, Vec<Warning>), FileError> {
    let label = path.display().to_string();
    let settings = read_settings(path, &label)?;
    let bytes = fs::read(path).map_err(FileError::io(path))?;
    let crate::Loaded { document, mut warnings } = crate::load_with_settings(&label, &bytes, &settings)?;
    let (module, lowered) = crate::lower(&document, &crate::ModuleOptions::new(&label, &settings))?;
    warnings.extend(lowered);
    Ok((module, warnings))
}

/// The spec files directly in `dir`, sorted by name: `.yaml`, `.yml` and `.json`, not the `.codegen.yaml`
/// settings and `.overlay.yaml` overlays beside them.
///
/// # Errors
///
/// When the folder cannot be read.
pub fn spec_files_in(dir: &Path) -> Result<Vec<PathBuf>, FileError> {
    let mut specs = Vec::new();
    for entry in fs::read_dir(dir).map_err(FileError::io(dir))? {
        let path = entry.map_err(FileError::io(dir))?.path();
        let is_spec =
            path.extension().and_then(|ext| ext.to_str()).is_some_and(|ext| matches!(ext, "yaml" | "yml" | "json"));
        if is_spec && path.is_file() && !is_settings_file(&path) {
            specs.push(path);
        }
    }
    specs.sort();
    Ok(specs)
}

/// Checks that no two generated modules share a name.
///
/// # Errors
///
/// [`FileError::DuplicateModule`] naming both specs.
pub fn check_unique_modules(modules: &[GeneratedModule]) -> Result<(), FileError> {
    for (index, generated) in modules.iter().enumerate() {
        if let Some(earlier) = modules[..index].iter().find(|earlier| earlier.module.name == generated.module.name) {
            return Err(FileError::DuplicateModule {
                module: generated.module.name.clone(),
                first: earlier.module.source_file.clone(),
                second: generated.module.source_file.clone(),
            });
        }
    }
    Ok(())
}

/// Text with Windows line endings read as Unix ones, so a checkout that converts line endings does not
/// count as drift.
pub fn normalize_line_endings(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') { text.replace("\r\n", "\n").into() } else { text.into() }
}

/// The file at `path` as text with normalized line endings, or empty when it does not exist.
///
/// # Errors
///
/// When it exists but cannot be read.
pub fn read_or_empty(path: &Path) -> Result<String, FileError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(normalize_line_endings(&text).into_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(FileError::Io { path: path.to_owned(), source }),
    }
}

/// The one-line summary of a generated spec (`spec -> output: N events, M types, K warnings`), followed by
/// its warnings, each with the spec file and JSON pointer.
pub fn summary_lines(spec_file: &str, output_file: &str, events: usize, types: usize, warnings: &[Warning]) -> String {
    let mut text = summary_line(spec_file, output_file, events, types, warnings.len());
    for warning in warnings {
        let _ = writeln!(text, "  warning: {spec_file}#{warning}");
    }
    text
}

/// The one-line summary of a generated spec alone: `spec -> output: N events, M types, K warnings`.
pub fn summary_line(spec_file: &str, output_file: &str, events: usize, types: usize, warnings: usize) -> String {
    format!("{spec_file} -> {output_file}: {events} events, {types} types, {warnings} warnings\n")
}

/// Tolerated quirks of several specs counted by kind, for a report that lists each spec on one line:
/// `282  example is JSON text inside a string; parsed`. A kind is a warning's message with what varies
/// from one place to the next (quoted names, numbers, details in parentheses) left out.
#[derive(Debug, Default, Clone)]
pub struct QuirkTally {
    counts: std::collections::BTreeMap<String, usize>,
}

impl QuirkTally {
    /// Counts `warnings` in.
    pub fn add(&mut self, warnings: &[Warning]) {
        for warning in warnings {
            *self.counts.entry(quirk_kind(&warning.message)).or_default() += 1;
        }
    }

    /// The kinds with their counts, most frequent first (then by text, so the order is stable).
    pub fn kinds(&self) -> Vec<(&str, usize)> {
        let mut kinds: Vec<(&str, usize)> = self.counts.iter().map(|(kind, count)| (kind.as_str(), *count)).collect();
        kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        kinds
    }

    /// One line per kind, under a heading that says how to see each warning (`hint`); empty when there
    /// were none.
    pub fn render(&self, hint: &str) -> String {
        let kinds = self.kinds();
        if kinds.is_empty() {
            return String::new();
        }
        let total: usize = kinds.iter().map(|(_, count)| count).sum();
        let mut text = format!("{total} tolerated quirks, by kind ({hint}):\n");
        for (kind, count) in kinds {
            let _ = writeln!(text, "{count:>6}  {kind}");
        }
        text
    }
}

/// A warning's message with quoted code spans as `…`, numbers as `N` and parenthesized details dropped.
fn quirk_kind(message: &str) -> String {
    let mut kind = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => {
                for inner in chars.by_ref() {
                    if inner == '`' {
                        break;
                    }
                }
                kind.push_str("`…`");
            }
            '(' => {
                let mut depth = 1;
                for inner in chars.by_ref() {
                    match inner {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                }
                while kind.ends_with(' ') {
                    kind.pop();
                }
            }
            '0'..='9' if kind.ends_with(|last: char| last.is_alphanumeric() || last == '_') => kind.push(c),
            '0'..='9' => {
                while chars.peek().is_some_and(|next| next.is_ascii_digit() || *next == '.') {
                    chars.next();
                }
                kind.push('N');
            }
            _ => kind.push(c),
        }
    }
    kind
}

/// The file `generated` is written to in `out_dir`: `<out_dir>/<module>.rs`.
///
/// # Errors
///
/// [`FileError::ReservedModuleName`] when that file would be a crate root.
pub fn module_path(out_dir: &Path, generated: &GeneratedModule) -> Result<PathBuf, FileError> {
    let path = out_dir.join(format!("{}.rs", generated.module.name));
    if RESERVED_MODULE_NAMES.contains(&generated.module.name.as_str()) {
        return Err(FileError::ReservedModuleName { spec: generated.module.source_file.clone(), path });
    }
    Ok(path)
}

/// Writes the module file of `generated` into `out_dir` (see [`module_path()`]) unless it already holds
/// that text. Returns its path and whether it was written.
///
/// # Errors
///
/// As [`module_path()`] and [`write_if_changed`], and [`FileError::NotGenerated`] when the file exists but
/// is not one the generator wrote, so a hand-written file is never replaced.
pub fn write_module(out_dir: &Path, generated: &GeneratedModule) -> Result<(PathBuf, bool), FileError> {
    let path = module_path(out_dir, generated)?;
    let written = write_generated_file(&path, &generated.module.source_file, &generated.source)?;
    Ok((path, written))
}

/// Writes the generated `contents` to `path` unless it already holds them, and only over a file the
/// generator wrote; `spec` names what it comes from in the error. Returns whether it wrote.
///
/// # Errors
///
/// As [`write_if_changed`], and [`FileError::NotGenerated`] when the file exists but does not start with
/// the `// @generated` line, so a hand-written file is never replaced.
pub fn write_generated_file(path: &Path, spec: &str, contents: &str) -> Result<bool, FileError> {
    refuse_symlink(path)?;
    if !is_generated_or_missing(path)? {
        return Err(FileError::NotGenerated { spec: spec.to_owned(), path: path.to_owned() });
    }
    write_if_changed(path, contents)
}

/// Whether the file at `path` is missing or starts with the `// @generated` line.
fn is_generated_or_missing(path: &Path) -> Result<bool, FileError> {
    match fs::read_to_string(path) {
        Ok(current) => Ok(current.starts_with(crate::format::GENERATED_MARKER)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(true),
        // Not text: certainly not a generated file.
        Err(err) if err.kind() == std::io::ErrorKind::InvalidData => Ok(false),
        Err(source) => Err(FileError::Io { path: path.to_owned(), source }),
    }
}

/// The generated `.rs` files directly in `dir` (those starting with the `// @generated` line, never a
/// symbolic link) whose names are not in `keep`, sorted by name. A missing folder has none.
///
/// # Errors
///
/// When the folder or one of its files cannot be read.
pub fn stale_files(dir: &Path, keep: &[&str]) -> Result<Vec<String>, FileError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(FileError::Io { path: dir.to_owned(), source }),
    };
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.map_err(FileError::io(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
        let is_file = entry.file_type().map_err(FileError::io(dir))?.is_file();
        if is_file && name.ends_with(".rs") && !keep.contains(&name.as_str()) {
            let path = entry.path();
            if fs::read(&path).map_err(FileError::io(&path))?.starts_with(crate::format::GENERATED_MARKER.as_bytes()) {
                stale.push(name);
            }
        }
    }
    stale.sort();
    Ok(stale)
}

/// A generated file whose contents on disk differ from what its specs give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The file, as the caller named its folder (`src/webhooks/svix.rs`).
    pub path: PathBuf,
    /// A unified diff from the file on disk to the expected contents (all lines removed for a stale
    /// file, all added for a missing one).
    pub diff: String,
}

impl Drift {
    /// The drift of the file `path` (named so in the diff) from `current` on disk to `expected`, or
    /// `None` when they are the same.
    pub fn between(path: &Path, current: &str, expected: &str) -> Option<Self> {
        if current == expected {
            return None;
        }
        let name = path.display().to_string();
        let diff = similar::TextDiff::from_lines(current, expected)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
            .to_string();
        Some(Self { path: path.to_owned(), diff })
    }
}

/// The message for drifted files: the diffs, which files differ from `source` (`its specs`, `specs/`),
/// and the command that fixes it.
pub fn drift_message(drifts: &[Drift], source: &str, fix_command: &str) -> String {
    let mut message = String::new();
    for drift in drifts {
        message.push_str(&drift.diff);
    }
    let names: Vec<String> = drifts.iter().map(|drift| drift.path.display().to_string()).collect();
    let _ = write!(
        message,
        "\nerror: generated code is out of date with {source} ({}).\nRun `{fix_command}` and commit the result.\n",
        names.join(", ")
    );
    message
}

/// Writes `contents` to `path` unless the file already holds them (so nothing that includes it rebuilds).
/// Returns whether it wrote.
///
/// Never writes through a symbolic link: an existing link is refused, and the text goes to a new file
/// beside `path` that is then renamed over it, so a link put there in the meantime is replaced, not
/// followed.
///
/// # Errors
///
/// [`FileError::Symlink`] when `path` is a symbolic link, [`FileError::Io`] when writing fails.
pub fn write_if_changed(path: &Path, contents: &str) -> Result<bool, FileError> {
    refuse_symlink(path)?;
    if fs::read(path).is_ok_and(|current| current == contents.as_bytes()) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let (temp, mut file) = new_temp_file(dir, &name)?;
    let written = std::io::Write::write_all(&mut file, contents.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    if let Err(source) = written.and_then(|()| fs::rename(&temp, path)) {
        let _ = fs::remove_file(&temp);
        return Err(FileError::Io { path: path.to_owned(), source });
    }
    Ok(true)
}

fn refuse_symlink(path: &Path) -> Result<(), FileError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => Err(FileError::Symlink { path: path.to_owned() }),
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(FileError::Io { path: path.to_owned(), source }),
    }
}

/// A file of a name no one else uses in `dir`, created here (never an existing file or link).
fn new_temp_file(dir: &Path, name: &str) -> Result<(PathBuf, fs::File), FileError> {
    let mut attempt = 0u32;
    loop {
        let temp = dir.join(format!(".{name}.{}.{attempt}.tmp", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(source) => return Err(FileError::Io { path: temp, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pointer::JsonPointer;

    fn warning(message: &str) -> Warning {
        Warning { pointer: JsonPointer::root(), message: message.to_owned() }
    }

    #[test]
    fn debug_prints_the_message_once() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = FileError::Io { path: PathBuf::from("specs/a.yaml"), source: missing };
        assert_eq!(format!("{error:?}"), "specs/a.yaml: no such file");
        let built = crate::BuildError::File(error);
        assert_eq!(format!("{built:?}"), "specs/a.yaml: no such file");
    }

    #[test]
    fn quirks_are_counted_by_kind() {
        let mut tally = QuirkTally::default();
        tally.add(&[
            warning("example is JSON text inside a string; parsed"),
            warning("the example has the property `meeting_ uuid`, which the schema does not declare; added"),
            warning("example is JSON text inside a string; parsed"),
        ]);
        tally.add(&[
            warning("the example has the property `x`, which the schema does not declare; added"),
            warning("example is a string that is not valid JSON (expected value at line 1 column 2); example skipped"),
            warning("`enum` value 18446744073709551616 does not fit in an i64; the listed values are not checked"),
            warning("3 descriptions for 4 enum values; matched by position"),
        ]);
        assert_eq!(
            tally.kinds(),
            [
                ("example is JSON text inside a string; parsed", 2),
                ("the example has the property `…`, which the schema does not declare; added", 2),
                ("N descriptions for N enum values; matched by position", 1),
                ("`…` value N does not fit in an i64; the listed values are not checked", 1),
                ("example is a string that is not valid JSON; example skipped", 1),
            ]
        );
        assert_eq!(
            tally.render("--verbose lists each"),
            "7 tolerated quirks, by kind (--verbose lists each):\n     2  example is JSON text inside a string; parsed\n     2  the example has the property `…`, which the schema does not declare; added\n     1  N descriptions for N enum values; matched by position\n     1  `…` value N does not fit in an i64; the listed values are not checked\n     1  example is a string that is not valid JSON; example skipped\n"
        );
        assert_eq!(QuirkTally::default().render("hint"), "");
    }

    const SPEC: &[u8] = b"openapi: 3.1.0\ninfo: {title: T, version: '1'}\nwebhooks: {}\n";

    /// An empty folder for one test, under the system's temporary folder.
    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("webhook-codegen-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the folder");
        dir
    }

    fn generated(file: &str) -> GeneratedModule {
        crate::generate(file, SPEC).expect("the spec generates")
    }

    #[test]
    fn crate_roots_are_never_module_files() {
        let dir = temp_dir("reserved");
        for name in ["lib", "main"] {
            fs::write(dir.join(format!("{name}.rs")), "fn main() {}\n").expect("write");
            let spec = format!("specs/{name}.json");
            let err = write_module(&dir, &generated(&spec)).unwrap_err().to_string();
            let file = dir.join(format!("{name}.rs")).display().to_string();
            assert!(err.starts_with(&format!("{spec} would be written to {file}, which is a crate root")), "{err}");
            assert_eq!(fs::read_to_string(dir.join(format!("{name}.rs"))).expect("read"), "fn main() {}\n");
        }
        // Also when there is no such file yet, and through `module_path` (the command's `--check`).
        let err = module_path(Path::new("src/bin"), &generated("specs/main.yaml")).unwrap_err();
        assert!(matches!(err, FileError::ReservedModuleName { .. }), "{err}");
    }

    #[test]
    fn a_hand_written_file_is_not_replaced() {
        let dir = temp_dir("hand-written");
        fs::write(dir.join("svix.rs"), "pub fn mine() {}\n").expect("write");
        let err = write_module(&dir, &generated("specs/svix.json")).unwrap_err().to_string();
        assert!(err.contains("svix.rs exists and was not written by the generator"), "{err}");
        assert!(err.contains("module of specs/svix.json"), "{err}");
        assert_eq!(fs::read_to_string(dir.join("svix.rs")).expect("read"), "pub fn mine() {}\n");
        // A generated file is replaced, an unchanged one left alone.
        fs::write(dir.join("svix.rs"), "// @generated by an older version\n").expect("write");
        assert!(write_module(&dir, &generated("specs/svix.json")).expect("written").1);
        assert!(!write_module(&dir, &generated("specs/svix.json")).expect("unchanged").1);
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_never_written_through() {
        let dir = temp_dir("symlink");
        let outside = temp_dir("symlink-outside").join("victim.rs");
        fs::write(&outside, "// @generated but not ours\n").expect("write");
        std::os::unix::fs::symlink(&outside, dir.join("svix.rs")).expect("symlink");
        let err = write_module(&dir, &generated("specs/svix.json")).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "{} is a symbolic link: refusing to write generated code through it (remove the link or generate \
                 into another folder)",
                dir.join("svix.rs").display()
            )
        );
        let err = write_if_changed(&dir.join("svix.rs"), "text").unwrap_err();
        assert!(matches!(err, FileError::Symlink { .. }), "{err}");
        assert_eq!(fs::read_to_string(&outside).expect("read"), "// @generated but not ours\n");
        // A dangling link too.
        std::os::unix::fs::symlink(dir.join("nowhere.rs"), dir.join("dangling.rs")).expect("symlink");
        assert!(matches!(write_if_changed(&dir.join("dangling.rs"), "x"), Err(FileError::Symlink { .. })));
        assert!(!dir.join("nowhere.rs").exists());
    }

    #[test]
    fn writes_replace_the_file_and_leave_no_temporary_files() {
        let dir = temp_dir("rename");
        let path = dir.join("a.rs");
        assert!(write_if_changed(&path, "one").expect("written"));
        assert!(!write_if_changed(&path, "one").expect("unchanged"));
        assert!(write_if_changed(&path, "two").expect("written"));
        assert_eq!(fs::read_to_string(&path).expect("read"), "two");
        let names: Vec<_> = fs::read_dir(&dir).expect("list").map(|entry| entry.expect("entry").file_name()).collect();
        assert_eq!(names, ["a.rs"]);
    }
}
