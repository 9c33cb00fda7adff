//! The trace: what the interpreter did for one webhook and why, one event per decision.
//! It is what the server logs, what `simulate` prints and what tests assert on.

use crate::flow::model::NumberMatch;

/// One thing the interpreter did.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The dialed number chose a flow.
    Number {
        to: String,
        flow: String,
        how: NumberMatch,
    },
    /// No flow answers the number (the call is rejected).
    NoFlow { to: String },
    /// A continuation entered a step directly.
    Resume { flow: String, step: String },
    /// The URL named a flow or step that is gone or changed; the call restarted.
    Restart { reason: String },
    /// A step started.
    Enter {
        flow: String,
        step: String,
        kind: &'static str,
    },
    /// A route rule matched (`index` is 1-based; `None` = the route's `next`).
    Rule {
        index: Option<usize>,
        label: String,
        notes: Vec<String>,
        to: String,
    },
    /// What the caller entered and what it meant.
    Input {
        step: String,
        heard: String,
        outcome: String,
    },
    /// A dial, record, queue or conference came back.
    Result { step: String, outcome: String },
    /// A menu or ask ran out of tries.
    Exhausted { step: String, attempts: u32 },
    /// A call variable was set.
    Set { name: String, value: String },
    /// The response waits for Twilio to call back.
    Wait { step: String, what: &'static str },
    /// The call ends.
    Hangup,
    /// A run-time failure (the caller hears the apology).
    Error { message: String },
    /// The flow's `on_error` step runs.
    OnError { step: String },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Number { to, flow, how } => {
                let how = match how {
                    NumberMatch::Exact => "exact number",
                    NumberMatch::Prefix => "prefix",
                    NumberMatch::Default => "default flow",
                };
                write!(f, "number {to} → flow {flow} ({how})")
            }
            Event::NoFlow { to } => write!(f, "no flow answers {to:?}; rejecting"),
            Event::Resume { flow, step } => write!(f, "resume {flow}/{step}"),
            Event::Restart { reason } => write!(f, "restart: {reason}"),
            Event::Enter { flow, step, kind } => write!(f, "step {flow}/{step} ({kind})"),
            Event::Rule {
                index,
                label,
                notes,
                to,
            } => {
                match index {
                    Some(i) => write!(f, "  rule {i} matched: {label} → {to}")?,
                    None => write!(f, "  {label} → {to}")?,
                }
                for n in notes {
                    write!(f, " [{n}]")?;
                }
                Ok(())
            }
            Event::Input {
                step,
                heard,
                outcome,
            } => {
                if heard.is_empty() {
                    write!(f, "  {step}: {outcome}")
                } else {
                    write!(f, "  {step}: heard {heard:?}: {outcome}")
                }
            }
            Event::Result { step, outcome } => write!(f, "  {step}: {outcome}"),
            Event::Exhausted { step, attempts } => {
                write!(f, "  {step}: no valid answer after {attempts} tries")
            }
            Event::Set { name, value } => write!(f, "  set vars.{name} = {value:?}"),
            Event::Wait { step, what } => write!(f, "  wait for {what} at {step}"),
            Event::Hangup => write!(f, "  hang up"),
            Event::Error { message } => write!(f, "  error: {message}"),
            Event::OnError { step } => write!(f, "  on_error → {step}"),
        }
    }
}

/// What a redacted value is shown as.
pub const REDACTED: &str = "[redacted]";

/// Replaces every occurrence of a secret (see [`Outcome::secrets`](super::Outcome)) in the
/// values a trace carries: what was heard, variable values, the values rules compared,
/// outcomes and error messages. Flow and step names are the operator's text and stay.
/// Longer secrets go first, so one that contains another is replaced whole.
pub fn redact(trace: &mut [Event], secrets: &[String]) {
    let secrets = longest_first(secrets);
    if secrets.is_empty() {
        return;
    }
    let scrub = |text: &mut String| scrub(text, &secrets);
    for e in trace {
        match e {
            Event::Input { heard, outcome, .. } => {
                scrub(heard);
                scrub(outcome);
            }
            Event::Set { value, .. } => scrub(value),
            Event::Rule { notes, .. } => notes.iter_mut().for_each(scrub),
            Event::Result { outcome, .. } => scrub(outcome),
            Event::Error { message } => scrub(message),
            Event::Restart { reason } => scrub(reason),
            Event::Number { .. }
            | Event::NoFlow { .. }
            | Event::Resume { .. }
            | Event::Enter { .. }
            | Event::Exhausted { .. }
            | Event::Wait { .. }
            | Event::Hangup
            | Event::OnError { .. } => {}
        }
    }
}

/// Replaces every occurrence of a secret in `text` (a stored document, a request value),
/// as [`redact`] does in a trace.
pub fn redact_text(text: &mut String, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    scrub(text, &longest_first(secrets));
}

/// Replaces every secret in a TwiML document the engine wrote, in each form it can take
/// there: as is, escaped as XML text or attribute, and form-encoded in an action URL's call
/// state (`v.pin=12%2334`, `open+sesame`).
pub fn redact_document(twiml: &mut String, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    let mut forms: Vec<String> = Vec::new();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        let encoded: String = form_urlencoded::byte_serialize(s.as_bytes()).collect();
        for f in [
            crate::twiml::escaped(s, false),
            crate::twiml::escaped(s, true),
            crate::twiml::escaped(&encoded, true),
            encoded,
            s.clone(),
        ] {
            if !f.is_empty() && !forms.contains(&f) {
                forms.push(f);
            }
        }
    }
    scrub(twiml, &longest_first(&forms));
}

/// The non-empty secrets, longest first, so one that contains another is replaced whole.
fn longest_first(secrets: &[String]) -> Vec<&str> {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

fn scrub(text: &mut String, secrets: &[&str]) {
    for s in secrets {
        if text.contains(s) {
            *text = text.replace(s, REDACTED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_secrets_in_values_only() {
        let mut trace = vec![
            Event::Enter {
                flow: "pay".into(),
                step: "card".into(),
                kind: "ask",
            },
            Event::Input {
                step: "card".into(),
                heard: "4111111111111111".into(),
                outcome: "accepted".into(),
            },
            Event::Set {
                name: "card".into(),
                value: "4111111111111111".into(),
            },
            Event::Set {
                name: "bin".into(),
                value: "4111".into(),
            },
            Event::Rule {
                index: Some(1),
                label: "card starts with 4".into(),
                notes: vec!["vars.card = \"4111111111111111\"".into()],
                to: "visa".into(),
            },
        ];
        redact(&mut trace, &["4111".into(), "4111111111111111".into()]);
        let text: Vec<String> = trace.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 5);
        assert!(text.iter().all(|t| !t.contains("4111")), "{text:?}");
        assert_eq!(text[2], "  set vars.card = \"[redacted]\"");
        assert_eq!(
            text[4],
            "  rule 1 matched: card starts with 4 → visa [vars.card = \"[redacted]\"]"
        );
        // Nothing to redact: the trace is untouched.
        let before = trace.clone();
        redact(&mut trace, &[]);
        assert_eq!(trace, before);
    }
}
