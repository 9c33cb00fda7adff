//! The interpreter's trace over HTTP: the `X-Switchboard-Trace` header, written by the
//! server and read by `switchboard call`.
//!
//! `switchboard call` prints the same transcript as `simulate`: the rules that matched, the
//! steps entered, the path. Only the interpreter knows those, and TwiML does not carry them,
//! so a webhook that asks with the request header `X-Switchboard-Trace: 1` gets the trace of
//! its run back in a response header of the same name.
//!
//! - Twilio never sends the request header, so what Twilio receives is unchanged.
//! - The header is honoured only on `/voice` and `/voice/{flow}/{step}`, after the signature
//!   check: only holders of the auth token (the account's owner) see how the flows decided
//!   (anyone, under `--insecure-skip-signature`, which already lets anyone drive calls). The
//!   trace holds the flows' decisions about this request and nothing else: its parameters,
//!   its URL state, and what the flow files say.
//! - The value is one line of JSON in visible ASCII (everything else escaped as `\uXXXX`),
//!   at most [`MAX_BYTES`] long so it passes proxies with small header buffers; events that
//!   do not fit are dropped from the end and `truncated` says so.
//!
//! Both directions live here, so the format cannot drift between writer and reader; the
//! tests round-trip every event kind.

use serde_json::{Value, json};

use crate::engine::Event;
use crate::flow::model::NumberMatch;
use crate::flow::{FlowSet, StepKind};

/// The request header that asks for the trace and the response header that carries it.
pub const NAME: &str = "x-switchboard-trace";

/// Longest header value written (a trace is usually a few hundred bytes).
pub const MAX_BYTES: usize = 8 * 1024;

/// What a step can wait for ([`Event::Wait`]), for the same reason.
const WAITS: &[&str] = &[
    "menu choice",
    "input",
    "dial",
    "dial (sequential leg)",
    "record",
    "enqueue",
    "conference",
];

/// A trace as `switchboard call` reads it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decoded {
    /// The flow that answered.
    pub flow: Option<String>,
    /// The IANA time zone of that flow.
    pub zone: Option<String>,
    /// The run hit a run-time failure (the caller heard the apology).
    pub failed: bool,
    /// Events were dropped to fit [`MAX_BYTES`].
    pub truncated: bool,
    /// The events, in order.
    pub events: Vec<Event>,
    /// Events of kinds this reader does not know (a newer server), skipped.
    pub skipped: usize,
}

/// The header value for one run: `flow` answered (its zone is looked up in `set`), `failed`
/// as the server reports it. Always visible ASCII and at most [`MAX_BYTES`].
pub fn encode(set: &FlowSet, trace: &[Event], flow: Option<&str>, failed: bool) -> String {
    let zone = flow
        .and_then(|f| set.flow(f))
        .and_then(|(_, fl)| fl.tz.iana_name())
        .map(str::to_owned);
    let head = format!(
        "{{\"v\":1,\"flow\":{},\"zone\":{},\"failed\":{failed},",
        ascii_json(&json!(flow)),
        ascii_json(&json!(zone)),
    );
    // `"truncated":false,"events":[` plus `]}` is the fixed tail; `true` is one byte shorter.
    let fixed = head.len() + r#""truncated":false,"events":[]}"#.len();
    let mut events = String::new();
    let mut truncated = false;
    for e in trace {
        let one = ascii_json(&event_json(e));
        let sep = usize::from(!events.is_empty());
        if fixed + events.len() + sep + one.len() > MAX_BYTES {
            truncated = true;
            break;
        }
        if sep == 1 {
            events.push(',');
        }
        events.push_str(&one);
    }
    format!("{head}\"truncated\":{truncated},\"events\":[{events}]}}")
}

