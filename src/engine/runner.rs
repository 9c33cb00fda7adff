//! One run of the interpreter: entering the flow, following targets step by step, and the
//! safe answer when something fails. The steps are in `step`, waiting ones in `gather` and
//! `dial`, conditions in `eval`.
//!
//! Every lookup by id goes through [`FlowSet::get`] / [`Flow::get`]: an id that points
//! nowhere becomes a run-time failure (the apology), never a panic.

use std::fmt::Write as _;

use super::*;
use crate::flow::model::*;
use crate::template::{Scope, Template};
use crate::twiml::GatherChild;

/// The state of one run.
pub(super) struct Run<'a> {
    /// The flows.
    pub(super) set: &'a FlowSet,
    /// Base URL, callbacks, apology.
    pub(super) cfg: &'a Config,
    /// The webhook's parameters.
    pub(super) params: &'a Params,
    /// The time schedules are evaluated at.
    pub(super) now: Timestamp,
    /// Call variables and counters, carried into action URLs.
    pub(super) state: CallState,
    /// The document being built.
    pub(super) resp: Response,
    /// What happened, in order.
    pub(super) trace: Vec<Event>,
    /// Steps run in this response (the loop guard).
    pub(super) steps: usize,
    /// The flow currently running.
    pub(super) flow: Option<FlowId>,
    /// How the webhook found its flow, once it has.
    pub(super) routed: Option<Routed>,
    /// What the caller entered at a sensitive ask in this run ([`Outcome::secrets`]).
    pub(super) secrets: Vec<String>,
    /// What `notify` channels must hear of ([`Outcome::notices`]).
    pub(super) notices: Vec<Notice>,
    /// What a resumed menu or dial made of Twilio's answer ([`Outcome::answer`]).
    pub(super) answer: Option<Answer>,
}

impl Scope for Run<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }
    /// A constant of the running flow first: call variables never override one, even
    /// when a forged or stale action URL carries `v.NAME` for it (the loader refuses flows
    /// that assign a constant's name, `assigns-constant`).
    fn var(&self, name: &str) -> Option<&str> {
        self.flow
            .and_then(|f| self.set.get(f))
            .and_then(|f| f.consts.get(name).map(|s| s.as_str()))
            .or_else(|| self.state.var(name))
    }
}

/// Where to continue after handling a step.
pub(super) enum Next {
    /// Run this step.
    Go(FlowId, StepId),
    /// The response is complete (waiting for Twilio, or the call ends).
    Done,
}

