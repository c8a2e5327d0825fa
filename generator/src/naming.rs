//! The one place that turns names from specs into Rust identifiers.

use std::collections::{HashMap, HashSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and edition-specific). A field with one of these names gets a
/// trailing underscore and a `#[serde(rename)]`, the way hand-written code does it.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names the generated module uses for itself or from the prelude; schemas never get them.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Event",
    "Handler",
    "UnknownEvent",
    "ParseError",
    "DispatchError",
    "Option",
    "Vec",
    "String",
    "Box",
    "Result",
    "Self",
    "Ok",
    "Err",
    "Some",
    "None",
];

/// The field of an open struct that keeps the properties its schema does not declare. A property of
/// the same name gets a numbered field name instead (`additional_properties_2`).
pub const ADDITIONAL_PROPERTIES_FIELD: &str = "additional_properties";

/// Replaces everything but ASCII letters and digits with word breaks, so `heck` sees the words.
fn ascii_words(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect()
}

/// `UpperCamelCase` type or variant name for a spec name such as `meeting.started` or `phone_numbers`.
pub fn type_name(name: &str) -> String {
    let camel = ascii_words(name).to_upper_camel_case();
    match camel.chars().next() {
        None => "Empty".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("N{camel}"),
        Some(_) => camel,
    }
}

/// `snake_case` field or method name for a spec name such as `event_ts`, `camelCase` or `$ref`.
pub fn snake_name(name: &str) -> String {
    let snake = ascii_words(name).to_snake_case();
    let snake = match snake.chars().next() {
        None => "empty".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("n{snake}"),
        Some(_) => snake,
    };
    if KEYWORDS.contains(&snake.as_str()) { format!("{snake}_") } else { snake }
}

/// A method name such as `on_meeting_started`: `prefix`, `_`, then the snake_case of `name`.
///
/// Never a keyword, since the prefix comes first.
pub fn method_name(prefix: &str, name: &str) -> String {
    let snake = ascii_words(name).to_snake_case();
    if snake.is_empty() { format!("{prefix}_empty") } else { format!("{prefix}_{snake}") }
}

/// Hands out names that are unique within one scope, numbering later claimants (`Name2`, `Name3`).
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: HashSet<String>,
    /// For each numbered base (`wanted` and separator) claimed before, the number to try next: every
    /// smaller one is taken, so claiming a name many times costs one step per claim, not one per claimant.
    next_number: HashMap<String, usize>,
}

impl UniqueNames {
    /// A scope where `reserved` names are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Self {
        Self { taken: reserved.iter().map(|name| (*name).to_owned()).collect(), next_number: HashMap::new() }
    }

    /// Claims `wanted`, or the first free numbered form of it. Returns the name and whether it was
    /// renamed, so the caller can warn.
    pub fn claim(&mut self, wanted: &str, separator: &str) -> (String, bool) {
        if self.taken.insert(wanted.to_owned()) {
            return (wanted.to_owned(), false);
        }
        let base = format!("{wanted}{separator}");
        let next = self.next_number.entry(base).or_insert(2);
        loop {
            let candidate = format!("{wanted}{separator}{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return (candidate, true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_become_type_names() {
        assert_eq!(
            type_name("number_management.peering_number_cnam_updated"),
            "NumberManagementPeeringNumberCnamUpdated"
        );
        assert_eq!(type_name("newPet"), "NewPet");
        assert_eq!(type_name("/balancePlatform/transfer.created"), "BalancePlatformTransferCreated");
        assert_eq!(type_name("2fa.enabled"), "N2faEnabled");
        assert_eq!(type_name(""), "Empty");
        assert_eq!(type_name("été"), "T");
    }

    #[test]
    fn property_names_become_field_names() {
        assert_eq!(snake_name("event_ts"), "event_ts");
        assert_eq!(snake_name("accountId"), "account_id");
        assert_eq!(snake_name("type"), "type_");
        assert_eq!(snake_name("box"), "box_");
        assert_eq!(snake_name("Self"), "self_");
        assert_eq!(snake_name("$schema"), "schema");
        assert_eq!(snake_name(""), "empty");
        assert_eq!(snake_name("1st"), "n1st");
        assert_eq!(
            snake_name("number_management.peering_number_cnam_updated"),
            "number_management_peering_number_cnam_updated"
        );
    }

    #[test]
    fn unique_names_number_later_claimants() {
        let mut names = UniqueNames::with_reserved(&["Event"]);
        assert_eq!(names.claim("Event", ""), ("Event2".to_owned(), true));
        assert_eq!(names.claim("Pet", ""), ("Pet".to_owned(), false));
        assert_eq!(names.claim("Pet", ""), ("Pet2".to_owned(), true));
        let mut fields = UniqueNames::default();
        fields.claim("account_id", "_");
        assert_eq!(fields.claim("account_id", "_"), ("account_id_2".to_owned(), true));
    }

    /// The numbers handed out are the first free ones, as when each claim counted from 2: a numbered
    /// form claimed as a plain name is skipped, bases that share a prefix (`Pet` with `Pet1`) do not
    /// interfere, and the separator is part of the base.
    #[test]
    fn unique_names_hand_out_the_first_free_number() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("Pet3", ""), ("Pet3".to_owned(), false));
        assert_eq!(names.claim("Pet", ""), ("Pet".to_owned(), false));
        assert_eq!(names.claim("Pet", ""), ("Pet2".to_owned(), true));
        assert_eq!(names.claim("Pet", ""), ("Pet4".to_owned(), true), "Pet3 is taken");
        assert_eq!(names.claim("Pet1", ""), ("Pet1".to_owned(), false));
        assert_eq!(names.claim("Pet1", ""), ("Pet12".to_owned(), true));
        assert_eq!(names.claim("Pet", ""), ("Pet5".to_owned(), true));
        assert_eq!(names.claim("Pet", "_"), ("Pet_2".to_owned(), true));
        assert_eq!(names.claim("Pet12", ""), ("Pet122".to_owned(), true));
        assert_eq!(names.claim("Pet1", ""), ("Pet13".to_owned(), true));
    }

    /// 10,000 claims of one name get the numbers 2 to 10,000 in order, each claim trying one candidate
    /// (numbering from 2 on every claim tried 50 million).
    #[test]
    fn many_claims_of_one_name_try_one_candidate_each() {
        let mut names = UniqueNames::default();
        assert_eq!(names.claim("Ev", ""), ("Ev".to_owned(), false));
        for n in 2..=10_000 {
            assert_eq!(names.claim("Ev", ""), (format!("Ev{n}"), true));
        }
        assert_eq!(names.next_number.get("Ev"), Some(&10_001));
    }
}
