//! The regexes of a flow set (`pattern:` and `matches:`), each compiled once per set.
//!
//! A compiled regex is large next to the rest of a flow (tens to hundreds of kilobytes for a
//! pattern with Unicode classes), and a set of many similar lines repeats the same few
//! patterns: one compiled copy, shared by every step that names the text, keeps memory
//! proportional to the distinct patterns, not to the flows.

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

/// A compiled pattern may take at most this much memory: a hostile pattern is an error, not
/// a huge compile.
const SIZE_LIMIT: usize = 1 << 20;

/// Every regex compiled for one set, by its text as written in the flow.
#[derive(Default)]
pub(super) struct Regexes {
    /// Pattern text → the compiled regex (shared by every use) or why it did not compile.
    compiled: HashMap<String, Result<Arc<Regex>, regex::Error>>,
}

impl Regexes {
    /// The regex written as `re`, compiled on first use ([`compile`]).
    pub(super) fn get(&mut self, re: &str) -> &Result<Arc<Regex>, regex::Error> {
        self.compiled
            .entry(re.to_string())
            .or_insert_with(|| compile(re).map(Arc::new))
    }

    /// How many distinct patterns were compiled.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.compiled.len()
    }
}

/// Compiles a flow pattern: the language's `\d` is ASCII `0-9` (docs/flows.md, "Patterns"),
/// everything else is the regex crate's syntax, with the size limit.
pub(super) fn compile(re: &str) -> Result<Regex, regex::Error> {
    regex::RegexBuilder::new(&ascii_digits(re))
        .size_limit(SIZE_LIMIT)
        .build()
}

/// `re` with each `\d` written `[0-9]` and each `\D` written `[^0-9]`. Digits pressed and
/// phone numbers are ASCII, and a Unicode `\d` (every script's digits) makes each pattern
/// several times larger to compile and to hold. Both forms are valid inside a bracketed class
/// too (`[\d-]` becomes the nested `[[0-9]-]`). Every other escape is kept as written; a
/// backslash always escapes the one character after it, so `\\d` is a backslash and a `d`.
fn ascii_digits(re: &str) -> std::borrow::Cow<'_, str> {
    if !re.contains("\\d") && !re.contains("\\D") {
        return re.into();
    }
    let mut out = String::with_capacity(re.len() + 8);
    let mut chars = re.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str("[0-9]"),
            Some('D') => out.push_str("[^0-9]"),
            Some(e) => {
                out.push('\\');
                out.push(e);
            }
            None => out.push('\\'),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_escapes_become_ascii_classes_and_nothing_else_changes() {
        let cases = [
            (r"^\d{4}$", r"^[0-9]{4}$"),
            (
                r"^(?P<region>\d{2})\d{4}$",
                r"^(?P<region>[0-9]{2})[0-9]{4}$",
            ),
            (r"[\d-]+", r"[[0-9]-]+"),
            (r"[^\d]", r"[^[0-9]]"),
            (r"\D+", r"[^0-9]+"),
            (r"\\d", r"\\d"),
            (r"\\\d", r"\\[0-9]"),
            (r"\w\s\.\p{Greek}", r"\w\s\.\p{Greek}"),
            (r"abc\", r"abc\"),
        ];
        for (written, compiled) in cases {
            assert_eq!(ascii_digits(written), compiled, "{written}");
        }
        assert_eq!(cases.len(), 9);
    }

    #[test]
    fn digits_are_ascii_only() {
        let re = compile(r"^\d+$").expect("compiles");
        assert!(re.is_match("0123456789"));
        // Arabic-Indic and fullwidth digits are `\d` in Unicode, not in a flow pattern.
        assert!(!re.is_match("٣٤"));
        assert!(!re.is_match("１２"));
        let not_digit = compile(r"^\D$").expect("compiles");
        assert!(not_digit.is_match("٣"));
        assert!(!not_digit.is_match("3"));
        // Other classes keep their Unicode meaning.
        assert!(compile(r"^\w+$").expect("compiles").is_match("café"));
    }

    #[test]
    fn each_text_is_compiled_once() {
        let mut regexes = Regexes::default();
        let a = regexes.get(r"^\d{6}$").clone().expect("compiles");
        let b = regexes.get(r"^\d{6}$").clone().expect("compiles");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(regexes.get("(").is_err());
        assert_eq!(regexes.len(), 2);
    }
}
