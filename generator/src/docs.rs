//! Spec text to rustdoc-safe Markdown.
//!
//! Vendor descriptions are written for web renderers: bare URLs, `[text]` that rustdoc would read as an
//! intra-doc link, raw HTML such as `<br>` or `<aside>`, tab-indented lists that rustdoc would read as
//! code blocks (and then compile as doctests). [`sanitize`] keeps the text and makes only the syntax
//! unambiguous; [`code_span`] and [`inline_text`] put names and titles on one line of prose.
//!
//! Whatever the spec holds, no doc text the generator writes can be a doctest: every item's docs pass
//! through [`without_doctests`] on their way out, which turns each code block into a `text` block, checks
//! the result with the Markdown parser rustdoc uses, and escapes every line if a testable block is left.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag};

use crate::error::MAX_QUOTED_CHARS;

/// The info string every code block in generated docs gets: rustdoc neither compiles nor runs it.
const INERT_INFO: &str = "text";

/// The Markdown extensions rustdoc turns on for the main body of docs (`main_body_opts` in rustdoc).
fn rustdoc_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_SMART_PUNCTUATION
}

/// The one way doc text leaves the generator: the whole doc text of one item, made so rustdoc finds no
/// code block it would compile or run in it.
///
/// Line ends become `\n` and other control characters spaces; the common indentation is removed (as
/// rustdoc does before parsing, so it cannot turn an indented block into a fence); every fenced code block,
/// at any nesting, gets the info string `text`. The result is then parsed the way rustdoc parses it; if any
/// code block other than a `text` fence is left (an indented code block, or a fence the rewrite missed),
/// every line is escaped instead, which leaves nothing but paragraphs.
pub fn without_doctests(text: &str) -> String {
    let text = dedent(&normalize_controls(text));
    if cannot_hold_code_block(&text) {
        return text;
    }
    match retag_fences(&text) {
        // Nothing to retag: the parse that looked for fences saw every code block of this very text.
        Some(Retagged::Unchanged { testable }) if !testable => return text,
        Some(Retagged::Changed(retagged)) if !has_testable_code_block(&retagged) => return retagged,
        _ => {}
    }
    escape_every_line(&text)
}

/// Whether `text` holds no code block whatever else its Markdown says, so most doc text is not parsed: a
/// fence opens with a run of three backticks or tildes, and an indented code block needs four columns of
/// indentation inside its container (after any `>` or list marker, whose content column is counted in
/// spaces), which takes a tab or four spaces in a row.
fn cannot_hold_code_block(text: &str) -> bool {
    !text.contains("```") && !text.contains("~~~") && !text.contains('\t') && !text.contains("    ")
}

/// Whether rustdoc would read a code block in `text` that is not a `text` fence (so might test it).
pub fn has_testable_code_block(text: &str) -> bool {
    Parser::new_ext(text, rustdoc_options()).any(|event| match event {
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => &*info != INERT_INFO,
        Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => true,
        _ => false,
    })
}

/// `name` as an inline code span on one line, whatever it holds: line breaks and other control characters
/// become spaces, and the backtick run around it is longer than any inside it.
///
/// A name longer than [`MAX_QUOTED_CHARS`] characters is cut there, with `...` after the span.
pub fn code_span(name: &str) -> String {
    let (name, cut) = excerpt(name);
    let name = one_line(name);
    let mut longest = 0;
    let mut run = 0;
    for c in name.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let ticks = "`".repeat(longest + 1);
    // One space on each side is stripped by Markdown, so a span may start or end with a backtick.
    let padded = name.starts_with('`')
        || name.ends_with('`')
        || (name.starts_with(' ') && name.ends_with(' ') && !name.trim().is_empty());
    let span = if name.is_empty() {
        "` `".to_owned()
    } else if padded {
        format!("{ticks} {name} {ticks}")
    } else {
        format!("{ticks}{name}{ticks}")
    };
    if cut { format!("{span}...") } else { span }
}

