//! Dials: the `<Dial>` of one or all targets, and its outcome.

use super::runner::{Next, Run};
use super::*;
use crate::flow::compile::{is_client, is_e164, is_sip};
use crate::flow::model::*;

impl<'a> Run<'a> {
    pub(super) fn dial(&mut self, f: FlowId, s: StepId, d: &Dial) -> Result<(), Failure> {
        let legs: Vec<&DialTarget> = if d.sequential {
            d.to.get(self.state.leg as usize).into_iter().collect()
        } else {
            d.to.iter().collect()
        };
        let status_cb = self.callback(&self.cfg.status_path);
        let events = status_cb
            .as_ref()
            .map(|_| "initiated ringing answered completed".to_string());
        let mut nouns = Vec::new();
        for t in legs {
            let (kind, tpl) = match t {
                DialTarget::Number(t) => ("number", t),
                DialTarget::Sip(t) => ("sip", t),
                DialTarget::Client(t) => ("client", t),
                DialTarget::Dynamic(t) => ("dynamic", t),
            };
            let v = tpl.render(self);
            let v = v.trim();
            let kind = if kind == "dynamic" {
                if is_e164(v) {
                    "number"
                } else if is_sip(v) {
                    "sip"
                } else if is_client(v) {
                    "client-prefixed"
                } else {
                    return Err(Failure::Step(format!(
                        "dial target `{v}` is not a number, SIP URI or client"
                    )));
                }
            } else {
                kind
            };
            nouns.push(match kind {
                "number" => {
                    if !is_e164(v) {
                        return Err(Failure::Step(format!(
                            "dial target `{v}` is not an E.164 number"
                        )));
                    }
                    twiml::DialNoun::Number(twiml::Number {
                        number: v.to_string(),
                        send_digits: d.send_digits.clone(),
                        status_callback: status_cb.clone(),
                        status_callback_event: events.clone(),
                        ..Default::default()
                    })
                }
                "sip" => twiml::DialNoun::Sip(twiml::Sip {
                    uri: v.to_string(),
                    status_callback: status_cb.clone(),
                    status_callback_event: events.clone(),
                    ..Default::default()
                }),
                _ => twiml::DialNoun::Client(twiml::Client {
                    identity: v.strip_prefix("client:").unwrap_or(v).to_string(),
                    status_callback: status_cb.clone(),
                    status_callback_event: events.clone(),
                    ..Default::default()
                }),
            });
        }
        if nouns.is_empty() {
            return Err(Failure::Step("nobody to dial".into()));
        }
        let action = self.action_url(f, s, Wait::Dial)?;
        let caller_id = d
            .caller_id
            .as_ref()
            .map(|c| c.render(self))
            .filter(|c| !c.is_empty());
        self.resp.push(twiml::Dial {
            action: Some(action),
            timeout: d.timeout,
            time_limit: d.time_limit,
            caller_id,
            answer_on_bridge: d.answer_on_bridge,
            hangup_on_star: d.hangup_on_star,
            record: d.record.clone(),
            recording_status_callback: d
                .record
                .as_deref()
                .filter(|r| *r != "do-not-record")
                .and_then(|_| self.callback(&self.cfg.recording_path)),
            ring_tone: d.ring_tone.clone(),
            nouns,
            ..Default::default()
        });
        let what = if d.sequential {
            "dial (sequential leg)"
        } else {
            "dial"
        };
        self.wait_event(f, s, what);
        Ok(())
    }

    pub(super) fn dial_result(&mut self, f: FlowId, s: StepId, d: &Dial) -> Result<Next, Failure> {
        let step = self.step_name(f, s);
        let status = self
            .params
            .get("DialCallStatus")
            .unwrap_or("failed")
            .to_string();
        self.answer = Some(Answer::Dial);
        self.trace.push(Event::Result {
            step,
            outcome: format!(
                "dial {status} (leg {} of {})",
                self.state.leg.saturating_add(1),
                if d.sequential { d.to.len() } else { 1 }
            ),
        });
        let last_leg = !d.sequential || (self.state.leg as usize + 1) >= d.to.len();
        if last_leg
            && !d.notify.is_empty()
            && matches!(status.as_str(), "busy" | "no-answer" | "failed")
        {
            // Nobody answered the whole dial: a missed call (a leg of a sequential dial
            // that rings the next is not one).
            self.notices.push(Notice {
                kind: NoticeKind::MissedCall,
                flow: self
                    .set
                    .get(f)
                    .map_or_else(|| "?".to_string(), |fl| fl.name.clone()),
                step: self.step_name(f, s),
                channels: d.notify.clone(),
                transcribe: false,
            });
        }
        if self.params.get("CallStatus") == Some("completed") {
            // The caller has hung up; nothing we return will play, so ring nobody else.
            self.state.leg = 0;
            self.trace.push(Event::Hangup);
            self.resp.push(Verb::Hangup);
            return Ok(Next::Done);
        }
        let answered = status == "completed" || status == "answered";
        if !answered && d.sequential && (self.state.leg as usize + 1) < d.to.len() {
            self.state.leg += 1;
            self.dial(f, s, d)?;
            return Ok(Next::Done);
        }
        self.state.leg = 0;
        let t = match status.as_str() {
            "completed" | "answered" => d.next,
            "busy" => d.on_busy,
            "no-answer" => d.on_no_answer,
            _ => d.on_failed,
        };
        Ok(self.goto(f, t))
    }
}
