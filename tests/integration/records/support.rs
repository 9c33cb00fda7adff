//! What the record tests share: the voicemail flow, Twilio-like parameters, and reading
//! the database the server writes.

use std::path::Path;
use std::time::{Duration, Instant};

use switchboard::calls::{Database, DatabaseUrl, Story};

use crate::harness::BOUND;
use crate::harness::binary::ServeProcess;
use crate::harness::server::attr;

/// The number the flow answers and the caller.
pub const MAIN: &str = "+14155550100";
pub const CALLER: &str = "+12025550143";
pub const ACCOUNT: &str = "ACae13bbf3893e3d88375882da4f083ac6";

/// A menu, a dial that nobody answers, a sensitive PIN, voicemail with transcription.
pub const FLOW: &str = r#"numbers: ["+14155550100"]
start: menu
steps:
  menu:
    menu:
      prompt: "Press 1 for sales, 2 for your voicemail box."
      options: { "1": sales, "2": pin }
  sales:
    dial:
      to: "+14155550111"
      on_fail: pin
  pin:
    ask:
      prompt: "Enter your PIN."
      digits: 4
      save_as: pin
      sensitive: true
      next: check
  check:
    route:
      - if: { vars.pin: { in: ["0000", "1111"] } }
        goto: voicemail
      - goto: voicemail
  voicemail:
    record:
      prompt: "Leave a message."
      transcribe: true
      next: bye
  bye:
    say: "Thanks. Goodbye."
"#;

/// `CallSid` number `n`.
pub fn sid(n: u32) -> String {
    format!("CA{n:032x}")
}

/// A form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}

/// The standard parameters of a call webhook.
pub fn call_params<'a>(call: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", ACCOUNT),
        ("CallSid", call),
        ("From", CALLER),
        ("To", MAIN),
        ("Direction", "inbound"),
        ("CallStatus", status),
        ("ApiVersion", "2010-04-01"),
    ]
}

/// Plays one call through the flow on `serve`: incoming, `2`, PIN `4321`, a recording.
/// Returns the path of every webhook it sent.
pub fn play_voicemail_call(serve: &ServeProcess, call: &str) -> Vec<String> {
    play_voicemail_call_across(&[serve], call)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// [`play_voicemail_call`] with webhook `i` sent to `replicas[i % len]` (any replica may
/// answer any webhook). Returns each webhook's path and body, to send again.
pub fn play_voicemail_call_across(replicas: &[&ServeProcess], call: &str) -> Vec<(String, String)> {
    let mut sent: Vec<(String, String)> = Vec::new();
    let mut post = |path: &str, body: String| {
        let r = replicas[sent.len() % replicas.len()].post(path, &body);
        sent.push((path.to_string(), body));
        r
    };
    let r = post("/voice", form(&call_params(call, "ringing")));
    assert_eq!(r.status, 200, "{}", r.body);
    let menu = attr(r.twiml(), "Gather", "action").expect("menu gather");
    let mut p = call_params(call, "in-progress");
    p.push(("Digits", "1"));
    let r = post(&menu, form(&p));
    assert!(r.twiml().contains("+14155550111"), "{}", r.body);
    let dial = attr(r.twiml(), "Dial", "action").expect("dial action");
    let mut p = call_params(call, "in-progress");
    p.extend([("DialCallStatus", "no-answer"), ("DialCallSid", CHILD_LEG)]);
    let r = post(&dial, form(&p));
    let pin = attr(r.twiml(), "Gather", "action").expect("pin gather");
    let mut p = call_params(call, "in-progress");
    p.push(("Digits", "4321"));
    let r = post(&pin, form(&p));
    assert!(r.twiml().contains("<Record"), "{}", r.body);
    let transcribe = attr(r.twiml(), "Record", "transcribeCallback");
    assert!(
        transcribe.is_some_and(|u| u.ends_with("/transcription")),
        "{}",
        r.body
    );
    let record = attr(r.twiml(), "Record", "action").expect("record action");
    let mut p = call_params(call, "completed");
    p.extend([
        (
            "RecordingUrl",
            "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        ),
        ("RecordingSid", "RE00000000000000000000000000000001"),
        ("RecordingDuration", "14"),
        ("Digits", "hangup"),
    ]);
    let r = post(&record, form(&p));
    assert_eq!(r.status, 200);
    sent
}

/// The leg the call's dial placed (nobody answered).
pub const CHILD_LEG: &str = "CA0000000000000000000000000000c41d";

/// The status, recording and transcription callbacks of [`play_voicemail_call`]'s call,
/// and the final status of the leg its dial placed.
pub fn callbacks(call: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    out.push((
        "/status",
        form(&[
            ("AccountSid", ACCOUNT),
            ("CallSid", CHILD_LEG),
            ("ParentCallSid", call),
            ("From", MAIN),
            ("To", "+14155550111"),
            ("Direction", "outbound-dial"),
            ("CallStatus", "no-answer"),
            ("SequenceNumber", "2"),
            ("SipResponseCode", "487"),
        ]),
    ));
    for (seq, status) in [("0", "initiated"), ("1", "ringing"), ("2", "in-progress")] {
        let mut p = call_params(call, status);
        p.extend([
            ("SequenceNumber", seq),
            ("CallbackSource", "call-progress-events"),
        ]);
        out.push(("/status", form(&p)));
    }
    let mut p = call_params(call, "completed");
    p.extend([
        ("SequenceNumber", "3"),
        ("CallDuration", "41"),
        ("SipResponseCode", "200"),
    ]);
    out.push(("/status", form(&p)));
    out.push((
        "/recording",
        form(&[
            ("AccountSid", ACCOUNT),
            ("CallSid", call),
            ("RecordingSid", "RE00000000000000000000000000000001"),
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
            ),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", "14"),
            ("RecordingChannels", "1"),
            ("RecordingSource", "RecordVerb"),
            ("ErrorCode", "0"),
        ]),
    ));
    let mut p = call_params(call, "completed");
    p.extend([
        ("TranscriptionSid", "TR00000000000000000000000000000001"),
        ("TranscriptionStatus", "completed"),
        ("TranscriptionText", "Hi, it is Sam, please call me back."),
        ("RecordingSid", "RE00000000000000000000000000000001"),
    ]);
    out.push(("/transcription", form(&p)));
    out
}

/// Runs `f` on a small runtime (the tests are synchronous; the store is async).
pub fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Opens the database at `url` (as a second process would).
pub fn open(url: &str) -> Database {
    let url: DatabaseUrl = url.parse().unwrap();
    block_on(Database::open(&url)).unwrap().unwrap()
}

/// Waits (bounded) until the call's story satisfies `done`; returns it.
pub fn wait_for_story(db: &Database, call: &str, done: impl Fn(&Story) -> bool) -> Story {
    let deadline = Instant::now() + BOUND;
    loop {
        let story = block_on(db.story(call)).unwrap();
        if let Some(s) = story
            && done(&s)
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "the call {call} never got complete"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `--database`/`--spool` arguments for a SQLite database in `dir`.
pub fn sqlite_args(dir: &Path) -> Vec<String> {
    vec![
        "--database".into(),
        format!("sqlite:{}", dir.join("calls.db").display()),
        "--spool".into(),
        dir.join("spool").display().to_string(),
    ]
}