/// Reads a header value written by [`encode`].
///
/// # Errors
///
/// A message when the value is not such JSON.
pub fn decode(value: &str) -> Result<Decoded, String> {
    let v: Value =
        serde_json::from_str(value).map_err(|e| format!("the trace is not JSON: {e}"))?;
    let obj = v.as_object().ok_or("the trace is not a JSON object")?;
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut d = Decoded {
        flow: text("flow"),
        zone: text("zone"),
        failed: obj.get("failed").and_then(Value::as_bool).unwrap_or(false),
        truncated: obj
            .get("truncated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..Decoded::default()
    };
    let events = obj
        .get("events")
        .and_then(Value::as_array)
        .ok_or("the trace has no event list")?;
    for e in events {
        match event_from_json(e) {
            Some(ev) => d.events.push(ev),
            None => d.skipped += 1,
        }
    }
    Ok(d)
}

/// Serializes JSON with every character outside visible ASCII (and space) escaped, so the
/// text is a valid header value. Non-ASCII only occurs inside strings, where `\uXXXX` is
/// the same character to a JSON reader.
fn ascii_json(v: &Value) -> String {
    let raw = v.to_string();
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// One event as a JSON value (the header's encoder works on values): what [`EventJson`]
/// writes.
pub fn event_json(e: &Event) -> Value {
    // Serialising into a `Value` cannot fail here: every key is a string and every value a
    // string, number, list of strings or null. Should it ever, the event shows as `null`,
    // which the reader skips.
    serde_json::to_value(EventJson(e)).unwrap_or(Value::Null)
}

/// One event as JSON: the format of this header and of the call store's stored traces, its
/// one writer. Keys come in sorted order (as the `json!` maps of earlier builds wrote them;
/// a test pins every kind byte for byte). The call store serialises every stored trace
/// straight to its text with it, without a [`Value`] tree per event.
pub struct EventJson<'a>(pub &'a Event);

impl serde::Serialize for EventJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let how = |h: &NumberMatch| match h {
            NumberMatch::Exact => "exact",
            NumberMatch::Prefix => "prefix",
            NumberMatch::Default => "default",
        };
        let mut m = s.serialize_map(None)?;
        match self.0 {
            Event::Number { to, flow, how: h } => {
                m.serialize_entry("e", "number")?;
                m.serialize_entry("flow", flow)?;
                m.serialize_entry("how", how(h))?;
                m.serialize_entry("to", to)?;
            }
            Event::NoFlow { to } => {
                m.serialize_entry("e", "no-flow")?;
                m.serialize_entry("to", to)?;
            }
            Event::Resume { flow, step } => {
                m.serialize_entry("e", "resume")?;
                m.serialize_entry("flow", flow)?;
                m.serialize_entry("step", step)?;
            }
            Event::Restart { reason } => {
                m.serialize_entry("e", "restart")?;
                m.serialize_entry("reason", reason)?;
            }
            Event::Enter { flow, step, kind } => {
                m.serialize_entry("e", "enter")?;
                m.serialize_entry("flow", flow)?;
                m.serialize_entry("kind", kind)?;
                m.serialize_entry("step", step)?;
            }
            Event::Rule {
                index,
                label,
                notes,
                to,
            } => {
                m.serialize_entry("e", "rule")?;
                m.serialize_entry("index", index)?;
                m.serialize_entry("label", label)?;
                m.serialize_entry("notes", notes)?;
                m.serialize_entry("to", to)?;
            }
            Event::Input {
                step,
                heard,
                outcome,
            } => {
                m.serialize_entry("e", "input")?;
                m.serialize_entry("heard", heard)?;
                m.serialize_entry("outcome", outcome)?;
                m.serialize_entry("step", step)?;
            }
            Event::Result { step, outcome } => {
                m.serialize_entry("e", "result")?;
                m.serialize_entry("outcome", outcome)?;
                m.serialize_entry("step", step)?;
            }
            Event::Exhausted { step, attempts } => {
                m.serialize_entry("attempts", attempts)?;
                m.serialize_entry("e", "exhausted")?;
                m.serialize_entry("step", step)?;
            }
            Event::Set { name, value } => {
                m.serialize_entry("e", "set")?;
                m.serialize_entry("name", name)?;
                m.serialize_entry("value", value)?;
            }
            Event::Wait { step, what } => {
                m.serialize_entry("e", "wait")?;
                m.serialize_entry("step", step)?;
                m.serialize_entry("what", what)?;
            }
            Event::Hangup => m.serialize_entry("e", "hangup")?,
            Event::Error { message } => {
                m.serialize_entry("e", "error")?;
                m.serialize_entry("message", message)?;
            }
            Event::OnError { step } => {
                m.serialize_entry("e", "on-error")?;
                m.serialize_entry("step", step)?;
            }
        }
        m.end()
    }
}

