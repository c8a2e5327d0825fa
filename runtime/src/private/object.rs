//! The `Deserialize` and `Serialize` of generated structs: a JSON object read entry by entry into its
//! fields ([`Object`]), and written field by field ([`Fields`]).
//!
//! serde's derive gives every struct a field enum with its own visitor, a second visitor that reads the
//! struct from a JSON array by position, and `deserialize_struct`, which accepts both; each is compiled
//! once per struct and deserializer, and nearly all of a generated crate's code was those copies. A
//! generated struct instead implements [`Object`] with one `match` from key to field, and deserializes
//! through [`deserialize_object`]: the work of reading a field (the duplicate check, the value) is in the
//! helpers here, compiled once per field type rather than once per field, and a missing required field
//! is a `let ... else` in the impl. JSON objects only: an array is the wrong type, as the schema says.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A generated struct, read from the entries of a JSON object.
pub trait Object: Sized {
    /// What a value of another JSON type is said to be expected as: `struct Name`, as serde says it.
    const EXPECTING: &'static str;

    /// Reads the struct from the object's entries: its declared properties, the others skipped (or, in
    /// an open object, kept).
    ///
    /// # Errors
    ///
    /// The deserializer's error for a field of the wrong type, a missing required field or a field given
    /// twice.
    fn read<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
}

/// `Deserialize::deserialize` of a generated struct: a JSON object read by [`Object::read`].
///
/// # Errors
///
/// The deserializer's error when the value is not an object or does not match the struct.
pub fn deserialize_object<'de, D: Deserializer<'de>, T: Object>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::read(map)
    }
}

/// An object's key, borrowed from the input when it has no escapes.
pub struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Key<'de> {
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key, owned (for an open object's undeclared properties).
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor).map(Key)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(value))
    }
}

/// Reads the value of the declared property `name` into its `slot`; a second entry of it is an error, as
/// serde's derive has it (`duplicate field`, reported before its value is read).
///
/// # Errors
///
/// A duplicate field, or the value's error.
pub fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    // A `match`, not `?`: no `Try` impls to compile per field type.
    match map.next_value() {
        Ok(value) => {
            *slot = Some(value);
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Skips the value of a property the struct does not declare (still read, so the JSON is checked).
///
/// # Errors
///
/// Invalid JSON in the value.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(drop)
}

/// Keeps an undeclared property of an open object, as it came: a later entry of the same key replaces the
/// value in place, as a JSON object read into a map does.
///
/// # Errors
///
/// The value's error (for a typed open object, a value of the wrong type at its own path).
pub fn keep<'de, A: MapAccess<'de>, M: Extend<(String, V)>, V: Deserialize<'de>>(
    map: &mut A,
    kept: &mut M,
    key: Key<'de>,
) -> Result<(), A::Error> {
    let value = map.next_value()?;
    kept.extend([(key.into_string(), value)]);
    Ok(())
}

/// The `Serialize` of a generated struct, written field by field as serde's derive writes it: a closed
/// struct as a struct (`serialize_struct`, with the number of fields written), an open one as a map of
/// its fields and then its undeclared properties (serde's `flatten`). Compiled once per serializer and
/// field type, where the derive compiled its skipping and wrapping per field.
///
/// The first error the serializer gives is kept, every later write skipped, and the error returned by
/// [`Fields::end`]. So the generated body is one plain call per field: the serializer sees the same calls
/// as with a `?` after each, and the compiler has no early return per field to check and lower.
pub struct Fields<S: Serializer>(Writing<S>);

/// Where the writing of a struct stands.
enum Writing<S: Serializer> {
    /// A closed struct being written.
    Struct(S::SerializeStruct),
    /// An open struct being written, as a map.
    Map(S::SerializeMap),
    /// The serializer failed; nothing more is written.
    Failed(S::Error),
}

impl<S: Serializer> Fields<S> {
    /// Starts a closed struct `name` that writes `len` fields.
    pub fn closed(serializer: S, name: &'static str, len: usize) -> Self {
        Self(match serializer.serialize_struct(name, len) {
            Ok(fields) => Writing::Struct(fields),
            Err(err) => Writing::Failed(err),
        })
    }

    /// Starts an open struct.
    pub fn open(serializer: S) -> Self {
        Self(match serializer.serialize_map(None) {
            Ok(entries) => Writing::Map(entries),
            Err(err) => Writing::Failed(err),
        })
    }

