//! Unit tests of the simulator's parts.

use jiff::tz::TimeZone;

use super::play::gather_result;
use super::walk::sid;
use super::*;
use crate::twiml::Gather;

fn gather(input: Option<&str>, num: Option<u32>, finish: Option<&str>) -> Gather {
    Gather {
        input: input.map(str::to_string),
        num_digits: num,
        finish_on_key: finish.map(str::to_string),
        ..Default::default()
    }
}

#[test]
fn keys_stop_at_the_finish_key_and_num_digits() {
    let mut notes = Vec::new();
    let (r, h) = gather_result(&gather(None, None, None), "123456#", &mut notes);
    assert_eq!(h, Heard::Pressed("123456".into()));
    assert_eq!(
        r,
        vec![
            ("Digits".to_string(), "123456".to_string()),
            ("FinishedOnKey".to_string(), "#".to_string())
        ]
    );
    assert!(notes.is_empty());
    let (_, h) = gather_result(&gather(None, Some(1), None), "12", &mut notes);
    assert_eq!(h, Heard::Pressed("1".into()));
    assert_eq!(notes.len(), 1, "{notes:?}");
    let (_, h) = gather_result(&gather(None, None, Some("")), "1#", &mut notes);
    assert_eq!(h, Heard::Pressed("1#".into()));
}

#[test]
fn input_the_gather_does_not_listen_for_is_silence() {
    let mut notes = Vec::new();
    let (_, h) = gather_result(&gather(None, None, None), "sales", &mut notes);
    assert_eq!(h, Heard::Silence);
    let (_, h) = gather_result(&gather(Some("speech"), None, None), "1", &mut notes);
    assert_eq!(h, Heard::Silence);
    let (r, h) = gather_result(
        &gather(Some("dtmf speech"), None, None),
        "Sales!",
        &mut notes,
    );
    assert_eq!(h, Heard::Said("Sales!".into()));
    assert_eq!(
        r[1],
        ("Confidence".to_string(), SPEECH_CONFIDENCE.to_string())
    );
    let (r, h) = gather_result(&gather(None, None, None), "  ", &mut notes);
    assert_eq!((r.len(), h), (0, Heard::Silence));
}

#[test]
fn times_are_civil_in_the_zone_or_instants() {
    let tz = TimeZone::get("America/New_York").expect("bundled zone");
    let civil = parse_at("2026-11-30T10:00", &tz).expect("civil");
    assert_eq!(civil.to_string(), "2026-11-30T15:00:00Z");
    let instant = parse_at("2026-11-30T10:00:00Z", &tz).expect("instant");
    assert_eq!(instant.to_string(), "2026-11-30T10:00:00Z");
    assert!(parse_at("tomorrow", &tz).is_err());
}

#[test]
fn sids_are_stable_and_well_formed() {
    let a = sid("CA", "x", 1);
    assert_eq!(a, sid("CA", "x", 1));
    assert_ne!(a, sid("CA", "x", 2));
    assert_eq!(a.len(), 34);
    assert!(a[2..].chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn terminal_reads_lines_and_hangs_up_on_dot_or_eof() {
    let w = Waiting {
        flow: "f".into(),
        step: "menu".into(),
        kind: "menu",
        input: "dtmf".into(),
        choices: vec!["1".into()],
        timeout: Some(5),
    };
    let mut input: &[u8] = b"1\n\n.\n";
    let mut out = Vec::new();
    let mut term = Terminal::new(&mut input, &mut out, true, Render::default());
    assert_eq!(term.reply(&w, &[]), Reply::Entry("1".into()));
    assert_eq!(term.reply(&w, &[]), Reply::Entry(String::new()));
    assert_eq!(term.reply(&w, &[]), Reply::HangUp);
    assert_eq!(term.reply(&w, &[]), Reply::HangUp);
    assert_eq!(term.lines(), 3);
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("? menu `menu` waits for digits [1]"),
        "{text}"
    );
}

#[test]
fn an_over_long_line_is_cut_and_the_rest_discarded() {
    let mut data = vec![b'1'; 10_000];
    data.extend_from_slice(b"\n2\n");
    let mut input: &[u8] = &data;
    let mut out = Vec::new();
    let w = Waiting {
        flow: String::new(),
        step: String::new(),
        kind: "gather",
        input: "dtmf".into(),
        choices: vec![],
        timeout: None,
    };
    let mut term = Terminal::new(&mut input, &mut out, false, Render::default());
    match term.reply(&w, &[]) {
        Reply::Entry(e) => assert_eq!(e.len() as u64, Terminal::MAX_LINE_BYTES),
        other => panic!("{other:?}"),
    }
    assert_eq!(term.reply(&w, &[]), Reply::Entry("2".into()));
}
