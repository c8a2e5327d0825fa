//! One-pass parsing for generated modules: the webhook name read from the body (in the same pass as the
//! payload when the name comes first, else found first, then the payload), payloads with the failing
//! field's path, and `oneOf`/`anyOf` alternatives picked by their tag or their shape.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, SeqAccessDeserializer, StringDeserializer};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::object::Key;
use crate::error::json_text;
use crate::template::listed_name;
use crate::{ParseError, UnknownEvent};

/// The error for a body whose top level could not be read as an object: [`ParseError::NotAnObject`] when
/// it is valid JSON of another kind, else [`ParseError::InvalidJson`].
fn not_an_object(text: &str, err: serde_json::Error) -> ParseError {
    match serde_json::from_str::<IgnoredAny>(text) {
        Ok(_) => ParseError::NotAnObject,
        Err(_) => ParseError::InvalidJson(err),
    }
}

/// Reads the string `property` of a JSON object body, skipping everything else without building it.
pub fn discriminator<'a>(body: &'a [u8], property: &'static str) -> Result<Cow<'a, str>, ParseError> {
    let text = json_text(body)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = FindProperty { property }.deserialize(&mut deserializer).and_then(|found| {
        deserializer.end()?;
        Ok(found)
    });
    match found {
        Ok(Scanned::Name(name)) => Ok(name),
        Ok(Scanned::Missing) => Err(ParseError::MissingEventName { property }),
        Ok(Scanned::Duplicate) => Err(ParseError::DuplicateEventName { property }),
        // Entries are read as anything, keys are strings: a type error can only be the top level's.
        Err(err) if err.is_data() => Err(not_an_object(text, err)),
        Err(err) => Err(ParseError::InvalidJson(err)),
    }
}

/// What a scan of a body's top level found under the discriminator property.
enum Scanned<'de> {
    /// No entry, or one whose value is not a string.
    Missing,
    /// Exactly one entry, a string.
    Name(Cow<'de, str>),
    /// More than one entry.
    Duplicate,
}

/// A module's `Event` whose webhooks a body property tells apart: how [`from_slice`] and [`parse_named`]
/// read a delivery. Both read a payload from the same map type (the body's entries, with the first
/// replayed or not), so each payload type's `Deserialize` is compiled once.
pub trait Discriminated: Sized {
    /// The webhook name a discriminator value stands for: the value itself, unless the spec gives its
    /// webhooks other values.
    fn webhook_name(value: &str) -> &str {
        value
    }

    /// Reads the webhook called `name` from `map`, which yields the whole body, into `parsed`. For a name
    /// the module does not know, leaves `parsed` and `map` untouched.
    ///
    /// (Writing into `parsed` rather than returning the event saves a copy of a large enum per delivery.)
    fn deserialize_named<'de, A: MapAccess<'de>>(name: &str, map: A, parsed: &mut Option<Self>)
    -> Result<(), A::Error>;

    /// A delivery of a webhook the module does not know.
    fn unknown(event: UnknownEvent) -> Self;
}

/// `Event::from_slice`: tells the webhook by the string `property` of a JSON object body and parses it.
///
/// When `property` is the body's first key (Zoom always sends `event` first), this is a single pass: the
/// name is read, then the payload from the rest of the same object, with the name entry replayed so the
/// payload still sees it. Otherwise the scan goes on to find the name, and `from_named` parses the body
/// again as that webhook. Any failure of the single pass is reported by the two-pass path
/// ([`discriminator`], then `from_named`), so errors are the same whichever path a body takes.
pub fn from_slice<E: Discriminated>(
    body: &[u8],
    property: &'static str,
    from_named: impl FnOnce(&str, &[u8]) -> Result<E, ParseError>,
) -> Result<E, ParseError> {
    let (read, parsed) = single_pass::<E>(json_text(body)?, property);
    match (read, parsed) {
        (Ok(_), Some(event)) => Ok(event),
        (Ok(Scanned::Name(name)), None) => from_named(E::webhook_name(&name), body),
        (Ok(Scanned::Missing), None) => Err(ParseError::MissingEventName { property }),
        (Ok(Scanned::Duplicate), None) => Err(ParseError::DuplicateEventName { property }),
        // Not JSON, not an object, a second name, or not this webhook's schema: the two-pass path words
        // the error.
        (Err(_), _) => from_named(E::webhook_name(&discriminator(body, property)?), body),
    }
}

