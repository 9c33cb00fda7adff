//! Menus and asks: the `<Gather>`, its retries, and what the caller entered.

use super::runner::{Next, Run};
use super::*;
use crate::flow::compile::normalize_speech;
use crate::flow::model::*;

impl<'a> Run<'a> {
    pub(super) fn gather(
        &mut self,
        f: FlowId,
        s: StepId,
        wait: Wait,
        g: &GatherSettings,
    ) -> Result<(), Failure> {
        let action = self.action_url(f, s, wait)?;
        self.resp.push(twiml::Gather {
            action: Some(action),
            input: (g.input != "dtmf").then(|| g.input.to_string()),
            timeout: Some(g.timeout),
            num_digits: g.num_digits,
            finish_on_key: g.finish_on_key.clone(),
            // Twilio then calls back on silence too, so "no input" is handled here with its
            // own message and the shared attempt counter.
            action_on_empty_result: Some(true),
            language: if g.input == "dtmf" {
                None
            } else {
                g.language.clone()
            },
            hints: g.hints.clone(),
            speech_model: g.speech_model.clone(),
            speech_timeout: g.speech_timeout.clone(),
            children: self.prompt_children(&g.prompt),
            ..Default::default()
        });
        let what = if wait == Wait::Menu {
            "menu choice"
        } else {
            "input"
        };
        self.wait_event(f, s, what);
        Ok(())
    }

    /// A wrong answer or silence: say why, then ask again or give up.
    pub(super) fn retry(
        &mut self,
        f: FlowId,
        s: StepId,
        wait: Wait,
        g: &GatherSettings,
        no_input: bool,
    ) -> Result<Next, Failure> {
        let msg = if no_input { &g.no_input } else { &g.invalid };
        let attempt = self.state.attempt.max(1);
        if attempt >= g.attempts {
            if wait == Wait::Menu {
                self.answer = Some(Answer::Menu(MenuAnswer::Exhausted));
            }
            self.trace.push(Event::Exhausted {
                step: self.step_name(f, s),
                attempts: g.attempts,
            });
            for v in self.prompt_verbs(msg) {
                self.resp.push(v);
            }
            self.state.attempt = 0;
            if g.exhausted == Target::Hangup {
                let bye = self.say("Goodbye.".into());
                self.resp.push(bye);
            }
            return Ok(self.goto(f, g.exhausted));
        }
        for v in self.prompt_verbs(msg) {
            self.resp.push(v);
        }
        self.state.attempt = attempt + 1;
        let (Some(fl), Some(step)) = (self.set.get(f), self.set.step(f, s)) else {
            return Err(Failure::Step(format!("no step #{s} in flow #{f}")));
        };
        self.trace.push(Event::Enter {
            flow: fl.name.clone(),
            step: step.name.clone(),
            kind: step.action.kind(),
        });
        self.gather(f, s, wait, g)?;
        Ok(Next::Done)
    }

    /// What the caller entered: digits, else speech (absent and empty are the same).
    pub(super) fn input(&self) -> (Option<&'a str>, Option<&'a str>) {
        let digits = self.params.get("Digits").filter(|d| !d.is_empty());
        let speech = self
            .params
            .get("SpeechResult")
            .filter(|s| !s.trim().is_empty());
        (digits, speech)
    }

    pub(super) fn menu_result(&mut self, f: FlowId, s: StepId, m: &Menu) -> Result<Next, Failure> {
        let step = self.step_name(f, s);
        let (digits, speech) = self.input();
        let heard = digits.or(speech).unwrap_or("").to_string();
        let chosen = if let Some(d) = digits {
            m.options
                .iter()
                .find(|(k, _)| k == d)
                .map(|(k, t)| (format!("option {k}"), *t))
        } else if let Some(sp) = speech {
            let said = normalize_speech(sp);
            let padded = format!(" {said} ");
            m.speech
                .iter()
                .find(|(k, _)| padded.contains(&format!(" {k} ")))
                .map(|(k, t)| (format!("keyword \"{k}\""), *t))
                .or_else(|| {
                    m.options
                        .iter()
                        .find(|(k, _)| *k == said)
                        .map(|(k, t)| (format!("option {k} (spoken)"), *t))
                })
        } else {
            None
        };
        match chosen {
            Some((why, t)) => {
                self.trace.push(Event::Input {
                    step,
                    heard,
                    outcome: why,
                });
                self.answer = Some(Answer::Menu(MenuAnswer::Matched));
                self.state.attempt = 0;
                Ok(self.goto(f, t))
            }
            None => {
                let no_input = digits.is_none() && speech.is_none();
                let outcome = if no_input {
                    "no input"
                } else {
                    "not an option"
                };
                self.trace.push(Event::Input {
                    step,
                    heard,
                    outcome: format!(
                        "{outcome} (try {} of {})",
                        self.state.attempt.max(1),
                        m.gather.attempts
                    ),
                });
                // `retry` turns it into `Exhausted` on the last try.
                self.answer = Some(Answer::Menu(if no_input {
                    MenuAnswer::NoInput
                } else {
                    MenuAnswer::Invalid
                }));
                self.retry(f, s, Wait::Menu, &m.gather, no_input)
            }
        }
    }

    pub(super) fn ask_result(&mut self, f: FlowId, s: StepId, a: &Ask) -> Result<Next, Failure> {
        let step = self.step_name(f, s);
        let (digits, speech) = self.input();
        let Some(value) = digits.or(speech) else {
            self.trace.push(Event::Input {
                step,
                heard: String::new(),
                outcome: format!(
                    "no input (try {} of {})",
                    self.state.attempt.max(1),
                    a.gather.attempts
                ),
            });
            return self.retry(f, s, Wait::Ask, &a.gather, true);
        };
        let value = value.trim();
        let mut captures = Vec::new();
        if a.sensitive {
            self.secrets.push(value.to_string());
        }
        let ok = match &a.pattern {
            None => true,
            Some(re) => super::eval::matches_capturing(re, value, &mut captures),
        };
        if !ok {
            self.trace.push(Event::Input {
                step,
                heard: value.to_string(),
                outcome: format!(
                    "does not match the pattern (try {} of {})",
                    self.state.attempt.max(1),
                    a.gather.attempts
                ),
            });
            return self.retry(f, s, Wait::Ask, &a.gather, false);
        }
        self.trace.push(Event::Input {
            step,
            heard: value.to_string(),
            outcome: "accepted".into(),
        });
        self.state.attempt = 0;
        self.assign(&a.save_as, value)?;
        for (k, v) in captures {
            self.assign(&k, &v)?;
        }
        Ok(self.goto(f, a.next))
    }
}
