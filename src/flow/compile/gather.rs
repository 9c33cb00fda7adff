//! Menus and asks: the `<Gather>` steps.

use super::*;

impl FlowCompiler<'_> {
    /// A gather's `finish_on_key`: one key, or empty for none.
    fn finish_on_key(&mut self, f: &S<String>) -> String {
        if f.value.chars().count() > 1 {
            self.err(
                Kind::BadValue,
                f.referenced,
                "`finish_on_key` is one key (0-9, * or #) or empty",
            );
        } else {
            self.check_dtmf(f, false);
        }
        f.value.clone()
    }

    fn gather(
        &mut self,
        raw: RawGather<'_>,
        at: Location,
        default_invalid_text: &str,
    ) -> GatherSettings {
        let RawGather {
            prompt,
            timeout,
            attempts,
            invalid,
            no_input,
            exhausted,
        } = raw;
        let prompt = match prompt {
            Some(p) => self.prompt(p),
            None => {
                self.err(
                    Kind::Field,
                    at,
                    "needs a `prompt` (what the caller hears while choosing)",
                );
                Prompt::default()
            }
        };
        if let Some(t) = timeout
            && t.value == 0
        {
            self.err(
                Kind::BadValue,
                t.referenced,
                "`timeout` must be at least 1 second",
            );
        }
        let n = attempts.map(|a| a.value).unwrap_or(DEFAULT_ATTEMPTS);
        if let Some(a) = attempts
            && !(1..=MAX_ATTEMPTS).contains(&a.value)
        {
            self.err(
                Kind::BadValue,
                a.referenced,
                format!("`attempts` must be 1 to {MAX_ATTEMPTS}"),
            );
        }
        let default_invalid = Prompt {
            parts: vec![self.text_part(default_invalid_text, at, None, None, None)],
        };
        let default_no_input = Prompt {
            parts: vec![self.text_part("Sorry, I did not hear anything.", at, None, None, None)],
        };
        GatherSettings {
            prompt,
            timeout: timeout.map(|t| t.value.max(1)).unwrap_or(DEFAULT_TIMEOUT),
            attempts: n.clamp(1, MAX_ATTEMPTS),
            invalid: invalid.map(|p| self.prompt(p)).unwrap_or(default_invalid),
            no_input: no_input.map(|p| self.prompt(p)).unwrap_or(default_no_input),
            exhausted: self.target_opt(exhausted).unwrap_or(Target::Hangup),
            num_digits: None,
            finish_on_key: None,
            input: "dtmf",
            language: self.language.clone(),
            hints: None,
            speech_model: None,
            speech_timeout: None,
        }
    }

    pub(super) fn menu(&mut self, m: &RawMenu, at: Location) -> Menu {
        let raw = RawGather {
            prompt: m.prompt.as_ref(),
            timeout: m.timeout.as_ref(),
            attempts: m.attempts.as_ref(),
            invalid: m.invalid.as_ref(),
            no_input: m.no_input.as_ref(),
            exhausted: m.exhausted.as_ref(),
        };
        let mut g = self.gather(raw, at, "Sorry, that is not a valid choice.");
        if m.options.0.is_empty() && m.speech.0.is_empty() {
            self.err(
                Kind::Field,
                at,
                "a menu needs `options` (digits) or `speech` (keywords)",
            );
        }
        let mut options = Vec::new();
        for (k, v) in &m.options.0 {
            if k.value.is_empty()
                || !k
                    .value
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                self.err(
                    Kind::BadValue,
                    k.referenced,
                    format!(
                        "option `{}` cannot be typed on a keypad (use 0-9, * and #)",
                        k.value
                    ),
                );
            }
            options.push((k.value.clone(), self.target(v)));
        }
        let mut speech = Vec::new();
        for (k, v) in &m.speech.0 {
            let n = normalize_speech(&k.value);
            if n.is_empty() {
                self.err(
                    Kind::BadValue,
                    k.referenced,
                    "a speech keyword needs at least one letter or digit",
                );
            }
            speech.push((n, self.target(v)));
        }
        let lens: HashSet<usize> = options.iter().map(|(k, _)| k.chars().count()).collect();
        let finish = m.finish_on_key.as_ref().map(|f| self.finish_on_key(f));
        // Every key the same length: answer as soon as that many are typed. `#` ends input by
        // default, so a menu with a `#` option turns the finish key off.
        let num_digits =
            m.digits.as_ref().map(|d| d.value).or_else(|| {
                (lens.len() == 1).then(|| lens.iter().copied().next().unwrap_or(1) as u32)
            });
        let finish = finish.or_else(|| {
            options
                .iter()
                .any(|(k, _)| k.contains('#'))
                .then(String::new)
        });
        for (k, _) in &m.options.0 {
            if let Some(nd) = num_digits
                && k.value.chars().count() > nd as usize
            {
                let loc = self.loc(k.referenced);
                self.diags.push(Diagnostic::warning(
                    Kind::UntypableOption,
                    loc,
                    format!(
                        "option `{}` can never be chosen: input stops after {nd} digit(s)",
                        k.value
                    ),
                ));
            }
            let fk = finish.as_deref().unwrap_or("#");
            if !fk.is_empty() && k.value.contains(fk) {
                let loc = self.loc(k.referenced);
                self.diags.push(Diagnostic::warning(
                    Kind::UntypableOption,
                    loc,
                    format!(
                        "option `{}` can never be chosen: `{fk}` ends the input",
                        k.value
                    ),
                ));
            }
        }
        if let Some(d) = &m.digits
            && d.value == 0
        {
            self.err(Kind::BadValue, d.referenced, "`digits` must be at least 1");
        }
        g.num_digits = num_digits;
        g.finish_on_key = finish;
        if !speech.is_empty() {
            g.input = "dtmf speech";
            g.hints = Some(
                m.hints
                    .as_ref()
                    .map(|h| h.value.clone())
                    .unwrap_or_else(|| {
                        m.speech
                            .0
                            .iter()
                            .map(|(k, _)| k.value.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }),
            );
        }
        speech_settings(&mut g, &m.language, &m.speech_model, &m.speech_timeout);
        let exhausted = g.exhausted;
        Menu {
            gather: g,
            options,
            speech,
            exhausted,
        }
    }

    pub(super) fn ask(&mut self, a: &RawAsk, at: Location, outer_next: Option<&S<String>>) -> Ask {
        let raw = RawGather {
            prompt: a.prompt.as_ref(),
            timeout: a.timeout.as_ref(),
            attempts: a.attempts.as_ref(),
            invalid: a.invalid.as_ref(),
            no_input: a.no_input.as_ref(),
            exhausted: a.exhausted.as_ref(),
        };
        let mut g = self.gather(raw, at, "Sorry, that is not valid.");
        let next = self.inner_next(a.next.as_ref(), outer_next);
        let save_as = match &a.save_as {
            Some(n) => {
                if !is_ident(&n.value) {
                    self.err(
                        Kind::BadName,
                        n.referenced,
                        format!("`{}` is not a valid variable name", n.value),
                    );
                }
                n.value.clone()
            }
            None => {
                self.err(
                    Kind::Field,
                    at,
                    "`ask` needs `save_as` (the variable that gets the answer)",
                );
                String::new()
            }
        };
        let pattern = a
            .pattern
            .as_ref()
            .and_then(|p| self.regex(&p.value, p.referenced));
        g.input = match a.input.as_ref().map(|i| i.value.as_str()) {
            None | Some("dtmf") => "dtmf",
            Some("speech") => "speech",
            Some("both") | Some("dtmf speech") => "dtmf speech",
            Some(other) => {
                if let Some(i) = &a.input {
                    self.err(
                        Kind::BadValue,
                        i.referenced,
                        format!("`input` is dtmf, speech or both, not `{other}`"),
                    );
                }
                "dtmf"
            }
        };
        if let Some(d) = &a.digits
            && d.value == 0
        {
            self.err(Kind::BadValue, d.referenced, "`digits` must be at least 1");
        }
        g.num_digits = a.digits.as_ref().map(|d| d.value);
        g.finish_on_key = Some(match &a.finish_on_key {
            Some(f) => self.finish_on_key(f),
            None => "#".into(),
        });
        g.hints = a.hints.as_ref().map(|v| v.value.clone());
        speech_settings(&mut g, &a.language, &a.speech_model, &a.speech_timeout);
        let exhausted = g.exhausted;
        Ask {
            gather: g,
            pattern,
            save_as,
            sensitive: a.sensitive.as_ref().is_some_and(|s| s.value),
            next,
            exhausted,
        }
    }
}

/// Speech recognition settings menus and asks share: `language` (else the flow's),
/// `speech_model`, `speech_timeout`.
fn speech_settings(
    g: &mut GatherSettings,
    language: &Option<S<String>>,
    model: &Option<S<String>>,
    timeout: &Option<S<String>>,
) {
    if let Some(l) = language {
        g.language = Some(l.value.clone());
    }
    g.speech_model = model.as_ref().map(|v| v.value.clone());
    g.speech_timeout = timeout.as_ref().map(|v| v.value.clone());
}

/// The fields menus and asks share, borrowed from either.
struct RawGather<'r> {
    prompt: Option<&'r S<RawPrompt>>,
    timeout: Option<&'r S<u32>>,
    attempts: Option<&'r S<u32>>,
    invalid: Option<&'r S<RawPrompt>>,
    no_input: Option<&'r S<RawPrompt>>,
    exhausted: Option<&'r S<String>>,
}
