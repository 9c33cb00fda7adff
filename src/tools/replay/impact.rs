//! The impact of a candidate flow set on many recorded calls: how many keep their path,
//! which paths change into which (with a count and an example call each), and which calls
//! cannot be replayed, by reason. Calls are added one at a time, so a window of any size
//! is summarised without holding its replays.

use std::collections::HashMap;

use serde::Serialize;

use super::{Replay, Verdict};

/// Calls whose path changed from one path to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathChange {
    /// The path as recorded.
    pub recorded: Vec<String>,
    /// The path the candidate takes.
    pub replayed: Vec<String>,
    /// How many calls.
    pub calls: usize,
    /// One of them (the first added).
    pub example: String,
}

/// Calls that could not be replayed for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreplayable {
    /// The reason, without the values of one call.
    pub reason: String,
    /// The candidate caused it ([`super::Reason::is_change`]).
    pub change: bool,
    /// How many calls.
    pub calls: usize,
    /// One of them (the first added).
    pub example: String,
    /// The example's own reason, in full.
    pub example_reason: String,
}

/// What a candidate does to a set of recorded calls.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    /// Calls replayed.
    pub calls: usize,
    /// Calls that take their recorded path.
    pub same: usize,
    /// Of those, calls where a document differs (a changed prompt, say) though every step
    /// is the same.
    pub same_path_other_document: usize,
    /// Calls whose path changes, grouped by (recorded path, new path), most calls first.
    pub changed: Vec<PathChange>,
    /// Calls that cannot be replayed, grouped by reason, most calls first.
    pub unreplayable: Vec<Unreplayable>,
    /// Where each group is in `changed`, while adding.
    #[serde(skip)]
    changed_at: HashMap<(Vec<String>, Vec<String>), usize>,
    /// Where each group is in `unreplayable`, while adding.
    #[serde(skip)]
    unreplayable_at: HashMap<String, usize>,
}

impl Impact {
    /// Counts one replayed call.
    pub fn add(&mut self, r: &Replay) {
        self.calls += 1;
        match &r.verdict {
            Verdict::Same => {
                self.same += 1;
                if r.documents_differ() > 0 {
                    self.same_path_other_document += 1;
                }
            }
            Verdict::Changed { .. } => {
                let key = (r.recorded_path.clone(), r.replayed_path.clone());
                match self.changed_at.get(&key) {
                    Some(&i) => self.changed[i].calls += 1,
                    None => {
                        self.changed_at.insert(key, self.changed.len());
                        self.changed.push(PathChange {
                            recorded: r.recorded_path.clone(),
                            replayed: r.replayed_path.clone(),
                            calls: 1,
                            example: r.call_sid.clone(),
                        });
                    }
                }
            }
            Verdict::Unreplayable { reason, .. } => {
                let group = reason.group();
                match self.unreplayable_at.get(&group) {
                    Some(&i) => self.unreplayable[i].calls += 1,
                    None => {
                        self.unreplayable_at
                            .insert(group.clone(), self.unreplayable.len());
                        self.unreplayable.push(Unreplayable {
                            reason: group,
                            change: reason.is_change(),
                            calls: 1,
                            example: r.call_sid.clone(),
                            example_reason: reason.to_string(),
                        });
                    }
                }
            }
        }
    }

    /// Orders the groups, most calls first (ties by path or reason, so output is stable).
    pub fn finish(&mut self) {
        self.changed.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then_with(|| (&a.recorded, &a.replayed).cmp(&(&b.recorded, &b.replayed)))
        });
        self.unreplayable
            .sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.reason.cmp(&b.reason)));
        self.changed_at.clear();
        self.unreplayable_at.clear();
    }

    /// Calls whose path changes.
    pub fn changed_calls(&self) -> usize {
        self.changed.iter().map(|g| g.calls).sum()
    }

    /// Calls that cannot be replayed.
    pub fn unreplayable_calls(&self) -> usize {
        self.unreplayable.iter().map(|g| g.calls).sum()
    }

    /// True when the candidate changes some call: a path, or a replay it stopped.
    pub fn has_changes(&self) -> bool {
        !self.changed.is_empty() || self.unreplayable.iter().any(|g| g.change)
    }
}
