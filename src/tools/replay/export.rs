//! `switchboard calls export-test`: a recorded call as a flow-test case (the format of
//! `switchboard test`), so a real call becomes a regression test.
//!
//! The case takes the call's first instant, caller, dialed number and extra request
//! parameters; the replies at each menu or ask (silence where the caller said nothing), the
//! dial outcomes, the recording length and queue result as Twilio reported them; and, when
//! the caller hung up on a menu or ask, `hang_up: true`. It expects the recorded path and
//! ending. A case is only handed out once it passes against the flows given (the version
//! that answered the call, when the store has it): a case that does not reproduce its call
//! would be a wrong test. A call whose caller input was redacted (a `sensitive: true` ask)
//! is refused: a case cannot reproduce a value that was never stored.

use std::fmt::Write as _;

use jiff::tz::TimeZone;

use super::RecordedCall;
use crate::calls::record::Webhook;
use crate::engine::{Event, REDACTED};
use crate::flow::FlowSet;
use crate::tools::flowtest;
use crate::tools::simulate;

/// Parameters the simulator sends itself (or that only identify one call): not copied
/// into a case's `params`.
const SIMULATOR_PARAMS: &[&str] = &[
    "CallSid",
    "AccountSid",
    "ApiVersion",
    "CallToken",
    "From",
    "Caller",
    "To",
    "Called",
    "CallStatus",
    "Direction",
    "ParentCallSid",
];

/// Why a call cannot become a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The call has no recorded webhooks, or not its first.
    #[error("the call's first webhook (/voice) is not recorded, so it cannot be reproduced")]
    NoStart,
    /// A value the case would need was redacted.
    #[error(
        "what the caller entered at {0} was redacted (a sensitive ask), so no case can reproduce it; write that case by hand with a made-up value"
    )]
    Redacted(String),
    /// Twilio used the fallback URL.
    #[error("Twilio used the fallback URL on this call; a flow test cannot reproduce that")]
    Fallback,
    /// The case was written but does not pass against the flows.
    #[error("the case does not reproduce the call against {flows}:\n{problems}")]
    DoesNotReproduce {
        /// Which flows it was checked against.
        flows: String,
        /// What the test runner said.
        problems: String,
    },
}

/// What the case is checked against.
pub struct Check<'a> {
    /// The flows.
    pub set: &'a FlowSet,
    /// Their name for messages (`flows/`, `the recorded version 0123456789ab`).
    pub name: &'a str,
}

/// Writes a test file holding one case that reproduces `call`, checked against
/// `check.set`. `name` is the case's name (default: the call and its path).
///
/// # Errors
///
/// [`Refused`]: the call cannot be reproduced, or the case does not pass.
pub fn export(
    call: &RecordedCall,
    name: Option<&str>,
    check: &Check<'_>,
) -> Result<String, Refused> {
    let hooks = &call.webhooks;
    let first = hooks
        .first()
        .filter(|w| w.endpoint == "voice")
        .ok_or(Refused::NoStart)?;
    for w in hooks {
        if w.endpoint == "fallback" {
            return Err(Refused::Fallback);
        }
        let mut redacted = w
            .inputs
            .values()
            .map(String::as_str)
            .chain(w.params.pairs().map(|(_, v)| v));
        if w.redacted || redacted.any(|v| v.contains(REDACTED)) {
            return Err(Refused::Redacted(
                w.resumed.clone().unwrap_or_else(|| "/voice".into()),
            ));
        }
    }
    let events: Vec<&Event> = hooks.iter().flat_map(|w| w.trace.0.iter()).collect();
    let path = simulate::path_of(&events);
    let script = Script::of(hooks);
    let to = first.leg.to.clone().unwrap_or_default();
    let zone = simulate::zone_for(check.set, &to);
    let text = write_case(call, first, name, &path, &script, &zone);
    let results =
        flowtest::run_text(&text, check.set).map_err(|problems| Refused::DoesNotReproduce {
            flows: check.name.to_string(),
            problems,
        })?;
    let problems: Vec<String> = results.into_iter().flat_map(|(_, p)| p).collect();
    if !problems.is_empty() {
        return Err(Refused::DoesNotReproduce {
            flows: check.name.to_string(),
            problems: problems.join("\n"),
        });
    }
    Ok(text)
}

