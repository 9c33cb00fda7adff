//! Tests for the writer, by concept: golden serializations against twilio-python, small
//! behaviours, hostile values, attribute order, and a randomized structure check.

use super::*;

mod attributes;
mod golden;
mod hostile;
mod random;
mod small;

pub(super) const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

pub(super) fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

pub(super) fn doc(verbs: Vec<Verb>) -> String {
    Response { verbs }.to_xml()
}

pub(super) fn assert_golden(actual: &str, expected: &str) {
    assert_eq!(
        actual, expected,
        "\nactual:   {actual}\nexpected: {expected}"
    );
    roxmltree::Document::parse(actual).expect("golden output parses");
}

/// What an XML parser reports for text we wrote: stripped, and with
/// line ends normalized. Text keeps CR raw, as twilio-python does; XML
/// parsers read it back as LF (roxmltree misses a CR that ends a text
/// node, so parsed text goes through this too).
pub(super) fn parsed_text(input: &str) -> String {
    strip_forbidden(input)
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

pub(super) fn element_children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
) -> Vec<roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.is_element()).collect()
}

pub(super) fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}
