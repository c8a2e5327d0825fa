//! The one place that turns names from specs into Rust identifiers.

use foldhash::{HashMap, HashMapExt, HashSet};

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

/// The longest identifier the generator makes, in characters. A longer one keeps its first characters and
/// ends in a hash of the whole name (see [`bounded`]), so a huge name in a spec cannot make a huge
/// identifier (which the compiler pays for at every use). Real specs stay well below it: Zoom's longest
/// type name is 111 characters.
pub const MAX_IDENT_LEN: usize = 128;

/// How much of a name identifiers are made from, in bytes: more than any identifier can hold, so the
/// case conversion of a huge name costs no more than that of a long one.
const NAME_PREFIX_LEN: usize = 4 * MAX_IDENT_LEN;

/// Replaces everything but ASCII letters and digits with word breaks, so `heck` sees the words. Of a
/// name longer than [`NAME_PREFIX_LEN`], only its start is read, and the hash of all of it is returned to
/// end the identifier with.
fn ascii_words(name: &str) -> (String, Option<u64>) {
    let mut end = name.len().min(NAME_PREFIX_LEN);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let prefix = &name[..end];
    let mut words = String::with_capacity(prefix.len());
    let mut previous: Option<char> = None;
    let mut chars = prefix.chars().peekable();
    while let Some(c) = chars.next() {
        // A sign is part of the name: GitHub's reactions `+1` and `-1` must not both become `n1`. A `-`
        // between words stays a separator (`team-chat`).
        let starts_number = chars.peek().is_some_and(char::is_ascii_digit);
        let after_word = previous.is_some_and(|p| p.is_ascii_alphanumeric());
        match c {
            '+' => words.push_str(" plus "),
            '-' if starts_number && !after_word => words.push_str(" minus "),
            c if c.is_ascii_alphanumeric() => words.push(c),
            _ => words.push(' '),
        }
        previous = Some(c);
    }
    (words, (end < name.len()).then(|| fnv1a(name.as_bytes())))
}

/// `UpperCamelCase` type or variant name for a spec name such as `meeting.started` or `phone_numbers`.
///
/// `Self`, the one keyword in that case and one no raw identifier can spell, becomes `Self_`.
pub fn type_name(name: &str) -> String {
    let (words, hash) = ascii_words(name);
    let camel = words.to_upper_camel_case();
    let camel = match camel.chars().next() {
        None => "Empty".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("N{camel}"),
        Some(_) if camel == "Self" => "Self_".to_owned(),
        Some(_) => camel,
    };
    bounded_with(&camel, hash)
}

/// `snake_case` field or method name for a spec name such as `event_ts`, `camelCase` or `$ref`.
///
/// A keyword gets a trailing underscore (`type_`, `self_`, `crate_`); `_` and other names without
/// letters or digits become `empty`.
pub fn snake_name(name: &str) -> String {
    let (words, hash) = ascii_words(name);
    let snake = words.to_snake_case();
    let snake = match snake.chars().next() {
        None => "empty".to_owned(),
        Some(first) if first.is_ascii_digit() => format!("n{snake}"),
        Some(_) => snake,
    };
    let snake = if KEYWORDS.contains(&snake.as_str()) { format!("{snake}_") } else { snake };
    bounded_with(&snake, hash)
}

/// A method name such as `on_meeting_started`: `prefix`, `_`, then the snake_case of `name`.
///
/// Never a keyword, since the prefix comes first.
pub fn method_name(prefix: &str, name: &str) -> String {
    let (words, hash) = ascii_words(name);
    let snake = words.to_snake_case();
    if snake.is_empty() { format!("{prefix}_empty") } else { bounded_with(&format!("{prefix}_{snake}"), hash) }
}

/// `ident` cut to [`MAX_IDENT_LEN`] characters when longer: its first characters, then 16 hex digits of a
/// hash of the whole of it (after an underscore in a `snake_case` name), so different long names stay
/// different after the cut and the result is the same on every run and platform.
pub fn bounded(ident: &str) -> String {
    bounded_with(ident, None)
}

/// [`bounded`], ending in `whole_name_hash` (the hash of a name only the start of which was read) if
/// given, whatever the length.
fn bounded_with(ident: &str, whole_name_hash: Option<u64>) -> String {
    let hash = match whole_name_hash {
        Some(hash) => hash,
        None if ident.len() <= MAX_IDENT_LEN => return ident.to_owned(),
        None => fnv1a(ident.as_bytes()),
    };
    let hash = format!("{hash:016x}");
    let snake = !ident.bytes().any(|b| b.is_ascii_uppercase());
    let joiner = if snake { "_" } else { "" };
    let keep = ident.len().min(MAX_IDENT_LEN - hash.len() - joiner.len());
    // Identifiers are ASCII here, but never cut inside a character whatever comes in.
    let mut end = keep;
    while !ident.is_char_boundary(end) {
        end -= 1;
    }
    // No `__` or `_` before the hash: the lints for snake and camel case reject them.
    format!("{}{joiner}{hash}", ident[..end].trim_end_matches('_'))
}

