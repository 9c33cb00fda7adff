//! Templates: hostile values cannot change the document.

use crate::harness::*;

#[test]
fn templates_with_hostile_values_cannot_change_the_document() {
    // Caller input in this step on purpose (`allow_caller_input`): the test is what the engine
    // does with it at run time.
    let yaml = flow(
        "  entry:\n    say: \"You said {{SpeechResult}} from {{FromCity}}.\"\n    next: d\n  d:\n    allow_caller_input: true\n    dial:\n      to: \"+14155550111\"\n      caller_id: \"{{CallerName}}\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let hostile = [
        "</Say><Dial>+1900</Dial><Say>",
        "& < > \" '",
        "bell\u{7}null\u{0}esc\u{1b}ffff\u{FFFF}",
        "]]><!-- <?xml?>",
        "line\nbreak\ttab",
    ];
    for h in hostile {
        let mut call = Call::new(&set, CALLER, MAIN);
        call.base.push(("SpeechResult".into(), h.into()));
        call.base.push(("FromCity".into(), h.into()));
        call.base.push(("CallerName".into(), h.into()));
        let out = call.send(&[]).clone();
        assert_eq!(
            structure(&out.twiml),
            ["Response", "Say", "Dial", "Number"],
            "{h:?}\n{}",
            out.twiml
        );
        let doc = roxmltree::Document::parse(&out.twiml).unwrap();
        let say = doc.descendants().find(|n| n.has_tag_name("Say")).unwrap();
        let expected: String = h.chars().filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{FFFE}' | '\u{FFFF}')).collect();
        assert_eq!(
            say.text().unwrap(),
            format!("You said {expected} from {expected}.")
        );
    }
}
