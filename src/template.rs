//! Templates: `{{From}}`, `{{vars.account}}` inside prompts, dial targets, caller ids and URLs.
//!
//! A template is compiled once, when the flow loads: its names are checked then (an unknown
//! name is a load error), so rendering cannot fail. Rendering produces plain text; escaping
//! for XML happens in [`crate::twiml`], which also strips characters XML 1.0 forbids, so a
//! caller-controlled value can never change the structure of a TwiML document.

/// A compiled template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    /// Literal text and names, in order.
    pieces: Vec<Piece>,
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Lit(String),
    /// A request parameter by its Twilio name (`{{From}}`).
    Param(String),
    /// A call variable or flow constant (`{{vars.account}}`).
    Var(String),
}

/// Why a template failed to compile; `offset` is the byte offset in the source string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset of the problem within the template text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Where a template's names are resolved at run time.
pub trait Scope {
    /// A request parameter (first value).
    fn param(&self, name: &str) -> Option<&str>;
    /// A call variable, else a flow constant.
    fn var(&self, name: &str) -> Option<&str>;
}

impl Template {
    /// Compiles `text`. `known_param` says whether a parameter name may appear; `known_var`
    /// whether a variable is defined somewhere in the flow.
    pub fn compile(
        text: &str,
        known_param: impl Fn(&str) -> bool,
        known_var: impl Fn(&str) -> bool,
    ) -> Result<Template, Vec<TemplateError>> {
        let mut pieces = Vec::new();
        let mut errors = Vec::new();
        let mut rest = text;
        let mut base = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Lit(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                errors.push(TemplateError {
                    offset: base + open,
                    message: "`{{` is never closed with `}}`".into(),
                });
                rest = "";
                break;
            };
            let name = after[..close].trim();
            let at = base + open;
            if let Some(var) = name.strip_prefix("vars.") {
                if !is_ident(var) {
                    errors.push(TemplateError {
                        offset: at,
                        message: format!("`{name}` is not a valid variable name"),
                    });
                } else if !known_var(var) {
                    errors.push(TemplateError {
                        offset: at,
                        message: format!("unknown variable `vars.{var}`"),
                    });
                } else {
                    pieces.push(Piece::Var(var.to_string()));
                }
            } else if !is_ident(name) && !is_sip_header(name) {
                errors.push(TemplateError {
                    offset: at,
                    message: format!("`{{{{{name}}}}}` is not a parameter or `vars.` name"),
                });
            } else if !known_param(name) {
                errors.push(TemplateError {
                    offset: at,
                    message: format!("unknown request parameter `{name}`"),
                });
            } else {
                pieces.push(Piece::Param(name.to_string()));
            }
            let consumed = open + 2 + close + 2;
            base += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Lit(rest.to_string()));
        }
        if errors.is_empty() {
            Ok(Template { pieces })
        } else {
            Err(errors)
        }
    }

    /// A template of literal text only.
    pub fn literal(text: &str) -> Template {
        Template {
            pieces: if text.is_empty() {
                Vec::new()
            } else {
                vec![Piece::Lit(text.to_string())]
            },
        }
    }

    /// True when there is no name in it.
    pub fn is_literal(&self) -> bool {
        self.pieces.iter().all(|p| matches!(p, Piece::Lit(_)))
    }

    /// The literal text, when the template has no names.
    pub fn as_literal(&self) -> Option<String> {
        self.is_literal().then(|| self.render(&NoScope))
    }

    /// The pieces, for tools that show a template.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Renders with `scope`; a name with no value renders as empty text.
    pub fn render(&self, scope: &dyn Scope) -> String {
        let mut out = String::new();
        self.render_into(scope, &mut out);
        out
    }

    /// Renders a URL: a name that starts the template supplies the URL itself and is
    /// inserted as is; every later name is a value inside the URL and is percent-encoded,
    /// so `?from={{From}}` sends `+` as `%2B` and a caller cannot add query parameters.
    pub fn render_url(&self, scope: &dyn Scope) -> String {
        let mut out = String::new();
        for (i, p) in self.pieces.iter().enumerate() {
            let value = match p {
                Piece::Lit(s) => {
                    out.push_str(s);
                    continue;
                }
                Piece::Param(n) => scope.param(n).unwrap_or(""),
                Piece::Var(n) => scope.var(n).unwrap_or(""),
            };
            if i == 0 {
                out.push_str(value);
            } else {
                out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
            }
        }
        out
    }

    /// Renders into `out`.
    pub fn render_into(&self, scope: &dyn Scope, out: &mut String) {
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Param(n) => out.push_str(scope.param(n).unwrap_or("")),
                Piece::Var(n) => out.push_str(scope.var(n).unwrap_or("")),
            }
        }
    }
}

struct NoScope;

impl Scope for NoScope {
    fn param(&self, _: &str) -> Option<&str> {
        None
    }
    fn var(&self, _: &str) -> Option<&str> {
        None
    }
}