    /// Writes a field that is always written.
    pub fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) {
        let written = match &mut self.0 {
            Writing::Struct(fields) => fields.serialize_field(key, value),
            Writing::Map(entries) => entries.serialize_entry(key, value),
            Writing::Failed(_) => return,
        };
        self.keep_error(written);
    }

    /// Writes an optional field, or skips it when it is `None` (an absent property).
    pub fn optional<T: Serialize>(&mut self, key: &'static str, value: &Option<T>) {
        if value.is_some() { self.field(key, value) } else { self.skip(key) }
    }

    /// Writes an optional field that may be `null`: skipped when absent, `null` for `Some(None)`, the value
    /// itself for `Some(Some(value))`.
    pub fn nullable<T: Serialize>(&mut self, key: &'static str, value: &Option<Option<T>>) {
        match value {
            Some(value) => self.field(key, &Nullable(value)),
            None => self.skip(key),
        }
    }

    /// Skips an absent field (a struct is told, a map writes nothing).
    fn skip(&mut self, key: &'static str) {
        if let Writing::Struct(fields) = &mut self.0 {
            let skipped = fields.skip_field(key);
            self.keep_error(skipped);
        }
    }

    /// Writes the undeclared properties an open struct keeps, after its fields.
    pub fn rest<'a, K: Serialize + 'a, V: Serialize + 'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a K, &'a V)>,
    ) {
        let Writing::Map(map) = &mut self.0 else { return };
        let written = entries.into_iter().try_for_each(|(key, value)| map.serialize_entry(key, value));
        self.keep_error(written);
    }

    /// Ends the struct.
    ///
    /// # Errors
    ///
    /// The first error the serializer gave.
    pub fn end(self) -> Result<S::Ok, S::Error> {
        match self.0 {
            Writing::Struct(fields) => fields.end(),
            Writing::Map(entries) => entries.end(),
            Writing::Failed(err) => Err(err),
        }
    }

    /// Keeps a write's error, after which nothing more is written.
    fn keep_error(&mut self, written: Result<(), S::Error>) {
        if let Err(err) = written {
            self.0 = Writing::Failed(err);
        }
    }
}

/// A present value that may be `null`, written as the value itself or `null`.
struct Nullable<'a, T>(&'a Option<T>);