/// The single pass of [`from_slice`]: the delivery when `property` is the first key and it parses, else
/// what the scan of the body found.
fn single_pass<'de, E: Discriminated>(
    text: &'de str,
    property: &'static str,
) -> (Result<Scanned<'de>, serde_json::Error>, Option<E>) {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    // The parsed delivery is written here rather than returned through the visitor: an `Event` is large,
    // and each move of it costs a copy.
    let mut parsed = None;
    let read = deserializer
        .deserialize_map(FirstKey { property, parsed: &mut parsed })
        .and_then(|read| deserializer.end().map(|()| read));
    (read, parsed)
}

/// `Event::from_named`: parses `body` as the webhook called `name`, or as an unknown webhook (any JSON)
/// for a name that is not one of the module's `names` (templates included).
///
/// A listed webhook's body is read as a JSON object, through the same map type as the single pass of
/// [`from_slice`] (with nothing replayed), so its payload type's `Deserialize` is compiled once for both.
///
/// # Errors
///
/// [`ParseError::InvalidUtf8`] or [`ParseError::InvalidJson`] when the body is not JSON text,
/// [`ParseError::InvalidPayload`] (with the failing field's path) when it does not match the webhook's
/// schema, an object included.
pub fn parse_named<E: Discriminated>(names: &[&str], name: &str, body: &[u8]) -> Result<E, ParseError> {
    // Errors name the webhook as listed: for a templated name, its template.
    let Some(listed) = listed_name(names, name) else {
        return Ok(E::unknown(UnknownEvent::parse(name, body)?));
    };
    let text = json_text(body)?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut parsed = None;
    let read = deserializer.deserialize_map(ByName { name, parsed: &mut parsed }).and_then(|()| deserializer.end());
    match (read, parsed) {
        (Ok(()), Some(event)) => Ok(event),
        // Listed, so read; were it not, it would be an unknown webhook, as above.
        (Ok(()), None) => Ok(E::unknown(UnknownEvent::parse(name, body)?)),
        (Err(err), _) => Err(payload_error(listed, text, err)),
    }
}

/// Reads the body of the webhook `name` into `parsed`.
struct ByName<'a, E> {
    name: &'a str,
    parsed: &'a mut Option<E>,
}

impl<'de, E: Discriminated> Visitor<'de> for ByName<'_, E> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let mut rest = Replay { property: None, key: None, value: None, map };
        E::deserialize_named(self.name, &mut rest, self.parsed)?;
        if self.parsed.is_none() {
            while rest.map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        }
        Ok(())
    }
}

/// Reads the first key of the body. When it is `property`, parses the delivery into `parsed` (failing on a
/// second `property` entry); else scans the rest for `property`.
struct FirstKey<'a, E> {
    property: &'static str,
    parsed: &'a mut Option<E>,
}

impl<'de, E: Discriminated> Visitor<'de> for FirstKey<'_, E> {
    type Value = Scanned<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(Key(key)) = map.next_key::<Key<'de>>()? else { return Ok(Scanned::Missing) };
        if key != self.property {
            map.next_value::<IgnoredAny>()?;
            return scan(self.property, map, false);
        }
        let Some(value) = map.next_value::<MaybeStr<'de>>()?.0 else {
            // Not a string: no usable name; the scan still tells a second entry apart (as `discriminator`).
            return scan(self.property, map, true);
        };
        let name = value.clone(); // a copy of the pointer, or of an unescaped name
        let mut rest = Replay { property: Some(self.property), key: Some(key), value: Some(value), map };
        E::deserialize_named(E::webhook_name(&name), &mut rest, self.parsed)?;
        if self.parsed.is_none() {
            let body = serde_json::Value::deserialize(MapAccessDeserializer::new(rest))?;
            *self.parsed = Some(E::unknown(UnknownEvent { name: name.into_owned(), body }));
        }
        Ok(Scanned::Missing)
    }
}

