//! Route conditions: schedules, tests on parameters and variables, regexes.

use super::*;
use crate::template::is_twilio_param;

impl FlowCompiler<'_> {
    /// The regex `re`, its problems reported at `l`. Compiled once per set (first when a
    /// flow's variables are collected) and shared by every step that writes the same text.
    pub(super) fn regex(&mut self, re: &str, l: Location) -> Option<Arc<Regex>> {
        match self.regexes.get(re).clone() {
            Ok(r) => {
                // Captures become call variables, so their names must be variable names.
                if let Some(bad) = r.capture_names().flatten().find(|n| !is_ident(n)) {
                    self.err(
                        Kind::BadRegex,
                        l,
                        format!(
                            "capture name `{bad}` is not a variable name (letters, digits and `_`)"
                        ),
                    );
                    return None;
                }
                Some(r)
            }
            Err(e) => {
                let msg = e.to_string();
                let last = msg
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("invalid regex")
                    .trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                self.err(
                    Kind::BadRegex,
                    l,
                    format!("invalid regular expression: {last}"),
                );
                None
            }
        }
    }

    pub(super) fn schedule(&mut self, name: &S<String>) -> Option<Arc<Schedule>> {
        if let Some(s) = self.schedules.get(&name.value) {
            return s.clone();
        }
        let compiled = match self.shared.schedules.get(&name.value) {
            // Shared schedules are compiled in this flow's zone unless they name their own;
            // their errors were reported once, against the shared file.
            // A zone without a name (a fixed offset) is not worth a key: compiled per flow.
            Some((_, spec)) => match self.tz.iana_name() {
                Some(zone) => self
                    .shared_compiled
                    .entry((name.value.clone(), zone.to_string()))
                    .or_insert_with(|| Schedule::compile(spec, &self.tz).ok().map(Arc::new))
                    .clone(),
                None => Schedule::compile(spec, &self.tz).ok().map(Arc::new),
            },
            None => {
                let known: Vec<&str> = self
                    .local_schedules
                    .keys()
                    .chain(self.shared.schedules.keys())
                    .map(|s| s.as_str())
                    .collect();
                let mut d = Diagnostic::error(
                    Kind::UnknownSchedule,
                    self.loc(name.referenced),
                    format!("there is no schedule `{}`", name.value),
                );
                if let Some(h) = crate::diag::did_you_mean(&name.value, known.iter().copied()) {
                    d = d.with_help(format!("did you mean `{h}`?"));
                } else {
                    d = d.with_help(
                        "define it under `schedules:` in this flow or in a shared `_*.yaml` file",
                    );
                }
                self.diags.push(d);
                None
            }
        };
        self.schedules.insert(name.value.clone(), compiled.clone());
        compiled
    }

    pub(super) fn cond(&mut self, c: &RawCond, at: Location) -> Cond {
        let mut all = Vec::new();
        if c.0.is_empty() {
            self.err(
                Kind::Type,
                at,
                "empty condition; omit `if` for a rule that always matches",
            );
        }
        for (key, part) in &c.0 {
            let cond = match part {
                RawCondPart::All(v) => Cond::All(
                    v.iter()
                        .map(|c| self.cond(&c.value, c.referenced))
                        .collect(),
                ),
                RawCondPart::Any(v) => Cond::Any(
                    v.iter()
                        .map(|c| self.cond(&c.value, c.referenced))
                        .collect(),
                ),
                RawCondPart::Not(c) => Cond::Not(Box::new(self.cond(&c.value, c.referenced))),
                RawCondPart::Open(n) | RawCondPart::Closed(n) => match self.schedule(n) {
                    Some(schedule) => Cond::Schedule {
                        name: n.value.clone(),
                        schedule,
                        open: matches!(part, RawCondPart::Open(_)),
                    },
                    None => Cond::All(Vec::new()),
                },
                RawCondPart::Test(t) => {
                    let subject = self.subject(key);
                    self.test(subject, &t.value, t.referenced)
                }
            };
            all.push(cond);
        }
        if all.len() == 1 {
            all.pop().unwrap_or(Cond::All(Vec::new()))
        } else {
            Cond::All(all)
        }
    }

    pub(super) fn subject(&mut self, key: &S<String>) -> Subject {
        let k = key.value.as_str();
        if let Some(v) = k.strip_prefix("vars.") {
            if !self.known_vars.contains(v) {
                let mut d = Diagnostic::error(
                    Kind::BadTemplate,
                    self.loc(key.referenced),
                    format!("unknown variable `vars.{v}`"),
                );
                if let Some(h) =
                    crate::diag::did_you_mean(v, self.known_vars.iter().map(|s| s.as_str()))
                {
                    d = d.with_help(format!("did you mean `vars.{h}`?"));
                }
                self.diags.push(d);
            }
            return Subject::Var(v.to_string());
        }
        if !is_twilio_param(k) {
            let mut cands: Vec<&str> = crate::template::TWILIO_PARAMS.to_vec();
            cands.extend(["all", "any", "not", "open", "closed"]);
            let mut d = Diagnostic::error(
                Kind::UnknownKey,
                self.loc(key.referenced),
                format!("`{k}` is not a request parameter, `vars.` name or condition operator"),
            );
            if let Some(h) = crate::diag::did_you_mean(k, cands) {
                d = d.with_help(format!("did you mean `{h}`?"));
            }
            self.diags.push(d);
        }
        Subject::Param(k.to_string())
    }

    pub(super) fn test(&mut self, subject: Subject, t: &RawTest, at: Location) -> Cond {
        let speech = subject.is_speech();
        let norm = |s: &str| {
            if speech {
                normalize_speech(s)
            } else {
                s.to_string()
            }
        };
        match t {
            RawTest::Eq(v) => Cond::Test {
                op: Op::Eq(norm(v)),
                subject,
            },
            RawTest::In(list) => Cond::Test {
                op: Op::In(list.iter().map(|s| norm(&s.value)).collect()),
                subject,
            },
            RawTest::Ops(ops) => {
                let mut conds = Vec::new();
                if ops.is_empty() {
                    self.err(Kind::Type, at, "no operator given");
                }
                for (op, arg) in ops {
                    let scalar = |c: &mut Self| match &arg.value {
                        RawOperand::Scalar(s) => Some(s.clone()),
                        RawOperand::List(_) => {
                            c.err(
                                Kind::Type,
                                arg.referenced,
                                format!("`{}` takes one value, not a list", op.value),
                            );
                            None
                        }
                    };
                    let list = |c: &mut Self| match &arg.value {
                        RawOperand::List(l) => {
                            Some(l.iter().map(|s| norm(&s.value)).collect::<Vec<_>>())
                        }
                        RawOperand::Scalar(_) => {
                            c.err(
                                Kind::Type,
                                arg.referenced,
                                format!("`{}` takes a list of values", op.value),
                            );
                            None
                        }
                    };
                    let number = |c: &mut Self| {
                        let s = scalar(c)?;
                        match s.trim().parse::<f64>() {
                            Ok(n) if n.is_finite() => Some(n),
                            _ => {
                                c.err(
                                    Kind::Type,
                                    arg.referenced,
                                    format!("`{}` takes a number, not `{s}`", op.value),
                                );
                                None
                            }
                        }
                    };
                    let boolean = |c: &mut Self| {
                        let s = scalar(c)?;
                        match s.as_str() {
                            "true" => Some(true),
                            "false" => Some(false),
                            _ => {
                                c.err(
                                    Kind::Type,
                                    arg.referenced,
                                    format!("`{}` takes true or false", op.value),
                                );
                                None
                            }
                        }
                    };
                    let compiled = match op.value.as_str() {
                        "eq" | "equals" => scalar(self).map(|s| Op::Eq(norm(&s))),
                        "ne" | "not_equals" => scalar(self).map(|s| Op::Ne(norm(&s))),
                        "in" => list(self).map(Op::In),
                        "not_in" => list(self).map(Op::NotIn),
                        "starts_with" => scalar(self).map(|s| Op::StartsWith(norm(&s))),
                        "ends_with" => scalar(self).map(|s| Op::EndsWith(norm(&s))),
                        "contains" => scalar(self).map(|s| Op::Contains(norm(&s))),
                        "matches" => scalar(self)
                            .and_then(|s| self.regex(&s, arg.referenced))
                            .map(Op::Matches),
                        "lt" => number(self).map(Op::Lt),
                        "le" => number(self).map(Op::Le),
                        "gt" => number(self).map(Op::Gt),
                        "ge" => number(self).map(Op::Ge),
                        "exists" => boolean(self).map(Op::Exists),
                        "empty" => boolean(self).map(Op::Empty),
                        other => {
                            let mut d = Diagnostic::error(
                                Kind::UnknownKey,
                                self.loc(op.referenced),
                                format!("unknown operator `{other}`"),
                            );
                            if let Some(h) =
                                crate::diag::did_you_mean(other, OPERATORS.iter().copied())
                            {
                                d = d.with_help(format!("did you mean `{h}`?"));
                            } else {
                                d = d.with_help(format!("operators: {}", OPERATORS.join(", ")));
                            }
                            self.diags.push(d);
                            None
                        }
                    };
                    if let Some(op) = compiled {
                        conds.push(Cond::Test {
                            subject: subject.clone(),
                            op,
                        });
                    }
                }
                if conds.len() == 1 {
                    conds.pop().unwrap_or(Cond::All(Vec::new()))
                } else {
                    Cond::All(conds)
                }
            }
        }
    }
}

