//! How schema keywords are read, including the tolerated readings of invalid values that real specs
//! contain (`type: long`, `format: datetime`, a schema that is just the string `"object"`).

/// The JSON Schema 2020-12 and OpenAPI keywords a schema may carry. Anything else that is not an `x-`
/// extension is reported, since it is usually a misplaced property (`property: {type: string}`).
const KNOWN_KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$comment",
    "$defs",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "definitions",
    "type",
    "enum",
    "const",
    "format",
    "title",
    "description",
    "default",
    "examples",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "nullable",
    "required",
    "properties",
    "additionalProperties",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "minProperties",
    "maxProperties",
    "items",
    "prefixItems",
    "contains",
    "minContains",
    "maxContains",
    "additionalItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "pattern",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "discriminator",
    "xml",
    "externalDocs",
];

/// Whether `keyword` is a schema keyword (or an extension) rather than something misplaced.
pub(super) fn is_known_keyword(keyword: &str) -> bool {
    keyword.starts_with("x-") || KNOWN_KEYWORDS.contains(&keyword)
}

/// The JSON Schema type a `type` value means. Exact names read as themselves; common misspellings
/// from other type systems read as the JSON type they obviously mean, flagged so the caller warns.
pub(super) fn read_type(raw: &str) -> Option<(&'static str, bool)> {
    let exact = match raw {
        "object" => Some("object"),
        "array" => Some("array"),
        "string" => Some("string"),
        "integer" => Some("integer"),
        "number" => Some("number"),
        "boolean" => Some("boolean"),
        "null" => Some("null"),
        _ => None,
    };
    if let Some(exact) = exact {
        return Some((exact, false));
    }
    let lower = raw.trim().to_ascii_lowercase();
    let alias = match lower.as_str() {
        "long" | "int" | "int32" | "int64" | "short" | "uint" | "uint32" | "uint64" => "integer",
        "float" | "double" | "decimal" => "number",
        "bool" => "boolean",
        "str" | "text" | "datetime" | "date-time" | "date" => "string",
        "map" | "dict" | "dictionary" => "object",
        "list" => "array",
        // Zoom writes `enum, country┃states┃...` for a string whose values it lists in prose.
        _ if lower.starts_with("enum") => "string",
        _ => return None,
    };
    Some((alias, true))
}

/// The string formats of JSON Schema and OpenAPI; others are kept as strings with a warning.
const STRING_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
    "byte",
    "binary",
    "password",
    "char",
];

/// Whether a string `format` is standard.
pub(super) fn is_known_string_format(format: &str) -> bool {
    STRING_FORMATS.contains(&format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_types_are_not_aliases() {
        assert_eq!(read_type("integer"), Some(("integer", false)));
        assert_eq!(read_type("null"), Some(("null", false)));
    }

    #[test]
    fn invalid_types_with_an_obvious_meaning() {
        assert_eq!(read_type("long"), Some(("integer", true)));
        assert_eq!(read_type("enum, country┃states┃city"), Some(("string", true)));
        assert_eq!(read_type("Double"), Some(("number", true)));
        assert_eq!(read_type("thing"), None);
    }

    #[test]
    fn keywords() {
        assert!(is_known_keyword("readOnly"));
        assert!(is_known_keyword("x-enum-descriptions"));
        assert!(!is_known_keyword("property"));
    }
}