/// The first [`MAX_QUOTED_CHARS`] characters of `text`, and whether that is not all of it.
fn excerpt(text: &str) -> (&str, bool) {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// `text` (a title, a version) as plain prose on one line: control characters become spaces and the
/// characters Markdown gives a meaning to are escaped, so it can start a line or fill a table cell.
///
/// A text longer than 200 characters (`MAX_QUOTED_CHARS`) is cut there and ends in `...`.
pub fn inline_text(text: &str) -> String {
    let (text, cut) = excerpt(text);
    let text = one_line(text);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(text.len() + 8);
    let chars: Vec<char> = text.chars().collect();
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    // `1.` or `1)` starts an ordered list only when a space or the end of the line follows.
    let list_number = digits > 0 && chars.get(digits + 1).is_none_or(|&c| c == ' ');
    for (i, &c) in chars.iter().enumerate() {
        // Anywhere: inline markup, HTML, table cells. At the start: block markers (`#`, `>`, `-`, `+`,
        // `=`, `1.`, `1)`).
        let markup =
            matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '{' | '}' | '&' | '!');
        let block_start =
            (i == 0 && matches!(c, '-' | '+' | '=' | ':')) || (list_number && i == digits && matches!(c, '.' | ')'));
        if markup || block_start {
            out.push('\\');
        }
        out.push(c);
    }
    if cut {
        out.push_str("...");
    }
    out
}

/// `text` with every control character, line breaks included, replaced by a space.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Line ends as `\n`; tabs kept; any other control character (rustc refuses a bare CR in a doc comment)
/// a space.
fn normalize_controls(text: &str) -> String {
    // Most doc text has no control character but line feeds: it is kept as it is.
    if !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| if c.is_control() && c != '\n' && c != '\t' { ' ' } else { c })
        .collect()
}

/// `text` with leading tabs expanded and the indentation every non-blank line shares removed.
fn dedent(text: &str) -> String {
    // No line indented: nothing to expand or remove.
    if !text.split('\n').any(|line| line.starts_with([' ', '\t'])) {
        return text.to_owned();
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let (columns, rest) = split_indent(line);
            if rest.is_empty() { String::new() } else { format!("{}{rest}", " ".repeat(columns)) }
        })
        .collect();
    let common =
        lines.iter().filter(|line| !line.is_empty()).map(|line| line.len() - line.trim_start_matches(' ').len()).min();
    let common = common.unwrap_or(0);
    lines.iter().map(|line| line.get(common..).unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// What [`retag_fences`] did to a text.
enum Retagged {
    /// No fence needed a new info string; `testable` says whether the text has a code block rustdoc
    /// might test (an indented one: every fence is a `text` fence).
    Unchanged { testable: bool },
    /// The text with its fences retagged, to be parsed again.
    Changed(String),
}

/// `text` with the info string of every fenced code block that is not exactly `text` replaced by `text`,
/// wherever the block is (in list items, block quotes). `None` when a fence is not where the parser says.
fn retag_fences(text: &str) -> Option<Retagged> {
    let mut info_ranges = Vec::new();
    let mut indented = false;
    for (event, range) in Parser::new_ext(text, rustdoc_options()).into_offset_iter() {
        let info = match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => info,
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                indented = true;
                continue;
            }
            _ => continue,
        };
        if &*info == INERT_INFO {
            continue;
        }
        let opening = &text[range.start..];
        let opening = &opening[..opening.find('\n').unwrap_or(opening.len())];
        let indent = opening.len() - opening.trim_start_matches([' ', '\t']).len();
        let fence_char = opening[indent..].chars().next()?;
        if fence_char != '`' && fence_char != '~' {
            return None;
        }
        let fence_len = opening[indent..].chars().take_while(|&c| c == fence_char).count();
        let start = range.start + indent + fence_len;
        info_ranges.push(start..range.start + opening.len());
    }
    if info_ranges.is_empty() {
        return Some(Retagged::Unchanged { testable: indented });
    }
    let mut out = text.to_owned();
    for range in info_ranges.into_iter().rev() {
        out.replace_range(range, INERT_INFO);
    }
    Some(Retagged::Changed(out))
}

