//! The one reader of call-webhook URLs: `/voice` and the action URLs the interpreter writes,
//! `{base}/voice/{flow}/{step}?{state}` (the query is the call state, see [`super::state`]).
//!
//! The server routes request paths with [`parse_path`]; the simulator follows URLs written
//! in documents with [`parse_url`]. Both accept exactly what the interpreter can write, so a
//! URL the simulator follows is one the server answers.

use crate::flow::compile::is_name;

/// Where a call webhook's path leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicePath<'a> {
    /// `/voice`: the incoming-call webhook (the number's Voice URL).
    Incoming,
    /// `/voice/{flow}/{step}`: an action URL the interpreter wrote.
    Continue {
        /// The flow named in the path.
        flow: &'a str,
        /// The step named in the path.
        step: &'a str,
    },
}

/// A URL written in a TwiML document that leads back into switchboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionUrl<'a> {
    /// Where its path leads.
    pub path: VoicePath<'a>,
    /// The query string (the call state), without the `?`; empty when there is none.
    pub query: &'a str,
}

/// Reads a request path (no query): `/voice`, or `/voice/{flow}/{step}` with names as the
/// loader requires them; `None` for anything else.
pub fn parse_path(path: &str) -> Option<VoicePath<'_>> {
    if path == "/voice" {
        return Some(VoicePath::Incoming);
    }
    path.strip_prefix("/voice/")
        .and_then(|rest| rest.split_once('/'))
        // `is_name` is what the loader requires of flow and step names (letters, digits,
        // `-`, `_`), so anything else cannot be a URL the interpreter wrote.
        .filter(|(flow, step)| is_name(flow) && is_name(step))
        .map(|(flow, step)| VoicePath::Continue { flow, step })
}

/// Reads a URL as written in a document, as the server would route it: strip the public
/// `base` (or take a relative path), then [`parse_path`] and the query. `None` when the URL
/// leads somewhere else (another host, a protocol-relative `//host/…`, another path).
pub fn parse_url<'a>(url: &'a str, base: &str) -> Option<ActionUrl<'a>> {
    let rest = match url.strip_prefix(base) {
        Some(rest) if !base.is_empty() => rest,
        _ if url.starts_with('/') && !url.starts_with("//") => url,
        _ => return None,
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Some(ActionUrl {
        path: parse_path(path)?,
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cont<'a>(flow: &'a str, step: &'a str, query: &'a str) -> Option<ActionUrl<'a>> {
        Some(ActionUrl {
            path: VoicePath::Continue { flow, step },
            query,
        })
    }

    #[test]
    fn paths_the_interpreter_writes() {
        assert_eq!(parse_path("/voice"), Some(VoicePath::Incoming));
        assert_eq!(
            parse_path("/voice/acme/menu"),
            Some(VoicePath::Continue {
                flow: "acme",
                step: "menu"
            })
        );
        for bad in [
            "/voice/",
            "/voice/acme",
            "/voice/acme/",
            "/voice/acme/menu/x",
            "/voice/ac%20me/menu",
            "/voice/../menu",
            "/voice//menu",
            "/Voice",
            "/",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn urls_route_like_the_server() {
        let incoming = Some(ActionUrl {
            path: VoicePath::Incoming,
            query: "",
        });
        assert_eq!(parse_url("/voice", ""), incoming);
        assert_eq!(
            parse_url("/voice/acme/menu?k=m&n=1", ""),
            cont("acme", "menu", "k=m&n=1")
        );
        assert_eq!(
            parse_url(
                "https://ivr.example.com/x/voice/acme/menu?k=m",
                "https://ivr.example.com/x"
            ),
            cont("acme", "menu", "k=m")
        );
        assert_eq!(parse_url("https://elsewhere.example.com/twiml", ""), None);
        assert_eq!(parse_url("//evil.example.com/voice", ""), None);
        assert_eq!(parse_url("/voice/acme/menu/x", ""), None);
        assert_eq!(parse_url("/voice/ac%20me/menu", ""), None);
        assert_eq!(parse_url("/hold.xml", ""), None);
    }
}