/// Letters, digits and `_`, not starting with a digit.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `SipHeader_X-Custom`: SIP header names may contain `-`.
fn is_sip_header(name: &str) -> bool {
    name.strip_prefix("SipHeader_").is_some_and(|h| {
        !h.is_empty()
            && h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// Every parameter Twilio sends to voice webhooks (reference §2), so a typo such as
/// `{{Form}}` is caught at load time. `SipHeader_*` names are open-ended.
pub const TWILIO_PARAMS: &[&str] = &[
    "AccountSid",
    "AnsweredBy",
    "ApiVersion",
    "ApplicationSid",
    "CallSid",
    "CallStatus",
    "CallToken",
    "Called",
    "CalledCity",
    "CalledCountry",
    "CalledState",
    "CalledZip",
    "Caller",
    "CallerCity",
    "CallerCountry",
    "CallerName",
    "CallerState",
    "CallerZip",
    "Confidence",
    "DialBridged",
    "DialCallDuration",
    "DialCallSid",
    "DialCallStatus",
    "Digits",
    "Direction",
    "ErrorCode",
    "ErrorUrl",
    "FinishedOnKey",
    "ForwardedFrom",
    "From",
    "FromCity",
    "FromCountry",
    "FromState",
    "FromZip",
    "Language",
    "ParentCallSid",
    "QueueResult",
    "QueueSid",
    "QueueTime",
    "RecordingDuration",
    "RecordingSid",
    "RecordingUrl",
    "SipCallId",
    "SipDomain",
    "SipDomainSid",
    "SipSourceIp",
    "SipUsername",
    "SpeechResult",
    "StirVerstat",
    "To",
    "ToCity",
    "ToCountry",
    "ToState",
    "ToZip",
    "TranscriptionText",
    "UnstableSpeechResult",
    "msg",
];

/// Why a request parameter counts as caller input, or `None` when the caller does not choose
/// it. Typed or said: `Digits`, `FinishedOnKey`, `SpeechResult`, `UnstableSpeechResult`,
/// `TranscriptionText`. Spoofable caller identity (the calling network or SIP endpoint sets
/// it): `From`, `Caller`, `CallerName`, `ForwardedFrom`, the `From*`/`Caller*` place names
/// looked up from it, `SipCallId` and every `SipHeader_*`. Everything else (`To`, `Called`
/// and their place names, sids, statuses, Twilio's own results) is set by Twilio or names the
/// line the flow answers.
pub fn caller_param(name: &str) -> Option<&'static str> {
    Some(match name {
        "Digits" | "FinishedOnKey" => "typed by the caller",
        "SpeechResult" | "UnstableSpeechResult" | "TranscriptionText" => "said by the caller",
        "From" | "Caller" | "CallerName" | "ForwardedFrom" | "FromCity" | "FromState"
        | "FromZip" | "FromCountry" | "CallerCity" | "CallerState" | "CallerZip"
        | "CallerCountry" => {
            "the caller's own number or what is looked up from it, which callers can spoof"
        }
        "SipCallId" => "chosen by the calling SIP endpoint",
        n if n.starts_with("SipHeader_") => "a header the calling SIP endpoint writes",
        _ => return None,
    })
}

/// True for a parameter name Twilio sends to voice webhooks.
pub fn is_twilio_param(name: &str) -> bool {
    TWILIO_PARAMS.contains(&name) || name.starts_with("SipHeader_")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map(
        Vec<(&'static str, &'static str)>,
        Vec<(&'static str, &'static str)>,
    );
    impl Scope for Map {
        fn param(&self, n: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
        }
        fn var(&self, n: &str) -> Option<&str> {
            self.1.iter().find(|(k, _)| *k == n).map(|(_, v)| *v)
        }
    }

    fn compile(t: &str) -> Result<Template, Vec<TemplateError>> {
        Template::compile(t, is_twilio_param, |v| v == "account" || v == "line")
    }

    #[test]
    fn renders_params_and_vars() {
        let t = compile("Call from {{From}} about {{ vars.account }}.").unwrap();
        let s = Map(vec![("From", "+12025550143")], vec![("account", "123456")]);
        assert_eq!(t.render(&s), "Call from +12025550143 about 123456.");
        assert!(!t.is_literal());
    }

    #[test]
    fn missing_values_render_empty() {
        let t = compile("[{{Digits}}]").unwrap();
        assert_eq!(t.render(&Map(vec![], vec![])), "[]");
    }

    #[test]
    fn unknown_names_are_errors_with_offsets() {
        assert!(compile("{{SipHeader_X-Account}}").is_ok());
        let e = compile("hi {{Form}} and {{vars.nope}} and {{ 1x }}").unwrap_err();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].offset, 3);
        assert!(e[0].message.contains("unknown request parameter `Form`"));
        assert!(e[1].message.contains("unknown variable `vars.nope`"));
        assert!(e[2].message.contains("not a parameter"));
    }

    #[test]
    fn unclosed_is_an_error() {
        let e = compile("hi {{From").unwrap_err();
        assert_eq!(e[0].offset, 3);
    }

    #[test]
    fn literal_templates() {
        assert_eq!(
            compile("plain").unwrap().as_literal().as_deref(),
            Some("plain")
        );
        assert!(compile("").unwrap().pieces().is_empty());
        assert!(is_twilio_param("SipHeader_X-Foo"));
    }
}
