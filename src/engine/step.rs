//! One step that needs nothing from Twilio runs here, or starts what Twilio calls back
//! about (`gather`, `dial`).

use super::runner::{Next, Run};
use super::*;
use crate::flow::model::*;

impl<'a> Run<'a> {
    /// Runs one step: what it adds to the document, and where control goes next.
    pub(super) fn step(
        &mut self,
        f: FlowId,
        s: StepId,
        action: &'a Action,
    ) -> Result<Next, Failure> {
        Ok(match action {
            Action::Prompt { prompt, next, .. } => {
                for v in self.prompt_verbs(prompt) {
                    self.resp.push(v);
                }
                self.goto(f, *next)
            }
            Action::Route { rules, otherwise } => self.route(f, rules, *otherwise)?,
            Action::Set { assigns, next } => {
                for (k, t) in assigns {
                    let v = t.render(self);
                    self.assign(k, &v)?;
                }
                self.goto(f, *next)
            }
            Action::Menu(m) => {
                self.state.attempt = 1;
                self.gather(f, s, Wait::Menu, &m.gather)?;
                Next::Done
            }
            Action::Ask(a) => {
                self.state.attempt = 1;
                self.gather(f, s, Wait::Ask, &a.gather)?;
                Next::Done
            }
            Action::Dial(d) => {
                self.state.leg = 0;
                self.dial(f, s, d)?;
                Next::Done
            }
            Action::Record(r) => {
                self.record(f, s, r)?;
                Next::Done
            }
            Action::Enqueue(e) => {
                self.enqueue(f, s, e)?;
                Next::Done
            }
            Action::Conference(c) => {
                self.conference(f, s, c)?;
                Next::Done
            }
            Action::Goto(t) => self.goto(f, *t),
            Action::RedirectUrl(u) => {
                let url = self.url(u);
                // Load-time checks keep call values out of the URL's start; this catches a
                // constant that is not a URL at all.
                if !(url.starts_with("https://")
                    || url.starts_with("http://")
                    || url.starts_with('/'))
                {
                    return Err(Failure::Step("redirect URL is not an http(s) URL".into()));
                }
                self.resp.push(twiml::Redirect { url, method: None });
                Next::Done
            }
            Action::Hangup => {
                self.resp.push(Verb::Hangup);
                self.trace.push(Event::Hangup);
                Next::Done
            }
            Action::Reject(reason) => {
                self.resp.push(twiml::Reject {
                    reason: Some(reason.clone()),
                });
                Next::Done
            }
        })
    }

    /// The first rule that matches wins (its captures become call variables); else
    /// `otherwise`.
    fn route(
        &mut self,
        f: FlowId,
        rules: &'a [Rule],
        otherwise: Option<Target>,
    ) -> Result<Next, Failure> {
        // Notes (schedule verdicts) from rules that did not match explain the one that
        // did: "otherwise → closed [office: closed: no hours on Sun …]".
        let mut notes = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let mut captures = Vec::new();
            let ok = match &rule.cond {
                None => true,
                Some(c) => self.eval(c, &mut captures, &mut notes),
            };
            if ok {
                for (k, v) in captures {
                    self.assign(&k, &v)?;
                }
                let to = self.target_name(f, rule.goto);
                self.trace.push(Event::Rule {
                    index: Some(i + 1),
                    label: rule.label.clone(),
                    notes,
                    to,
                });
                return Ok(self.goto(f, rule.goto));
            }
        }
        match otherwise {
            Some(t) => {
                let to = self.target_name(f, t);
                self.trace.push(Event::Rule {
                    index: None,
                    label: "no rule matched; next".into(),
                    notes,
                    to,
                });
                Ok(self.goto(f, t))
            }
            None => Err(Failure::Step(
                "no rule matched and the route has no `next`".into(),
            )),
        }
    }

    /// `<Record>`, then a redirect to its own action URL.
    fn record(&mut self, f: FlowId, s: StepId, r: &Record) -> Result<(), Failure> {
        for v in self.prompt_verbs(&r.prompt) {
            self.resp.push(v);
        }
        let action = self.action_url(f, s, Wait::Record)?;
        self.resp.push(twiml::Record {
            action: Some(action.clone()),
            max_length: r.max_length,
            timeout: r.timeout,
            finish_on_key: r.finish_on_key.clone(),
            play_beep: r.beep,
            transcribe: r.transcribe,
            // Only when transcribing: Twilio sends nothing there otherwise.
            transcribe_callback: if r.transcribe == Some(true) {
                self.callback(&self.cfg.transcription_path)
            } else {
                None
            },
            trim: r
                .trim
                .map(|t| if t { "trim-silence" } else { "do-not-trim" }.to_string()),
            recording_status_callback: self.callback(&self.cfg.recording_path),
            recording_status_callback_event: self
                .cfg
                .recording_path
                .as_ref()
                .map(|_| "completed absent".to_string()),
            ..Default::default()
        });
        // Reference §6.6: whether an empty recording falls through is unverified, so a
        // redirect to the same action keeps the flow going either way.
        self.resp.push(twiml::Redirect {
            url: action,
            method: None,
        });
        self.wait_event(f, s, "record");
        Ok(())
    }

    /// `<Enqueue>`.
    fn enqueue(&mut self, f: FlowId, s: StepId, e: &Enqueue) -> Result<(), Failure> {
        let name = e.queue.render(self);
        let action = self.action_url(f, s, Wait::Enqueue)?;
        self.resp.push(twiml::Enqueue {
            name,
            action: Some(action),
            wait_url: e.wait_url.as_ref().map(|u| self.url(u)),
            ..Default::default()
        });
        self.wait_event(f, s, "enqueue");
        Ok(())
    }

    /// `<Dial><Conference>`.
    fn conference(&mut self, f: FlowId, s: StepId, c: &Conference) -> Result<(), Failure> {
        let action = self.action_url(f, s, Wait::Conference)?;
        let conf = twiml::Conference {
            name: c.room.render(self),
            start_conference_on_enter: c.start_on_enter,
            end_conference_on_exit: c.end_on_exit,
            muted: c.muted,
            beep: c.beep.clone(),
            wait_url: c.wait_url.as_ref().map(|u| self.url(u)),
            max_participants: c.max_participants,
            record: c.record.map(|r| {
                if r {
                    "record-from-start"
                } else {
                    "do-not-record"
                }
                .to_string()
            }),
            recording_status_callback: c
                .record
                .filter(|r| *r)
                .and_then(|_| self.callback(&self.cfg.recording_path)),
            ..Default::default()
        };
        self.resp.push(twiml::Dial {
            action: Some(action),
            nouns: vec![conf.into()],
            ..Default::default()
        });
        self.wait_event(f, s, "conference");
        Ok(())
    }
}
