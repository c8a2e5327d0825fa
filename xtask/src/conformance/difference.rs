//! The first place where an example written back differs from the example, as a JSON pointer.

use serde_json::Value;
use webhook_codegen::JsonPointer;

use super::report::Difference;

/// How many characters of a differing value are shown.
const MAX_VALUE_CHARS: usize = 60;

/// The first place (in document order of `expected`) where `actual` differs from `expected`.
pub fn first_difference(expected: &Value, actual: &Value) -> Option<Difference> {
    difference_under(&JsonPointer::root(), expected, actual)
}

fn difference_under(path: &JsonPointer, expected: &Value, actual: &Value) -> Option<Difference> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, expected_value) in expected {
                let child = path.push(key);
                match actual.get(key) {
                    None => return Some(difference_at(&child, Some(expected_value), None)),
                    Some(actual_value) => {
                        if let Some(difference) = difference_under(&child, expected_value, actual_value) {
                            return Some(difference);
                        }
                    }
                }
            }
            actual
                .iter()
                .find(|(key, _)| !expected.contains_key(*key))
                .map(|(key, actual_value)| difference_at(&path.push(key), None, Some(actual_value)))
        }
        (Value::Array(expected), Value::Array(actual)) => {
            for (index, (expected_value, actual_value)) in expected.iter().zip(actual).enumerate() {
                if let Some(difference) = difference_under(&path.index(index), expected_value, actual_value) {
                    return Some(difference);
                }
            }
            let shorter = expected.len().min(actual.len());
            (expected.len() != actual.len())
                .then(|| difference_at(&path.index(shorter), expected.get(shorter), actual.get(shorter)))
        }
        _ => (expected != actual).then(|| difference_at(path, Some(expected), Some(actual))),
    }
}

pub(super) fn difference_at(path: &JsonPointer, expected: Option<&Value>, actual: Option<&Value>) -> Difference {
    Difference { path: path.to_string(), expected: short_value(expected), actual: short_value(actual) }
}

/// Compact JSON, shortened to [`MAX_VALUE_CHARS`]; `absent` for no value.
fn short_value(value: Option<&Value>) -> String {
    let Some(value) = value else { return "absent".to_owned() };
    let text = value.to_string();
    if text.chars().count() <= MAX_VALUE_CHARS {
        return text;
    }
    let mut short: String = text.chars().take(MAX_VALUE_CHARS).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_missing_field_is_named_by_its_path() {
        let expected = json!({"event": "x", "payload": {"object": {"id": 1, "x": null}}});
        let actual = json!({"event": "x", "payload": {"object": {"id": 1}}});
        let difference = first_difference(&expected, &actual).map(|d| d.to_string());
        assert_eq!(difference.as_deref(), Some("/payload/object/x: expected null, got absent"));
    }

    #[test]
    fn extra_fields_array_items_and_number_forms_are_differences() {
        let extra = first_difference(&json!({"a": 1}), &json!({"a": 1, "b": [true]})).map(|d| d.to_string());
        assert_eq!(extra.as_deref(), Some("/b: expected absent, got [true]"));
        let item = first_difference(&json!({"a": [1, 2]}), &json!({"a": [1, 3]})).map(|d| d.to_string());
        assert_eq!(item.as_deref(), Some("/a/1: expected 2, got 3"));
        let shorter = first_difference(&json!([1, 2]), &json!([1])).map(|d| d.to_string());
        assert_eq!(shorter.as_deref(), Some("/1: expected 2, got absent"));
        let float = first_difference(&json!({"n": 1}), &json!({"n": 1.0})).map(|d| d.to_string());
        assert_eq!(float.as_deref(), Some("/n: expected 1, got 1.0"));
        let escaped = first_difference(&json!({"a/b": 1}), &json!({"a/b": 2})).map(|d| d.to_string());
        assert_eq!(escaped.as_deref(), Some("/a~1b: expected 1, got 2"));
        assert_eq!(first_difference(&json!({"a": [1]}), &json!({"a": [1]})), None);
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(200);
        let difference = first_difference(&json!(long), &json!(1)).map(|d| d.expected);
        assert!(difference.is_some_and(|text| text.ends_with('…') && text.chars().count() == MAX_VALUE_CHARS + 1));
    }
}