/// The form that cannot hold a code block: each line without its indentation and with every ASCII
/// punctuation character backslash-escaped, so no line starts a fence, a list, a quote or anything else.
fn escape_every_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for c in line.trim().chars() {
            if c.is_ascii_punctuation() {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Rewrites a description so rustdoc renders it without warnings and runs no doctest from it (every
/// fence it finds gets the info string `text`; [`without_doctests`] makes sure of the rest).
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
            // Rustdoc compiles or runs a fence unless its info string says it is not Rust; `text` does,
            // whatever the spec wrote there.
            out.push(format!("{}{marker}{INERT_INFO}", " ".repeat(indent.min(3))));
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

/// Doc texts built to become doctests in every way rustdoc finds one: every fence form and info string it
/// reads as Rust, at every indentation, inside list items and block quotes, indented code blocks, every
/// line end, unclosed fences. Each code line is `code` so a test can also check that the text is kept.
#[cfg(test)]
pub(crate) fn hostile_docs() -> Vec<String> {
    let fences = ["```", "````", "~~~", "~~~~~"];
    let infos = [
        "",
        "rust",
        "edition2015",
        "edition2018",
        "edition2021",
        "edition2024",
        "should_panic",
        "no_run",
        "compile_fail",
        "test_harness",
        "standalone_crate",
        "ignore",
        "ignore-x86_64",
        "rust,no_run",
        "should_panic,edition2021",
        "rust standalone_crate",
        "{.rust}",
        "{.rust .should_panic}",
        "{.text}",
        " rust",
        "text,rust",
        "textrust",
        "TEXT",
    ];
    let indents = ["", " ", "  ", "   ", "\t"];
    let containers: [(&str, &str); 6] =
        [("", ""), ("* ", "  "), ("1. ", "   "), ("> ", "> "), ("> * ", ">   "), ("- a\n\n  ", "  ")];
    let mut docs = Vec::new();
    for fence in fences {
        for info in infos {
            for indent in indents {
                for (first, rest) in containers {
                    docs.push(format!(
                        "Intro.\n\n{first}{indent}{fence}{info}\n{rest}{indent}code\n{rest}{indent}{fence}\n"
                    ));
                    // Unclosed.
                    docs.push(format!("{first}{indent}{fence}{info}\n{rest}code"));
                }
            }
        }
    }
    for block in [
        "para\n\n    code",
        "\tcode",
        "    code",
        "* item\n\n      code",
        "1. item\n\n       code",
        "> \tcode",
        ">     code",
        "> * item\n>\n>       code",
        "    a\n    b\n\n        code",
        "\t\tcode",
        "   \tcode",
        "- - - ```rust\n      code",
        "<div>\n\n```rust\ncode\n```\n\n</div>",
        "| a |\n|---|\n| b |\n\n```rust\ncode\n```",
        "[^1]\n\n[^1]: note\n\n    ```rust\n    code\n    ```",
    ] {
        docs.push(block.to_owned());
    }
    let with_line_ends: Vec<String> =
        docs.iter().flat_map(|doc| [doc.replace('\n', "\r\n"), doc.replace('\n', "\r")]).collect();
    docs.extend(with_line_ends);
    docs
}

#[cfg(test)]
mod tests {
    use super::{
        cannot_hold_code_block, code_span, has_testable_code_block, hostile_docs, inline_text, sanitize,
        without_doctests,
    };

    fn s(text: &str) -> String {
        sanitize(text).unwrap_or_default()
    }

    /// Text the fence rewrite leaves as it is is judged by the parse that looked for fences: kept when
    /// its only code blocks are `text` fences, escaped when it has an indented one.
    #[test]
    fn text_without_fences_to_retag_is_judged_by_one_parse() {
        assert_eq!(without_doctests("Plain `code` and *words*."), "Plain `code` and *words*.");
        assert_eq!(without_doctests("a\n\n```text\nlet x = 1;\n```"), "a\n\n```text\nlet x = 1;\n```");
        assert_eq!(without_doctests("a\n\n    let x = 1;"), "a\n\nlet x \\= 1\\;");
        assert_eq!(without_doctests("a\n\n```\nlet x = 1;\n```"), "a\n\n```text\nlet x = 1;\n```");
    }

    /// Every text of two lines built from container markers, indentation and the starts of fences
    /// and code that the quick check lets through has no code block for rustdoc's parser either; and the
    /// check lets none through that has one.
    #[test]
    fn text_the_quick_check_passes_has_no_code_block() {
        let prefixes =
            ["", " ", "  ", "   ", "> ", ">  ", ">   ", "- ", "-  ", "-   ", "1. ", "1.  ", "10)   ", "* > ", "> - "];
        let bodies = ["code", "``", "~~", "`x`", "- x", "> x", "", "<pre>x</pre>", "  ", "[a]: b", "# h", "a |b"];
        let lines: Vec<String> =
            prefixes.iter().flat_map(|prefix| bodies.iter().map(move |body| format!("{prefix}{body}"))).collect();
        let mut passed = 0;
        for first in &lines {
            for second in &lines {
                for gap in ["\n", "\n\n"] {
                    let text = format!("{first}{gap}{second}");
                    if cannot_hold_code_block(&text) {
                        passed += 1;
                        assert!(!has_testable_code_block(&text), "{text:?}");
                    }
                }
            }
        }
        assert!(passed > 10_000, "{passed}");
        // Each thing the check looks for can start a code block.
        for text in ["a\n\n```\nx\n```", "~~~\nx\n~~~", "a\n\n\tx", "a\n\n    x", "- a\n\n      x", ">     x"] {
            assert!(!cannot_hold_code_block(text), "{text:?}");
            assert!(has_testable_code_block(text), "{text:?}");
        }
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
        assert_eq!(s("```json\n{\"a\": [1]}"), "```text\n{\"a\": [1]}\n```");
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

    #[test]
    fn every_hostile_doc_is_a_doctest_before_and_none_after() {
        let docs = hostile_docs();
        assert!(docs.len() > 5000, "{}", docs.len());
        let mut testable_before = 0;
        for doc in &docs {
            if has_testable_code_block(&doc.replace("\r\n", "\n").replace('\r', "\n")) {
                testable_before += 1;
            }
            let out = without_doctests(doc);
            assert!(!has_testable_code_block(&out), "{doc:?} gave {out:?}");
            assert!(out.contains("code"), "{doc:?} lost its text: {out:?}");
            assert!(!out.contains('\r'), "{out:?}");
            // Also after the description rewrite, which is how descriptions reach it.
            let described = without_doctests(&sanitize(doc).unwrap_or_default());
            assert!(!has_testable_code_block(&described), "{doc:?} gave {described:?}");
        }
        // The corpus is hostile: most of it would be tested as it stands.
        assert!(testable_before * 2 > docs.len(), "{testable_before} of {}", docs.len());
    }

    #[test]
    fn fences_anywhere_become_text_fences() {
        assert_eq!(without_doctests("```should_panic\ncode\n```"), "```text\ncode\n```");
        assert_eq!(without_doctests("* ~~~edition2018\n  code\n  ~~~"), "* ~~~text\n  code\n  ~~~");
        assert_eq!(without_doctests("> ```{.rust}\n> code"), "> ```text\n> code");
        assert_eq!(without_doctests("```text\ncode\n```"), "```text\ncode\n```");
    }

    #[test]
    fn indented_code_falls_back_to_escaped_lines() {
        assert_eq!(without_doctests("Intro.\n\n    let x = 1;"), "Intro\\.\n\nlet x \\= 1\\;");
        // Indentation every line shares is not code (rustdoc removes it too).
        assert_eq!(without_doctests("    a\n    b"), "a\nb");
    }

    #[test]
    fn ordinary_docs_are_kept() {
        for text in ["Plain.\n\n* a\n  * b\n\n> quote\n\n```text\nx\n```", "The `a` property of [`B`]."] {
            assert_eq!(without_doctests(text), text);
        }
    }

    #[test]
    fn code_spans_hold_any_name_on_one_line() {
        assert_eq!(code_span("meeting.started"), "`meeting.started`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("a\n```rust\nb\r"), "````a ```rust b ````");
        assert_eq!(code_span(""), "` `");
        assert_eq!(code_span(&"n".repeat(1000)), format!("`{}`...", "n".repeat(200)));
        assert_eq!(inline_text(&"t".repeat(1000)), format!("{}...", "t".repeat(200)));
        for name in ["a\n\n```rust\nfn main() {}\n```", "`` ` ``", "x`\n    code", "\n\n    code\n"] {
            let doc = format!("Delivered {}.", code_span(name));
            assert_eq!(doc.lines().count(), 1, "{doc:?}");
            let events: Vec<_> = pulldown_cmark::Parser::new(&doc).collect();
            assert!(events.iter().any(|event| matches!(event, pulldown_cmark::Event::Code(_))), "{doc:?}: {events:?}");
            assert!(!has_testable_code_block(&doc));
        }
    }

    #[test]
    fn inline_text_cannot_start_a_block() {
        assert_eq!(inline_text("Zoom Meeting (v2.0.0)"), "Zoom Meeting (v2.0.0)");
        assert_eq!(inline_text("```rust\nfn main() {}"), "\\`\\`\\`rust fn main() \\{\\}");
        assert_eq!(inline_text("# Title | x"), "\\# Title \\| x");
        assert_eq!(inline_text("1. item"), "1\\. item");
        assert_eq!(inline_text("- item"), "\\- item");
        for text in ["```rust", "    code", "~~~", "> ```rust", "* ```", "1. ```rust"] {
            let line = inline_text(text);
            assert!(!has_testable_code_block(&format!("{line}\n{line}\n\n{line}")), "{line:?}");
        }
    }
}
