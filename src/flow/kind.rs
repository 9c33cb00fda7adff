//! The step kinds, defined once: the YAML key that selects each, and a line of help.
//!
//! Everything that lists step kinds reads [`StepKind::ALL`]: the compiler's "give it exactly
//! one of" help, [`super::model::Action::kind`], the trace header's reader and the JSON
//! Schema. Adding a kind means a row here, a field in [`super::raw::RawStep`] and its
//! [`super::raw::RawAction`] variant.

/// What a step does, as the key that selects it in a flow file (`say:`, `menu:`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    Say,
    Play,
    Pause,
    Route,
    Menu,
    Ask,
    Dial,
    Record,
    Enqueue,
    Conference,
    Redirect,
    Set,
    Hangup,
    Reject,
}

/// The one table: kind, YAML key, short help. The order is the order the kinds are listed in
/// help texts and the schema.
const TABLE: &[(StepKind, &str, &str)] = &[
    (StepKind::Say, "say", "Speak (or play), then go to `next`."),
    (StepKind::Play, "play", "Play audio, then go to `next`."),
    (StepKind::Pause, "pause", "Seconds of silence, then `next`."),
    (
        StepKind::Route,
        "route",
        "Rules in order; the first that matches wins, else `next`.",
    ),
    (
        StepKind::Menu,
        "menu",
        "A menu: keys and/or spoken keywords to steps, with retries.",
    ),
    (
        StepKind::Ask,
        "ask",
        "Collect keys or speech into a call variable.",
    ),
    (
        StepKind::Dial,
        "dial",
        "Connect the caller to numbers, sip: URIs or client: identities.",
    ),
    (StepKind::Record, "record", "Record a message (voicemail)."),
    (StepKind::Enqueue, "enqueue", "Put the caller in a queue."),
    (
        StepKind::Conference,
        "conference",
        "Put the caller in a conference room.",
    ),
    (
        StepKind::Redirect,
        "redirect",
        "Go to another flow (its start or a step) or to external TwiML.",
    ),
    (
        StepKind::Set,
        "set",
        "Call variables to set (templates allowed), then `next`.",
    ),
    (StepKind::Hangup, "hangup", "End the call."),
    (
        StepKind::Reject,
        "reject",
        "Refuse the call without answering.",
    ),
];

impl StepKind {
    /// Every kind, in table order.
    pub const ALL: [StepKind; 14] = [
        StepKind::Say,
        StepKind::Play,
        StepKind::Pause,
        StepKind::Route,
        StepKind::Menu,
        StepKind::Ask,
        StepKind::Dial,
        StepKind::Record,
        StepKind::Enqueue,
        StepKind::Conference,
        StepKind::Redirect,
        StepKind::Set,
        StepKind::Hangup,
        StepKind::Reject,
    ];

    fn row(self) -> (&'static str, &'static str) {
        // `ALL` and `TABLE` list the kinds in the same order (checked by a test), so the
        // row of a kind is at its position in `ALL`.
        let i = self as usize;
        match TABLE.get(i) {
            Some(&(_, name, help)) => (name, help),
            None => ("?", ""),
        }
    }

    /// The YAML key (`say`, `menu`, …); also the name in traces, graphs and URL state.
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// One line of help, as the JSON Schema describes the key.
    pub fn help(self) -> &'static str {
        self.row().1
    }

    /// The kind a name stands for.
    pub fn from_name(name: &str) -> Option<StepKind> {
        TABLE.iter().find(|r| r.1 == name).map(|r| r.0)
    }

    /// Every YAML key, comma-separated (`say, play, …`), for help texts.
    pub fn list() -> String {
        StepKind::ALL.map(StepKind::name).join(", ")
    }
}

impl std::fmt::Display for StepKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_all_agree() {
        assert_eq!(TABLE.len(), StepKind::ALL.len());
        for (i, k) in StepKind::ALL.iter().enumerate() {
            assert_eq!(TABLE[i].0, *k);
            assert_eq!(*k as usize, i);
            assert_eq!(StepKind::from_name(k.name()), Some(*k));
            assert!(!k.help().is_empty());
        }
        assert_eq!(StepKind::from_name("warp"), None);
    }
}
