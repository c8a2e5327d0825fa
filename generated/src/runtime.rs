//! Runtime support shared by every generated module: the unknown-event type, the errors, and the two
//! parsing steps (finding the event name, parsing the typed payload).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserializer, Serialize, Serializer};

/// A delivery of a webhook the generated code does not know, kept whole.
///
/// Vendors add events without notice; this keeps their deliveries instead of rejecting them.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownEvent {
    /// The webhook name (from the body, or as given to `from_named`).
    pub name: String,
    /// The whole body.
    pub body: serde_json::Value,
}

impl UnknownEvent {
    /// Keeps `body` as the delivery of the webhook `name`.
    ///
    /// # Errors
    ///
    /// [`ParseError::InvalidJson`] when the body is not JSON.
    pub fn parse(name: &str, body: &[u8]) -> Result<Self, ParseError> {
        let body = serde_json::from_slice(body).map_err(ParseError::InvalidJson)?;
        Ok(Self { name: name.to_owned(), body })
    }
}

impl Serialize for UnknownEvent {
    /// Writes the body alone, as the vendor sent it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

/// Why a delivery could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is not JSON (or, for `from_slice`, not a JSON object).
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The body has no string property naming the webhook.
    #[error("the body has no string `{property}` property naming the event")]
    MissingEventName {
        /// The property that was looked for, such as `event`.
        property: &'static str,
    },
    /// The body is JSON but does not match the schema of its webhook.
    #[error("the `{event}` payload does not match its schema at `{path}`: {source}")]
    InvalidPayload {
        /// The webhook name.
        event: String,
        /// The path of the failing field, such as `payload.object.carrier_code`.
        path: String,
        /// What serde found there.
        #[source]
        source: serde_json::Error,
    },
}

impl ParseError {
    /// The webhook name, when the body got far enough to have one.
    pub fn event(&self) -> Option<&str> {
        match self {
            Self::InvalidPayload { event, .. } => Some(event),
            _ => None,
        }
    }

    /// The path of the field that did not match, for [`ParseError::InvalidPayload`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::InvalidPayload { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Why `dispatch` did not complete.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError<E> {
    /// The delivery did not parse; answering with a client error is appropriate.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The handler method returned an error; the vendor should retry the delivery.
    #[error("the handler failed: {0}")]
    Handler(E),
}

/// A spec module of this crate.
#[derive(Debug, Clone, Copy)]
pub struct SpecModule {
    /// The Rust module name, such as `number_management`.
    pub name: &'static str,
    /// The spec's `info.title`.
    pub title: &'static str,
    /// The spec file it was generated from, relative to the workspace.
    pub spec_file: &'static str,
    /// The module's webhook names, in spec order.
    pub event_names: &'static [&'static str],
    /// The module's `Event::from_named`, wrapped in [`crate::AnyEvent`]: parses a delivery as this
    /// module's webhook `name` (an unknown name gives [`crate::AnyEvent::Unknown`]).
    pub from_named: fn(name: &str, body: &[u8]) -> Result<crate::AnyEvent, ParseError>,
}

/// Reads the string `property` of a JSON object body, skipping everything else without building it.
#[allow(dead_code)] // Used only by modules whose webhooks have a discriminator.
pub(crate) fn discriminator<'a>(body: &'a [u8], property: &'static str) -> Result<Cow<'a, str>, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let found = FindProperty { property }.deserialize(&mut deserializer).map_err(ParseError::InvalidJson)?;
    deserializer.end().map_err(ParseError::InvalidJson)?;
    found.ok_or(ParseError::MissingEventName { property })
}

/// Parses the payload of the webhook `event`.
///
/// The common case is one plain `serde_json` pass. Only when that fails is the body parsed again with
/// path tracking, so the error can say which field did not match.
#[allow(dead_code)] // Unused when no spec module is enabled.
pub(crate) fn parse_payload<T: DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, ParseError> {
    match serde_json::from_slice(body) {
        Ok(payload) => Ok(payload),
        Err(err) if err.is_syntax() || err.is_eof() || err.is_io() => Err(ParseError::InvalidJson(err)),
        Err(err) => {
            let mut deserializer = serde_json::Deserializer::from_slice(body);
            let (path, source) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(located) => (located.path().to_string(), located.into_inner()),
                Ok(_) => (".".to_owned(), err),
            };
            Err(ParseError::InvalidPayload { event: event.to_owned(), path, source })
        }
    }
}

