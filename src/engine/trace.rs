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
