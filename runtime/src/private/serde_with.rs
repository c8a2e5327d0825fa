//! The `with` and `deserialize_with` functions of generated fields: optional properties that may be
//! `null`, open enums, and the typed extra properties of open structs.

/// Serde glue for optional properties that may also be `null`: `Option<Option<T>>` where the outer
/// `None` is an absent property (skipped when writing) and `Some(None)` an explicit `null`.
pub mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `Some(Some(value))` as the value and `Some(None)` as `null` (`None` is skipped by the field).
    pub fn serialize<T: Serialize, S: Serializer>(value: &Option<Option<T>>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(Some(value)) => value.serialize(serializer),
            _ => serializer.serialize_none(),
        }
    }

    /// Reads a present property: `null` as `Some(None)`, a value as `Some(Some(value))`.
    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Deserialization of open enums: a listed value becomes its variant, any other is kept in `Other`.
pub mod open_enum {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::Deserializer;
    use serde::de::{self, Visitor};

    /// Reads a string: `known` maps listed values, `other` keeps the rest.
    pub fn string<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        K: FnOnce(&str) -> Option<T>,
        O: FnOnce(String) -> T,
    {
        deserializer.deserialize_str(StringVisitor { known, other, marker: PhantomData })
    }

    /// Reads an integer: `known` maps listed values, `other` keeps the rest.
    pub fn integer<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
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

/// Deserialization of the typed properties an open struct keeps beyond the ones it declares (its
/// schema's `additionalProperties` gives their type).
///
/// The field is `#[serde(flatten)]`, so serde hands it the undeclared entries from a buffer; a typed
/// value with numbers cannot be read back from that buffer when `serde_json` keeps numbers exactly
/// (`arbitrary_precision`, serde-rs/serde#1183). Each entry is read as a `serde_json::Value` first,
/// which that buffer does give back exactly, and then as its type.
pub mod additional_properties {
    use serde::de::{DeserializeOwned, Error};
    use serde::{Deserialize, Deserializer};

    /// Reads the undeclared entries serde hands a flattened field, each as its type `T`.
    pub fn deserialize<'de, D, T>(deserializer: D) -> Result<indexmap::IndexMap<String, T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        let entries = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut typed = indexmap::IndexMap::with_capacity(entries.len());
        for (key, value) in entries {
            let value = serde_json::from_value(value)
                .map_err(|err| D::Error::custom(format_args!("additional property `{key}`: {err}")))?;
            typed.insert(key, value);
        }
        Ok(typed)
    }
}