/// The inverse of [`event_json`]; `None` for anything it did not write.
pub fn event_from_json(v: &Value) -> Option<Event> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let known = |table: &[&'static str], name: Option<String>| -> &'static str {
        name.and_then(|n| table.iter().copied().find(|t| *t == n))
            .unwrap_or("?")
    };
    Some(match v.get("e")?.as_str()? {
        "number" => Event::Number {
            to: s("to")?,
            flow: s("flow")?,
            how: match s("how")?.as_str() {
                "exact" => NumberMatch::Exact,
                "prefix" => NumberMatch::Prefix,
                _ => NumberMatch::Default,
            },
        },
        "no-flow" => Event::NoFlow { to: s("to")? },
        "resume" => Event::Resume {
            flow: s("flow")?,
            step: s("step")?,
        },
        "restart" => Event::Restart {
            reason: s("reason")?,
        },
        "enter" => Event::Enter {
            flow: s("flow")?,
            step: s("step")?,
            kind: s("kind")
                .and_then(|k| StepKind::from_name(&k))
                .map_or("?", StepKind::name),
        },
        "rule" => Event::Rule {
            index: v
                .get("index")
                .and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok()),
            label: s("label")?,
            notes: v
                .get("notes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            to: s("to")?,
        },
        "input" => Event::Input {
            step: s("step")?,
            heard: s("heard")?,
            outcome: s("outcome")?,
        },
        "result" => Event::Result {
            step: s("step")?,
            outcome: s("outcome")?,
        },
        "exhausted" => Event::Exhausted {
            step: s("step")?,
            attempts: v
                .get("attempts")
                .and_then(Value::as_u64)
                .and_then(|a| u32::try_from(a).ok())?,
        },
        "set" => Event::Set {
            name: s("name")?,
            value: s("value")?,
        },
        "wait" => Event::Wait {
            step: s("step")?,
            what: known(WAITS, s("what")),
        },
        "hangup" => Event::Hangup,
        "error" => Event::Error {
            message: s("message")?,
        },
        "on-error" => Event::OnError { step: s("step")? },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_event() -> Vec<Event> {
        let mut v = vec![
            Event::Number {
                to: "+14155550100".into(),
                flow: "acme".into(),
                how: NumberMatch::Prefix,
            },
            Event::NoFlow { to: "+1".into() },
            Event::Resume {
                flow: "acme".into(),
                step: "menu".into(),
            },
            Event::Restart {
                reason: "gone".into(),
            },
            Event::Rule {
                index: Some(2),
                label: "open office".into(),
                notes: vec!["office: open Mon 08:00–18:00".into()],
                to: "menu".into(),
            },
            Event::Rule {
                index: None,
                label: "otherwise".into(),
                notes: vec![],
                to: "closed".into(),
            },
            Event::Input {
                step: "menu".into(),
                heard: "señor \"quoted\" \u{1F600}".into(),
                outcome: "matched".into(),
            },
            Event::Result {
                step: "d".into(),
                outcome: "busy".into(),
            },
            Event::Exhausted {
                step: "menu".into(),
                attempts: 3,
            },
            Event::Set {
                name: "account".into(),
                value: "12\n34".into(),
            },
            Event::Hangup,
            Event::Error {
                message: "boom".into(),
            },
            Event::OnError {
                step: "sorry".into(),
            },
        ];
        for kind in StepKind::ALL {
            v.push(Event::Enter {
                flow: "acme".into(),
                step: "s".into(),
                kind: kind.name(),
            });
        }
        for what in WAITS {
            v.push(Event::Wait {
                step: "s".into(),
                what,
            });
        }
        v
    }

    #[test]
    fn every_event_round_trips_as_visible_ascii() {
        let set = crate::flow::FlowSet::default();
        let trace = every_event();
        let text = encode(&set, &trace, Some("acme"), true);
        assert!(text.bytes().all(|b| (b' '..=b'~').contains(&b)), "{text}");
        assert!(text.len() <= MAX_BYTES);
        let d = decode(&text).expect("decodes");
        assert_eq!(d.events, trace);
        assert_eq!(d.flow.as_deref(), Some("acme"));
        assert!(d.failed && !d.truncated && d.skipped == 0);
    }

    /// The stored and transmitted form, byte for byte (keys sorted, as `json!` gave them
    /// before the writer became `EventJson`): records written by earlier builds and by this
    /// one read the same.
    #[test]
    fn every_event_is_written_in_the_stored_format() {
        let events = every_event();
        let mut expected: Vec<String> = [
            r#"{"e":"number","flow":"acme","how":"prefix","to":"+14155550100"}"#,
            r#"{"e":"no-flow","to":"+1"}"#,
            r#"{"e":"resume","flow":"acme","step":"menu"}"#,
            r#"{"e":"restart","reason":"gone"}"#,
            r#"{"e":"rule","index":2,"label":"open office","notes":["office: open Mon 08:00–18:00"],"to":"menu"}"#,
            r#"{"e":"rule","index":null,"label":"otherwise","notes":[],"to":"closed"}"#,
            "{\"e\":\"input\",\"heard\":\"señor \\\"quoted\\\" \u{1F600}\",\"outcome\":\"matched\",\"step\":\"menu\"}",
            r#"{"e":"result","outcome":"busy","step":"d"}"#,
            r#"{"attempts":3,"e":"exhausted","step":"menu"}"#,
            r#"{"e":"set","name":"account","value":"12\n34"}"#,
            r#"{"e":"hangup"}"#,
            r#"{"e":"error","message":"boom"}"#,
            r#"{"e":"on-error","step":"sorry"}"#,
        ]
        .map(String::from)
        .to_vec();
        for kind in StepKind::ALL {
            let kind = kind.name();
            expected.push(format!(
                r#"{{"e":"enter","flow":"acme","kind":"{kind}","step":"s"}}"#
            ));
        }
        for what in WAITS {
            expected.push(format!(r#"{{"e":"wait","step":"s","what":"{what}"}}"#));
        }
        // Every variant at least once (Enter and Wait once per kind).
        assert_eq!(events.len(), 13 + StepKind::ALL.len() + WAITS.len());
        assert_eq!(events.len(), expected.len());
        for (e, want) in events.iter().zip(&expected) {
            let direct = serde_json::to_string(&EventJson(e)).expect("serialises");
            assert_eq!(&direct, want, "{e:?}");
            assert_eq!(&event_json(e).to_string(), want, "{e:?}");
        }
    }

    #[test]
    fn long_traces_are_cut_to_fit() {
        let set = crate::flow::FlowSet::default();
        let trace: Vec<Event> = (0..2000)
            .map(|i| Event::Set {
                name: format!("v{i}"),
                value: "x".repeat(20),
            })
            .collect();
        let text = encode(&set, &trace, None, false);
        assert!(text.len() <= MAX_BYTES, "{}", text.len());
        let d = decode(&text).expect("decodes");
        assert!(d.truncated);
        assert!(!d.events.is_empty() && d.events.len() < trace.len());
        assert_eq!(d.events[..], trace[..d.events.len()]);
    }

    #[test]
    fn unknown_events_and_names_are_tolerated() {
        let d = decode(
            r#"{"flow":null,"events":[{"e":"teleport"},{"e":"enter","flow":"f","step":"s","kind":"warp"}]}"#,
        )
        .expect("decodes");
        assert_eq!(d.skipped, 1);
        assert_eq!(
            d.events,
            vec![Event::Enter {
                flow: "f".into(),
                step: "s".into(),
                kind: "?"
            }]
        );
        assert!(decode("not json").is_err());
        assert!(decode("[]").is_err());
    }

    #[test]
    fn the_kind_table_knows_every_step_of_the_demo_flows_and_examples() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("flows")];
        let examples = std::fs::read_dir(root.join("examples")).expect("examples/ is readable");
        for entry in examples {
            let path = entry.expect("examples/ lists").path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
        // The demo flows and at least two example directories: fewer means the walk broke.
        assert!(
            dirs.len() >= 3,
            "only {} flow directories found",
            dirs.len()
        );
        let mut steps = 0;
        for dir in dirs {
            let set = crate::flow::load_dir(&dir)
                .expect("readable")
                .into_servable()
                .expect("loads without errors");
            for fl in set.flows() {
                for st in &fl.steps {
                    let kind = st.action.kind();
                    assert_eq!(StepKind::from_name(kind).map(StepKind::name), Some(kind));
                    steps += 1;
                }
            }
        }
        assert!(steps >= 20, "only {steps} steps checked");
    }
}
