//! The example checker: its source (copied into the scratch crate as a binary), its input file and its
//! output, read back into one result per example.

use std::fs;
use std::path::Path;

use serde_json::Value;
use webhook_codegen::JsonPointer;

use super::build::{io_error, last_lines};
use super::difference::{difference_at, first_difference};
use super::protocol::{CheckLine, ExampleLine, Outcome};
use super::report::Problem;
use super::{Candidate, ConformanceError};
use crate::scratch::ScratchCrate;

/// The checker's source; see `checker.rs` beside this file.
pub const CHECKER_SOURCE: &str = include_str!("checker.rs");
/// The message format both sides share; see `protocol.rs` beside this file.
pub const PROTOCOL_SOURCE: &str = include_str!("protocol.rs");
/// The checker's binary name in the scratch crate.
pub(super) const CHECKER: &str = "conformance_check";
/// The checker's input file, in the scratch folder.
pub(super) const EXAMPLES_FILE: &str = "conformance-examples.jsonl";
/// How often a crashed checker is started again after the example it stopped on.
const MAX_CHECKER_RESTARTS: usize = 20;

/// Writes every example of `specs`, in order, one JSON object a line. Returns their values, in order.
pub(super) fn write_examples<'a>(path: &Path, specs: &[&'a Candidate]) -> Result<Vec<&'a Value>, ConformanceError> {
    let mut text = String::new();
    let mut values = Vec::new();
    for spec in specs {
        let module = &spec.generated.module;
        for event in &module.events {
            for example in &event.examples {
                let line = ExampleLine {
                    module: module.name.clone(),
                    event: event.name.clone(),
                    pointer: example.pointer.to_string(),
                    value: example.value.clone(),
                    form_field: event.form_field.clone(),
                };
                text.push_str(&serde_json::to_string(&line)?);
                text.push('\n');
                values.push(&example.value);
            }
        }
    }
    fs::write(path, text).map_err(io_error(path))?;
    Ok(values)
}

/// Runs the checker on the examples of `examples_file`, whose values are `expected`. When it stops before
/// the end (a crash on some example), that example fails with the checker's last words and the checker
/// starts again after it.
pub(super) fn run_checker(
    scratch: &ScratchCrate,
    examples_file: &Path,
    expected: &[&Value],
) -> Result<Vec<Result<(), Problem>>, ConformanceError> {
    let count = expected.len();
    let mut results: Vec<Option<Result<(), Problem>>> = (0..count).map(|_| None).collect();
    let file = examples_file.to_string_lossy().into_owned();
    let mut first = 0;
    let mut restarts = 0;
    while first < count {
        let start = first.to_string();
        let output = scratch.cargo(&["run", "--quiet", "--bin", CHECKER, "--", &file, &start])?;
        read_check_lines(&output.stdout, expected, &mut results);
        if output.success {
            break;
        }
        // It stopped: the first example from `first` on without a result is where.
        let Some(stopped) = (first..count).find(|&index| results.get(index).is_some_and(Option::is_none)) else {
            break;
        };
        let reason = format!("the checker stopped on this example: {}", last_lines(&output.stderr, 5));
        if let Some(slot) = results.get_mut(stopped) {
            *slot = Some(Err(Problem::NotChecked(reason)));
        }
        first = stopped + 1;
        restarts += 1;
        if restarts > MAX_CHECKER_RESTARTS {
            break;
        }
    }
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(Problem::NotChecked("the checker gave no result".to_owned()))))
        .collect())
}

/// Reads the checker's output lines into `results`; mismatches are compared with the example (from
/// `expected`) again here to name the first differing path.
fn read_check_lines(stdout: &str, expected: &[&Value], results: &mut [Option<Result<(), Problem>>]) {
    for line in stdout.lines() {
        let Ok(check) = serde_json::from_str::<CheckLine>(line) else { continue };
        let result = match check.outcome {
            Outcome::Ok => Ok(()),
            Outcome::ParseError { error } => Err(Problem::Parse(error)),
            Outcome::Unknown => Err(Problem::Unknown),
            Outcome::Misrouted { module, event } => Err(Problem::Misrouted { module, event }),
            Outcome::Mismatch { actual } => {
                let expected = expected.get(check.index).copied().unwrap_or(&Value::Null);
                let difference = first_difference(expected, &actual)
                    .unwrap_or_else(|| difference_at(&JsonPointer::root(), Some(expected), Some(&actual)));
                Err(Problem::Mismatch(difference))
            }
            Outcome::SerializeError { error } => {
                Err(Problem::NotChecked(format!("the checker cannot write it back: {error}")))
            }
            Outcome::NoModule => Err(Problem::NotChecked("the checker finds no module of that name".to_owned())),
            Outcome::BadInput { error } => Err(Problem::NotChecked(format!("the checker cannot read it: {error}"))),
        };
        if let Some(slot) = results.get_mut(check.index) {
            *slot = Some(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn checker_lines_are_read_into_problems() {
        let expected = [json!({"a": 1}), json!({"b": [1, 2]}), json!({})];
        let expected: Vec<&Value> = expected.iter().collect();
        let lines = [
            CheckLine { index: 0, outcome: Outcome::Ok },
            CheckLine { index: 1, outcome: Outcome::Mismatch { actual: json!({"b": [1]}) } },
            CheckLine { index: 2, outcome: Outcome::ParseError { error: "at `a`: boom".to_owned() } },
        ];
        let stdout: String =
            lines.iter().map(|line| serde_json::to_string(line).unwrap_or_default() + "\nnoise\n").collect();
        assert!(stdout.starts_with("{\"index\":0,\"outcome\":\"ok\"}\n"), "{stdout}");
        let mut results = vec![None, None, None, None];
        read_check_lines(&stdout, &expected, &mut results);
        assert!(matches!(results[0], Some(Ok(()))));
        let Some(Err(Problem::Mismatch(difference))) = &results[1] else { panic!("{:?}", results[1]) };
        assert_eq!(difference.to_string(), "/b/1: expected 2, got absent");
        assert!(matches!(&results[2], Some(Err(Problem::Parse(error))) if error == "at `a`: boom"));
        assert!(results[3].is_none(), "no line for it");
    }
}