/// `name` without the underscores that stand between a letter or digit and an uppercase letter.
fn join_camel_words(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    for (i, c) in name.char_indices() {
        let joins = c == '_'
            && i > 0
            && bytes[i - 1].is_ascii_alphanumeric()
            && bytes.get(i + 1).is_some_and(u8::is_ascii_uppercase);
        if !joins {
            out.push(c);
        }
    }
    out
}

/// 64-bit FNV-1a: small, stable, and enough to tell names apart (the scopes number any rare clash).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
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

    /// Claims `wanted` (cut as [`bounded`] says), or the first free numbered form of it. Returns the
    /// name and whether it was renamed, so the caller can warn.
    ///
    /// The number follows `separator`, and replaces the trailing underscore of a keyword's name rather
    /// than doubling it: `type_` is followed by `type_2`, `Self_` by `Self2`.
    pub fn claim(&mut self, wanted: &str, separator: &str) -> (String, bool) {
        // Type and variant names (no separator) are often joined from others: `Self_` and `Kind` make
        // `SelfKind`, as camel case wants, not `Self_Kind`.
        let wanted = if separator.is_empty() { bounded(&join_camel_words(wanted)) } else { bounded(wanted) };
        if self.taken.insert(wanted.clone()) {
            return (wanted, false);
        }
        let stem = wanted.trim_end_matches('_');
        // One counter per numbered form: a name claimed many times tries each number once.
        let next = self.next_number.entry(format!("{stem}{separator}")).or_insert(2);
        loop {
            let candidate = format!("{stem}{separator}{next}");
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
    fn signs_are_words() {
        assert_eq!(snake_name("+1"), "plus_1");
        assert_eq!(snake_name("-1"), "minus_1");
        assert_eq!(type_name("+1"), "Plus1");
        assert_eq!(type_name("-1"), "Minus1");
        assert_eq!(snake_name("c++"), "c_plus_plus");
        assert_eq!(snake_name("team-chat"), "team_chat");
        assert_eq!(snake_name("utc-5"), "utc_5", "a dash after a word separates");
        assert_eq!(snake_name("offset_-5"), "offset_minus_5");
    }

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

    #[test]
    fn keywords_no_raw_identifier_spells_get_names_that_compile() {
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(type_name("Self"), "Self_");
        assert_eq!(type_name("SELF"), "Self_");
        assert_eq!(type_name("super"), "Super");
        assert_eq!(type_name("_"), "Empty");
        assert_eq!(type_name("r#self"), "RSelf");
        for (name, snake) in [("self", "self_"), ("Self", "self_"), ("super", "super_"), ("crate", "crate_")] {
            assert_eq!(snake_name(name), snake);
        }
        assert_eq!(snake_name("_"), "empty");
        assert_eq!(snake_name("r#type"), "r_type");
        assert_eq!(method_name("on", "self"), "on_self");
    }

    #[test]
    fn numbered_keyword_names_keep_one_underscore() {
        let mut fields = UniqueNames::default();
        assert_eq!(fields.claim("self_", "_").0, "self_");
        assert_eq!(fields.claim("self_", "_").0, "self_2");
        assert_eq!(fields.claim("type_", "_").0, "type_");
        assert_eq!(fields.claim("type_", "_").0, "type_2");
        let mut types = UniqueNames::default();
        assert_eq!(types.claim("Self_", "").0, "Self_");
        assert_eq!(types.claim("Self_", "").0, "Self2");
        assert_eq!(types.claim("Self_Kind", "").0, "SelfKind");
        assert_eq!(types.claim("Self_ChoiceSelf_", "").0, "SelfChoiceSelf_");
    }

    #[test]
    fn identifiers_are_cut_to_a_bounded_length_and_stay_unique() {
        let huge = "a".repeat(5_000_000);
        let field = snake_name(&huge);
        assert_eq!(field.len(), MAX_IDENT_LEN);
        assert!(field.starts_with(&"a".repeat(100)) && !field.contains("__"), "{field}");
        let other = snake_name(&format!("{huge}b"));
        assert_ne!(field, other, "names that differ after the cut stay different");
        assert_eq!(snake_name(&huge), field, "the cut is stable");
        let ty = type_name(&format!("{huge}_b"));
        assert_eq!(ty.len(), MAX_IDENT_LEN);
        assert!(ty.starts_with('A') && !ty.contains('_'), "{ty}");
        assert_eq!(method_name("on", &huge).len(), MAX_IDENT_LEN);
        // Concatenated names (a nested schema's type) are cut when claimed.
        let mut names = UniqueNames::default();
        let (claimed, _) = names.claim(&format!("Parent{}", "Child".repeat(100)), "");
        assert_eq!(claimed.len(), MAX_IDENT_LEN);
        // A name at the limit is kept whole.
        let at_limit = "b".repeat(MAX_IDENT_LEN);
        assert_eq!(snake_name(&at_limit), at_limit);
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
