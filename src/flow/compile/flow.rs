//! One flow file: its settings, constants, schedules, steps, `start` and `on_error`.

use super::*;

impl FlowCompiler<'_> {
    pub(super) fn flow(&mut self, pf: &ParsedFlow) -> (Flow, FlowMeta) {
        let raw = &pf.raw;
        if pf.broken {
            return (
                Flow {
                    name: pf.name.clone(),
                    file: self.file.clone(),
                    tz: self.tz.clone(),
                    consts: HashMap::new(),
                    steps: Vec::new(),
                    step_index: HashMap::new(),
                    start: StepId::new(0),
                    on_error: None,
                    voice: None,
                    language: None,
                },
                FlowMeta {
                    step_locs: Vec::new(),
                    rule_locs: Vec::new(),
                    file: self.file.clone(),
                },
            );
        }
        let consts = self.settings(raw);

        let mut steps = Vec::new();
        let mut step_locs = Vec::new();
        let mut rule_locs = Vec::new();
        for (name, step) in &raw.steps.0 {
            let mut rl = Vec::new();
            let action = self.step(name, &step.value, &mut rl);
            steps.push(Step {
                name: name.value.clone(),
                action,
                allow_caller_input: step
                    .value
                    .allow_caller_input
                    .as_ref()
                    .is_some_and(|b| b.value),
            });
            step_locs.push(self.loc(name.referenced));
            rule_locs.push(rl);
        }
        let step_index = self.names.steps[self.flow_id.index()].clone();

        let (start, on_error) = self.entry_points(raw, &step_index);
        (
            Flow {
                name: pf.name.clone(),
                file: self.file.clone(),
                tz: self.tz.clone(),
                consts,
                steps,
                step_index,
                start,
                on_error,
                voice: self.voice.clone(),
                language: self.language.clone(),
            },
            FlowMeta {
                step_locs,
                rule_locs,
                file: self.file.clone(),
            },
        )
    }

    /// The flow's zone, voice and language, its constants (returned: shared ones overridden
    /// by its own) and its schedules.
    fn settings(&mut self, raw: &RawFlow) -> HashMap<String, String> {
        if let Some(tz) = &raw.timezone {
            match crate::schedule::parse_time_zone(&tz.value) {
                Ok(z) => self.tz = z,
                Err(m) => self.err(Kind::BadTimezone, tz.referenced, m),
            }
        }
        self.voice = raw.voice.as_ref().map(|v| v.value.clone());
        self.language = raw.language.as_ref().map(|v| v.value.clone());

        // Constants: shared first, the flow's own override them.
        let mut consts = self.shared.vars.clone();
        for (k, v) in &raw.vars.0 {
            if !is_ident(&k.value) {
                self.err(
                    Kind::BadName,
                    k.referenced,
                    format!("`{}` is not a valid variable name", k.value),
                );
            }
            consts.insert(k.value.clone(), v.value.clone());
        }
        self.known_vars.extend(consts.keys().cloned());
        self.consts = consts.clone();
        self.collect_defined_vars(raw);

        for (k, v) in &raw.schedules.0 {
            if self.local_schedules.contains_key(&k.value) {
                self.err(
                    Kind::Duplicate,
                    k.referenced,
                    format!("schedule `{}` is defined twice", k.value),
                );
                continue;
            }
            match Schedule::compile(&v.value, &self.tz) {
                Ok(s) => {
                    if s.never_open() {
                        let loc = self.loc(k.referenced);
                        self.diags.push(Diagnostic::warning(
                            Kind::NeverOpen,
                            loc,
                            format!("schedule `{}` is never open", k.value),
                        ));
                    }
                    self.schedules.insert(k.value.clone(), Some(Arc::new(s)));
                }
                Err(errs) => {
                    schedule_errors(&self.file, errs, self.diags);
                    self.schedules.insert(k.value.clone(), None);
                }
            }
            self.local_schedules
                .insert(k.value.clone(), v.value.clone());
        }
        consts
    }

    /// `start` and `on_error`, resolved. A missing or unknown `start` is reported and
    /// replaced by the first step, so the rest of the set is still checked.
    fn entry_points(
        &mut self,
        raw: &RawFlow,
        step_index: &HashMap<String, StepId>,
    ) -> (StepId, Option<StepId>) {
        let start = match &raw.start {
            Some(s) => match step_index.get(&s.value) {
                Some(&id) => id,
                None => {
                    let help =
                        crate::diag::did_you_mean(&s.value, step_index.keys().map(|k| k.as_str()));
                    let mut d = Diagnostic::error(
                        Kind::MissingTarget,
                        self.loc(s.referenced),
                        format!("`start` names step `{}`, which does not exist", s.value),
                    );
                    if let Some(h) = help {
                        d = d.with_help(format!("did you mean `{h}`?"));
                    }
                    self.diags.push(d);
                    StepId::new(0)
                }
            },
            None => {
                self.diags.push(
                    Diagnostic::error(
                        Kind::MissingStart,
                        Loc::file(&self.file),
                        "flow has no `start` step",
                    )
                    .with_help("add `start: <step name>` at the top level"),
                );
                StepId::new(0)
            }
        };
        if raw.steps.0.is_empty() {
            self.diags.push(Diagnostic::error(
                Kind::MissingStart,
                Loc::file(&self.file),
                "flow has no steps",
            ));
        }
        let on_error = raw
            .on_error
            .as_ref()
            .and_then(|s| match step_index.get(&s.value) {
                Some(&id) => Some(id),
                None => {
                    self.err(
                        Kind::MissingTarget,
                        s.referenced,
                        format!("`on_error` names step `{}`, which does not exist", s.value),
                    );
                    None
                }
            });
        (start, on_error)
    }

    /// Names assigned anywhere in the flow: `set`, `ask.save_as`, named regex captures.
    pub(super) fn collect_defined_vars(&mut self, raw: &RawFlow) {
        /// The text of every `matches:` regex in a condition.
        fn cond<'r>(c: &'r RawCond, out: &mut Vec<&'r str>) {
            for (_, part) in &c.0 {
                match part {
                    RawCondPart::All(v) | RawCondPart::Any(v) => {
                        v.iter().for_each(|c| cond(&c.value, out))
                    }
                    RawCondPart::Not(c) => cond(&c.value, out),
                    RawCondPart::Test(t) => {
                        if let RawTest::Ops(ops) = &t.value {
                            for (op, arg) in ops {
                                if op.value == "matches"
                                    && let RawOperand::Scalar(re) = &arg.value
                                {
                                    out.push(re);
                                }
                            }
                        }
                    }
                    RawCondPart::Open(_) | RawCondPart::Closed(_) => {}
                }
            }
        }
        let mut out = HashSet::new();
        let mut patterns = Vec::new();
        for (_, step) in &raw.steps.0 {
            let s = &step.value;
            if let Some(set) = &s.set {
                out.extend(set.value.0.iter().map(|(k, _)| k.value.clone()));
            }
            if let Some(ask) = &s.ask {
                if let Some(n) = &ask.value.save_as {
                    out.insert(n.value.clone());
                }
                if let Some(p) = &ask.value.pattern {
                    patterns.push(p.value.as_str());
                }
            }
            if let Some(route) = &s.route {
                for r in &route.value {
                    if let Some(c) = &r.value.cond {
                        cond(&c.value, &mut patterns);
                    }
                }
            }
        }
        for re in patterns {
            if let Ok(r) = self.regexes.get(re) {
                out.extend(r.capture_names().flatten().map(str::to_string));
            }
        }
        self.runtime_vars = out.clone();
        self.known_vars.extend(out);
    }
}
