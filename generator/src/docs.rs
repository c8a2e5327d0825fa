//! Spec descriptions to rustdoc-safe Markdown.
//!
//! Vendor descriptions are written for web renderers: bare URLs, `[text]` that rustdoc would read as an
//! intra-doc link, raw HTML such as `<br>` or `<aside>`, tab-indented lists that rustdoc would read as
//! code blocks (and then compile as doctests). The text is kept; only the syntax is made unambiguous.

/// Rewrites a description so rustdoc renders it without warnings and runs no doctest from it.
///
/// Returns `None` when nothing but whitespace is left.
pub fn sanitize(text: &str) -> Option<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<String> = None;
    // The content column of the list item being continued, so a lazy continuation line is indented
    // under its item rather than left at the margin.
    let mut list_item: Option<usize> = None;
    for raw in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        let line = raw.trim_end();
        let (indent, rest) = split_indent(line);
        if let Some(marker) = &fence {
            if rest.starts_with(marker.as_str())
                && rest.trim_start_matches(marker.chars().next().unwrap_or('`')).trim().is_empty()
            {
                fence = None;
            }
            out.push(line.to_owned());
            continue;
        }
        if let Some(marker) = fence_marker(rest) {
            // A fence without a language would be compiled as a Rust doctest.
            let info = rest[marker.len()..].trim();
            let info = if info.is_empty() || info.starts_with("rust") { "text" } else { info };
            out.push(format!("{}{marker}{info}", " ".repeat(indent.min(3))));
            fence = Some(marker);
            continue;
        }
        // Four columns of indentation would start an indented code block; three still nests lists.
        let body = escape_inline(rest);
        if body.is_empty() {
            list_item = None;
            out.push(String::new());
            continue;
        }
        let mut pad = indent.min(3);
        match list_marker_len(rest) {
            Some(marker) => list_item = Some(pad + marker),
            None => {
                if let Some(content) = list_item {
                    pad = pad.max(content);
                }
            }
        }
        for (i, part) in body.split('\n').enumerate() {
            let part_pad = if i == 0 { pad } else { list_item.unwrap_or(0) };
            out.push(format!("{}{}", " ".repeat(part_pad), part.trim_end()));
        }
    }
    if let Some(marker) = fence {
        out.push(marker);
    }
    // Collapse runs of blank lines and trim blank lines at both ends.
    let mut lines: Vec<String> = Vec::with_capacity(out.len());
    for line in out {
        if line.is_empty() && lines.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    if lines.is_empty() { None } else { Some(lines.join("\n")) }
}

/// Leading whitespace in columns (tabs to the next multiple of four) and the rest of the line.
fn split_indent(line: &str) -> (usize, &str) {
    let mut columns = 0;
    for (i, c) in line.char_indices() {
        match c {
            ' ' => columns += 1,
            '\t' => columns += 4 - columns % 4,
            _ => return (columns, &line[i..]),
        }
    }
    (columns, "")
}

/// The width of a list marker and its space (`* `, `- `, `+ `, `12. `) at the start of `rest`.
fn list_marker_len(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    if matches!(bytes.first(), Some(b'*' | b'-' | b'+')) && bytes.get(1) == Some(&b' ') {
        return Some(2);
    }
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if (1..=9).contains(&digits)
        && matches!(bytes.get(digits), Some(b'.' | b')'))
        && bytes.get(digits + 1) == Some(&b' ')
    {
        return Some(digits + 2);
    }
    None
}

fn fence_marker(rest: &str) -> Option<String> {
    for c in ['`', '~'] {
        let count = rest.chars().take_while(|&x| x == c).count();
        if count >= 3 {
            return Some(c.to_string().repeat(count));
        }
    }
    None
}

