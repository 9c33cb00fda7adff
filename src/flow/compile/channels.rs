//! Notification channels (`channels:` in shared files) and the `notify` lists of `record`
//! and `dial` steps that name them.

use std::collections::BTreeMap;

use super::*;
use crate::flow::model::{Channel, Source};
use crate::flow::raw::{RawChannel, RawEmailChannel, RawWebhookChannel};

/// Compiles one channel definition; problems go to `diags`.
pub(super) fn channel(
    file: &Arc<Path>,
    name: &S<String>,
    raw: &S<RawChannel>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Channel> {
    let loc = |l| Loc::at(file, l);
    if !is_name(&name.value) {
        diags.push(
            Diagnostic::error(
                Kind::BadName,
                loc(name.referenced),
                format!("`{}` cannot be a channel name", name.value),
            )
            .with_help("use letters, digits, `-` and `_` only"),
        );
    }
    match (&raw.value.webhook, &raw.value.email) {
        (Some(w), None) => webhook(file, w, diags),
        (None, Some(e)) => email(file, e, diags),
        (both, _) => {
            let what = if both.is_some() {
                "has both `webhook` and `email`: define two channels"
            } else {
                "needs `webhook` or `email`"
            };
            diags.push(Diagnostic::error(
                Kind::Field,
                loc(raw.referenced),
                format!("channel `{}` {what}", name.value),
            ));
            None
        }
    }
}

fn webhook(
    file: &Arc<Path>,
    w: &S<RawWebhookChannel>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Channel> {
    let r = &w.value;
    let url = match (&r.url, &r.url_env) {
        (Some(u), None) => {
            let ok = (u.value.starts_with("https://") || u.value.starts_with("http://"))
                && u.value.len() > "https://".len()
                && !u.value.chars().any(char::is_whitespace);
            if !ok {
                diags.push(Diagnostic::error(
                    Kind::BadValue,
                    Loc::at(file, u.referenced),
                    "`url` must be an `https://` (or `http://`) URL",
                ));
            }
            Source::Literal(u.value.clone())
        }
        (None, Some(e)) => Source::Env(env_name(file, e, diags)),
        _ => {
            diags.push(Diagnostic::error(
                Kind::Field,
                Loc::at(file, w.referenced),
                "a webhook channel needs one of `url` or `url_env`",
            ));
            return None;
        }
    };
    let secret = match (&r.secret_env, &r.secret_file) {
        (Some(e), None) => Some(Source::Env(env_name(file, e, diags))),
        (None, Some(f)) => Some(Source::File(f.value.clone())),
        (None, None) => None,
        (Some(_), Some(f)) => {
            diags.push(Diagnostic::error(
                Kind::Field,
                Loc::at(file, f.referenced),
                "give one of `secret_env` and `secret_file`",
            ));
            None
        }
    };
    Some(Channel::Webhook { url, secret })
}

/// An environment variable's name: letters, digits and `_`, not starting with a digit.
fn env_name(file: &Arc<Path>, e: &S<String>, diags: &mut Vec<Diagnostic>) -> String {
    let v = &e.value;
    let ok = v.chars().next().is_some_and(|c| !c.is_ascii_digit())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        diags.push(Diagnostic::error(
            Kind::BadValue,
            Loc::at(file, e.referenced),
            format!("`{v}` is not an environment variable name"),
        ));
    }
    v.clone()
}

fn email(file: &Arc<Path>, e: &S<RawEmailChannel>, diags: &mut Vec<Diagnostic>) -> Option<Channel> {
    let Some(to) = &e.value.to else {
        diags.push(Diagnostic::error(
            Kind::Field,
            Loc::at(file, e.referenced),
            "an email channel needs `to` (an address or a list)",
        ));
        return None;
    };
    let mut addresses = Vec::new();
    for a in &to.value.0 {
        if !is_address(&a.value) {
            let at = if a.referenced == Location::UNKNOWN {
                to.referenced
            } else {
                a.referenced
            };
            diags.push(Diagnostic::error(
                Kind::BadValue,
                Loc::at(file, at),
                format!("`{}` is not an email address", a.value),
            ));
        }
        addresses.push(a.value.clone());
    }
    if addresses.is_empty() {
        diags.push(Diagnostic::error(
            Kind::Field,
            Loc::at(file, to.referenced),
            "`to` lists no address",
        ));
    }
    let from = e.value.from.as_ref().map(|f| {
        if !is_address(&f.value) {
            diags.push(Diagnostic::error(
                Kind::BadValue,
                Loc::at(file, f.referenced),
                format!("`{}` is not an email address", f.value),
            ));
        }
        f.value.clone()
    });
    Some(Channel::Email {
        to: addresses,
        from,
    })
}

/// `local@domain`, with no spaces, angle brackets or line breaks (the address goes into
/// SMTP commands and headers).
fn is_address(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

impl FlowCompiler<'_> {
    /// A step's `notify` list: every name must be a channel of the set.
    pub(super) fn notify(&mut self, list: Option<&S<Vec<S<String>>>>) -> Vec<String> {
        let Some(list) = list else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for name in &list.value {
            if !self.shared.channels.contains_key(&name.value) {
                let mut d = Diagnostic::error(
                    Kind::UnknownChannel,
                    self.loc(name.referenced),
                    format!(
                        "channel `{}` is not defined in a shared file's `channels:`",
                        name.value
                    ),
                );
                let known = self.shared.channels.keys().map(String::as_str);
                if let Some(h) = crate::diag::did_you_mean(&name.value, known) {
                    d = d.with_help(format!("did you mean `{h}`?"));
                }
                self.diags.push(d);
            } else if out.contains(&name.value) {
                self.diags.push(Diagnostic::warning(
                    Kind::Duplicate,
                    self.loc(name.referenced),
                    format!("channel `{}` is listed twice", name.value),
                ));
                continue;
            }
            out.push(name.value.clone());
        }
        out
    }
}

/// The compiled channels of the set, by name.
pub(super) fn compiled(shared: &Shared) -> BTreeMap<String, Channel> {
    shared
        .channels
        .iter()
        .filter_map(|(k, (_, c))| Some((k.clone(), c.clone()?)))
        .collect()
}
