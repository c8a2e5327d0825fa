//! Reading spec bytes (JSON or YAML) into one JSON value model, keys in document order.

use serde_json::{Map, Number, Value};

use crate::error::Error;

/// Parses a spec file's bytes. JSON is tried when the text starts with `{`; anything else is read as YAML
/// (a superset of JSON), so the file extension does not matter.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Value, Error> {
    let text = std::str::from_utf8(bytes).map_err(|err| Error::Syntax {
        file: file.to_owned(),
        format: "UTF-8",
        message: err.to_string(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|err| Error::Syntax {
            file: file.to_owned(),
            format: "JSON",
            message: err.to_string(),
        })
    } else {
        let mut yaml: yaml_serde::Value = yaml_serde::from_str(text).map_err(|err| Error::Syntax {
            file: file.to_owned(),
            format: "YAML",
            message: err.to_string(),
        })?;
        yaml.apply_merge().map_err(|err| Error::Syntax {
            file: file.to_owned(),
            format: "YAML",
            message: err.to_string(),
        })?;
        Ok(yaml_to_json(yaml))
    }
}

/// Converts YAML to the JSON model. YAML allows what JSON does not; each case gets its plain JSON
/// reading: non-string keys (`200:`) become their text, tags are dropped, and non-finite floats
/// become strings (`.inf`), so nothing in the document is lost.
fn yaml_to_json(value: yaml_serde::Value) -> Value {
    match value {
        yaml_serde::Value::Null => Value::Null,
        yaml_serde::Value::Bool(b) => Value::Bool(b),
        yaml_serde::Value::Number(n) => yaml_number_to_json(&n),
        yaml_serde::Value::String(s) => Value::String(s),
        yaml_serde::Value::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        yaml_serde::Value::Mapping(mapping) => {
            let mut map = Map::with_capacity(mapping.len());
            for (key, value) in mapping {
                map.insert(yaml_key_to_string(key), yaml_to_json(value));
            }
            Value::Object(map)
        }
        yaml_serde::Value::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

fn yaml_number_to_json(n: &yaml_serde::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        match n.as_f64().and_then(Number::from_f64) {
            Some(f) => Value::Number(f),
            None => Value::String(n.to_string()),
        }
    }
}

fn yaml_key_to_string(key: yaml_serde::Value) -> String {
    match yaml_to_json(key) {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_and_json_give_the_same_model() {
        let yaml =
            b"openapi: 3.1.0\nwebhooks:\n  a:\n    post:\n      responses:\n        200:\n          description: ok\n";
        let json = br#"{"openapi":"3.1.0","webhooks":{"a":{"post":{"responses":{"200":{"description":"ok"}}}}}}"#;
        assert_eq!(parse("a.yaml", yaml).unwrap(), parse("a.json", json).unwrap());
    }

    #[test]
    fn key_order_is_kept() {
        let value = parse("a.yaml", b"z: 1\na: 2\nm: 3\n").unwrap();
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }

    #[test]
    fn merge_keys_tags_and_odd_scalars() {
        let value = parse("a.yaml", b"base: &b {x: 1}\nderived:\n  <<: *b\n  y: !custom 2\ninf: .inf\n").unwrap();
        assert_eq!(value["derived"], json!({"x": 1, "y": 2}));
        assert_eq!(value["inf"], json!(".inf"));
    }

    #[test]
    fn syntax_errors_name_the_file_and_format() {
        let err = parse("specs/bad.json", b"{\"a\": }").unwrap_err().to_string();
        assert!(err.starts_with("specs/bad.json: not a valid JSON document"), "{err}");
        let err = parse("specs/bad.yaml", b"a: [1, 2\n").unwrap_err().to_string();
        assert!(err.starts_with("specs/bad.yaml: not a valid YAML document"), "{err}");
        assert!(err.contains("line"), "{err}");
    }
}