/// Scans the (remaining) entries of `map` for `property`, reading them all so the JSON is still checked.
/// `seen` says whether an entry of `property` (with a value that is not a string) came before.
fn scan<'de, A: MapAccess<'de>>(property: &str, mut map: A, seen: bool) -> Result<Scanned<'de>, A::Error> {
    let mut entries = usize::from(seen);
    let mut found = None;
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if key.0 == property {
            entries += 1;
            if entries == 1 {
                found = map.next_value::<MaybeStr<'de>>()?.0;
                continue;
            }
        }
        map.next_value::<IgnoredAny>()?;
    }
    Ok(match (entries, found) {
        (0 | 1, Some(name)) => Scanned::Name(name),
        (0 | 1, None) => Scanned::Missing,
        _ => Scanned::Duplicate,
    })
}

/// A map whose first entry, already read from `map`, is given again before the rest of `map` (or `map`
/// alone, with nothing to replay). A later entry of the replayed key is an error, whether or not the
/// payload type declares the property.
struct Replay<'de, A> {
    /// The discriminator property, the key of the replayed entry, if there is one.
    property: Option<&'static str>,
    /// The replayed entry's key, until it is given.
    key: Option<Cow<'de, str>>,
    /// Its value, until it is given.
    value: Option<Cow<'de, str>>,
    map: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let key = match self.key.take() {
            Some(key) => key,
            None => match self.map.next_key::<Key<'de>>()? {
                Some(Key(key)) if self.property.is_some_and(|property| key == property) => {
                    return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
                }
                Some(Key(key)) => key,
                None => return Ok(None),
            },
        };
        seed.deserialize(ReplayedStr(key, PhantomData)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        match self.value.take() {
            Some(value) => seed.deserialize(ReplayedStr(value, PhantomData)),
            None => self.map.next_value_seed(seed),
        }
    }
}

/// A replayed JSON string, read as `serde_json` reads a string: also as `Some` of an `Option`, as a
/// newtype, or as a unit enum variant.
struct ReplayedStr<'de, E>(Cow<'de, str>, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for ReplayedStr<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        match self.0 {
            Cow::Borrowed(text) => BorrowedStrDeserializer::new(text).deserialize_enum(name, variants, visitor),
            Cow::Owned(text) => StringDeserializer::new(text).deserialize_enum(name, variants, visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// Parses the payload of the webhook `event`.
///
/// One plain `serde_json` pass. When the payload does not match, the failing field's path is found from
/// where `serde_json` stopped in the text (the `json_path` module), so the error path costs no second
/// compiled copy of the payload type's `Deserialize`.
pub fn parse_payload<T: DeserializeOwned>(event: &str, body: &[u8]) -> Result<T, ParseError> {
    let text = json_text(body)?;
    serde_json::from_str(text).map_err(|err| payload_error(event, text, err))
}

/// The error of a payload `text` of the webhook `event` that `serde_json` did not read. Apart from
/// [`parse_payload`], which is compiled once per payload type.
fn payload_error(event: &str, text: &str, err: serde_json::Error) -> ParseError {
    if err.is_syntax() || err.is_eof() || err.is_io() {
        return ParseError::InvalidJson(err);
    }
    let path = super::json_path::path_at(text, err.line(), err.column());
    ParseError::InvalidPayload { event: event.to_owned(), path, source: err }
}

/// The JSON shape a `oneOf`/`anyOf` alternative is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A JSON string.
    String,
    /// A JSON number.
    Number,
    /// `true` or `false`.
    Bool,
    /// Any JSON value (an alternative without a type).
    Any,
}

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
pub struct BestFit<'v, T> {
    value: &'v serde_json::Value,
    best: Option<(T, usize)>,
}

