//! The path of the field a payload error is at, found from where `serde_json` stopped in the text.
//!
//! A data error from `serde_json` carries the line and column of the last byte it had read. Walking the
//! text up to there, keeping the stack of open objects (with the key being read) and arrays (with the
//! element index), gives the path of the value being read when the error happened. This costs one small
//! scan of the text on the error path only, where tracking the path during deserialization would compile
//! every payload type's `Deserialize` a second time.
//!
//! Where `serde_json` stops for each kind of data error, and so which path is named:
//!
//! - a value of the wrong type or out of range: at the end of that value (for an object or array given
//!   where something else was expected, just before it): the value's own path;
//! - a missing or duplicate field: after the object's closing brace, or after the duplicate key: the
//!   object's path (an undeclared property of an open object is read in place, so a wrong one is named by
//!   its own path);
//! - a `oneOf` alternative picked by its tag that does not parse (reported from within the read of the
//!   `oneOf`'s own object, see `parse.rs`'s `tagged`): after that object: the `oneOf`'s path;
//! - an error in an object's key itself (a type that refuses unknown keys; generated types have none):
//!   after the key: the object's path, where `serde_path_to_error` would add the key.
//!
//! The path is written as `serde_path_to_error` writes it: keys as they are (unescaped, dots and
//! brackets included) joined by `.`, array indices as `[i]`, and `.` alone for the top level.

use std::fmt::Write as _;

/// The path of the value `serde_json` was reading when it stopped at `line` and `column` of `text` (as
/// [`serde_json::Error::line`] and [`serde_json::Error::column`] give them: 1-based lines, columns
/// counting the bytes read on that line). An error without a position (line 0) is the top level's.
pub(crate) fn path_at(text: &str, line: usize, column: usize) -> String {
    if line == 0 {
        return ".".to_owned();
    }
    path_before(text, read_up_to(text, line, column))
}

/// The number of bytes of `text` read at `line` and `column`.
fn read_up_to(text: &str, line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        line => text.match_indices('\n').nth(line - 2).map_or(text.len(), |(newline, _)| newline + 1),
    };
    line_start.saturating_add(column).min(text.len())
}

/// An object or array the scan is inside of.
enum Open {
    /// An object, with the byte range of its last key (quotes included) once one was read, and whether
    /// its value has begun (the colon was read).
    Object { key: Option<(usize, usize)>, in_value: bool },
    /// An array, with the index of the element being read.
    Array { index: usize },
}

/// The path of the value being read after the first `end` bytes of `text`, a prefix of valid JSON.
fn path_before(text: &str, end: usize) -> String {
    let bytes = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut at = 0;
    while at < end {
        match bytes[at] {
            b'{' => open.push(Open::Object { key: None, in_value: false }),
            b'[' => open.push(Open::Array { index: 0 }),
            b'}' | b']' => {
                open.pop();
            }
            b':' => {
                if let Some(Open::Object { in_value, .. }) = open.last_mut() {
                    *in_value = true;
                }
            }
            b',' => match open.last_mut() {
                Some(Open::Object { key, in_value }) => {
                    *key = None;
                    *in_value = false;
                }
                Some(Open::Array { index }) => *index += 1,
                None => {}
            },
            b'"' => {
                let close = string_end(bytes, at + 1);
                if let Some(Open::Object { key, in_value: false }) = open.last_mut() {
                    *key = Some((at, close));
                }
                at = close;
            }
            _ => {}
        }
        at += 1;
    }
    render(text, &open)
}

/// The index of the quote that closes the string whose contents start at `from` (or the end of the text).
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return at,
            b'\\' => at += 2,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The path through `open`, in `serde_path_to_error`'s format.
fn render(text: &str, open: &[Open]) -> String {
    let mut path = String::new();
    let mut separator = "";
    for frame in open {
        match frame {
            Open::Object { key: Some((start, close)), in_value: true } => {
                path.push_str(separator);
                path.push_str(&key_text(text.get(*start..=*close).unwrap_or_default()));
            }
            // A key not read yet, or not followed by its value: the error is the object's.
            Open::Object { .. } => break,
            Open::Array { index } => {
                let _ = write!(path, "[{index}]");
            }
        }
        separator = ".";
    }
    if separator.is_empty() { ".".to_owned() } else { path }
}

