//! JSON pointers (RFC 6901): building them while walking a document and resolving `$ref` targets.

use std::fmt;

use serde_json::Value;

/// A JSON pointer into a spec document, such as `/webhooks/new_pet/post/requestBody`.
///
/// Kept in its escaped string form, which is what error messages and warnings show.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// The pointer to the document root (the empty string).
    pub fn root() -> Self {
        Self(String::new())
    }

    /// Parses the fragment of a local reference (`#/components/schemas/Pet`) into a pointer.
    ///
    /// Returns `None` for references that leave the document (`other.yaml#/Pet`) or are not pointers.
    pub fn from_local_ref(reference: &str) -> Option<Self> {
        let fragment = reference.strip_prefix('#')?;
        let decoded = percent_decode(fragment)?;
        if decoded.is_empty() || decoded.starts_with('/') { Some(Self(decoded)) } else { None }
    }

    /// This pointer extended by one reference token (escaped here, so pass the raw key).
    pub fn push(&self, token: &str) -> Self {
        let mut pointer = String::with_capacity(self.0.len() + token.len() + 1);
        pointer.push_str(&self.0);
        pointer.push('/');
        for c in token.chars() {
            match c {
                '~' => pointer.push_str("~0"),
                '/' => pointer.push_str("~1"),
                _ => pointer.push(c),
            }
        }
        Self(pointer)
    }

    /// This pointer extended by an array index.
    pub fn index(&self, index: usize) -> Self {
        Self(format!("{}/{index}", self.0))
    }

    /// The escaped pointer text (empty for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unescaped reference tokens, outermost first.
    pub fn tokens(&self) -> impl Iterator<Item = String> + '_ {
        self.0.split('/').skip(1).map(unescape)
    }

    /// The value this pointer designates in `root`, if any.
    pub fn resolve<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        if self.0.is_empty() {
            return Some(root);
        }
        root.pointer(&self.0)
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The root is shown as `/` rather than an empty string so messages stay readable.
        if self.0.is_empty() { f.write_str("/") } else { f.write_str(&self.0) }
    }
}

/// One reference token as written in a pointer (`a~1b`) to the key it stands for (`a/b`).
pub(crate) fn unescape(token: &str) -> String {
    if token.contains('~') { token.replace("~1", "/").replace("~0", "~") } else { token.to_owned() }
}

/// Decodes `%XX` escapes, which URI fragments may use (`#/paths/~1pets%7Bid%7D`).
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_escapes_slash_and_tilde() {
        let pointer = JsonPointer::root().push("paths").push("a/b~c");
        assert_eq!(pointer.as_str(), "/paths/a~1b~0c");
        assert_eq!(pointer.tokens().collect::<Vec<_>>(), ["paths", "a/b~c"]);
    }

    #[test]
    fn local_refs_resolve_with_escapes() {
        let doc = json!({"paths": {"a.b": {"post": {"content": {"application/json": {"x": 1}}}}}});
        let pointer = JsonPointer::from_local_ref("#/paths/a.b/post/content/application~1json/x").unwrap();
        assert_eq!(pointer.resolve(&doc), Some(&json!(1)));
        let percent = JsonPointer::from_local_ref("#/paths/a%2Eb/post").unwrap();
        assert!(percent.resolve(&doc).is_some());
    }

    #[test]
    fn external_and_malformed_refs_are_not_local() {
        assert_eq!(JsonPointer::from_local_ref("other.yaml#/Pet"), None);
        assert_eq!(JsonPointer::from_local_ref("#Pet"), None);
        assert_eq!(JsonPointer::from_local_ref("#/a%zz"), None);
        assert_eq!(JsonPointer::from_local_ref("#"), Some(JsonPointer::root()));
    }

    #[test]
    fn root_displays_as_slash() {
        assert_eq!(JsonPointer::root().to_string(), "/");
        assert_eq!(JsonPointer::root().index(3).to_string(), "/3");
    }
}
