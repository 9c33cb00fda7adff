//! Prompts, URLs, templates and DTMF strings.

use super::*;
use crate::template::{Template, is_twilio_param};

impl FlowCompiler<'_> {
    pub(super) fn prompt(&mut self, p: &S<RawPrompt>) -> Prompt {
        let mut parts = Vec::new();
        match &p.value {
            RawPrompt::Text(t) => parts.push(self.text_part(t, p.referenced, None, None, None)),
            RawPrompt::Items(items) => {
                for it in items {
                    let loc = if it.referenced == Location::UNKNOWN {
                        p.referenced
                    } else {
                        it.referenced
                    };
                    let i = &it.value;
                    let set = [i.say.is_some(), i.play.is_some(), i.pause.is_some()]
                        .iter()
                        .filter(|b| **b)
                        .count();
                    let digits_only = set == 0 && i.digits.is_some();
                    if set != 1 && !digits_only {
                        self.err(
                            Kind::StepActions,
                            loc,
                            "each prompt item has exactly one of `say`, `play`, `pause`",
                        );
                        continue;
                    }
                    let voice = i.voice.as_ref().map(|v| v.value.clone());
                    let language = i.language.as_ref().map(|v| v.value.clone());
                    let loop_count = i.loop_count.as_ref().map(|v| v.value);
                    if let Some(s) = &i.say {
                        parts.push(PromptPart::Say {
                            text: self.template(&s.value, s.referenced),
                            voice: voice.or_else(|| self.voice.clone()),
                            language: language.or_else(|| self.language.clone()),
                            loop_count,
                        });
                    } else if let Some(u) = &i.play {
                        let digits = i.digits.as_ref().map(|d| {
                            self.check_dtmf(d, true);
                            d.value.clone()
                        });
                        parts.push(PromptPart::Play {
                            url: self.url_template(&u.value, u.referenced),
                            loop_count,
                            digits,
                        });
                    } else if let Some(n) = &i.pause {
                        if n.value == 0 {
                            self.err(
                                Kind::BadValue,
                                n.referenced,
                                "`pause` must be at least 1 second",
                            );
                        }
                        parts.push(PromptPart::Pause(n.value.max(1)));
                    } else if let Some(d) = &i.digits {
                        self.check_dtmf(d, true);
                        parts.push(PromptPart::Play {
                            url: Template::default(),
                            loop_count,
                            digits: Some(d.value.clone()),
                        });
                    }
                }
            }
        }
        Prompt { parts }
    }

    /// A prompt string: an `http(s)://` URL is played, anything else said.
    pub(super) fn text_part(
        &mut self,
        t: &str,
        l: Location,
        voice: Option<String>,
        language: Option<String>,
        loop_count: Option<u32>,
    ) -> PromptPart {
        if t.starts_with("https://") || t.starts_with("http://") {
            PromptPart::Play {
                url: self.template(t, l),
                loop_count,
                digits: None,
            }
        } else {
            PromptPart::Say {
                text: self.template(t, l),
                voice: voice.or_else(|| self.voice.clone()),
                language: language.or_else(|| self.language.clone()),
                loop_count,
            }
        }
    }

    pub(super) fn check_dtmf(&mut self, d: &S<String>, allow_w: bool) {
        let ok = d
            .value
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#' || (allow_w && c == 'w'));
        if !ok || d.value.is_empty() && allow_w {
            let what = if allow_w {
                "digits 0-9, `*`, `#` and `w` (half-second wait)"
            } else {
                "digits 0-9, `*` and `#`"
            };
            self.err(
                Kind::BadValue,
                d.referenced,
                format!("`{}` may contain only {what}", d.value),
            );
        }
    }

    /// A hold-music URL: empty is meaningful there (Twilio's `waitUrl=""` is silence).
    pub(super) fn wait_url_template(&mut self, u: &str, l: Location) -> Template {
        if u.is_empty() {
            return Template::default();
        }
        self.url_template(u, l)
    }

    pub(super) fn url_template(&mut self, u: &str, l: Location) -> Template {
        let t = self.template(u, l);
        let ok = u.starts_with("https://")
            || u.starts_with("http://")
            || u.starts_with('/')
            || u.starts_with("{{");
        if !ok {
            self.err(
                Kind::BadValue,
                l,
                format!("`{u}` is not a URL (expected `https://…` or a path starting with `/`)"),
            );
        }
        // A name that starts a URL supplies the whole URL, so it must come from the operator
        // (a constant), never from the caller: a spoken or typed URL would send the call to
        // any TwiML server, or forge call state in a `/voice/...` path that Twilio then signs.
        let caller_controlled = match t.pieces().first() {
            Some(crate::template::Piece::Param(p)) => Some(format!("{{{{{p}}}}}")),
            Some(crate::template::Piece::Var(v))
                if self.runtime_vars.contains(v) || !self.consts.contains_key(v) =>
            {
                Some(format!("{{{{vars.{v}}}}}"))
            }
            _ => None,
        };
        if let Some(name) = caller_controlled {
            self.diags.push(
                Diagnostic::error(
                    Kind::BadValue,
                    self.loc(l),
                    format!("a URL cannot start with `{name}`: its value is set during the call, so the caller could choose where the call goes"),
                )
                .with_help("start the URL with `https://`, `/`, or a constant from `vars:`; put call values after it (`…?account={{vars.account}}`)"),
            );
        }
        t
    }

    pub(super) fn template(&mut self, text: &str, l: Location) -> Template {
        let known = &self.known_vars;
        match Template::compile(text, is_twilio_param, |v| known.contains(v)) {
            Ok(t) => t,
            Err(errs) => {
                for e in errs {
                    let loc = self.loc_in_scalar(l, text, e.offset);
                    let mut d = Diagnostic::error(Kind::BadTemplate, loc, e.message.clone());
                    if let Some(name) = e
                        .message
                        .strip_prefix("unknown variable `vars.")
                        .and_then(|m| m.strip_suffix('`'))
                    {
                        if let Some(h) = crate::diag::did_you_mean(
                            name,
                            self.known_vars.iter().map(|s| s.as_str()),
                        ) {
                            d = d.with_help(format!("did you mean `vars.{h}`?"));
                        } else {
                            d = d.with_help("define it under `vars:`, with `set:`, `ask: { save_as: … }` or a named capture");
                        }
                    } else if let Some(name) = e
                        .message
                        .strip_prefix("unknown request parameter `")
                        .and_then(|m| m.strip_suffix('`'))
                        && let Some(h) = crate::diag::did_you_mean(
                            name,
                            crate::template::TWILIO_PARAMS.iter().copied(),
                        )
                    {
                        d = d.with_help(format!("did you mean `{h}`?"));
                    }
                    self.diags.push(d);
                }
                Template::default()
            }
        }
    }

    /// The location of byte `offset` inside a scalar that starts at `l`, when the scalar is
    /// on one line and written plainly or quoted without escapes; else the scalar's start.
    pub(super) fn loc_in_scalar(&self, l: Location, value: &str, offset: usize) -> Loc {
        let mut loc = self.loc(l);
        let Some(line) = crate::diag::lines(&self.text).nth((loc.line as usize).saturating_sub(1))
        else {
            return loc;
        };
        let from: String = line
            .chars()
            .skip((loc.col as usize).saturating_sub(1))
            .collect();
        let (skip, body) = match from.chars().next() {
            Some(q @ ('"' | '\'')) => (1, from[1..].split(q).next().unwrap_or("")),
            _ => (0, from.as_str()),
        };
        if body.starts_with(value) || (skip == 1 && body == value) {
            let chars = value.get(..offset).map(|p| p.chars().count()).unwrap_or(0);
            loc.col += (skip + chars) as u32;
            let name_len = value
                .get(offset..)
                .and_then(|r| r.find("}}"))
                .map(|e| e + 2)
                .unwrap_or(2);
            loc.len = name_len as u32;
        }
        loc
    }
}