/// A quoted JSON key, unescaped.
fn key_text(quoted: &str) -> String {
    if !quoted.contains('\\') {
        return quoted.trim_matches('"').to_owned();
    }
    // Keys `serde_json` has read are valid strings; a failure would only lose the escapes.
    serde_json::from_str::<String>(quoted).unwrap_or_else(|_| quoted.trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The path after the text up to (not including) the first `|`, with the marker removed.
    fn path_at_marker(marked: &str) -> String {
        let end = marked.find('|').unwrap();
        let text = marked.replacen('|', "", 1);
        path_before(&text, end)
    }

    #[test]
    fn values_are_named_by_their_keys_and_indices() {
        assert_eq!(path_at_marker(r#"{"a":{"b":"x"|}}"#), "a.b");
        assert_eq!(path_at_marker(r#"{"a":1,"b":{"c":[1,2,{"d":true|}]}}"#), "b.c[2].d");
        assert_eq!(path_at_marker(r#"{"a":[[1],[2,"x"|]]}"#), "a[1][1]");
        assert_eq!(path_at_marker(r#"[{"a":1},"x"|]"#), "[1]");
        assert_eq!(path_at_marker(r#"[[0,[1,2|]]]"#), "[0][1][1]");
        // Just before an object or array that stands where something else was expected.
        assert_eq!(path_at_marker(r#"{"a": |{"b":1}}"#), "a");
        assert_eq!(path_at_marker(r#"{"a":[ |[1]]}"#), "a[0]");
        assert_eq!(path_at_marker(r#"{"a" : |[1]}"#), "a");
    }

    #[test]
    fn a_closed_object_or_a_key_without_its_value_is_the_objects_error() {
        // A missing field: serde_json has read the object's closing brace.
        assert_eq!(path_at_marker(r#"{"a":{"b":1}|}"#), "a");
        assert_eq!(path_at_marker(r#"{"a":{"b":[{"c":1}|]}}"#), "a.b[0]");
        assert_eq!(path_at_marker(r#"{"a":1}|"#), ".");
        assert_eq!(path_at_marker(r#"{"a":[{},{"x":[]}|]}"#), "a[1]");
        // A duplicate field: the key is read, its value is not.
        assert_eq!(path_at_marker(r#"{"a":{"b":1,"b"|:2}}"#), "a");
        assert_eq!(path_at_marker(r#"{"a":{"b":1,"b" |:2}}"#), "a");
        assert_eq!(path_at_marker(r#"{"a":{"b":1, |"b":2}}"#), "a");
        assert_eq!(path_at_marker(r#"|{"a":1}"#), ".");
    }

    #[test]
    fn keys_are_written_unescaped_as_they_are() {
        assert_eq!(path_at_marker(r#"{"a.b":{"[0]":"x"|}}"#), "a.b.[0]");
        assert_eq!(path_at_marker(r#"{"q\"uote":{"back\\slash":1|}}"#), r#"q"uote.back\slash"#);
        assert_eq!(path_at_marker(r#"{"\u00e9t\u00e9":[1|]}"#), "été[0]");
        // Empty keys too (an empty path is the top level's alone).
        assert_eq!(path_at_marker(r#"{"":{"x":1|}}"#), ".x");
        assert_eq!(path_at_marker(r#"{"":1|}"#), "");
        // Strings that look like structure are skipped whole, escaped quotes included.
        assert_eq!(path_at_marker(r#"{"a":"}],{\"","b":"[{:,"|}"#), "b");
        assert_eq!(path_at_marker(r#"{"a":"\\","b":2|}"#), "b");
    }

    #[test]
    fn positions_are_read_as_serde_json_gives_them() {
        let text = "{\n  \"a\": {\n    \"b\": \"x\"\n  }\n}";
        // Line 3 is `    "b": "x"`; column 12 is its closing quote, the last byte read.
        assert_eq!(path_at(text, 3, 12), "a.b");
        assert_eq!(path_at(text, 4, 3), "a");
        assert_eq!(path_at(text, 5, 1), ".");
        assert_eq!(path_at(text, 0, 0), ".", "no position");
        assert_eq!(path_at(text, 99, 99), ".", "past the end");
    }

    /// Types shaped as the generator emits them: closed and open structs, optional, nullable and boxed
    /// fields, open enums, arrays, typed undeclared properties, a `oneOf` picked by its tag.
    mod shapes {
        use serde::Deserialize;

        use crate::private::{Key, Object, deserialize_object, field, keep, open_enum, tagged};
        use serde::de::MapAccess;

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        pub struct Outer {
            pub a: Inner,
            #[serde(default)]
            pub list: Option<Vec<Inner>>,
            #[serde(default)]
            pub grid: Option<Vec<Vec<u8>>>,
            #[serde(default, rename = "odd.key")]
            pub odd: Option<Box<Inner>>,
            #[serde(default, deserialize_with = "present")]
            pub nullable: Option<Option<Inner>>,
            #[serde(default)]
            pub open: Option<Open>,
            #[serde(default)]
            pub kind: Option<Kind>,
            #[serde(default)]
            pub level: Option<Level>,
            #[serde(default)]
            pub shape: Option<Shape>,
            #[serde(default)]
            pub shapes: Option<Vec<Shape>>,
        }

        /// A present property that may be `null`, as a generated struct reads it.
        fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<Inner>>, D::Error> {
            Option::<Inner>::deserialize(deserializer).map(Some)
        }

        /// A closed struct, as the generator emits it.
        #[derive(Debug)]
        #[allow(dead_code)]
        pub struct Inner {
            pub code: i32,
            pub name: Option<String>,
        }

        impl Object for Inner {
            const EXPECTING: &'static str = "struct Inner";

            fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut code = None;
                let mut name = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "code" => field(&mut map, &mut code, "code")?,
                        "name" => field(&mut map, &mut name, "name")?,
                        _ => crate::private::skip(&mut map)?,
                    }
                }
                let Some(code) = code else { return Err(serde::de::Error::missing_field("code")) };
                Ok(Self { code, name: name.unwrap_or_default() })
            }
        }

        impl<'de> Deserialize<'de> for Inner {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_object(deserializer)
            }
        }

        /// An open struct with typed undeclared properties, as the generator emits it.
        #[derive(Debug)]
        #[allow(dead_code)]
        pub struct Open {
            pub id: Option<String>,
            pub rest: indexmap::IndexMap<String, Inner>,
        }

        impl Object for Open {
            const EXPECTING: &'static str = "struct Open";

            fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut id = None;
                let mut rest = indexmap::IndexMap::new();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "id" => field(&mut map, &mut id, "id")?,
                        _ => keep(&mut map, &mut rest, key)?,
                    }
                }
                Ok(Self { id: id.unwrap_or_default(), rest })
            }
        }

        impl<'de> Deserialize<'de> for Open {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserialize_object(deserializer)
            }
        }

        #[derive(Debug)]
        #[allow(dead_code)]
        pub enum Kind {
            A,
            Other(String),
        }

        impl<'de> Deserialize<'de> for Kind {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                open_enum::string(deserializer, |value| (value == "a").then_some(Self::A), Self::Other)
            }
        }

        #[derive(Debug)]
        #[allow(dead_code)]
        pub enum Level {
            One,
            Other(i64),
        }

        impl<'de> Deserialize<'de> for Level {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                open_enum::integer(deserializer, |value| (value == 1).then_some(Self::One), Self::Other)
            }
        }

        #[derive(Debug)]
        #[allow(dead_code)]
        pub enum Shape {
            Circle(Inner),
            Other(serde_json::Value),
        }

        impl<'de> Deserialize<'de> for Shape {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                tagged(
                    deserializer,
                    "type",
                    |tag, value| match tag {
                        "circle" => Some(<Inner as Deserialize>::deserialize(value).map(Self::Circle)),
                        _ => None,
                    },
                    Self::Other,
                )
            }
        }
    }

    /// The path found from the position of `body`'s data error, checked against `serde_path_to_error`'s.
    fn path_of(body: &str) -> String {
        let err = serde_json::from_str::<shapes::Outer>(body).unwrap_err();
        assert!(err.is_data(), "{err}");
        let path = path_at(body, err.line(), err.column());
        let tracked =
            serde_path_to_error::deserialize::<_, shapes::Outer>(&mut serde_json::Deserializer::from_str(body))
                .unwrap_err();
        assert_eq!(path, tracked.path().to_string(), "{body}: {err}");
        assert_eq!(err.to_string(), tracked.into_inner().to_string());
        path
    }

    /// The one place the paths differ from `serde_path_to_error`'s, on a shape generated types never have.
    #[test]
    fn an_error_in_a_key_is_the_objects() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            a: i32,
        }
        let body = r#"{"inner":{"a":1,"b":2}}"#;
        let err = serde_json::from_str::<std::collections::BTreeMap<String, Strict>>(body).unwrap_err();
        assert_eq!(path_at(body, err.line(), err.column()), "inner");
        let tracked = serde_path_to_error::deserialize::<_, std::collections::BTreeMap<String, Strict>>(
            &mut serde_json::Deserializer::from_str(body),
        )
        .unwrap_err();
        assert_eq!(tracked.path().to_string(), "inner.b");
    }

    /// Every kind of data error `serde_json` reports on the generator's shapes, and the path named.
    #[test]
    fn paths_of_payload_errors() {
        // Wrong types and out-of-range numbers: the value's path.
        assert_eq!(path_of(r#"{"a":{"code":"1"}}"#), "a.code");
        assert_eq!(path_of(r#"{"a":{"code":3000000000}}"#), "a.code");
        assert_eq!(path_of(r#"{"a":{"code":1,"name":{"x":1}}}"#), "a.name");
        assert_eq!(path_of(r#"{"a":{"code":1,"name":[]}}"#), "a.name");
        assert_eq!(path_of(r#"{"a":{"code":1},"list":[{"code":1},{"code":false}]}"#), "list[1].code");
        assert_eq!(path_of(r#"{"a":{"code":1},"list":[{"code":1}, 7]}"#), "list[1]");
        assert_eq!(path_of(r#"{"a":{"code":1},"grid":[[1],[2,256]]}"#), "grid[1][1]");
        assert_eq!(path_of(r#"{"a":{"code":1},"odd.key":{"code":1.5}}"#), "odd.key.code");
        assert_eq!(path_of(r#"{"a":{"code":1},"nullable":{"code":null}}"#), "nullable.code");
        assert_eq!(path_of(r#"{"a":{"code":1},"kind":3}"#), "kind");
        assert_eq!(path_of(r#"{"a":{"code":1},"level":18446744073709551615}"#), "level");
        assert_eq!(path_of(r#"{"a":{"code":1},"open":{"id":5,"x":{"code":1}}}"#), "open.id");
        assert_eq!(path_of("{\n \"a\": {\n  \"code\": \"1\"\n }\n}"), "a.code");
        assert_eq!(path_of(r#"{"a":{"code":1},"list":"x"}"#), "list");
        assert_eq!(path_of(r#" [1] "#), "[0]", "a struct read from an array, by position");
        // Missing and duplicate fields: the object's path.
        assert_eq!(path_of(r#"{"a":{"name":"x"}}"#), "a");
        assert_eq!(path_of(r#"{"a":{"code":1,"name":null , "code":2}}"#), "a");
        assert_eq!(path_of(r#"{"a":{"code":1},"list":[{"code":1},{}]}"#), "list[1]");
        assert_eq!(path_of(r#"{"list":[]}"#), ".");
        assert_eq!(path_of(r#"{"a":{"code":1},"a":{"code":1}}"#), ".");
        // Undeclared properties of an open object, read in place: their own path.
        assert_eq!(path_of(r#"{"a":{"code":1},"open":{"x":{"code":1},"y":{"name":"n"}}}"#), "open.y");
        assert_eq!(path_of(r#"{"a":{"code":1},"open":{"x":1},"kind":"a"}"#), "open.x");
        // A `oneOf` alternative picked by its tag that does not parse: the `oneOf`'s path.
        assert_eq!(path_of(r#"{"a":{"code":1},"shape":{"type":"circle","code":"x"},"kind":"a"}"#), "shape");
        assert_eq!(path_of(r#"{"a":{"code":1},"shape":{"type":"circle"}}"#), "shape");
        assert_eq!(path_of(r#"{"a":{"code":1},"shapes":[{"type":"square"},{"type":"circle"}]}"#), "shapes[1]");
        assert_eq!(path_of(r#"{"a":{"code":1},"shapes":[{"type":"circle"},{"type":"square"}]}"#), "shapes[0]");
    }
}
