//! Dials.

use super::*;
use crate::template::Template;

impl FlowCompiler<'_> {
    pub(super) fn dial(
        &mut self,
        d: &RawDial,
        at: Location,
        outer_next: Option<&S<String>>,
    ) -> Dial {
        let next = self.inner_next(d.next.as_ref(), outer_next);
        let mut to = Vec::new();
        match &d.to {
            None => self.err(
                Kind::Field,
                at,
                "`dial` needs `to` (a number, `sip:` URI or `client:` name, or a list)",
            ),
            Some(list) => {
                if list.value.0.is_empty() {
                    self.err(Kind::Field, list.referenced, "`to` lists nobody to dial");
                }
                if list.value.0.len() > 10 {
                    self.err(
                        Kind::BadValue,
                        list.referenced,
                        "Twilio dials at most 10 targets at once",
                    );
                }
                for t in &list.value.0 {
                    let l = if t.referenced == Location::UNKNOWN {
                        list.referenced
                    } else {
                        t.referenced
                    };
                    let tpl = self.template(&t.value, l);
                    let v = t.value.as_str();
                    // A target that is just a constant (`{{vars.sales_line}}`) is checked now.
                    if let [crate::template::Piece::Var(name)] = tpl.pieces()
                        && !self.runtime_vars.contains(name)
                        && let Some(value) = self.consts.get(name)
                        && !(is_e164(value) || is_sip(value) || is_client(value))
                    {
                        let value = value.clone();
                        self.err(
                            Kind::BadNumber,
                            l,
                            format!("`{v}` is `{value}`, which is not an E.164 number, a `sip:` URI or a `client:` name"),
                        );
                    }
                    let target = if !tpl.is_literal() || v.contains("{{") {
                        DialTarget::Dynamic(tpl)
                    } else if is_e164(v) {
                        DialTarget::Number(tpl)
                    } else if is_sip(v) {
                        DialTarget::Sip(tpl)
                    } else if let Some(id) = v.strip_prefix("client:") {
                        if !is_client(v) {
                            self.err(
                                Kind::BadNumber,
                                l,
                                format!("`{v}` is not a valid client identity"),
                            );
                        }
                        DialTarget::Client(Template::literal(id))
                    } else {
                        self.err(Kind::BadNumber, l, format!("`{v}` is not an E.164 number (`+14155550111`), a `sip:` URI or a `client:` name"));
                        DialTarget::Number(tpl)
                    };
                    to.push(target);
                }
            }
        }
        let sequential = match d.strategy.as_ref().map(|s| s.value.as_str()) {
            None | Some("simultaneous") => false,
            Some("sequential") => true,
            Some(other) => {
                if let Some(s) = &d.strategy {
                    self.err(
                        Kind::BadValue,
                        s.referenced,
                        format!("`strategy` is simultaneous or sequential, not `{other}`"),
                    );
                }
                false
            }
        };
        let record = d.record.as_ref().and_then(|r| {
            let v = r.value.0.as_str();
            match v {
                "true" => Some("record-from-answer".to_string()),
                "false" => None,
                "record-from-answer" | "record-from-ringing" | "record-from-answer-dual" | "record-from-ringing-dual" | "do-not-record" => Some(v.to_string()),
                _ => {
                    self.err(Kind::BadValue, r.referenced, format!("`record` is true, false, or a Twilio mode such as record-from-answer-dual, not `{v}`"));
                    None
                }
            }
        });
        if let Some(t) = &d.timeout
            && !(5..=600).contains(&t.value)
        {
            self.err(
                Kind::BadValue,
                t.referenced,
                "`timeout` must be 5 to 600 seconds",
            );
        }
        if let Some(sd) = &d.send_digits {
            self.check_dtmf(sd, true);
        }
        let fail = self.target_opt(d.on_fail.as_ref());
        let outcome = |c: &mut Self, t: Option<&S<String>>| {
            c.target_opt(t).or(fail).unwrap_or(Target::Hangup)
        };
        let on_busy = outcome(self, d.on_busy.as_ref());
        let on_no_answer = outcome(self, d.on_no_answer.as_ref());
        let on_failed = outcome(self, d.on_failed.as_ref());
        Dial {
            to,
            sequential,
            timeout: d.timeout.as_ref().map(|v| v.value),
            time_limit: d.time_limit.as_ref().map(|v| v.value),
            caller_id: d
                .caller_id
                .as_ref()
                .map(|c| self.template(&c.value, c.referenced)),
            record,
            answer_on_bridge: d.answer_on_bridge.as_ref().map(|v| v.value),
            hangup_on_star: d.hangup_on_star.as_ref().map(|v| v.value),
            ring_tone: d.ring_tone.as_ref().map(|v| v.value.clone()),
            send_digits: d.send_digits.as_ref().map(|v| v.value.clone()),
            next,
            on_busy,
            on_no_answer,
            on_failed,
            notify: self.notify(d.notify.as_ref()),
        }
    }
}
