//! Step targets: `step`, `hangup`, `@flow`, `@flow.step`.

use super::*;

impl FlowCompiler<'_> {
    pub(super) fn target_opt(&mut self, t: Option<&S<String>>) -> Option<Target> {
        t.map(|t| self.target(t))
    }

    /// Resolves `step`, `hangup`, `@flow` or `@flow.step`.
    pub(super) fn target(&mut self, t: &S<String>) -> Target {
        let v = t.value.as_str();
        if v == "hangup" {
            return Target::Hangup;
        }
        if let Some(rest) = v.strip_prefix('@') {
            let (flow, step) = match rest.split_once('.') {
                Some((f, s)) => (f, Some(s)),
                None => (rest, None),
            };
            let Some(&fid) = self.names.flows.get(flow) else {
                let help =
                    crate::diag::did_you_mean(flow, self.names.flows.keys().map(|k| k.as_str()));
                let mut d = Diagnostic::error(
                    Kind::MissingTarget,
                    self.loc(t.referenced),
                    format!("there is no flow `{flow}`"),
                );
                if let Some(h) = help {
                    d = d.with_help(format!("did you mean `@{h}`?"));
                }
                self.diags.push(d);
                return Target::Hangup;
            };
            if self.names.broken.contains(&fid) {
                return Target::Hangup;
            }
            return match step {
                None => Target::FlowStart(fid),
                Some(s) => match self.names.steps[fid.index()].get(s) {
                    Some(&sid) => Target::Flow(fid, sid),
                    None => {
                        self.err(
                            Kind::MissingTarget,
                            t.referenced,
                            format!("flow `{flow}` has no step `{s}`"),
                        );
                        Target::Hangup
                    }
                },
            };
        }
        match self.names.steps[self.flow_id.index()].get(v) {
            Some(&id) => Target::Step(id),
            None => {
                let help = crate::diag::did_you_mean(
                    v,
                    self.names.steps[self.flow_id.index()]
                        .keys()
                        .map(|k| k.as_str()),
                );
                let mut d = Diagnostic::error(
                    Kind::MissingTarget,
                    self.loc(t.referenced),
                    format!("there is no step `{v}` in this flow"),
                );
                d = match help {
                    Some(h) => d.with_help(format!("did you mean `{h}`?")),
                    None => d.with_help("name a step of this flow, `@flow` for another flow's start, `@flow.step`, or `hangup`"),
                };
                self.diags.push(d);
                Target::Hangup
            }
        }
    }
}