/// Serde glue for optional properties that may also be `null`: `Option<Option<T>>` where the outer
/// `None` is an absent property (skipped when writing) and `Some(None)` an explicit `null`.
#[allow(dead_code)] // Used only by modules that have such properties.
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(Some(value)) => value.serialize(serializer),
            _ => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Deserialization of open enums: a listed value becomes its variant, any other is kept in `Other`.
#[allow(dead_code)] // Used only by modules that have enums.
pub(crate) mod open_enum {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::Deserializer;
    use serde::de::{self, Visitor};

    /// Reads a string: `known` maps listed values, `other` keeps the rest.
    pub(crate) fn string<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        K: FnOnce(&str) -> Option<T>,
        O: FnOnce(String) -> T,
    {
        deserializer.deserialize_str(StringVisitor { known, other, marker: PhantomData })
    }

    /// Reads an integer: `known` maps listed values, `other` keeps the rest.
    pub(crate) fn integer<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        K: FnOnce(i64) -> Option<T>,
        O: FnOnce(i64) -> T,
    {
        deserializer.deserialize_i64(IntegerVisitor { known, other, marker: PhantomData })
    }

    struct StringVisitor<T, K, O> {
        known: K,
        other: O,
        marker: PhantomData<T>,
    }

    impl<T, K: FnOnce(&str) -> Option<T>, O: FnOnce(String) -> T> Visitor<'_> for StringVisitor<T, K, O> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            match (self.known)(value) {
                Some(listed) => Ok(listed),
                None => Ok((self.other)(value.to_owned())),
            }
        }

        fn visit_string<E: de::Error>(self, value: String) -> Result<T, E> {
            match (self.known)(&value) {
                Some(listed) => Ok(listed),
                None => Ok((self.other)(value)),
            }
        }
    }

    struct IntegerVisitor<T, K, O> {
        known: K,
        other: O,
        marker: PhantomData<T>,
    }

    impl<T, K: FnOnce(i64) -> Option<T>, O: FnOnce(i64) -> T> Visitor<'_> for IntegerVisitor<T, K, O> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
            Ok((self.known)(value).unwrap_or_else(|| (self.other)(value)))
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
            match i64::try_from(value) {
                Ok(value) => self.visit_i64(value),
                Err(_) => Err(E::invalid_value(de::Unexpected::Unsigned(value), &"an integer that fits in 64 bits")),
            }
        }
    }
}

/// The JSON shape a `oneOf`/`anyOf` alternative is read from.
#[allow(dead_code)] // Used only by modules that have such schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Object,
    Array,
    String,
    Number,
    Bool,
    Any,
}

#[allow(dead_code)]
impl Shape {
    fn matches(self, value: &serde_json::Value) -> bool {
        use serde_json::Value;
        matches!(
            (self, value),
            (Self::Any, _)
                | (Self::Object, Value::Object(_))
                | (Self::Array, Value::Array(_))
                | (Self::String, Value::String(_))
                | (Self::Number, Value::Number(_))
                | (Self::Bool, Value::Bool(_))
        )
    }
}

/// Picks the `oneOf`/`anyOf` alternative that fits a value best: among those that parse it, the one
/// that declares the most of its keys (ties go to the earlier alternative).
#[allow(dead_code)] // Used only by modules that have such schemas.
pub(crate) struct BestFit<'v, T> {
    value: &'v serde_json::Value,
    best: Option<(T, usize)>,
}

#[allow(dead_code)]
impl<'v, T> BestFit<'v, T> {
    pub(crate) fn new(value: &'v serde_json::Value) -> Self {
        Self { value, best: None }
    }

