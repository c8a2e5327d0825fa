//! Webhook names that are templates, such as `{dataType}.write.successful`: one webhook of the spec for
//! every name that matches (`contact.write.successful`, `deal.write.successful`).
//!
//! A template is literal text and variables: `{` a name without braces `}`. A variable matches a
//! non-empty run of characters that ends where the literal text after it first occurs (so
//! `{type}.created` matches `a.b.created` as `a.b` but `{type}.x.y` does not match `a.x.y.x.y`, whose
//! first `.x.y` leaves `.x.y` over); a variable at the end takes the rest, and one directly followed by
//! another takes one character. A `{` that opens no variable is literal text, and a name without
//! variables matches only itself. Matching never backtracks: it takes time linear in the lengths of
//! the template and the name.

/// The entry of `names` (a module's webhook names, templates included) that the webhook `name` is: the
/// same name if it is listed, else the first template it matches, as generated `from_named` picks it.
pub(crate) fn listed_name<'a>(names: &[&'a str], name: &str) -> Option<&'a str> {
    let exact = names.iter().find(|listed| **listed == name);
    exact.or_else(|| names.iter().find(|listed| template_matches(listed, name))).copied()
}

/// Whether the webhook name `name` matches `template` (see the module docs); a name without variables
/// matches only itself.
pub fn template_matches(template: &str, name: &str) -> bool {
    let mut rest = name;
    // A variable waiting for the literal text after it to say where it ends.
    let mut open_variable = false;
    for segment in (Segments { template }) {
        match segment {
            Segment::Variable => {
                if open_variable && !skip_one_char(&mut rest) {
                    return false;
                }
                open_variable = true;
            }
            Segment::Literal(literal) if open_variable => {
                // At least one character for the variable, then up to the first occurrence of `literal`.
                let Some(first) = rest.chars().next() else { return false };
                let from = first.len_utf8();
                let Some(at) = rest[from..].find(literal) else { return false };
                rest = &rest[from + at + literal.len()..];
                open_variable = false;
            }
            Segment::Literal(literal) => match rest.strip_prefix(literal) {
                Some(after) => rest = after,
                None => return false,
            },
        }
    }
    if open_variable { !rest.is_empty() } else { rest.is_empty() }
}

/// Advances `rest` past one character; `false` when there is none.
fn skip_one_char(rest: &mut &str) -> bool {
    let mut chars = rest.chars();
    let skipped = chars.next().is_some();
    *rest = chars.as_str();
    skipped
}

/// A piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    /// Text that must occur as it is.
    Literal(&'a str),
    /// `{name}`.
    Variable,
}

/// The segments of a template, in order; literal text between two variables is one segment. Each byte
/// is looked at a bounded number of times: a `{` is a variable's only when its `}` comes before the next
/// `{`.
struct Segments<'a> {
    template: &'a str,
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        if self.template.is_empty() {
            return None;
        }
        if let Some(length) = variable_at_start(self.template) {
            self.template = &self.template[length..];
            return Some(Segment::Variable);
        }
        // Literal text up to the next `{` that opens a variable.
        let first = self.template.chars().next().map_or(1, char::len_utf8);
        let mut end = first + self.template[first..].find('{').map_or(self.template.len() - first, |at| at);
        while end < self.template.len() && variable_at_start(&self.template[end..]).is_none() {
            end += 1 + self.template[end + 1..].find('{').map_or(self.template.len() - end - 1, |at| at);
        }
        let (literal, rest) = self.template.split_at(end);
        self.template = rest;
        Some(Segment::Literal(literal))
    }
}

/// The length of the variable `{name}` that `text` starts with, if it does: a non-empty name without
/// braces.
fn variable_at_start(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('{')?;
    let close = inner.find(['{', '}'])?;
    (close > 0 && inner.as_bytes()[close] == b'}').then_some(close + 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_matches_a_non_empty_run() {
        assert!(template_matches("{dataType}.write.successful", "contact.write.successful"));
        assert!(template_matches("{dataType}.write.successful", "a.b.write.successful"));
        assert!(!template_matches("{dataType}.write.successful", ".write.successful"));
        assert!(!template_matches("{dataType}.write.successful", "contact.write.failed"));
        assert!(!template_matches("{dataType}.write.successful", "contact.write.successful.x"));
        assert!(template_matches("crm.{object}", "crm.deal"));
        assert!(!template_matches("crm.{object}", "crm."));
        assert!(template_matches("{a}.{b}.done", "x.y.done"));
        assert!(!template_matches("{a}.{b}.done", "x..done"));
    }

    /// The variable ends where the literal after it first occurs; nothing is tried again.
    #[test]
    fn a_variable_ends_at_the_first_occurrence_of_the_next_literal() {
        assert!(!template_matches("{t}.x.y", "a.x.y.x.y"));
        assert!(template_matches("{t}.x.y.{u}", "a.x.y.x.y"));
        // The variable's first character is its own, even when the literal starts there.
        assert!(template_matches("{t}.x", ".x.x"));
    }

    #[test]
    fn names_without_variables_match_only_themselves() {
        assert!(template_matches("meeting.started", "meeting.started"));
        assert!(!template_matches("meeting.started", "meeting.ended"));
        assert!(template_matches("", ""));
        assert!(!template_matches("", "x"));
        // Braces that open no variable are literal text.
        for literal in ["a{}b", "a{b", "a}b{", "{{a", "é{", "ü"] {
            assert!(template_matches(literal, literal), "{literal}");
            assert!(Segments { template: literal }.all(|segment| segment == Segment::Literal(literal)), "{literal}");
        }
        assert!(template_matches("a{}b", "a{}b"));
        assert!(!template_matches("a{}b", "axb"));
        assert!(template_matches("{a{b}c", "{aZc"), "`{{a` is literal, `{{b}}` a variable");
        let segments: Vec<Segment<'_>> = Segments { template: "a{{x}" }.collect();
        assert_eq!(segments, [Segment::Literal("a{"), Segment::Variable]);
    }

    #[test]
    fn adjacent_variables_take_one_character_each_but_the_last() {
        assert!(template_matches("{a}{b}", "xy"));
        assert!(template_matches("{a}{b}", "xyz"));
        assert!(!template_matches("{a}{b}", "x"));
        assert!(template_matches("é{a}{b}.", "éßü."));
    }

    #[test]
    fn multibyte_names_are_split_on_characters() {
        assert!(template_matches("{a}.ü", "ß.ü"));
        assert!(!template_matches("{a}ü", "ü"));
    }

    /// Inputs that make a backtracking matcher take exponential or quadratic time end at once.
    #[test]
    fn adversarial_templates_take_linear_time() {
        let name = "a".repeat(200_000);
        let template = "{v}a".repeat(50_000) + "b";
        assert!(!template_matches(&template, &name));
        let template = "{".repeat(200_000);
        assert!(!template_matches(&template, &name));
        assert!(template_matches(&template, &template));
        let template = format!("{}{}", "{x}".repeat(100_000), "a");
        assert!(!template_matches(&template, &name[..100_000]));
        assert!(template_matches(&template, &name[..100_001]));
        let name = format!("{}b", "a".repeat(200_000));
        assert!(template_matches(&format!("{{v}}{}b", "a".repeat(1000)), &name));
    }
}
