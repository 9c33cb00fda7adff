//! Number lookup: exact beats longest prefix beats default; else reject.

use crate::harness::*;

#[test]
fn number_lookup_exact_prefix_default_and_reject() {
    let exact = "numbers: [\"+14155550100\"]\nstart: s\nsteps:\n  s:\n    say: exact\n";
    let prefix = "numbers: [\"+1415555*\"]\nstart: s\nsteps:\n  s:\n    say: prefix\n";
    let shorter = "numbers: [\"+1415*\", \"sip:desk@pbx.example.com\"]\nstart: s\nsteps:\n  s:\n    say: shorter\n";
    let dflt = "default: true\nstart: s\nsteps:\n  s:\n    say: default\n";
    let set = load(&[
        ("a.yaml", exact),
        ("b.yaml", prefix),
        ("c.yaml", shorter),
        ("d.yaml", dflt),
    ]);
    for (to, want) in [
        ("+14155550100", "exact"),
        ("+14155550199", "prefix"),
        ("+14150000000", "shorter"),
        ("sip:desk@pbx.example.com", "shorter"),
        ("+442071234567", "default"),
    ] {
        let out = Call::new(&set, CALLER, to).send(&[]).clone();
        assert_eq!(said(&out), [want], "{to}");
    }
    let set = load(&[("a.yaml", exact)]);
    let out = Call::new(&set, CALLER, "+19998887777")
        .send(&[])
        .twiml
        .clone();
    assert_eq!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject /></Response>"#
    );
}
