//! Hostile values in text and attributes cannot change a document's structure.

use super::*;

const INJECTION: &str = "</Say><Dial>+1900</Dial>";

// ---- hostile values ----

#[test]
fn hostile_text_cannot_change_structure() {
    let text = format!(
        "{INJECTION} & \"dq\" 'sq' \u{0}nul\u{7}bel\u{1b}esc\u{fffe}\u{ffff} nl\ntab\tcr\r end"
    );
    let out = doc(vec![
        Say {
            text: text.clone(),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Say>&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt; &amp; \"dq\" 'sq' nulbelesc nl\ntab\tcr\r end</Say></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let root = parsed.root_element();
    assert_eq!(root.tag_name().name(), "Response");
    let kids = element_children(root);
    assert_eq!(kids.len(), 1);
    assert_eq!(kids[0].tag_name().name(), "Say");
    assert!(element_children(kids[0]).is_empty());
    assert_eq!(text_of(kids[0]), parsed_text(&text));
    assert_eq!(
        text_of(kids[0]),
        "</Say><Dial>+1900</Dial> & \"dq\" 'sq' nulbelesc nl\ntab\tcr\n end"
    );
}

#[test]
fn hostile_attribute_cannot_change_structure() {
    let voice = format!("x\" {INJECTION}<Say a='1' b=\"2\"> & \u{0}\u{7}\u{1b}\u{fffe}\n\t\r");
    let out = doc(vec![
        Say {
            text: "hi".into(),
            voice: Some(voice.clone()),
            language: s("'\"'"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Say language=\"'&quot;'\" voice=\"x&quot; &lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;&lt;Say a='1' b=&quot;2&quot;&gt; &amp; &#10;&#09;&#13;\">hi</Say></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let kids = element_children(parsed.root_element());
    assert_eq!(kids.len(), 1);
    let say = kids[0];
    assert_eq!(say.tag_name().name(), "Say");
    assert_eq!(say.attributes().len(), 2);
    // Character references survive attribute-value normalization, so
    // the value reads back exactly, newline, tab and CR included.
    assert_eq!(say.attribute("voice"), Some(&*strip_forbidden(&voice)));
    assert_eq!(say.attribute("language"), Some("'\"'"));
    assert_eq!(text_of(say), "hi");
}

#[test]
fn hostile_values_in_client_parameters_and_dial_number() {
    let out = doc(vec![
        Dial {
            number: Some(format!("+1{INJECTION}\u{0}")),
            nouns: vec![
                Client {
                    identity: format!("bob{INJECTION}"),
                    parameters: vec![("n\"/><Parameter name=\"x".into(), "v\u{1}&\n".into())],
                    ..Default::default()
                }
                .into(),
            ],
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(
            "{DECL}<Response><Dial>+1&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;<Client><Identity>bob&lt;/Say&gt;&lt;Dial&gt;+1900&lt;/Dial&gt;</Identity><Parameter name=\"n&quot;/&gt;&lt;Parameter name=&quot;x\" value=\"v&amp;&#10;\" /></Client></Dial></Response>"
        )
    );
    let parsed = roxmltree::Document::parse(&out).expect("parses");
    let dial = element_children(parsed.root_element())[0];
    assert_eq!(text_of(dial), format!("+1{INJECTION}"));
    let client = element_children(dial);
    assert_eq!(client.len(), 1);
    let parts = element_children(client[0]);
    let names: Vec<_> = parts.iter().map(|n| n.tag_name().name()).collect();
    assert_eq!(names, ["Identity", "Parameter"]);
    assert_eq!(parts[1].attribute("name"), Some("n\"/><Parameter name=\"x"));
    assert_eq!(parts[1].attribute("value"), Some("v&\n"));
}

#[test]
fn text_of_only_forbidden_characters_is_empty_element() {
    let out = doc(vec![
        Say {
            text: "\u{0}\u{7}\u{fffe}\u{ffff}".into(),
            voice: s("\u{1b}"),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Say voice="" /></Response>"#)
    );
}
