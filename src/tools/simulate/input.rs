//! The caller's side of a gather: what an input source is told ([`Waiting`]), what it
//! answers ([`Reply`]), and the scripted source (`--input`, a test case's `inputs`).

use std::collections::VecDeque;

use crate::engine::action_url::{self, ActionUrl, VoicePath};
use crate::flow::FlowSet;
use crate::flow::model::Action;

use super::transcript::Webhook;

/// What the caller does when a `<Gather>` waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Keypresses (only `0-9`, `*`, `#`) or, for anything else, speech. Empty is silence.
    Entry(String),
    /// The script has no more entries: silence, noted as such.
    Exhausted,
    /// The caller hangs up (the call ends; Twilio sends no more webhooks).
    HangUp,
}

/// A `<Gather>` waiting for the caller, as an input source sees it.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The flow of the waiting step.
    pub flow: String,
    /// The waiting step.
    pub step: String,
    /// `menu` or `ask` (or `gather` for a gather the flow set does not explain).
    pub kind: &'static str,
    /// `dtmf`, `speech` or `dtmf speech`.
    pub input: String,
    /// The menu's keys and keywords (empty for an ask).
    pub choices: Vec<String>,
    /// Seconds of silence before the gather gives up.
    pub timeout: Option<u32>,
}

/// Where replies to `<Gather>` come from: a script or a person at a terminal.
pub trait InputSource {
    /// The reply to the gather `waiting`; `so_far` is every webhook of the call up to and
    /// including the one whose document is waiting.
    fn reply(&mut self, waiting: &Waiting, so_far: &[Webhook]) -> Reply;
}

/// Replies from a list, in order; silence once the list is used up.
#[derive(Debug, Clone, Default)]
pub struct Scripted {
    /// Replies not yet given.
    queue: VecDeque<String>,
    /// Once the replies are used up, the caller hangs up (else: silence).
    hang_up: bool,
}

impl Scripted {
    /// A script of replies.
    pub fn new(replies: impl IntoIterator<Item = String>) -> Scripted {
        Scripted {
            queue: replies.into_iter().collect(),
            hang_up: false,
        }
    }

    /// Whether the caller hangs up at the first gather after the last reply (a flow test's
    /// `hang_up`), rather than staying silent.
    #[must_use]
    pub fn hanging_up(mut self, hang_up: bool) -> Scripted {
        self.hang_up = hang_up;
        self
    }

    /// Replies the call never asked for (usually a mistake in the script), as one line:
    /// `2 input(s) never asked for: "1", "sales"`.
    pub fn unused_note(&self) -> Option<String> {
        if self.queue.is_empty() {
            return None;
        }
        let list: Vec<String> = self.queue.iter().map(|u| format!("{u:?}")).collect();
        Some(format!(
            "{} input(s) never asked for: {}",
            list.len(),
            list.join(", ")
        ))
    }
}

impl InputSource for Scripted {
    fn reply(&mut self, _: &Waiting, _: &[Webhook]) -> Reply {
        match self.queue.pop_front() {
            Some(r) => Reply::Entry(r),
            None if self.hang_up => Reply::HangUp,
            None => Reply::Exhausted,
        }
    }
}

/// Describes a gather for the input source, with the menu's choices when the flow set
/// knows the step; `base_url` is stripped from an absolute action URL.
pub fn waiting_for(
    set: &FlowSet,
    base_url: &str,
    g: &crate::twiml::Gather,
    action: &str,
) -> Waiting {
    let mut w = Waiting {
        flow: String::new(),
        step: String::new(),
        kind: "gather",
        input: g.input.clone().unwrap_or_else(|| "dtmf".to_string()),
        choices: Vec::new(),
        timeout: g.timeout,
    };
    if let Some(ActionUrl {
        path: VoicePath::Continue { flow, step },
        ..
    }) = action_url::parse_url(action, base_url)
    {
        if let Some((_, fl)) = set.flow(flow)
            && let Some(sid) = fl.step(step)
            && let Some(st) = fl.get(sid)
        {
            match &st.action {
                Action::Menu(m) => {
                    w.kind = "menu";
                    w.choices = m.options.iter().map(|(k, _)| k.clone()).collect();
                    w.choices
                        .extend(m.speech.iter().map(|(k, _)| format!("\"{k}\"")));
                }
                Action::Ask(_) => w.kind = "ask",
                _ => {}
            }
        }
        w.flow = flow.to_string();
        w.step = step.to_string();
    }
    w
}