impl<T: Serialize> Serialize for Nullable<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(value) => value.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a generated struct's `Object` impl looks like: one required field, one optional (`null`
    /// read as absent), one required that may be `null`, the rest kept.
    #[derive(Debug, PartialEq)]
    struct Sample {
        id: i64,
        name: Option<String>,
        note: Option<String>,
        rest: serde_json::Map<String, serde_json::Value>,
    }

    impl Object for Sample {
        const EXPECTING: &'static str = "struct Sample";

        fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut id = None;
            let mut name = None;
            let mut note = None;
            let mut rest = serde_json::Map::new();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                match key.as_str() {
                    "id" => field(&mut map, &mut id, "id")?,
                    "name" => field(&mut map, &mut name, "name")?,
                    "note" => field(&mut map, &mut note, "note")?,
                    _ => keep(&mut map, &mut rest, key)?,
                }
            }
            let Some(id) = id else { return Err(de::Error::missing_field("id")) };
            Ok(Self { id, name: name.unwrap_or_default(), note: note.unwrap_or_default(), rest })
        }
    }

    impl<'de> Deserialize<'de> for Sample {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_object(deserializer)
        }
    }

    fn parse(text: &str) -> Result<Sample, String> {
        serde_json::from_str(text).map_err(|err| err.to_string())
    }

    #[test]
    fn fields_are_read_by_key_and_undeclared_ones_kept_in_order() {
        let sample = parse(r#"{"z":1,"name":"n","id":7,"a\"b":[true],"z":2}"#).expect("parses");
        assert_eq!(sample.id, 7);
        assert_eq!(sample.name.as_deref(), Some("n"));
        assert_eq!(sample.note, None);
        assert_eq!(serde_json::to_string(&sample.rest).expect("writes"), r#"{"z":2,"a\"b":[true]}"#);
    }

    #[test]
    fn a_required_field_that_may_be_null_reads_null_and_absence_as_none() {
        assert_eq!(parse(r#"{"id":1,"note":null}"#).expect("parses").note, None);
        assert_eq!(parse(r#"{"id":1,"note":"x"}"#).expect("parses").note.as_deref(), Some("x"));
        assert_eq!(parse(r#"{"id":1,"name":null}"#).expect("parses").name, None);
        assert_eq!(
            parse(r#"{"id":1,"name":null,"name":"x"}"#).unwrap_err(),
            "duplicate field `name` at line 1 column 26"
        );
    }

    #[test]
    fn errors_are_serdes_at_serde_jsons_positions() {
        assert_eq!(parse(r#"{"name":"n"}"#).unwrap_err(), "missing field `id` at line 1 column 12");
        assert_eq!(parse(r#"{"id":1,"id":2}"#).unwrap_err(), "duplicate field `id` at line 1 column 12");
        assert_eq!(parse(r#"{"id":"7"}"#).unwrap_err(), "invalid type: string \"7\", expected i64 at line 1 column 9");
        // An array is not read by position.
        assert_eq!(parse("[7]").unwrap_err(), "invalid type: sequence, expected struct Sample at line 1 column 0");
        assert_eq!(parse("7").unwrap_err(), "invalid type: integer `7`, expected struct Sample at line 1 column 1");
    }

    /// A struct written through `Fields`, as the generator emits it, and the same struct with serde's
    /// derive: the same JSON for every combination of absent, `null` and present values.
    #[test]
    fn fields_write_what_serdes_derive_writes() {
        #[derive(serde::Serialize)]
        struct Derived {
            a: i32,
            #[serde(rename = "b-b", skip_serializing_if = "Option::is_none")]
            b: Option<String>,
            #[serde(skip_serializing_if = "Option::is_none", serialize_with = "present")]
            c: Option<Option<i32>>,
            #[serde(flatten)]
            rest: serde_json::Map<String, serde_json::Value>,
        }

        /// How serde's derive was told to write a present value that may be `null`.
        fn present<S: Serializer>(value: &Option<Option<i32>>, serializer: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(Some(value)) => value.serialize(serializer),
                _ => serializer.serialize_none(),
            }
        }

        struct Written<'a>(&'a Derived, bool);

        impl Serialize for Written<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let Self(value, open) = self;
                let mut fields = if *open {
                    Fields::open(serializer)
                } else {
                    Fields::closed(
                        serializer,
                        "Derived",
                        1 + usize::from(value.b.is_some()) + usize::from(value.c.is_some()),
                    )
                };
                fields.field("a", &value.a);
                fields.optional("b-b", &value.b);
                fields.nullable("c", &value.c);
                fields.rest(&value.rest);
                fields.end()
            }
        }

        let rest: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"z":1,"y":[null]}"#).expect("a map");
        for b in [None, Some("x".to_owned())] {
            for c in [None, Some(None), Some(Some(3))] {
                let value = Derived { a: 1, b: b.clone(), c, rest: rest.clone() };
                let derived = serde_json::to_string(&value).expect("writes");
                assert_eq!(serde_json::to_string(&Written(&value, true)).expect("writes"), derived);
                let closed = Derived { rest: serde_json::Map::new(), ..value };
                let derived = serde_json::to_string(&closed).expect("writes");
                assert_eq!(serde_json::to_string(&Written(&closed, false)).expect("writes"), derived);
            }
        }
        let value = Derived { a: 1, b: None, c: Some(None), rest };
        assert_eq!(
            serde_json::to_string(&Written(&value, true)).expect("writes"),
            r#"{"a":1,"c":null,"z":1,"y":[null]}"#
        );
    }

    /// A serializer's error stops the writing where serde's derive stops it: the same output up to the
    /// failing field, nothing after it, and that error returned.
    #[test]
    fn the_first_error_ends_the_writing_as_in_serdes_derive() {
        /// A value its serializer refuses.
        struct Refused;

        impl Serialize for Refused {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("refused"))
            }
        }

        #[derive(serde::Serialize)]
        struct Derived {
            a: i32,
            b: Refused,
            #[serde(skip_serializing_if = "Option::is_none")]
            c: Option<i32>,
        }

        struct Written<'a>(&'a Derived, bool);

        impl Serialize for Written<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let Self(value, open) = self;
                let mut fields = if *open {
                    Fields::open(serializer)
                } else {
                    Fields::closed(serializer, "Derived", 2 + usize::from(value.c.is_some()))
                };
                fields.field("a", &value.a);
                fields.field("b", &value.b);
                fields.optional("c", &value.c);
                fields.end()
            }
        }

        fn write(value: &impl Serialize) -> (String, String) {
            let mut out = Vec::new();
            let err = serde_json::to_writer(&mut out, value).expect_err("refused");
            (String::from_utf8(out).expect("UTF-8"), err.to_string())
        }

        for c in [None, Some(3)] {
            let value = Derived { a: 1, b: Refused, c };
            let derived = write(&value);
            assert_eq!(derived, (r#"{"a":1,"b":"#.to_owned(), "refused".to_owned()));
            assert_eq!(write(&Written(&value, false)), derived);
            assert_eq!(write(&Written(&value, true)), derived);
        }
    }

    #[test]
    fn values_and_other_deserializers_read_the_same_way() {
        let value = serde_json::json!({"id": 3, "x": {"y": null}});
        let sample = Sample::deserialize(&value).expect("from a borrowed value");
        assert_eq!(sample, Sample::deserialize(value.clone()).expect("from an owned value"));
        assert_eq!(sample.rest.get("x"), Some(&serde_json::json!({"y": null})));
    }
}
