//! The JSON of a webhook posted as a form: one field of a `multipart/form-data` body (Dropbox Sign's
//! `json`) or of an `application/x-www-form-urlencoded` body (GitHub's and Slack's `payload`).
//!
//! The encoding is read from the body itself, so the generated code needs no request header: a multipart
//! body starts with its boundary line (`--<boundary>` and CRLF); anything else is read as url-encoded.
//! Both readers take linear time in the body's length and never panic.

use std::borrow::Cow;

use crate::ParseError;

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY: usize = 70;

/// The value of the form field `field` in `body`, a multipart or url-encoded form.
///
/// # Errors
///
/// [`ParseError::MissingFormField`] when the form has no such field, [`ParseError::InvalidForm`] when the
/// multipart body is malformed or the field is given more than once.
pub fn form_field<'a>(body: &'a [u8], field: &'static str) -> Result<Cow<'a, [u8]>, ParseError> {
    match multipart_boundary(body) {
        Some(boundary) => multipart_field(body, boundary, field).map(Cow::Borrowed),
        None => urlencoded_field(body, field),
    }
}

/// The boundary of a multipart body: its first line, `--<boundary>` and CRLF (transport padding after
/// the boundary is allowed), when the body starts that way.
fn multipart_boundary(body: &[u8]) -> Option<&[u8]> {
    let rest = body.strip_prefix(b"--")?;
    let line_end = find(rest.get(..rest.len().min(MAX_BOUNDARY + 80))?, b"\r\n")?;
    let boundary = trim_end_blanks(&rest[..line_end]);
    (!boundary.is_empty() && boundary.len() <= MAX_BOUNDARY).then_some(boundary)
}

fn multipart_field<'a>(body: &'a [u8], boundary: &[u8], field: &'static str) -> Result<&'a [u8], ParseError> {
    let invalid = |reason| ParseError::InvalidForm { field, reason };
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"\r\n--");
    delimiter.extend_from_slice(boundary);
    // The body as it would be if the first boundary line were preceded by a CRLF, as every other is: each
    // part then starts right after a delimiter.
    let mut rest = &body[2 + boundary.len()..];
    let mut found = None;
    loop {
        // After a delimiter: `--` closes the body; otherwise padding, CRLF, and a part.
        if rest.starts_with(b"--") {
            break;
        }
        let line_end = find(rest, b"\r\n").ok_or_else(|| invalid("a boundary line does not end in CRLF"))?;
        if !trim_end_blanks(&rest[..line_end]).is_empty() {
            return Err(invalid("a boundary line has text after the boundary"));
        }
        let part = &rest[line_end + 2..];
        let end = find(part, &delimiter).ok_or_else(|| invalid("a part is not closed by the boundary"))?;
        let (headers, content) = split_part(&part[..end]).ok_or_else(|| invalid("a part's headers do not end"))?;
        if part_name(headers).is_some_and(|name| name == field.as_bytes()) {
            if found.is_some() {
                return Err(invalid("the field is given more than once"));
            }
            found = Some(content);
        }
        rest = &part[end + delimiter.len()..];
    }
    found.ok_or(ParseError::MissingFormField { field })
}

/// A part's headers and content, split at the first empty line (a part without headers starts with it).
fn split_part(part: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(content) = part.strip_prefix(b"\r\n") {
        return Some((&[], content));
    }
    let end = find(part, b"\r\n\r\n")?;
    Some((&part[..end], &part[end + 4..]))
}

/// The `name` parameter of a part's `Content-Disposition: form-data` header, unquoted.
fn part_name(headers: &[u8]) -> Option<Cow<'_, [u8]>> {
    let value = headers.split(|&byte| byte == b'\n').find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&byte| byte == b':')?;
        line[..colon].trim_ascii().eq_ignore_ascii_case(b"content-disposition").then(|| &line[colon + 1..])
    })?;
    let mut params = Params { rest: value };
    if !params.next_item()?.eq_ignore_ascii_case(b"form-data") {
        return None;
    }
    while let Some(param) = params.next_item() {
        let Some(equals) = param.iter().position(|&byte| byte == b'=') else { continue };
        if param[..equals].trim_ascii().eq_ignore_ascii_case(b"name") {
            return Some(unquote(param[equals + 1..].trim_ascii()));
        }
    }
    None
}

