//! The spec files a conformance run checks, from the files and folders on the command line.

use std::fs;
use std::path::PathBuf;

use super::ConformanceError;
use crate::codegen;

/// The spec files named by `inputs`: files as they are, folders as their `.yaml`, `.yml` and `.json`
/// files sorted by name. A path given twice is checked once.
///
/// # Errors
///
/// When a path does not exist or cannot be read, a folder holds no spec, or nothing is given.
pub fn spec_paths(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ConformanceError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for input in inputs {
        let metadata = fs::metadata(input).map_err(|source| ConformanceError::Input { path: input.clone(), source })?;
        let found = if metadata.is_dir() {
            let files = codegen::spec_files_in(input)?;
            if files.is_empty() {
                return Err(ConformanceError::EmptyFolder { path: input.clone() });
            }
            files
        } else {
            vec![input.clone()]
        };
        for path in found {
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    if paths.is_empty() {
        return Err(ConformanceError::NoSpecs);
    }
    Ok(paths)
}