impl<'v, T> BestFit<'v, T> {
    /// No alternative considered yet for `value`.
    pub fn new(value: &'v serde_json::Value) -> Self {
        Self { value, best: None }
    }

    /// Tries one alternative of the given shape; `known` are the properties it declares.
    pub fn consider(
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

    /// The alternative that fit best, if any parsed the value.
    pub fn into_inner(self) -> Option<T> {
        self.best.map(|(parsed, _)| parsed)
    }
}

/// Reads a `oneOf` with a discriminator: `pick` parses the alternative the tag value names; a value
/// without a known tag is kept in `other`. A known tag with a payload that does not match is an error.
///
/// The value is read through a visitor, so a mismatch is reported from within the `serde_json` call that
/// reads this value: its position, and so the error's path, is this value's own (see the `json_path`
/// module), not its parent's.
pub fn tagged<'de, D, T, P, O>(deserializer: D, property: &str, pick: P, other: O) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    P: FnOnce(&str, &serde_json::Value) -> Option<Result<T, serde_json::Error>>,
    O: FnOnce(serde_json::Value) -> T,
{
    deserializer.deserialize_any(Tagged { property, pick, other })
}

/// The visitor of [`tagged`]: reads any JSON value as `serde_json::Value` does, then picks by the tag.
struct Tagged<'p, P, O> {
    property: &'p str,
    pick: P,
    other: O,
}

impl<'p, T, P, O> Tagged<'p, P, O>
where
    P: FnOnce(&str, &serde_json::Value) -> Option<Result<T, serde_json::Error>>,
    O: FnOnce(serde_json::Value) -> T,
{
    /// Picks the alternative for `value`, read by `serde_json::Value`'s own `Deserialize` from `read`.
    fn pick<'de, D: Deserializer<'de>>(self, read: D) -> Result<T, D::Error> {
        let value = serde_json::Value::deserialize(read)?;
        let picked = match value.get(self.property).and_then(serde_json::Value::as_str) {
            Some(tag) => (self.pick)(tag, &value),
            None => None,
        };
        match picked {
            Some(Ok(parsed)) => Ok(parsed),
            Some(Err(err)) => Err(de::Error::custom(err)),
            None => Ok((self.other)(value)),
        }
    }
}