impl<'a> Run<'a> {
    /// A run that has done nothing yet.
    pub(super) fn new(
        set: &'a FlowSet,
        cfg: &'a Config,
        params: &'a Params,
        now: Timestamp,
    ) -> Run<'a> {
        Run {
            set,
            cfg,
            params,
            now,
            state: CallState::default(),
            resp: Response::new(),
            trace: Vec::new(),
            steps: 0,
            flow: None,
            routed: None,
            secrets: Vec::new(),
            notices: Vec::new(),
            answer: None,
        }
    }

    /// The name of a step, or `?` for an id that points nowhere.
    pub(super) fn step_name(&self, f: FlowId, s: StepId) -> String {
        self.set
            .step(f, s)
            .map_or_else(|| "?".to_string(), |st| st.name.clone())
    }

    pub(super) fn finish(mut self, result: Result<(), Failure>) -> Outcome {
        let mut failed = false;
        if let Err(e) = result {
            failed = true;
            self.fail(e);
        }
        let mut twiml = self.resp.to_xml();
        if twiml.len() > twiml::MAX_DOCUMENT_BYTES {
            failed = true;
            self.trace.push(Event::Error {
                message: format!(
                    "document of {} bytes is over Twilio's 64 kB limit",
                    twiml.len()
                ),
            });
            twiml = safe_document(&self.cfg.apology, None);
            self.resp = Response::new();
        }
        let secrets = self.secrets();
        Outcome {
            twiml,
            response: self.resp,
            secrets,
            notices: self.notices,
            trace: self.trace,
            flow: self
                .flow
                .and_then(|f| self.set.get(f))
                .map(|f| f.name.clone()),
            routed: self.routed,
            failed,
            answer: self.answer,
        }
    }

    /// The safe answer: apology, then `on_error` (once), else hang up.
    pub(super) fn fail(&mut self, e: Failure) {
        self.trace.push(Event::Error {
            message: e.to_string(),
        });
        self.resp = Response::new();
        let apology = self.say(self.cfg.apology.clone());
        self.resp.push(apology);
        let on_error = self
            .flow
            .and_then(|f| self.set.get(f)?.on_error.map(|s| (f, s)));
        if let Some((f, s)) = on_error {
            self.trace.push(Event::OnError {
                step: self.step_name(f, s),
            });
            self.steps = 0;
            let mark = self.resp.verbs.len();
            if let Err(e2) = self.run_from(Next::Go(f, s)) {
                // The error step failed too: keep the apology, end the call.
                self.trace.push(Event::Error {
                    message: e2.to_string(),
                });
                self.resp.verbs.truncate(mark);
                self.resp.push(Verb::Hangup);
            }
        } else {
            self.resp.push(Verb::Hangup);
        }
    }

    pub(super) fn start(&mut self, entry: Entry<'_>) -> Result<(), Failure> {
        match entry {
            Entry::Incoming => self.incoming(),
            Entry::Continue { flow, step, query } => {
                self.state = CallState::decode(query);
                let Some((fid, fl)) = self.set.flow(flow) else {
                    self.trace.push(Event::Restart {
                        reason: format!("flow `{flow}` no longer exists; routing by number"),
                    });
                    // The call's variables survive; its place in the old flow does not.
                    self.state.wait = None;
                    self.state.attempt = 0;
                    self.state.leg = 0;
                    return self.incoming();
                };
                self.flow = Some(fid);
                self.routed = Some(Routed::Url(fid));
                let Some((sid, st)) = fl.step(step).and_then(|sid| Some((sid, fl.get(sid)?)))
                else {
                    self.trace.push(Event::Restart {
                        reason: format!(
                            "step `{step}` no longer exists in `{flow}`; restarting at its start"
                        ),
                    });
                    self.state.wait = None;
                    self.state.attempt = 0;
                    self.state.leg = 0;
                    return self.run_from(Next::Go(fid, fl.start));
                };
                let next = self.resume(fid, sid, st, flow, step)?;
                self.run_from(next)
            }
        }
    }

    /// Where a continuation goes: the result of what the step waited for, or the step
    /// itself.
    fn resume(
        &mut self,
        fid: FlowId,
        sid: StepId,
        st: &'a Step,
        flow: &str,
        step: &str,
    ) -> Result<Next, Failure> {
        let wait = self.state.wait.take();
        Ok(match (wait, &st.action) {
            (Some(Wait::Menu), Action::Menu(m)) => self.menu_result(fid, sid, m)?,
            (Some(Wait::Ask), Action::Ask(a)) => self.ask_result(fid, sid, a)?,
            (Some(Wait::Dial), Action::Dial(d)) => self.dial_result(fid, sid, d)?,
            (Some(Wait::Record), Action::Record(r)) => {
                if !r.notify.is_empty()
                    && self
                        .params
                        .get("RecordingUrl")
                        .is_some_and(|u| !u.is_empty())
                {
                    self.notices.push(Notice {
                        kind: NoticeKind::Voicemail,
                        flow: flow.to_string(),
                        step: step.to_string(),
                        channels: r.notify.clone(),
                        transcribe: r.transcribe == Some(true),
                    });
                }
                self.trace.push(Event::Result {
                    step: step.to_string(),
                    outcome: format!(
                        "recorded {}s",
                        self.params.get("RecordingDuration").unwrap_or("?")
                    ),
                });
                self.goto(fid, r.next)
            }
            (Some(Wait::Enqueue), Action::Enqueue(e)) => {
                self.trace.push(Event::Result {
                    step: step.to_string(),
                    outcome: format!(
                        "left the queue: {}",
                        self.params.get("QueueResult").unwrap_or("unknown")
                    ),
                });
                self.goto(fid, e.next)
            }
            (Some(Wait::Conference), Action::Conference(c)) => {
                self.trace.push(Event::Result {
                    step: step.to_string(),
                    outcome: "left the conference".into(),
                });
                self.goto(fid, c.next)
            }
            (Some(_), _) => {
                // The flow changed under the call: the step is now something else.
                self.trace.push(Event::Restart {
                    reason: format!("step `{step}` changed kind; entering it afresh"),
                });
                self.state.attempt = 0;
                self.state.leg = 0;
                Next::Go(fid, sid)
            }
            (None, _) => {
                self.trace.push(Event::Resume {
                    flow: flow.to_string(),
                    step: step.to_string(),
                });
                Next::Go(fid, sid)
            }
        })
    }

    pub(super) fn incoming(&mut self) -> Result<(), Failure> {
        let to = self.params.get("To").unwrap_or("");
        match self.set.numbers().lookup(to) {
            Some((fid, how)) => {
                let Some(fl) = self.set.get(fid) else {
                    return Err(Failure::Step("number index points at no flow".into()));
                };
                self.trace.push(Event::Number {
                    to: to.to_string(),
                    flow: fl.name.clone(),
                    how,
                });
                self.flow = Some(fid);
                self.routed = Some(Routed::Number(fid, how));
                self.run_from(Next::Go(fid, fl.start))
            }
            None => {
                self.routed = Some(Routed::NoFlow);
                self.trace.push(Event::NoFlow { to: to.to_string() });
                self.resp.push(twiml::Reject::default());
                Ok(())
            }
        }
    }

    /// Resolves a target to the next step; `hangup` ends the call here.
    pub(super) fn goto(&mut self, from: FlowId, t: Target) -> Next {
        match t {
            Target::Step(s) => Next::Go(from, s),
            Target::Flow(f, s) => Next::Go(f, s),
            Target::FlowStart(f) => match self.set.get(f) {
                Some(fl) => Next::Go(f, fl.start),
                None => Next::Done,
            },
            Target::Hangup => {
                self.resp.push(Verb::Hangup);
                self.trace.push(Event::Hangup);
                Next::Done
            }
        }
    }

    pub(super) fn run_from(&mut self, mut next: Next) -> Result<(), Failure> {
        while let Next::Go(f, s) = next {
            self.steps += 1;
            if self.steps > MAX_STEPS_PER_RESPONSE {
                return Err(Failure::Loop);
            }
            let set = self.set;
            let Some(fl) = set.get(f) else {
                return Err(Failure::Step("target flow is missing".into()));
            };
            let Some(step) = fl.get(s) else {
                return Err(Failure::Step(format!(
                    "flow `{}` has no step #{s}",
                    fl.name
                )));
            };
            if self.flow != Some(f) {
                self.flow = Some(f);
            }
            self.trace.push(Event::Enter {
                flow: fl.name.clone(),
                step: step.name.clone(),
                kind: step.action.kind(),
            });
            next = self.step(f, s, &step.action)?;
        }
        Ok(())
    }

    /// A `<Say>` of built-in text in the current flow's voice and language.
    pub(super) fn say(&self, text: String) -> twiml::Say {
        let fl = self.flow.and_then(|f| self.set.get(f));
        twiml::Say {
            text,
            voice: fl.and_then(|f| f.voice.clone()),
            language: fl.and_then(|f| f.language.clone()),
            loop_count: None,
        }
    }

    pub(super) fn wait_event(&mut self, f: FlowId, s: StepId, what: &'static str) {
        let step = self.step_name(f, s);
        self.trace.push(Event::Wait { step, what });
    }

    pub(super) fn target_name(&self, from: FlowId, t: Target) -> String {
        let name = |f: FlowId, s: StepId| {
            let st = self.set.step(f, s).map(|x| x.name.as_str()).unwrap_or("?");
            if f == from {
                st.to_string()
            } else {
                let fl = self.set.get(f).map(|x| x.name.as_str()).unwrap_or("?");
                format!("@{fl}.{st}")
            }
        };
        match t {
            Target::Step(s) => name(from, s),
            Target::Flow(f, s) => name(f, s),
            Target::FlowStart(f) => format!(
                "@{}",
                self.set.get(f).map(|x| x.name.as_str()).unwrap_or("?")
            ),
            Target::Hangup => "hangup".into(),
        }
    }

    /// This run's secrets plus the current values of the variables the running flow's
    /// sensitive asks set (they travel in the call state into later webhooks, where a rule
    /// may compare them).
    fn secrets(&mut self) -> Vec<String> {
        let mut secrets = std::mem::take(&mut self.secrets);
        let Some(flow) = self.flow.and_then(|f| self.set.get(f)) else {
            return secrets;
        };
        for step in &flow.steps {
            let Action::Ask(a) = &step.action else {
                continue;
            };
            if !a.sensitive {
                continue;
            }
            let captures = a.pattern.iter().flat_map(|re| re.capture_names().flatten());
            for name in std::iter::once(a.save_as.as_str()).chain(captures) {
                if let Some(v) = self.state.var(name)
                    && !v.is_empty()
                    && !secrets.iter().any(|s| s == v)
                {
                    secrets.push(v.to_string());
                }
            }
        }
        secrets
    }

    pub(super) fn assign(&mut self, name: &str, value: &str) -> Result<(), Failure> {
        if !self.state.set_var(name, value) {
            return Err(Failure::Step(format!(
                "more than {} call variables",
                state::MAX_VARS
            )));
        }
        self.trace.push(Event::Set {
            name: name.to_string(),
            value: self.state.var(name).unwrap_or("").to_string(),
        });
        Ok(())
    }

    /// A template rendered as a URL: relative paths get the public base.
    pub(super) fn url(&self, t: &Template) -> String {
        let u = t.render_url(self);
        if u.starts_with('/') {
            format!("{}{u}", self.cfg.base_url)
        } else {
            u
        }
    }

    pub(super) fn callback(&self, path: &Option<String>) -> Option<String> {
        path.as_ref().map(|p| format!("{}{p}", self.cfg.base_url))
    }

    /// `{base}/voice/{flow}/{step}?{state}` with `wait` recorded.
    pub(super) fn action_url(&self, f: FlowId, s: StepId, wait: Wait) -> Result<String, Failure> {
        let (Some(fl), Some(step)) = (self.set.get(f), self.set.step(f, s)) else {
            return Err(Failure::Step(format!("no step #{s} in flow #{f}")));
        };
        let mut st = self.state.clone();
        st.wait = Some(wait);
        let mut url = String::with_capacity(128);
        let _ = write!(
            url,
            "{}/voice/{}/{}?",
            self.cfg.base_url, fl.name, step.name
        );
        let before = url.len();
        st.encode_into(&mut url);
        if url.len() - before > state::MAX_STATE_BYTES {
            return Err(Failure::Step(format!(
                "call state is over {} bytes",
                state::MAX_STATE_BYTES
            )));
        }
        Ok(url)
    }

    pub(super) fn prompt_verbs(&self, p: &Prompt) -> Vec<Verb> {
        self.prompt_children(p)
            .into_iter()
            .map(|c| match c {
                GatherChild::Say(s) => Verb::Say(s),
                GatherChild::Play(p) => Verb::Play(p),
                GatherChild::Pause(p) => Verb::Pause(p),
            })
            .collect()
    }

    pub(super) fn prompt_children(&self, p: &Prompt) -> Vec<GatherChild> {
        p.parts
            .iter()
            .map(|part| match part {
                PromptPart::Say {
                    text,
                    voice,
                    language,
                    loop_count,
                } => GatherChild::Say(twiml::Say {
                    text: text.render(self),
                    voice: voice.clone(),
                    language: language.clone(),
                    loop_count: *loop_count,
                }),
                PromptPart::Play {
                    url,
                    loop_count,
                    digits,
                } => GatherChild::Play(twiml::Play {
                    url: self.url(url),
                    loop_count: *loop_count,
                    digits: digits.clone(),
                }),
                PromptPart::Pause(n) => GatherChild::Pause(twiml::Pause { length: Some(*n) }),
            })
            .collect()
    }
}
