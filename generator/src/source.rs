//! Reading spec bytes (JSON or YAML) into one JSON value model, keys in document order.
//!
//! Numbers are read the same way whatever features `serde_json` is built with (its
//! `arbitrary_precision`, on wherever the generated crate is in the same build, changes how it keeps
//! numbers), so the generated code never depends on the build: an integer that fits `u64` or `i64` stays
//! an integer, any other number becomes the nearest `f64`, and one too large even for that (`1e400`)
//! is kept as its text. Specs generated from JavaScript write int64 bounds as `-9223372036854776000`,
//! outside 64 bits: that loads as the nearest float (exactly `i64::MIN`), and where the generator needs
//! an integer (an `enum` value, an example) it says so with a warning naming the pointer.

use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::Error;
use crate::pointer::JsonPointer;

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
        parse_json_checked(text, Duplicates::Refuse).map_err(|err| match err {
            JsonFailure::Syntax(err) => {
                Error::Syntax { file: file.to_owned(), format: "JSON", message: err.to_string() }
            }
            JsonFailure::DuplicateKey { object, key } => Error::Spec {
                file: file.to_owned(),
                pointer: object,
                message: format!(
                    "the key `{key}` appears more than once in this object; a JSON document must give each key once"
                ),
            },
        })
    } else {
        let yaml_error =
            |err: yaml_serde::Error| Error::Syntax { file: file.to_owned(), format: "YAML", message: err.to_string() };
        let deserializer = yaml_serde::Deserializer::from_str(text);
        let mut yaml = YamlSeed.deserialize(deserializer).map_err(yaml_error)?;
        yaml.apply_merge().map_err(yaml_error)?;
        Ok(yaml_to_json(yaml))
    }
}

/// Parses JSON text (an example written as JSON inside a string) with numbers read as the module docs
/// say. A key given twice keeps its last value, as `serde_json` and JavaScript read it (Zoom's examples
/// repeat keys, and they are evidence of what deliveries hold); only a spec document refuses them.
pub(crate) fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    parse_json_checked(text, Duplicates::KeepLast).map_err(|err| match err {
        JsonFailure::Syntax(err) => err,
        JsonFailure::DuplicateKey { object, key } => {
            serde::de::Error::custom(format!("the key `{key}` appears more than once in the object at {object}"))
        }
    })
}

/// What reading JSON does with a key given twice in one object.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    Refuse,
    KeepLast,
}

/// Why JSON text could not be read.
enum JsonFailure {
    Syntax(serde_json::Error),
    /// An object gives a key twice (`serde_json` would keep the last silently).
    DuplicateKey {
        object: JsonPointer,
        key: String,
    },
}

fn parse_json_checked(text: &str, duplicates: Duplicates) -> Result<Value, JsonFailure> {
    let mut value = match read_json(text, duplicates) {
        Ok(value) => value,
        // Without `arbitrary_precision`, `serde_json` rejects a number beyond `f64`; read such numbers as
        // their text, as the build with it does.
        Err(JsonFailure::Syntax(err)) if err.to_string().starts_with("number out of range") => {
            match read_json(&quote_huge_numbers(text), duplicates) {
                Ok(value) => value,
                Err(JsonFailure::Syntax(_)) => return Err(JsonFailure::Syntax(err)),
                Err(duplicate) => return Err(duplicate),
            }
        }
        Err(err) => return Err(err),
    };
    canonicalize_numbers(&mut value);
    Ok(value)
}

/// Reads JSON text into a value, with `duplicates` saying what a key given twice in one object does.
fn read_json(text: &str, duplicates: Duplicates) -> Result<Value, JsonFailure> {
    let path = RefCell::new(Vec::new());
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let read = JsonSeed { path: &path, duplicate: &duplicate, duplicates }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (read, duplicate.into_inner()) {
        (_, Some((object, key))) => Err(JsonFailure::DuplicateKey { object, key }),
        (Ok(value), None) => Ok(value),
        (Err(err), None) => Err(JsonFailure::Syntax(err)),
    }
}