/// Escapes one line outside code fences. Inline code spans are copied as they are.
fn escape_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    while !rest.is_empty() {
        if rest.starts_with('`') {
            let ticks = rest.chars().take_while(|&c| c == '`').count();
            let marker = &rest[..ticks];
            if let Some(end) = rest[ticks..].find(marker) {
                let span_end = ticks + end + ticks;
                out.push_str(&rest[..span_end]);
                rest = &rest[span_end..];
                continue;
            }
            // An unmatched backtick is literal text; escape it so it cannot pair with a later one.
            out.push_str(&"\\`".repeat(ticks));
            rest = &rest[ticks..];
            continue;
        }
        if let Some(after) = strip_line_break_tag(rest) {
            out.push('\n');
            rest = after.trim_start();
            continue;
        }
        if let Some(link_len) = markdown_link_len(rest) {
            out.push_str(&rest[..link_len]);
            rest = &rest[link_len..];
            continue;
        }
        if let Some(autolink_len) = autolink_len(rest) {
            out.push_str(&rest[..autolink_len]);
            rest = &rest[autolink_len..];
            continue;
        }
        if let Some(url_len) = bare_url_len(rest) {
            out.push('<');
            out.push_str(&rest[..url_len]);
            out.push('>');
            rest = &rest[url_len..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' => out.push_str("&lt;"),
            '>' if out.trim().is_empty() => out.push('>'), // a block quote marker
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `<br>`, `<br/>`, `<br />` (any case) become line breaks.
fn strip_line_break_tag(rest: &str) -> Option<&str> {
    let lower = rest.get(..3)?.to_ascii_lowercase();
    if lower != "<br" {
        return None;
    }
    let end = rest.find('>')?;
    let inner = rest[3..end].trim();
    (inner.is_empty() || inner == "/").then(|| &rest[end + 1..])
}

/// The length of a `[text](target)` link at the start of `rest`, if there is one.
fn markdown_link_len(rest: &str) -> Option<usize> {
    if !rest.starts_with('[') {
        return None;
    }
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in rest.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let after = &rest[close + 1..];
    if !after.starts_with('(') {
        return None;
    }
    let target_end = after.find(')')?;
    let target = &after[1..target_end];
    if target.is_empty() || target.contains(char::is_whitespace) || reads_as_item_path(target) {
        return None;
    }
    // Link texts may hold their own inline markup but not further brackets we would have to escape.
    if rest[1..close].contains(['[', ']', '<', '>']) {
        return None;
    }
    Some(close + 1 + target_end + 1)
}

/// Whether rustdoc would resolve `target` as an intra-doc link to a Rust item rather than follow it as a
/// URL (its rule: only alphanumerics and `:_<>, !*&;@()`), as in Zoom's `[Marketplace app](http)`. Such a
/// link cannot resolve in generated code, so its brackets are escaped and the text kept as written.
fn reads_as_item_path(target: &str) -> bool {
    target.chars().all(|c| c.is_alphanumeric() || ":_<>, !*&;@()".contains(c))
}

/// The length of an autolink `<https://...>` at the start of `rest`.
fn autolink_len(rest: &str) -> Option<usize> {
    let inner = rest.strip_prefix('<')?;
    if !(inner.starts_with("http://") || inner.starts_with("https://") || inner.starts_with("mailto:")) {
        return None;
    }
    let end = inner.find('>')?;
    (!inner[..end].contains(char::is_whitespace)).then_some(end + 2)
}

/// The length of a bare `http(s)://` URL at the start of `rest`, without trailing punctuation.
fn bare_url_len(rest: &str) -> Option<usize> {
    if !(rest.starts_with("http://") || rest.starts_with("https://")) {
        return None;
    }
    let end =
        rest.find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '`' | '[' | ']')).unwrap_or(rest.len());
    let url = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '*', '_']);
    // Keep a closing parenthesis that belongs to the URL (`...wiki/Foo_(bar)`).
    let url_len = if url.matches('(').count() > url.matches(')').count() && rest[url.len()..].starts_with(')') {
        url.len() + 1
    } else {
        url.len()
    };
    (url_len > "https://".len()).then_some(url_len)
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    fn s(text: &str) -> String {
        sanitize(text).unwrap_or_default()
    }

    #[test]
    fn markdown_links_and_code_are_kept() {
        assert_eq!(
            s("See [E.164](https://en.wikipedia.org/wiki/E.164) `a[0]`"),
            "See [E.164](https://en.wikipedia.org/wiki/E.164) `a[0]`"
        );
    }

    #[test]
    fn bare_urls_become_autolinks() {
        assert_eq!(s("Docs: https://zoom.us/docs."), "Docs: <https://zoom.us/docs>.");
        assert_eq!(s("(see https://a.b/c_(d))"), "(see <https://a.b/c_(d)>)");
        assert_eq!(s("<https://a.b> stays"), "<https://a.b> stays");
    }

    #[test]
    fn brackets_that_are_not_links_are_escaped() {
        assert_eq!(s("values [a, b] or [ref]"), "values \\[a, b\\] or \\[ref\\]");
        assert_eq!(s("**[Scopes](https://x.y/z):** `a:b`"), "**[Scopes](https://x.y/z):** `a:b`");
    }

    #[test]
    fn links_whose_target_is_not_a_url_keep_their_text() {
        assert_eq!(s("for your [Marketplace app](http) with"), "for your \\[Marketplace app\\](http) with");
        assert_eq!(s("[guide](../guide.md) and [top](#top)"), "[guide](../guide.md) and [top](#top)");
    }

    #[test]
    fn html_is_escaped_and_line_breaks_kept() {
        assert_eq!(s("a<br>b<BR/>c"), "a\nb\nc");
        assert_eq!(s("<aside>Note</aside> x < y"), "&lt;aside&gt;Note&lt;/aside&gt; x &lt; y");
        assert_eq!(s("> quoted"), "> quoted");
    }

    #[test]
    fn indentation_never_makes_code_blocks() {
        assert_eq!(s("* item\n\t* nested\n\n        code?"), "* item\n   * nested\n\n   code?");
    }

    #[test]
    fn lazy_list_continuations_are_indented_under_their_item() {
        assert_eq!(s("* one\n* two\n Incorrect\n*.\n\nafter"), "* one\n* two\n  Incorrect\n  *.\n\nafter");
        assert_eq!(s("1. first\nmore"), "1. first\n   more");
    }

    #[test]
    fn fences_get_a_language_and_are_closed() {
        assert_eq!(s("```\nlet x = 1;\n```"), "```text\nlet x = 1;\n```");
        assert_eq!(s("```json\n{\"a\": [1]}"), "```json\n{\"a\": [1]}\n```");
    }

    #[test]
    fn blank_runs_collapse_and_empty_is_none() {
        assert_eq!(s("a\n\n\n\nb\n\n"), "a\n\nb");
        assert_eq!(sanitize(" \n\t\n"), None);
    }

    #[test]
    fn unmatched_backticks_are_escaped() {
        assert_eq!(s("a ` b"), "a \\` b");
    }
}