/// Every operator a test may use.
pub const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "in",
    "not_in",
    "starts_with",
    "ends_with",
    "contains",
    "matches",
    "lt",
    "le",
    "gt",
    "ge",
    "exists",
    "empty",
];

/// Lower case, punctuation dropped, runs of spaces folded: "Sales, please." → "sales please".
pub fn normalize_speech(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            space = true;
        }
        // Other characters (punctuation) vanish without splitting words: "o'clock" → "oclock".
    }
    out
}

/// A short text form of a condition, for traces and graphs.
pub fn cond_label(c: &RawCond) -> String {
    let parts: Vec<String> =
        c.0.iter()
            .map(|(k, p)| match p {
                RawCondPart::All(v) => format!(
                    "all({})",
                    v.iter()
                        .map(|c| cond_label(&c.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                RawCondPart::Any(v) => format!(
                    "any({})",
                    v.iter()
                        .map(|c| cond_label(&c.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                RawCondPart::Not(c) => format!("not({})", cond_label(&c.value)),
                RawCondPart::Open(n) => format!("open {}", n.value),
                RawCondPart::Closed(n) => format!("closed {}", n.value),
                RawCondPart::Test(t) => match &t.value {
                    RawTest::Eq(v) => format!("{} = {v}", k.value),
                    RawTest::In(l) => format!(
                        "{} in [{}]",
                        k.value,
                        l.iter()
                            .map(|s| s.value.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    RawTest::Ops(ops) => ops
                        .iter()
                        .map(|(o, a)| match &a.value {
                            RawOperand::Scalar(s) => format!("{} {} {s}", k.value, o.value),
                            RawOperand::List(l) => format!(
                                "{} {} [{}]",
                                k.value,
                                o.value,
                                l.iter()
                                    .map(|s| s.value.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        })
                        .collect::<Vec<_>>()
                        .join(" and "),
                },
            })
            .collect();
    parts.join(" and ")
}
