//! One step: the action it sets, typed ([`RawAction`]), compiled to an [`Action`].

use super::cond::cond_label;
use super::*;
use crate::flow::kind::StepKind;
use crate::template::Template;
use serde_saphyr::Spanned;

impl FlowCompiler<'_> {
    pub(super) fn step(
        &mut self,
        name: &S<String>,
        s: &RawStep,
        rule_locs: &mut Vec<Loc>,
    ) -> Action {
        let actions = s.actions();
        let Some(&action) = actions.first() else {
            self.diags.push(
                Diagnostic::error(
                    Kind::StepActions,
                    self.loc(name.referenced),
                    format!("step `{}` has no action", name.value),
                )
                .with_help(format!("give it exactly one of: {}", StepKind::list())),
            );
            return Action::Hangup;
        };
        if let [_, second, ..] = actions[..] {
            let list: Vec<&str> = actions.iter().map(|a| a.kind().name()).collect();
            self.err(
                Kind::StepActions,
                second.at(),
                format!(
                    "step `{}` has {} actions ({}); a step does exactly one thing",
                    name.value,
                    actions.len(),
                    list.join(", ")
                ),
            );
        }
        let outer_next = s.next.as_deref();
        match action {
            RawAction::Say(p) => {
                let prompt = self.prompt(p);
                self.prompt_step(PromptKind::Say, prompt, s)
            }
            RawAction::Play(p) => {
                let prompt = self.play(p);
                self.prompt_step(PromptKind::Play, prompt, s)
            }
            RawAction::Pause(p) => {
                let prompt = self.pause(p);
                self.prompt_step(PromptKind::Pause, prompt, s)
            }
            RawAction::Route(r) => self.route(name, r, s, rule_locs),
            RawAction::Set(set) => {
                let assigns = self.assigns(set);
                Action::Set {
                    assigns,
                    next: self.next_of(s),
                }
            }
            RawAction::Menu(m) => {
                self.no_next(s, StepKind::Menu);
                Action::Menu(Box::new(self.menu(&m.value, m.referenced)))
            }
            RawAction::Ask(a) => {
                Action::Ask(Box::new(self.ask(&a.value, a.referenced, outer_next)))
            }
            RawAction::Dial(d) => {
                Action::Dial(Box::new(self.dial(&d.value, d.referenced, outer_next)))
            }
            RawAction::Record(r) => Action::Record(Box::new(self.record(&r.value, outer_next))),
            RawAction::Enqueue(e) => {
                Action::Enqueue(Box::new(self.enqueue(&e.value, e.referenced, outer_next)))
            }
            RawAction::Conference(c) => Action::Conference(Box::new(self.conference(
                &c.value,
                c.referenced,
                outer_next,
            ))),
            RawAction::Redirect(r) => {
                self.no_next(s, StepKind::Redirect);
                self.redirect(r)
            }
            RawAction::Hangup(h) => {
                self.no_next(s, StepKind::Hangup);
                if !h.value {
                    self.err(
                        Kind::BadValue,
                        h.referenced,
                        "write `hangup: true` (there is nothing to turn off)",
                    );
                }
                Action::Hangup
            }
            RawAction::Reject(r) => {
                self.no_next(s, StepKind::Reject);
                if r.value != "busy" && r.value != "rejected" {
                    self.err(
                        Kind::BadValue,
                        r.referenced,
                        "`reject` is `busy` or `rejected`",
                    );
                }
                Action::Reject(r.value.clone())
            }
        }
    }

    /// The step's `next`, or hang up.
    fn next_of(&mut self, s: &RawStep) -> Target {
        self.target_opt(s.next.as_deref()).unwrap_or(Target::Hangup)
    }

    /// A `next` beside an action that never goes on is a mistake worth reporting.
    fn no_next(&mut self, s: &RawStep, kind: StepKind) {
        if let Some(n) = &s.next {
            self.err(
                Kind::Field,
                n.referenced,
                format!("`next` does nothing on a {kind} step"),
            );
        }
    }

    /// A `say`, `play` or `pause` step: its prompt, then `next`.
    fn prompt_step(&mut self, kind: PromptKind, prompt: Prompt, s: &RawStep) -> Action {
        Action::Prompt {
            kind,
            prompt,
            next: self.next_of(s),
        }
    }

    /// `play:` as a step: a URL, or a map with `url`, `loop`, `digits`.
    fn play(&mut self, p: &S<RawPlay>) -> Prompt {
        let part = match &p.value {
            RawPlay::Url(u) => PromptPart::Play {
                url: self.url_template(u, p.referenced),
                loop_count: None,
                digits: None,
            },
            RawPlay::Full(f) => {
                if f.url.is_none() && f.digits.is_none() {
                    self.err(Kind::Field, p.referenced, "`play` needs `url` or `digits`");
                }
                let digits = f.digits.as_ref().map(|d| {
                    self.check_dtmf(d, true);
                    d.value.clone()
                });
                PromptPart::Play {
                    url: f
                        .url
                        .as_ref()
                        .map(|u| self.url_template(&u.value, u.referenced))
                        .unwrap_or_default(),
                    loop_count: f.loop_count.as_ref().map(|l| l.value),
                    digits,
                }
            }
        };
        Prompt { parts: vec![part] }
    }

    /// `pause:` as a step: seconds of silence.
    fn pause(&mut self, p: &S<u32>) -> Prompt {
        if p.value == 0 {
            self.err(
                Kind::BadValue,
                p.referenced,
                "`pause` must be at least 1 second",
            );
        }
        Prompt {
            parts: vec![PromptPart::Pause(p.value.max(1))],
        }
    }

    /// `route:` — its rules, with warnings for rules that can never match and for a route
    /// that can fall through.
    fn route(
        &mut self,
        name: &S<String>,
        r: &S<Vec<S<RawRule>>>,
        s: &RawStep,
        rule_locs: &mut Vec<Loc>,
    ) -> Action {
        let mut rules = Vec::new();
        let mut unconditional: Option<Location> = None;
        for rule in &r.value {
            rule_locs.push(self.loc(rule.referenced));
            if let Some(u) = unconditional {
                let loc = self.loc(rule.referenced);
                let at = self.loc(u);
                self.diags.push(Diagnostic::warning(
                    Kind::ShadowedRule,
                    loc,
                    format!("this rule can never match: the rule at {at} has no `if` and always matches first"),
                ));
            }
            let cond = rule
                .value
                .cond
                .as_ref()
                .map(|c| self.cond(&c.value, c.referenced));
            let label = rule
                .value
                .cond
                .as_ref()
                .map(|c| cond_label(&c.value))
                .unwrap_or_else(|| "otherwise".into());
            if cond.is_none() && unconditional.is_none() {
                unconditional = Some(rule.referenced);
            }
            let goto = self.target(&rule.value.goto);
            rules.push(Rule { cond, goto, label });
        }
        let otherwise = self.target_opt(s.next.as_deref());
        if let (Some(u), Some(n)) = (unconditional, &s.next) {
            let loc = self.loc(n.referenced);
            let at = self.loc(u);
            self.diags.push(Diagnostic::warning(
                Kind::ShadowedRule,
                loc,
                format!("`next` is never used: the rule at {at} always matches"),
            ));
        }
        if unconditional.is_none() && otherwise.is_none() {
            let loc = self.loc(r.referenced);
            self.diags.push(
                Diagnostic::warning(
                    Kind::NoFallthrough,
                    loc,
                    format!("route `{}` has no rule without `if` and no `next`; when nothing matches the caller hears an apology", name.value),
                )
                .with_help("add a last rule `- goto: <step>` for everything else"),
            );
        }
        Action::Route { rules, otherwise }
    }

    /// `set:` — the assignments, in order.
    fn assigns(&mut self, set: &S<OrderedMap<S<String>>>) -> Vec<(String, Template)> {
        let mut assigns = Vec::new();
        for (k, v) in &set.value.0 {
            if !is_ident(&k.value) {
                self.err(
                    Kind::BadName,
                    k.referenced,
                    format!("`{}` is not a valid variable name", k.value),
                );
            }
            let t = self.template(&v.value, v.referenced);
            assigns.push((k.value.clone(), t));
        }
        assigns
    }

    /// `record:` — voicemail.
    fn record(&mut self, r: &RawRecord, outer_next: Option<&S<String>>) -> Record {
        let next = self.inner_next(r.next.as_ref(), outer_next);
        if let Some(m) = &r.max_length
            && !(2..=14400).contains(&m.value)
        {
            self.err(
                Kind::BadValue,
                m.referenced,
                "`max_length` must be 2 to 14400 seconds",
            );
        }
        if let Some(k) = &r.finish_on_key {
            self.check_dtmf(k, false);
        }
        Record {
            prompt: r
                .prompt
                .as_ref()
                .map(|p| self.prompt(p))
                .unwrap_or_default(),
            max_length: r.max_length.as_ref().map(|v| v.value),
            timeout: r.timeout.as_ref().map(|v| v.value),
            finish_on_key: r.finish_on_key.as_ref().map(|v| v.value.clone()),
            beep: r.beep.as_ref().map(|v| v.value),
            transcribe: r.transcribe.as_ref().map(|v| v.value),
            trim: r.trim.as_ref().map(|v| v.value),
            next,
            notify: self.notify(r.notify.as_ref()),
        }
    }

    /// `enqueue:` — a queue.
    fn enqueue(&mut self, e: &RawEnqueue, at: Location, outer_next: Option<&S<String>>) -> Enqueue {
        let next = self.inner_next(e.next.as_ref(), outer_next);
        let queue = self.required_template(
            e.queue.as_ref(),
            at,
            "`enqueue` needs `queue` (the queue name)",
        );
        Enqueue {
            queue,
            wait_url: e
                .wait_url
                .as_ref()
                .map(|u| self.wait_url_template(&u.value, u.referenced)),
            next,
        }
    }

    /// `conference:` — a room.
    fn conference(
        &mut self,
        c: &RawConference,
        at: Location,
        outer_next: Option<&S<String>>,
    ) -> Conference {
        let next = self.inner_next(c.next.as_ref(), outer_next);
        let room = self.required_template(c.room.as_ref(), at, "`conference` needs `room`");
        let beep = c.beep.as_ref().map(|b| {
            if !["true", "false", "onEnter", "onExit"].contains(&b.value.0.as_str()) {
                self.err(
                    Kind::BadValue,
                    b.referenced,
                    "`beep` is one of true, false, onEnter, onExit",
                );
            }
            b.value.0.clone()
        });
        if let Some(m) = &c.max_participants
            && !(2..=250).contains(&m.value)
        {
            self.err(
                Kind::BadValue,
                m.referenced,
                "`max_participants` must be 2 to 250",
            );
        }
        Conference {
            room,
            start_on_enter: c.start_on_enter.as_ref().map(|v| v.value),
            end_on_exit: c.end_on_exit.as_ref().map(|v| v.value),
            muted: c.muted.as_ref().map(|v| v.value),
            beep,
            wait_url: c
                .wait_url
                .as_ref()
                .map(|u| self.wait_url_template(&u.value, u.referenced)),
            max_participants: c.max_participants.as_ref().map(|v| v.value),
            record: c.record.as_ref().map(|v| v.value),
            next,
        }
    }

    /// `redirect:` — another flow (its start or a step), or an external TwiML URL.
    fn redirect(&mut self, r: &S<RawRedirect>) -> Action {
        let r_ = &r.value;
        match (&r_.flow, &r_.url) {
            (Some(f), None) => {
                let t = match &r_.step {
                    Some(st) => format!("@{}.{}", f.value, st.value),
                    None => format!("@{}", f.value),
                };
                let spanned = Spanned::new(t, f.referenced, f.defined);
                Action::Goto(self.target(&spanned))
            }
            (None, Some(u)) => {
                if let Some(st) = &r_.step {
                    self.err(
                        Kind::Field,
                        st.referenced,
                        "`step` goes with `flow`, not `url`",
                    );
                }
                Action::RedirectUrl(self.url_template(&u.value, u.referenced))
            }
            _ => {
                self.err(
                    Kind::Field,
                    r.referenced,
                    "`redirect` needs exactly one of `flow` or `url`",
                );
                Action::Hangup
            }
        }
    }

    /// A template the action cannot do without; its absence is reported at the action.
    pub(super) fn required_template(
        &mut self,
        v: Option<&S<String>>,
        at: Location,
        missing: &str,
    ) -> Template {
        match v {
            Some(v) => self.template(&v.value, v.referenced),
            None => {
                self.err(Kind::Field, at, missing);
                Template::default()
            }
        }
    }

    /// `next` may be inside the action (`record: { next: x }`) or beside it, not both.
    pub(super) fn inner_next(
        &mut self,
        inner: Option<&S<String>>,
        outer: Option<&S<String>>,
    ) -> Target {
        if let (Some(_), Some(o)) = (inner, outer) {
            self.err(
                Kind::Field,
                o.referenced,
                "`next` is given twice (inside the action and beside it)",
            );
        }
        self.target_opt(inner.or(outer)).unwrap_or(Target::Hangup)
    }
}
