//! The reading of open enums, for the `Deserialize` impls of generated enums.

/// Deserialization of open enums: a listed value becomes its variant, any other is kept in `Other`.
pub mod open_enum {
    use std::fmt;

    use serde::de::{self, Visitor};
    use serde::{Deserialize, Deserializer};

    use crate::private::Key;

    /// Reads a string: `known` maps listed values, `other` keeps the rest.
    ///
    /// The string is read as the keys of objects are ([`Key`], borrowed from the input when it can be),
    /// so every enum shares one copy of the deserializer's string reading instead of one per enum.
    pub fn string<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        K: FnOnce(&str) -> Option<T>,
        O: FnOnce(String) -> T,
    {
        // `match`, not `?`, here and below, as in `object::field`: no `Try` impls to compile per enum.
        match Key::deserialize(deserializer) {
            Ok(value) => Ok(match known(value.as_str()) {
                Some(listed) => listed,
                None => other(value.into_string()),
            }),
            Err(err) => Err(err),
        }
    }

    /// Reads an integer: `known` maps listed values, `other` keeps the rest. One copy of the
    /// deserializer's integer reading for every enum, as for strings.
    pub fn integer<'de, D, T, K, O>(deserializer: D, known: K, other: O) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        K: FnOnce(i64) -> Option<T>,
        O: FnOnce(i64) -> T,
    {
        match deserializer.deserialize_i64(IntegerVisitor) {
            Ok(value) => Ok(known(value).unwrap_or_else(|| other(value))),
            Err(err) => Err(err),
        }
    }

    /// An `i64`, where a larger unsigned integer is refused by name.
    struct IntegerVisitor;

    impl Visitor<'_> for IntegerVisitor {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
            Ok(value)
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
            i64::try_from(value)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &"an integer that fits in 64 bits"))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserializer;

    use super::open_enum;

    #[derive(Debug, PartialEq)]
    enum Status {
        Active,
        Other(String),
    }

    fn status<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Status, D::Error> {
        open_enum::string(deserializer, |value| (value == "active").then_some(Status::Active), Status::Other)
    }

    #[derive(Debug, PartialEq)]
    enum Level {
        One,
        Other(i64),
    }

    fn level<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Level, D::Error> {
        open_enum::integer(deserializer, |value| (value == 1).then_some(Level::One), Level::Other)
    }

    #[test]
    fn listed_strings_become_variants_and_others_are_kept_as_they_came() {
        let read = |json: &str| status(&mut serde_json::Deserializer::from_str(json)).map_err(|err| err.to_string());
        assert_eq!(read(r#""active""#), Ok(Status::Active));
        // Escaped, so not borrowed from the input: the same value.
        assert_eq!(read(r#""act\u0069ve""#), Ok(Status::Active));
        assert_eq!(read(r#""paused\n""#), Ok(Status::Other("paused\n".to_owned())));
        assert_eq!(read("1"), Err("invalid type: integer `1`, expected a string at line 1 column 1".to_owned()));
        // Any other deserializer reads the same way.
        assert_eq!(status(serde_json::json!("paused")).unwrap(), Status::Other("paused".to_owned()));
    }

    #[test]
    fn listed_integers_become_variants_and_others_are_kept() {
        let read = |json: &str| level(&mut serde_json::Deserializer::from_str(json)).map_err(|err| err.to_string());
        assert_eq!(read("1"), Ok(Level::One));
        assert_eq!(read("-7"), Ok(Level::Other(-7)));
        assert_eq!(read("9223372036854775807"), Ok(Level::Other(i64::MAX)));
        assert_eq!(
            read("9223372036854775808"),
            Err("invalid value: integer `9223372036854775808`, expected an integer that fits in 64 bits at line 1 column 19"
                .to_owned())
        );
        assert_eq!(
            read(r#""1""#),
            Err(r#"invalid type: string "1", expected an integer at line 1 column 3"#.to_owned())
        );
    }
}