/// The `;`-separated items of a header value, a quoted string read as one (a `;` in it separates
/// nothing).
struct Params<'a> {
    rest: &'a [u8],
}

impl<'a> Params<'a> {
    fn next_item(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (mut quoted, mut escaped) = (false, false);
        let mut end = self.rest.len();
        for (i, &byte) in self.rest.iter().enumerate() {
            match byte {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' => quoted = !quoted,
                b';' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let item = &self.rest[..end];
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        Some(item.trim_ascii())
    }
}

/// A parameter value without its quotes and with `\` escapes undone; a token as it is.
fn unquote(value: &[u8]) -> Cow<'_, [u8]> {
    let Some(inner) = value.strip_prefix(b"\"").and_then(|value| value.strip_suffix(b"\"")) else {
        return Cow::Borrowed(value);
    };
    if !inner.contains(&b'\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &byte in inner {
        if byte == b'\\' && !escaped {
            escaped = true;
        } else {
            out.push(byte);
            escaped = false;
        }
    }
    Cow::Owned(out)
}

fn urlencoded_field<'a>(body: &'a [u8], field: &'static str) -> Result<Cow<'a, [u8]>, ParseError> {
    let mut found = None;
    for (name, value) in form_urlencoded::parse(body) {
        if name == field {
            if found.is_some() {
                return Err(ParseError::InvalidForm { field, reason: "the field is given more than once" });
            }
            found = Some(value);
        }
    }
    match found {
        Some(Cow::Borrowed(value)) => Ok(Cow::Borrowed(value.as_bytes())),
        Some(Cow::Owned(value)) => Ok(Cow::Owned(value.into_bytes())),
        None => Err(ParseError::MissingFormField { field }),
    }
}

/// Where `needle` first occurs in `haystack`. The needles here are a boundary delimiter (at most 74
/// bytes) or a line end, so this is linear in the haystack's length.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn trim_end_blanks(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&byte| byte != b' ' && byte != b'\t').map_or(0, |i| i + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(body: &[u8], name: &'static str) -> Result<String, ParseError> {
        form_field(body, name).map(|value| String::from_utf8(value.into_owned()).unwrap())
    }

    /// As curl posts a form (Dropbox Sign's deliveries look the same): the boundary line is `--` and the
    /// boundary, which starts with dashes of its own.
    const DROPBOX_SIGN: &[u8] = concat!(
        "--------------------------5d3e1c\r\n",
        "Content-Disposition: form-data; name=\"json\"\r\n",
        "\r\n",
        "{\"event\":{\"event_type\":\"callback_test\"}}\r\n",
        "--------------------------5d3e1c--\r\n",
    )
    .as_bytes();

    #[test]
    fn multipart_field_is_the_part_content_up_to_the_delimiter() {
        assert_eq!(field(DROPBOX_SIGN, "json").unwrap(), r#"{"event":{"event_type":"callback_test"}}"#);
    }

    #[test]
    fn multipart_keeps_line_breaks_inside_the_content_and_skips_other_parts() {
        let body = b"--b\r\n\
Content-Disposition: form-data; name=\"other\"\r\n\r\n\
x\r\n\
--b\r\n\
content-type: application/json\r\n\
CONTENT-DISPOSITION: Form-Data ; filename=\"a;name=b.json\" ; NAME = \"json\"\r\n\
\r\n\
{\"a\":\r\n1}\r\n\r\n\
--b--";
        assert_eq!(field(body, "json").unwrap(), "{\"a\":\r\n1}\r\n");
        assert_eq!(field(body, "other").unwrap(), "x");
    }

    #[test]
    fn multipart_names_may_be_tokens_or_quoted_with_escapes() {
        let body = b"--b\r\nContent-Disposition: form-data; name=json\r\n\r\n{}\r\n--b\r\n\
Content-Disposition: form-data; name=\"say \\\"hi\\\"\"\r\n\r\nhi\r\n--b--\r\n";
        assert_eq!(field(body, "json").unwrap(), "{}");
        assert_eq!(field(body, "say \"hi\"").unwrap(), "hi");
    }

    #[test]
    fn a_boundary_that_looks_like_the_content_only_ends_it_after_a_crlf() {
        let body = b"--ab\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n\"--ab--ab\"\r\n--ab--\r\n";
        assert_eq!(field(body, "json").unwrap(), "\"--ab--ab\"");
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = form_field(DROPBOX_SIGN, "payload").unwrap_err();
        assert!(matches!(err, ParseError::MissingFormField { field: "payload" }), "{err:?}");
        assert_eq!(err.to_string(), "the form body has no `payload` field");
        let err = form_field(b"a=1&b=2", "json").unwrap_err();
        assert!(matches!(err, ParseError::MissingFormField { field: "json" }), "{err:?}");
    }

    #[test]
    fn malformed_multipart_bodies_are_errors() {
        let cases: [(&[u8], &str); 5] = [
            (b"--b\r\nContent-Disposition: form-data; name=\"json\"\r\n\r\n{}", "a part is not closed by the boundary"),
            (b"--b\r\nContent-Disposition: form-data; name=\"json\"", "a part is not closed by the boundary"),
            (b"--b\r\nContent-Disposition: form-data; name=\"json\"\r\n{}\r\n--b--", "a part's headers do not end"),
            (b"--b\r\n\r\n{}\r\n--bx\r\n\r\n\r\n--b--", "a boundary line has text after the boundary"),
            (b"--b\r\n\r\n{}\r\n--b", "a boundary line does not end in CRLF"),
        ];
        for (body, reason) in cases {
            match form_field(body, "json") {
                Err(ParseError::InvalidForm { field: "json", reason: got }) => assert_eq!(got, reason),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
        let twice = b"--b\r\nContent-Disposition: form-data; name=json\r\n\r\n1\r\n--b\r\n\
Content-Disposition: form-data; name=json\r\n\r\n2\r\n--b--";
        let err = form_field(twice, "json").unwrap_err();
        assert_eq!(err.to_string(), "the form body's `json` field cannot be read: the field is given more than once");
    }

    #[test]
    fn urlencoded_values_are_decoded() {
        let body = b"token=abc&payload=%7B%22action%22%3A%22opened%22%2C%22text%22%3A%22a+b%2Bc%22%7D";
        assert_eq!(field(body, "payload").unwrap(), r#"{"action":"opened","text":"a b+c"}"#);
        assert_eq!(field(b"json=%7B%7D", "json").unwrap(), "{}");
        assert!(matches!(form_field(b"json=1&json=2", "json"), Err(ParseError::InvalidForm { .. })));
    }

    #[test]
    fn a_plain_value_is_borrowed() {
        assert!(matches!(form_field(b"a=1&json={}", "json"), Ok(Cow::Borrowed(b"{}"))));
        assert!(matches!(form_field(DROPBOX_SIGN, "json"), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn a_body_that_is_no_multipart_is_read_as_urlencoded() {
        // No CRLF after the dashes, or a boundary longer than RFC 2046 allows.
        assert!(matches!(form_field(b"--json=1", "--json"), Ok(value) if *value == *b"1"));
        let long = format!("--{}\r\n\r\n{{}}\r\n", "b".repeat(MAX_BOUNDARY + 1));
        assert!(matches!(form_field(long.as_bytes(), "json"), Err(ParseError::MissingFormField { .. })));
    }

    /// Many delimiters and near-delimiters: every byte is looked at a bounded number of times.
    #[test]
    fn adversarial_bodies_end() {
        let boundary = "x".repeat(MAX_BOUNDARY);
        let mut body = format!("--{boundary}\r\n");
        for _ in 0..20_000 {
            body.push_str(&format!("\r\n\r\n--{}\r\n--{boundary}\r\n", &boundary[1..]));
        }
        body.push_str(&format!("\r\n--{boundary}--"));
        assert!(form_field(body.as_bytes(), "json").is_err());
        assert!(form_field(&b"%".repeat(100_000), "json").is_err());
    }
}
