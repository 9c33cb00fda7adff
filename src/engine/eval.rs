//! Route conditions, evaluated against the request, the call variables and the time.

use super::runner::Run;
use crate::flow::compile::normalize_speech;
use crate::flow::model::*;
use crate::template::Scope;

impl<'a> Run<'a> {
    pub(super) fn eval(
        &self,
        c: &Cond,
        captures: &mut Vec<(String, String)>,
        notes: &mut Vec<String>,
    ) -> bool {
        match c {
            Cond::All(v) => {
                // Captures count only when the whole conjunction holds.
                let mut scratch = Vec::new();
                let ok = v.iter().all(|c| self.eval(c, &mut scratch, notes));
                if ok {
                    captures.extend(scratch);
                }
                ok
            }
            Cond::Any(v) => v.iter().any(|c| {
                // A branch that failed part-way must not leave its captures behind.
                let mut scratch = Vec::new();
                let ok = self.eval(c, &mut scratch, notes);
                if ok {
                    captures.extend(scratch);
                }
                ok
            }),
            Cond::Not(c) => {
                // Captures from inside a `not` would describe a failed match: drop them.
                let mut scratch = Vec::new();
                !self.eval(c, &mut scratch, notes)
            }
            Cond::Schedule {
                name,
                schedule,
                open,
            } => {
                let (is_open, why) = schedule.explain(self.now);
                notes.push(format!("{name}: {why}"));
                is_open == *open
            }
            Cond::Test { subject, op } => {
                let raw = match subject {
                    Subject::Param(p) => self.params.get(p),
                    Subject::Var(v) => self.var(v),
                };
                let present = raw.is_some();
                let owned;
                let value: &str = if subject.is_speech() {
                    owned = normalize_speech(raw.unwrap_or(""));
                    &owned
                } else {
                    raw.unwrap_or("")
                };
                let num = |x: f64, f: fn(f64, f64) -> bool| {
                    value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .is_some_and(|n| f(n, x))
                };
                match op {
                    Op::Eq(x) => value == x,
                    Op::Ne(x) => value != x,
                    Op::In(l) => l.iter().any(|x| x == value),
                    Op::NotIn(l) => !l.iter().any(|x| x == value),
                    Op::StartsWith(x) => value.starts_with(x.as_str()),
                    Op::EndsWith(x) => value.ends_with(x.as_str()),
                    Op::Contains(x) => value.contains(x.as_str()),
                    Op::Matches(re) => matches_capturing(re, value, captures),
                    Op::Lt(x) => num(*x, |n, x| n < x),
                    Op::Le(x) => num(*x, |n, x| n <= x),
                    Op::Gt(x) => num(*x, |n, x| n > x),
                    Op::Ge(x) => num(*x, |n, x| n >= x),
                    Op::Exists(want) => present == *want,
                    Op::Empty(want) => value.is_empty() == *want,
                }
            }
        }
    }
}

/// True when `re` matches `value`; its named groups that took part are added to `captures`
/// (they become call variables).
pub(super) fn matches_capturing(
    re: &regex::Regex,
    value: &str,
    captures: &mut Vec<(String, String)>,
) -> bool {
    let Some(caps) = re.captures(value) else {
        return false;
    };
    for name in re.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            captures.push((name.to_string(), m.as_str().to_string()));
        }
    }
    true
}
