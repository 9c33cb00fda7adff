//! Templates (`switchboard::template`): compiling any text never panics and reports errors
//! at real places; a template made of known names renders like a plain substitution; in a
//! URL, a value after the start cannot add query parameters or change the URL's shape.

use std::collections::HashMap;

use proptest::prelude::*;
use switchboard::template::{Scope, Template, is_twilio_param};

use super::{check, hostile_string};

/// Request parameters and variables for rendering.
#[derive(Debug)]
struct Values {
    /// Request parameters by name.
    params: HashMap<String, String>,
    /// Call variables and constants by name.
    vars: HashMap<String, String>,
}

impl Scope for Values {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

const PARAMS: &[&str] = &["From", "To", "Digits", "CallerName", "SpeechResult"];
const VARS: &[&str] = &["account", "tier", "x_1"];

/// Template source built from the pieces its syntax is made of.
fn template_text() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "{{",
        "}}",
        "{",
        "}",
        " ",
        "vars.",
        "vars",
        ".",
        "From",
        "Digits",
        "Form",
        "account",
        "nope",
        "SipHeader_",
        "X-Id",
        "-",
        "9",
        "é",
        "🎉",
        "\n",
        "https://x/",
        "?a=",
    ];
    prop_oneof![
        hostile_string(),
        proptest::collection::vec(proptest::sample::select(PIECES), 0..16).prop_map(|v| v.concat()),
    ]
}

#[test]
fn compiling_any_text_never_panics_and_errors_point_into_it() {
    let ran = check(template_text(), |text| {
        let known_var = |v: &str| VARS.contains(&v);
        match Template::compile(&text, is_twilio_param, known_var) {
            Ok(t) => {
                // No `{{` survives as literal text: every one opened a name.
                let lits: String = t
                    .pieces()
                    .iter()
                    .filter_map(|p| match p {
                        switchboard::template::Piece::Lit(s) => Some(s.as_str()),
                        _ => None,
                    })
                    .collect();
                prop_assert!(!lits.contains("{{"), "{text:?} → {:?}", t.pieces());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.offset < text.len(), "{e:?} past the end of {text:?}");
                    prop_assert!(text.is_char_boundary(e.offset), "{e:?} inside a character");
                    prop_assert_eq!(&text[e.offset..e.offset + 2], "{{", "{:?} in {:?}", e, text);
                }
            }
        }
        Ok(())
    });
    assert!(ran > 0);
}

/// One piece of a template that compiles.
#[derive(Debug, Clone)]
enum Part {
    /// Literal text (no `{`: a `{` just before `{{` would start the name a brace early).
    Lit(String),
    /// `{{Name}}`, with optional spaces inside the braces.
    Param(&'static str, bool),
    /// `{{vars.name}}`.
    Var(&'static str, bool),
}

fn parts() -> impl Strategy<Value = Vec<Part>> {
    let part = prop_oneof![
        "[^{]{1,10}".prop_map(Part::Lit),
        (proptest::sample::select(PARAMS), any::<bool>()).prop_map(|(n, s)| Part::Param(n, s)),
        (proptest::sample::select(VARS), any::<bool>()).prop_map(|(n, s)| Part::Var(n, s)),
    ];
    proptest::collection::vec(part, 0..8)
}

fn source(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => s.clone(),
            Part::Param(n, pad) if *pad => format!("{{{{ {n} }}}}"),
            Part::Param(n, _) => format!("{{{{{n}}}}}"),
            Part::Var(n, pad) if *pad => format!("{{{{ vars.{n} }}}}"),
            Part::Var(n, _) => format!("{{{{vars.{n}}}}}"),
        })
        .collect()
}

fn values() -> impl Strategy<Value = Values> {
    let map = |names: &'static [&'static str]| {
        proptest::collection::vec(proptest::option::of(hostile_string()), names.len()).prop_map(
            move |vals| {
                names
                    .iter()
                    .zip(vals)
                    .filter_map(|(n, v)| v.map(|v| (n.to_string(), v)))
                    .collect::<HashMap<_, _>>()
            },
        )
    };
    (map(PARAMS), map(VARS)).prop_map(|(params, vars)| Values { params, vars })
}

#[test]
fn known_names_render_like_a_plain_substitution() {
    let ran = check((parts(), values()), |(parts, values)| {
        let text = source(&parts);
        let t = Template::compile(&text, is_twilio_param, |v| VARS.contains(&v))
            .map_err(|e| TestCaseError::fail(format!("{text:?} failed: {e:?}")))?;
        let want: String = parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.as_str(),
                Part::Param(n, _) => values.param(n).unwrap_or(""),
                Part::Var(n, _) => values.var(n).unwrap_or(""),
            })
            .collect();
        prop_assert_eq!(t.render(&values), want);
        prop_assert_eq!(
            t.is_literal(),
            parts.iter().all(|p| matches!(p, Part::Lit(_)))
        );
        Ok(())
    });
    assert!(ran > 0);
}

#[test]
fn values_inside_a_url_cannot_change_its_shape() {
    let ran = check(values(), |values| {
        let text = "{{vars.account}}/call?from={{From}}&d={{ Digits }}&t={{vars.tier}}";
        let t = Template::compile(text, is_twilio_param, |v| VARS.contains(&v))
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let url = t.render_url(&values);
        // The leading name is the URL itself, inserted as is.
        let head = values.var("account").unwrap_or("");
        prop_assert!(url.starts_with(head));
        let rest = &url[head.len()..];
        let query = rest
            .strip_prefix("/call?")
            .ok_or_else(|| TestCaseError::fail(format!("shape changed: {url:?}")))?;
        let pairs = switchboard::form::parse(query.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {url:?}")))?;
        let want: Vec<(String, String)> = [("from", "From"), ("d", "Digits")]
            .iter()
            .map(|(k, p)| (k.to_string(), values.param(p).unwrap_or("").to_string()))
            .chain([(
                "t".to_string(),
                values.var("tier").unwrap_or("").to_string(),
            )])
            .collect();
        prop_assert_eq!(pairs, want, "{}", url);
        Ok(())
    });
    assert!(ran > 0);
}
