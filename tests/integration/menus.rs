//! Menus and asks: options, speech, retries, invalid vs no input, exhausted.

use crate::harness::*;

pub(crate) const MENU: &str = "  entry:\n    menu:\n      prompt: \"Sales 1, support 2.\"\n      options: { \"1\": sales, \"2\": support }\n      speech: { sales: sales }\n      attempts: 3\n      invalid: \"Not an option.\"\n      no_input: \"Nothing heard.\"\n      exhausted: operator\n  sales:\n    say: Sales\n  support:\n    say: Support\n  operator:\n    say: Operator\n";

#[test]
fn menu_renders_a_gather_with_state_in_the_action() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert_eq!(
        out.twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/voice/acme/entry?k=m&amp;n=1" actionOnEmptyResult="true" hints="sales" input="dtmf speech" numDigits="1" timeout="5"><Say>Sales 1, support 2.</Say></Gather></Response>"#
    );
}

#[test]
fn menu_digits_and_speech_choose_options() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[("Digits", "2")]);
    assert_eq!(call.path(), ["entry", "support"]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[("SpeechResult", "Sales, please.")]);
    assert_eq!(call.path(), ["entry", "sales"]);
}

#[test]
fn menu_walks_invalid_then_no_input_then_exhausted() {
    let set = load(&[("acme.yaml", &flow(MENU))]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("Digits", "7")]);
    assert_eq!(said(out), ["Not an option.", "Sales 1, support 2."]);
    assert!(out.twiml.contains("k=m&amp;n=2"), "{}", out.twiml);
    let out = call.send(&[]);
    assert_eq!(said(out), ["Nothing heard.", "Sales 1, support 2."]);
    assert!(out.twiml.contains("k=m&amp;n=3"), "{}", out.twiml);
    let out = call.send(&[("Digits", "")]);
    assert_eq!(said(out), ["Nothing heard.", "Operator"]);
    assert_eq!(call.path(), ["entry", "entry", "entry", "operator"]);
    assert!(
        call.transcript().contains("no valid answer after 3 tries"),
        "{}",
        call.transcript()
    );
}

#[test]
fn menu_without_exhausted_says_goodbye_and_hangs_up() {
    let set = load(&[(
        "acme.yaml",
        &flow(
            "  entry:\n    menu:\n      prompt: Pick\n      options: { \"1\": a }\n      attempts: 1\n  a:\n    say: A\n",
        ),
    )]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    let out = call.send(&[("Digits", "9")]);
    assert!(
        out.twiml
            .ends_with("<Say>Goodbye.</Say><Hangup /></Response>"),
        "{}",
        out.twiml
    );
}

#[test]
fn ask_validates_saves_and_retries() {
    let yaml = flow(
        "  entry:\n    ask:\n      prompt: Account number\n      digits: 6\n      pattern: '^(?P<region>\\d{2})\\d{4}$'\n      save_as: account\n      attempts: 2\n      invalid: Wrong\n      next: done\n      exhausted: hangup\n  done:\n    say: \"Account {{vars.account}} in region {{vars.region}}.\"\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    let out = call.send(&[]);
    assert!(out.twiml.contains("finishOnKey=\"#\""), "{}", out.twiml);
    assert!(out.twiml.contains("numDigits=\"6\""), "{}", out.twiml);
    let out = call.send(&[("Digits", "12ab")]);
    assert_eq!(said(out), ["Wrong", "Account number"]);
    let out = call.send(&[("Digits", "123456")]);
    assert_eq!(said(out), ["Account 123456 in region 12."]);
    // The variables travel in the URL: a later webhook still has them.
    assert!(call.transcript().contains("set vars.account = \"123456\""));
}

#[test]
fn ask_exhausted() {
    let yaml = flow(
        "  entry:\n    ask:\n      prompt: P\n      save_as: x\n      attempts: 1\n      next: hangup\n      exhausted: bye\n  bye:\n    say: Bye\n",
    );
    let set = load(&[("acme.yaml", &yaml)]);
    let mut call = Call::new(&set, CALLER, MAIN);
    call.send(&[]);
    call.send(&[]);
    assert_eq!(call.path(), ["entry", "bye"]);
}