/// What the simulated caller and Twilio must do, from the recorded webhooks.
#[derive(Debug, Default)]
struct Script {
    /// Replies at each menu or ask.
    inputs: Vec<String>,
    /// Dial outcomes, in order.
    dial: Vec<String>,
    /// The first recording's length.
    record_seconds: Option<String>,
    /// The first queue result.
    queue_result: Option<String>,
    /// The caller hung up on a menu or ask.
    hang_up: bool,
    /// How the call ended, as a flow test names it.
    ending: Option<&'static str>,
}

impl Script {
    fn of(hooks: &[Webhook]) -> Script {
        let mut s = Script::default();
        for pair in hooks.windows(2) {
            let (before, w) = (&pair[0], &pair[1]);
            let get = |k: &str| w.inputs.get(k).cloned();
            match waited_for(before) {
                Some("menu choice" | "input") => s.inputs.push(
                    get("Digits")
                        .or_else(|| get("SpeechResult"))
                        .unwrap_or_default(),
                ),
                Some("dial" | "dial (sequential leg)") => {
                    s.dial.extend(get("DialCallStatus"));
                }
                Some("record") if s.record_seconds.is_none() => {
                    s.record_seconds = Some(get("RecordingDuration").unwrap_or_else(|| "0".into()));
                }
                Some("enqueue") if s.queue_result.is_none() => s.queue_result = get("QueueResult"),
                _ => {}
            }
        }
        let last = hooks.last();
        match last.and_then(waited_for) {
            Some("menu choice" | "input") => {
                s.hang_up = true;
                s.ending = Some("caller-hangup");
            }
            Some(_) => {}
            None if last.is_some_and(|w| w.trace.0.contains(&Event::Hangup)) => {
                s.ending = Some("hangup");
            }
            None => {}
        }
        s
    }
}

/// What a webhook's document waited for (its trace's last `Wait`).
fn waited_for(w: &Webhook) -> Option<&'static str> {
    w.trace.0.iter().rev().find_map(|e| match e {
        Event::Wait { what, .. } => Some(*what),
        _ => None,
    })
}

/// A YAML double-quoted scalar: `"` and `\\` escaped, and every character YAML would
/// refuse or fold raw (controls, DEL, C1, line and paragraph separators, a BOM) written as
/// a `\\uXXXX` escape, so any caller-ID text round-trips.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", items.join(", "))
}

fn write_case(
    call: &RecordedCall,
    first: &Webhook,
    name: Option<&str>,
    path: &[String],
    script: &Script,
    zone: &TimeZone,
) -> String {
    let at = jiff::Timestamp::from_microsecond(first.now)
        .map(|t| {
            t.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default();
    let default_name = format!("call {}: {}", call.call_sid, path.join(" → "));
    let mut s = format!(
        "# A recorded call as a flow test: `switchboard calls export-test {}`.\n\
         # Run it with `switchboard test`. Times, digits and outcomes are the call's own;\n\
         # the whole call runs at its first instant.\n\
         tests:\n  - name: {}\n    call:\n      to: {}\n",
        call.call_sid,
        q(name.unwrap_or(&default_name)),
        q(first.leg.to.as_deref().unwrap_or("")),
    );
    if let Some(from) = &first.leg.from {
        let _ = writeln!(s, "      from: {}", q(from));
    }
    let _ = writeln!(s, "      at: {}", q(&at));
    let params: Vec<(&str, &str)> = first
        .params
        .pairs()
        .filter(|(k, v)| !SIMULATOR_PARAMS.contains(k) && !k.ends_with("Sid") && !v.is_empty())
        .collect();
    if !params.is_empty() {
        s.push_str("      params:\n");
        for (k, v) in params {
            let _ = writeln!(s, "        {}: {}", q(k), q(v));
        }
    }
    if !script.inputs.is_empty() {
        let _ = writeln!(s, "    inputs: {}", list(&script.inputs));
    }
    if !script.dial.is_empty() {
        let _ = writeln!(s, "    dial: {}", list(&script.dial));
    }
    if let Some(r) = &script.record_seconds {
        let _ = writeln!(s, "    record_seconds: {}", r.parse::<u32>().unwrap_or(15));
    }
    if let Some(r) = &script.queue_result {
        let _ = writeln!(s, "    queue_result: {}", q(r));
    }
    if script.hang_up {
        s.push_str("    hang_up: true\n");
    }
    let _ = writeln!(s, "    expect:\n      path: {}", list(path));
    if let Some(e) = script.ending {
        let _ = writeln!(s, "      ending: {e}");
    }
    s
}
