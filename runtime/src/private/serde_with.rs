//! The reading of open enums, for the `Deserialize` impls of generated enums.

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