/// The key under which `serde_json` built with `arbitrary_precision` hands a number to a visitor as a
/// one-entry map of its text.
const ARBITRARY_PRECISION_NUMBER: &str = "$serde_json::private::Number";

/// Reads any JSON value like `serde_json::Value` does, but with the path to the current node kept, so a
/// duplicate key is reported with the pointer of its object.
#[derive(Clone, Copy)]
struct JsonSeed<'a> {
    path: &'a RefCell<Vec<String>>,
    duplicate: &'a RefCell<Option<(JsonPointer, String)>>,
    duplicates: Duplicates,
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            self.path.borrow_mut().push(items.len().to_string());
            let item = seq.next_element_seed(self)?;
            self.path.borrow_mut().pop();
            match item {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.is_empty() && key == ARBITRARY_PRECISION_NUMBER {
                let text: String = access.next_value()?;
                return text.parse::<Number>().map(Value::Number).map_err(serde::de::Error::custom);
            }
            if self.duplicates == Duplicates::Refuse && map.contains_key(&key) {
                let object = self.path.borrow().iter().fold(JsonPointer::root(), |pointer, token| pointer.push(token));
                let message = format!("duplicate key `{key}`");
                *self.duplicate.borrow_mut() = Some((object, key));
                return Err(serde::de::Error::custom(message));
            }
            self.path.borrow_mut().push(key.clone());
            let value = access.next_value_seed(self)?;
            self.path.borrow_mut().pop();
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

/// Rewrites every number outside strings that is too large for `f64` into a string of its text
/// (normalized as [`huge_number_text`] says).
fn quote_huge_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut in_string = false;
    while let Some((start, c)) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '-' || c.is_ascii_digit() {
            let mut end = start + c.len_utf8();
            while let Some(&(at, next)) = chars.peek() {
                if !(next.is_ascii_digit() || matches!(next, '.' | 'e' | 'E' | '+' | '-')) {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
            let literal = &text[start..end];
            match literal.parse::<f64>() {
                Ok(float) if float.is_infinite() => {
                    out.push('"');
                    out.push_str(&huge_number_text(literal));
                    out.push('"');
                }
                _ => out.push_str(literal),
            }
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// The text a number too large for `f64` is kept as: as written, with the exponent as `e` and an
/// explicit sign (how `serde_json` with `arbitrary_precision` writes it back).
fn huge_number_text(literal: &str) -> String {
    match literal.find(['e', 'E']) {
        Some(at) => {
            let exponent = &literal[at + 1..];
            let sign = if exponent.starts_with(['+', '-']) { "" } else { "+" };
            format!("{}e{sign}{exponent}", &literal[..at])
        }
        None => literal.to_owned(),
    }
}

/// Puts every number of a parsed JSON value into the one form both builds of `serde_json` give: what
/// the build without `arbitrary_precision` reads (`u64`, a non-zero `i64`, else the nearest `f64`), or
/// the text of a number beyond `f64`.
fn canonicalize_numbers(value: &mut Value) {
    match value {
        Value::Number(number) => *value = canonical_number(number),
        Value::Array(items) => items.iter_mut().for_each(canonicalize_numbers),
        Value::Object(map) => map.values_mut().for_each(canonicalize_numbers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn canonical_number(number: &Number) -> Value {
    canonical_number_text(&number.to_string())
}

/// [`canonical_number`] from the number's text as `serde_json` writes it: exactly as parsed with
/// `arbitrary_precision` (`-0`, `1.50`, `1e+400`), as read without it otherwise (`-0.0`, `1.5`).
fn canonical_number_text(text: &str) -> Value {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(unsigned) = text.parse::<u64>() {
            return Value::Number(unsigned.into());
        }
        // `-0` is the float negative zero in `serde_json`'s own reading.
        if let Ok(signed) = text.parse::<i64>().map_err(drop).and_then(|i| if i == 0 { Err(()) } else { Ok(i) }) {
            return Value::Number(signed.into());
        }
    }
    match text.parse::<f64>().ok().and_then(Number::from_f64) {
        Some(float) => Value::Number(float),
        None => Value::String(huge_number_text(text)),
    }
}

/// Reads a YAML document as `yaml_serde::Value`, except that integers outside 64 bits (which it cannot
/// hold) become the nearest float rather than an error.
#[derive(Clone, Copy)]
struct YamlSeed;

impl<'de> DeserializeSeed<'de> for YamlSeed {
    type Value = yaml_serde::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for YamlSeed {
    type Value = yaml_serde::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(value.into()))
    }

    #[allow(clippy::cast_precision_loss)] // The nearest float is the point.
    fn visit_i128<E>(self, value: i128) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number((value as f64).into()))
    }

    #[allow(clippy::cast_precision_loss)] // The nearest float is the point.
    fn visit_u128<E>(self, value: u128) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number((value as f64).into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Number(value.into()))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(yaml_serde::Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(yaml_serde::Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut mapping = yaml_serde::Mapping::new();
        while let Some(key) = map.next_key_seed(self)? {
            // As `yaml_serde` reads a mapping: a repeated key is an error, not a silent overwrite.
            if mapping.contains_key(&key) {
                let shown = match &key {
                    yaml_serde::Value::String(text) => format!("{text:?}"),
                    other => format!("{other:?}"),
                };
                return Err(serde::de::Error::custom(format!("duplicate entry with key {shown}")));
            }
            let value = map.next_value_seed(self)?;
            mapping.insert(key, value);
        }
        Ok(yaml_serde::Value::Mapping(mapping))
    }

    /// A tagged node (`!custom 2`): `yaml_serde` gives the tag as the variant name.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let (tag, contents) = data.variant::<String>()?;
        let value = contents.newtype_variant_seed(self)?;
        Ok(yaml_serde::Value::Tagged(Box::new(yaml_serde::value::TaggedValue {
            tag: yaml_serde::value::Tag::new(tag),
            value,
        })))
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
        let keys: Vec<_> = value["derived"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["y", "x"], "merged keys come after the mapping's own");
        assert_eq!(value["inf"], json!(".inf"));
        let tagged = parse("a.yaml", b"a: !!str 12\nb: !thing {c: [1, !x 2]}\n").unwrap();
        assert_eq!(tagged, json!({"a": "12", "b": {"c": [1, 2]}}));
    }

    #[test]
    fn duplicate_json_keys_are_refused_with_the_object_pointer() {
        let err = parse("specs/twice.json", br#"{"webhooks": {"a.b": {"post": {}, "post": {}}}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "specs/twice.json#/webhooks/a.b: the key `post` appears more than once in this object; a JSON \
             document must give each key once"
        );
        let err = parse("specs/twice.json", br#"{"a": [{"x": 1}, {"y": 1, "\u0079": 2}]}"#).unwrap_err();
        assert!(err.to_string().starts_with("specs/twice.json#/a/1: the key `y` appears"), "{err}");
        let err = parse("specs/twice.json", br#"{"a": 1, "a": 1}"#).unwrap_err();
        assert!(err.to_string().starts_with("specs/twice.json#/: the key `a`"), "{err}");
        // Also with a number beyond f64 in the document.
        let err = parse("specs/twice.json", br#"{"n": 1e400, "k": {"z": 1, "z": 2}}"#).unwrap_err();
        assert!(err.to_string().starts_with("specs/twice.json#/k: the key `z`"), "{err}");
        // An example written as JSON text keeps the last value, as deliveries are read.
        assert_eq!(parse_json(r#"{"id": 1, "n": 0, "id": 2}"#).unwrap(), json!({"id": 2, "n": 0}));
        // The same key in different objects is fine.
        assert!(parse("specs/ok.json", br#"{"a": {"k": 1}, "b": {"k": 1}, "k": [1, 1]}"#).is_ok());
    }

    #[test]
    fn syntax_errors_name_the_file_and_format() {
        let err = parse("specs/bad.json", b"{\"a\": }").unwrap_err().to_string();
        assert!(err.starts_with("specs/bad.json: not a valid JSON document"), "{err}");
        let err = parse("specs/bad.yaml", b"a: [1, 2\n").unwrap_err().to_string();
        assert!(err.starts_with("specs/bad.yaml: not a valid YAML document"), "{err}");
        assert!(err.contains("line"), "{err}");
        let err = parse("specs/twice.yaml", b"a: 1\nb: 2\na: 3\n").unwrap_err().to_string();
        assert!(
            err.starts_with("specs/twice.yaml: not a valid YAML document: duplicate entry with key \"a\""),
            "{err}"
        );
    }

    /// Generated specs write int64 bounds as JavaScript prints them; one anywhere used to fail the whole
    /// YAML document (`invalid type: integer ... as i128`).
    #[test]
    fn integers_outside_64_bits_load_as_the_nearest_float() {
        let yaml = b"minimum: -9223372036854776000\nmaximum: 9223372036854776000\nhuge: 340282366920938463463374607431768211456\nkeys: {99999999999999999999: a}\nlist: [18446744073709551616]\n";
        let value = parse("big.yaml", yaml).unwrap();
        assert_eq!(value["minimum"].as_f64(), Some(-9_223_372_036_854_775_808.0));
        assert!(!value["minimum"].is_i64(), "not an integer: it was not written as one that fits");
        assert_eq!(value["maximum"].as_f64(), Some(9_223_372_036_854_775_808.0));
        assert_eq!(value["huge"].as_f64(), Some(2f64.powi(128)));
        assert_eq!(value["keys"], json!({"1e+20": "a"}));
        assert_eq!(value["list"][0].as_f64(), Some(2f64.powi(64)));
        let json = br#"{"minimum": -9223372036854776000, "maximum": 9223372036854776000, "huge": 340282366920938463463374607431768211456, "keys": {}, "list": [18446744073709551616]}"#;
        let from_json = parse("big.json", json).unwrap();
        for key in ["minimum", "maximum", "huge", "list"] {
            assert_eq!(from_json[key], value[key], "{key}");
        }
    }

    /// The numbers of a JSON spec, whichever build of `serde_json` read them.
    #[test]
    fn json_numbers_read_the_same_in_both_builds() {
        let value = parse(
            "n.json",
            br#"{"a": 1.50, "b": -0, "c": 12345678901234567890123, "d": 1e400, "e": 18446744073709551615, "f": -9223372036854775808, "g": [1E-400, -2e+400], "s": "1e400 \" 1e400"}"#,
        )
        .unwrap();
        assert_eq!(value["a"].as_f64(), Some(1.5));
        assert!(value["b"].is_f64() && value["b"].as_f64().is_some_and(|b| b == 0.0 && b.is_sign_negative()));
        assert_eq!(value["c"].as_f64(), Some(1.2345678901234568e22));
        assert!(!value["c"].is_i64() && !value["c"].is_u64());
        assert_eq!(value["d"], json!("1e+400"), "beyond f64: kept as text");
        assert_eq!(value["e"].as_u64(), Some(u64::MAX));
        assert_eq!(value["f"].as_i64(), Some(i64::MIN));
        assert_eq!(value["g"], json!([0.0, "-2e+400"]));
        assert_eq!(value["s"], json!("1e400 \" 1e400"), "numbers inside strings are text");
        // The texts each build of `serde_json` gives for the same literal read the same.
        for (with_arbitrary_precision, without) in
            [("-0", "-0.0"), ("1.50", "1.5"), ("12345678901234567890123", "1.2345678901234568e22"), ("5.0", "5.0")]
        {
            assert_eq!(canonical_number_text(with_arbitrary_precision), canonical_number_text(without));
        }
        assert_eq!(canonical_number_text("1e+400"), json!("1e+400"));
        assert_eq!(huge_number_text("1E400"), "1e+400");
        assert_eq!(huge_number_text("-2e-999"), "-2e-999");
    }
}