impl<'de, T, P, O> Visitor<'de> for Tagged<'_, P, O>
where
    P: FnOnce(&str, &serde_json::Value) -> Option<Result<T, serde_json::Error>>,
    O: FnOnce(serde_json::Value) -> T,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<T, E> {
        self.pick(value.into_deserializer())
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        self.pick(().into_deserializer())
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        self.pick(().into_deserializer())
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        self.pick(deserializer)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        self.pick(SeqAccessDeserializer::new(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        self.pick(MapAccessDeserializer::new(map))
    }
}

/// Finds one string property of a JSON object, borrowing it from the input when it has no escapes.
struct FindProperty {
    property: &'static str,
}

impl<'de> DeserializeSeed<'de> for FindProperty {
    type Value = Scanned<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FindProperty {
    type Value = Scanned<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        scan(self.property, map, false)
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
        assert!(matches!(discriminator(b"[1", "event"), Err(ParseError::InvalidJson(_))));
        assert!(matches!(discriminator(b"{} x", "event"), Err(ParseError::InvalidJson(_))));
        for not_an_object in [&b"[1]"[..], b" \"meeting.started\" ", b"42", b"null"] {
            assert!(matches!(discriminator(not_an_object, "event"), Err(ParseError::NotAnObject)));
        }
        assert_eq!(discriminator(b"[1]", "event").unwrap_err().to_string(), "the body is not a JSON object");
        assert!(matches!(discriminator(b"{\"event\":\"a\xff\"}", "event"), Err(ParseError::InvalidUtf8(_))));
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

    #[derive(Debug, PartialEq, serde::Deserialize)]
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

    /// A `oneOf` picked by its `kind` tag, as the generator emits it.
    #[derive(Debug, PartialEq)]
    enum Picked {
        Inner(Inner),
        Other(serde_json::Value),
    }

    impl<'de> Deserialize<'de> for Picked {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            tagged(
                deserializer,
                "kind",
                |tag, value| (tag == "inner").then(|| Inner::deserialize(value).map(Self::Inner)),
                Self::Other,
            )
        }
    }

    #[test]
    fn tagged_values_are_picked_by_their_tag_or_kept_whole() {
        let picked: Vec<Picked> = serde_json::from_str(
            r#"[{"kind":"inner","code":7},{"kind":"other","n":1.50},{"n":1},12345678901234567890123,-0.0,"s",null,true,[1,{"kind":"inner"}]]"#,
        )
        .unwrap();
        assert_eq!(picked[0], Picked::Inner(Inner { code: 7 }));
        let kept: Vec<String> = picked[1..]
            .iter()
            .map(|picked| match picked {
                Picked::Other(value) => value.to_string(),
                Picked::Inner(inner) => panic!("{inner:?}"),
            })
            .collect();
        assert_eq!(
            kept,
            [
                r#"{"kind":"other","n":1.50}"#,
                r#"{"n":1}"#,
                "12345678901234567890123",
                "-0.0",
                r#""s""#,
                "null",
                "true",
                r#"[1,{"kind":"inner"}]"#
            ]
        );
        // Also read from a `serde_json::Value`, as an alternative of another `oneOf` is.
        let value = serde_json::json!({"kind": "inner", "code": 8});
        assert_eq!(Picked::deserialize(&value).unwrap(), Picked::Inner(Inner { code: 8 }));
        let err = parse_payload::<Vec<Picked>>("x.y", br#"[{"kind":"inner","code":1}, {"kind":"inner"}]"#).unwrap_err();
        assert_eq!(err.path(), Some("[1]"), "{err}");
        // At the element's closing brace (column 44), not the array's (45).
        assert!(err.to_string().ends_with("missing field `code` at line 1 column 44"), "{err}");
    }

    /// The single pass replays the name entry: payload types read it as `serde_json` reads a string.
    mod replayed {
        use super::*;

        // Payloads whose discriminator field is optional, nullable (of a newtype) or a unit enum: the
        // replayed name is read as `serde_json` reads a string for each.
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Optional {
            event: Option<String>,
            x: i32,
        }

        /// As the generator emits an optional property that may be `null`.
        #[derive(Debug, PartialEq)]
        struct Nullable {
            event: Option<Option<Name>>,
        }

        impl crate::private::Object for Nullable {
            const EXPECTING: &'static str = "struct Nullable";

            fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
                let mut event = None;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "event" => crate::private::field(&mut map, &mut event, "event")?,
                        _ => crate::private::skip(&mut map)?,
                    }
                }
                Ok(Self { event })
            }
        }

        impl<'de> Deserialize<'de> for Nullable {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::private::deserialize_object(deserializer)
            }
        }

        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Name(String);

        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Tagged {
            event: Kind,
        }

        #[derive(Debug, PartialEq, serde::Deserialize)]
        enum Kind {
            #[serde(rename = "a.b")]
            AB,
        }

        #[derive(Debug, PartialEq)]
        enum Test {
            Optional(Optional),
            Nullable(Nullable),
            Tagged(Tagged),
            Unknown(UnknownEvent),
        }

        impl Discriminated for Test {
            fn deserialize_named<'de, A: MapAccess<'de>>(
                name: &str,
                map: A,
                parsed: &mut Option<Self>,
            ) -> Result<(), A::Error> {
                let payload = MapAccessDeserializer::new(map);
                *parsed = Some(match name {
                    "optional" => Self::Optional(Deserialize::deserialize(payload)?),
                    "nullable" => Self::Nullable(Deserialize::deserialize(payload)?),
                    "a.b" => Self::Tagged(Deserialize::deserialize(payload)?),
                    _ => return Ok(()),
                });
                Ok(())
            }

            fn unknown(event: UnknownEvent) -> Self {
                Self::Unknown(event)
            }
        }

        /// The single pass of `from_slice` for [`Test`] alone: an error where it would take the two-pass path.
        fn test_event(body: &str) -> Result<Test, ParseError> {
            match single_pass::<Test>(body, "event") {
                (Ok(_), Some(event)) => Ok(event),
                _ => Err(ParseError::MissingEventName { property: "two-pass" }),
            }
        }

        #[test]
        fn replayed_names_read_as_json_strings() {
            let optional = test_event(r#"{"event":"optional","x":1}"#).unwrap();
            assert_eq!(optional, Test::Optional(Optional { event: Some("optional".to_owned()), x: 1 }));
            let nullable = test_event(r#"{"event":"nullable"}"#).unwrap();
            assert_eq!(nullable, Test::Nullable(Nullable { event: Some(Some(Name("nullable".to_owned()))) }));
            assert_eq!(test_event(r#"{"event":"a.b"}"#).unwrap(), Test::Tagged(Tagged { event: Kind::AB }));
            let Ok(Test::Unknown(unknown)) = test_event(r#"{"event":"other","x":[1]}"#) else { panic!() };
            assert_eq!(unknown.name, "other");
            assert_eq!(unknown.body, serde_json::json!({"event": "other", "x": [1]}));
            let err = test_event(r#"{"x":1,"event":"optional"}"#).unwrap_err();
            assert!(matches!(err, ParseError::MissingEventName { property: "two-pass" }), "{err:?}");
        }
    }
}

/// Open structs (a flattened field keeping undeclared properties) through the single pass of
/// [`from_slice`], with numbers in typed and untyped extra properties.
#[cfg(test)]
mod open_struct_tests {
    use super::*;
    use serde::Serialize;

    use crate::private::{Object, deserialize_object, field, keep};

    /// What the generator emits for an open payload with typed extra properties.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Typed {
        event: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<i64>,
        #[serde(flatten)]
        additional_properties: indexmap::IndexMap<String, serde_json::Number>,
    }

    impl Object for Typed {
        const EXPECTING: &'static str = "struct Typed";

        fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut event = None;
            let mut id = None;
            let mut additional_properties = Default::default();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                match key.as_str() {
                    "event" => field(&mut map, &mut event, "event")?,
                    "id" => field(&mut map, &mut id, "id")?,
                    _ => keep(&mut map, &mut additional_properties, key)?,
                }
            }
            let Some(event) = event else { return Err(serde::de::Error::missing_field("event")) };
            Ok(Self { event, id: id.unwrap_or_default(), additional_properties })
        }
    }

    impl<'de> Deserialize<'de> for Typed {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_object(deserializer)
        }
    }

    /// An open payload whose extra properties are any JSON values.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    struct Untyped {
        event: String,
        #[serde(flatten)]
        additional_properties: serde_json::Map<String, serde_json::Value>,
    }

    impl Object for Untyped {
        const EXPECTING: &'static str = "struct Untyped";

        fn read<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
            let mut event = None;
            let mut additional_properties = Default::default();
            while let Some(key) = map.next_key::<Key<'de>>()? {
                match key.as_str() {
                    "event" => field(&mut map, &mut event, "event")?,
                    _ => keep(&mut map, &mut additional_properties, key)?,
                }
            }
            let Some(event) = event else { return Err(serde::de::Error::missing_field("event")) };
            Ok(Self { event, additional_properties })
        }
    }

    impl<'de> Deserialize<'de> for Untyped {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize_object(deserializer)
        }
    }

    #[derive(Debug, PartialEq)]
    enum Test {
        Typed(Typed),
        Untyped(Untyped),
        Unknown(UnknownEvent),
    }

    impl Discriminated for Test {
        fn deserialize_named<'de, A: MapAccess<'de>>(
            name: &str,
            map: A,
            parsed: &mut Option<Self>,
        ) -> Result<(), A::Error> {
            let payload = MapAccessDeserializer::new(map);
            *parsed = Some(match name {
                "typed" => Self::Typed(Deserialize::deserialize(payload)?),
                "untyped" => Self::Untyped(Deserialize::deserialize(payload)?),
                _ => return Ok(()),
            });
            Ok(())
        }

        fn unknown(event: UnknownEvent) -> Self {
            Self::Unknown(event)
        }
    }

    /// Parses `body` in the single pass of `from_slice` alone: an error where it would take the two-pass
    /// path.
    fn one_pass(body: &str) -> Result<Test, ParseError> {
        match single_pass::<Test>(body, "event") {
            (Ok(_), Some(event)) => Ok(event),
            _ => Err(ParseError::MissingEventName { property: "two-pass" }),
        }
    }

    #[test]
    fn typed_extra_numbers_round_trip_in_one_pass() {
        let body = r#"{"event":"typed","big":123456789012345678901234567890,"id":7,"f":0.250,"neg":-0.0,"e":1e-7}"#;
        let Test::Typed(parsed) = one_pass(body).unwrap() else { panic!("{body}") };
        assert_eq!(parsed.id, Some(7));
        let keys: Vec<&str> = parsed.additional_properties.keys().map(String::as_str).collect();
        assert_eq!(keys, ["big", "f", "neg", "e"]);
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#"{"event":"typed","id":7,"big":123456789012345678901234567890,"f":0.250,"neg":-0.0,"e":1e-7}"#,
            "declared fields first, then the others in the order they came, numbers as written"
        );
        // A typed extra property of the wrong type fails the payload at its own path.
        let err = parse_payload::<Typed>("typed", br#"{"event":"typed","id":1,"x":"one"}"#).unwrap_err();
        assert_eq!(err.path(), Some("x"), "{err}");
        assert!(err.to_string().contains("invalid type: string \"one\", expected a JSON number"), "{err}");
    }

    const NAMES: &[&str] = &["typed", "untyped"];

    /// `from_named`'s path reads the same payloads through the same map type, and any JSON for a name the
    /// module does not list.
    #[test]
    fn parse_named_reads_listed_webhooks_as_objects_and_others_as_any_json() {
        let Test::Typed(parsed) = parse_named::<Test>(NAMES, "typed", br#"{"id":7,"event":"typed","x":1}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!((parsed.event.as_str(), parsed.id), ("typed", Some(7)));
        let Test::Unknown(unknown) = parse_named::<Test>(NAMES, "other", b" [1,2]").unwrap() else { panic!() };
        assert_eq!((unknown.name.as_str(), unknown.body), ("other", serde_json::json!([1, 2])));
        let err = parse_named::<Test>(NAMES, "typed", b"[1]").unwrap_err();
        assert_eq!(err.path(), Some("."), "{err}");
        assert!(
            err.to_string().ends_with("invalid type: sequence, expected a JSON object at line 1 column 0"),
            "{err}"
        );
        let err = parse_named::<Test>(NAMES, "typed", br#"{"event":"typed","id":"7"}"#).unwrap_err();
        assert_eq!(err.path(), Some("id"), "{err}");
        // Nothing replayed: a second entry of a declared property is the payload's own duplicate field.
        let err = parse_named::<Test>(NAMES, "typed", br#"{"event":"typed","id":1,"event":"typed"}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate field `event`"), "{err}");
        let err = parse_named::<Test>(NAMES, "typed", br#"{"event":"typed""#).unwrap_err();
        assert!(matches!(err, ParseError::InvalidJson(_)), "{err:?}");
    }

    #[test]
    fn untyped_extras_keep_everything_in_one_pass() {
        let body = r#"{"event":"untyped","n":18446744073709551616,"o":{"z":1,"a":[1.0,null]},"event_ts":1}"#;
        let Test::Untyped(parsed) = one_pass(body).unwrap() else { panic!("{body}") };
        assert_eq!(parsed.event, "untyped", "the replayed name reaches the declared field");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), body);
        // Errors in a declared field of an open struct keep their path.
        let err = parse_payload::<Untyped>("untyped", br#"{"event":5,"x":1}"#).unwrap_err();
        assert_eq!(err.path(), Some("event"), "{err}");
    }
}
