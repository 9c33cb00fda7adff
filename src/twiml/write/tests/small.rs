//! Smaller behaviours: appending, numbers, methods, self-closing elements.

use super::*;

// ---- smaller behaviours ----

#[test]
fn write_xml_appends_to_existing_buffer() {
    let mut r = Response::new();
    r.push(Verb::Leave);
    let mut out = String::from("prefix|");
    r.write_xml(&mut out);
    assert_eq!(out, format!("prefix|{DECL}<Response><Leave /></Response>"));
    assert!(!r.to_xml().ends_with('\n'));
}

#[test]
fn numbers_are_decimal() {
    for (n, want) in [
        (0, "0"),
        (7, "7"),
        (10, "10"),
        (1000, "1000"),
        (u32::MAX, "4294967295"),
    ] {
        let out = doc(vec![Pause { length: Some(n) }.into()]);
        assert_eq!(
            out,
            format!(r#"{DECL}<Response><Pause length="{want}" /></Response>"#)
        );
    }
}

#[test]
fn methods_and_defaults() {
    assert_eq!(Method::Get.as_str(), "GET");
    assert_eq!(Method::Post.as_str(), "POST");
    assert_eq!(Method::default(), Method::Post);
    let out = doc(vec![
        Redirect {
            url: "/x".into(),
            method: Some(Method::Get),
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Redirect method="GET">/x</Redirect></Response>"#)
    );
}

#[test]
fn empty_dial_and_gather_are_self_closing() {
    let out = doc(vec![
        Dial::default().into(),
        Gather {
            timeout: Some(3),
            ..Default::default()
        }
        .into(),
    ]);
    assert_eq!(
        out,
        format!(r#"{DECL}<Response><Dial /><Gather timeout="3" /></Response>"#)
    );
}

#[test]
fn client_parameters_without_identity_omit_identity() {
    let out = doc(vec![
        Dial {
            nouns: vec![
                Client {
                    identity: "\u{0}".into(),
                    parameters: vec![("a".into(), "b".into())],
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
            r#"{DECL}<Response><Dial><Client><Parameter name="a" value="b" /></Client></Dial></Response>"#
        )
    );
}

#[test]
fn strip_forbidden_borrows_clean_input() {
    assert!(matches!(
        strip_forbidden("plain é\t\n\r"),
        Cow::Borrowed("plain é\t\n\r")
    ));
    let stripped =
        strip_forbidden("a\u{0}b\u{7}c\u{b}\u{c}\u{1b}\u{1f}d\u{fffe}e\u{ffff}f\u{7f}\u{fffd}");
    assert!(matches!(stripped, Cow::Owned(_)));
    assert_eq!(stripped, "abcdef\u{7f}\u{fffd}");
    assert_eq!(strip_forbidden(""), "");
}