    /// Tries one alternative of the given shape; `known` are the properties it declares.
    pub(crate) fn consider(
        &mut self,
        shape: Shape,
        known: &[&str],
        parse: impl FnOnce(&'v serde_json::Value) -> Result<T, serde_json::Error>,
    ) {
        if !shape.matches(self.value) {
            return;
        }
        let Ok(parsed) = parse(self.value) else { return };
        let score = match self.value {
            serde_json::Value::Object(map) => map.keys().filter(|key| known.contains(&key.as_str())).count(),
            _ => 0,
        };
        if self.best.as_ref().is_none_or(|(_, best)| score > *best) {
            self.best = Some((parsed, score));
        }
    }

    pub(crate) fn into_inner(self) -> Option<T> {
        self.best.map(|(parsed, _)| parsed)
    }
}

/// Reads a `oneOf` with a discriminator: `pick` parses the alternative the tag value names; a value
/// without a known tag is kept in `other`. A known tag with a payload that does not match is an error.
#[allow(dead_code)] // Used only by modules that have such schemas.
pub(crate) fn tagged<T, E, P, O>(value: serde_json::Value, property: &str, pick: P, other: O) -> Result<T, E>
where
    E: de::Error,
    P: FnOnce(&str, &serde_json::Value) -> Option<Result<T, serde_json::Error>>,
    O: FnOnce(serde_json::Value) -> T,
{
    let picked = match value.get(property).and_then(serde_json::Value::as_str) {
        Some(tag) => pick(tag, &value),
        None => None,
    };
    match picked {
        Some(Ok(parsed)) => Ok(parsed),
        Some(Err(err)) => Err(E::custom(err)),
        None => Ok(other(value)),
    }
}

/// Finds one string property of a JSON object, borrowing it from the input when it has no escapes.
struct FindProperty {
    property: &'static str,
}

impl<'de> DeserializeSeed<'de> for FindProperty {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FindProperty {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            if found.is_none() && key.0 == self.property {
                // A non-string value means there is no usable name; keep scanning so the JSON is still checked.
                found = map.next_value::<MaybeStr<'de>>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A string that borrows from the input when it can.
struct CowStr<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CowStrVisitor).map(CowStr)
    }
}

struct CowStrVisitor;

impl<'de> Visitor<'de> for CowStrVisitor {
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
}

/// Any JSON value, kept only if it is a string.
struct MaybeStr<'de>(Option<Cow<'de, str>>);

impl<'de> de::Deserialize<'de> for MaybeStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MaybeStrVisitor).map(MaybeStr)
    }
}

struct MaybeStrVisitor;

impl<'de> Visitor<'de> for MaybeStrVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(value.to_owned())))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discriminator_borrows_and_skips_the_rest() {
        let body = br#"{"payload":{"event":"inner","x":[1,{"y":null}]},"event":"meeting.started","event_ts":1}"#;
        let name = discriminator(body, "event").unwrap();
        assert_eq!(name, "meeting.started");
        assert!(matches!(name, Cow::Borrowed(_)));
    }

    #[test]
    fn discriminator_unescapes_when_needed() {
        let name = discriminator(br#"{"event":"a\u002eb"}"#, "event").unwrap();
        assert_eq!(name, "a.b");
    }

    #[test]
    fn discriminator_errors() {
        assert!(matches!(discriminator(b"{\"event\":", "event"), Err(ParseError::InvalidJson(_))));
        assert!(matches!(discriminator(b"[1]", "event"), Err(ParseError::InvalidJson(_))));
        assert!(matches!(discriminator(b"{} x", "event"), Err(ParseError::InvalidJson(_))));
        assert!(matches!(
            discriminator(br#"{"event":42,"other":"x"}"#, "event"),
            Err(ParseError::MissingEventName { property: "event" })
        ));
        assert!(matches!(discriminator(b"{}", "event"), Err(ParseError::MissingEventName { .. })));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        inner: Inner,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        code: i32,
    }

    #[test]
    fn payload_errors_carry_the_field_path() {
        let err = parse_payload::<Outer>("x.y", br#"{"inner":{"code":"3457"}}"#).unwrap_err();
        assert_eq!(err.event(), Some("x.y"));
        assert_eq!(err.path(), Some("inner.code"));
        assert!(
            err.to_string().starts_with("the `x.y` payload does not match its schema at `inner.code`: invalid type"),
            "{err}"
        );
        assert!(matches!(parse_payload::<Outer>("x.y", b"{\"inner\""), Err(ParseError::InvalidJson(_))));
    }
}
