//! Call state carried between webhooks in the action URL's query string.
//!
//! `/voice/acme/menu?k=m&n=2&v.account=123456` says: the caller is answering the `menu`
//! step's gather (`k=m`), this is try 2 (`n=2`), and the call variable `account` is
//! `123456`. Twilio signs the whole URL, so the server's signature check makes the state
//! tamper-proof; any replica can continue any call.

use std::fmt::Write as _;

/// At most this many call variables travel in a URL.
pub const MAX_VARS: usize = 32;
/// A call variable's value is cut to this many characters.
pub const MAX_VALUE_CHARS: usize = 256;
/// The encoded state may not exceed this many bytes (keeps action URLs well under the
/// lengths proxies and Twilio accept).
pub const MAX_STATE_BYTES: usize = 2048;

/// Attempt and leg counters read from a URL are clamped to this.
pub const MAX_COUNTER: u32 = 1000;

/// What the step named in the URL was waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// A menu's `<Gather>` result.
    Menu,
    /// An ask's `<Gather>` result.
    Ask,
    /// A `<Dial>` outcome.
    Dial,
    /// A `<Record>` result.
    Record,
    /// An `<Enqueue>` result.
    Enqueue,
    /// A conference ending.
    Conference,
}

impl Wait {
    fn code(self) -> &'static str {
        match self {
            Wait::Menu => "m",
            Wait::Ask => "a",
            Wait::Dial => "d",
            Wait::Record => "r",
            Wait::Enqueue => "q",
            Wait::Conference => "c",
        }
    }

    fn from_code(s: &str) -> Option<Wait> {
        Some(match s {
            "m" => Wait::Menu,
            "a" => Wait::Ask,
            "d" => Wait::Dial,
            "r" => Wait::Record,
            "q" => Wait::Enqueue,
            "c" => Wait::Conference,
            _ => return None,
        })
    }
}

/// Everything a call needs between two webhooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallState {
    /// What the step was waiting for; `None` means "enter the step".
    pub wait: Option<Wait>,
    /// Which try of a menu or ask this is (1-based).
    pub attempt: u32,
    /// Which target a sequential dial is ringing (0-based).
    pub leg: u32,
    /// Call variables set so far (`set`, `ask`, captures), in assignment order.
    pub vars: Vec<(String, String)>,
}

impl CallState {
    /// A call variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a call variable (value cut to [`MAX_VALUE_CHARS`]); false when there are
    /// already [`MAX_VARS`] others.
    pub fn set_var(&mut self, name: &str, value: &str) -> bool {
        let value: String = value.chars().take(MAX_VALUE_CHARS).collect();
        if let Some(slot) = self.vars.iter_mut().find(|(k, _)| k == name) {
            slot.1 = value;
            return true;
        }
        if self.vars.len() >= MAX_VARS {
            return false;
        }
        self.vars.push((name.to_string(), value));
        true
    }

    /// Appends the query string (without `?`) to `out`.
    pub fn encode_into(&self, out: &mut String) {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if let Some(w) = self.wait {
            ser.append_pair("k", w.code());
        }
        if self.attempt > 0 {
            ser.append_pair("n", &self.attempt.to_string());
        }
        if self.leg > 0 {
            ser.append_pair("l", &self.leg.to_string());
        }
        let mut key = String::new();
        for (k, v) in &self.vars {
            key.clear();
            let _ = write!(key, "v.{k}");
            ser.append_pair(&key, v);
        }
        out.push_str(&ser.finish());
    }

    /// The query string.
    pub fn encode(&self) -> String {
        let mut s = String::new();
        self.encode_into(&mut s);
        s
    }

    /// Reads the state from a query string, never an error: unknown keys (Twilio's GET
    /// parameters share the query) and malformed values are ignored, and a query that is not
    /// valid form encoding (the crate's one strict decoder, [`crate::form`]) carries no state
    /// at all — the interpreter never writes one.
    pub fn decode(query: &str) -> CallState {
        let mut st = CallState::default();
        for (k, v) in crate::form::parse(query.as_bytes()).unwrap_or_default() {
            match k.as_ref() {
                "k" => st.wait = Wait::from_code(&v),
                // Real values are small (attempts ≤ 10, legs ≤ 10); clamping keeps arithmetic
                // on forged or stale state far from overflow.
                "n" => st.attempt = v.parse::<u32>().unwrap_or(0).min(MAX_COUNTER),
                "l" => st.leg = v.parse::<u32>().unwrap_or(0).min(MAX_COUNTER),
                other => {
                    if let Some(name) = other.strip_prefix("v.")
                        && crate::template::is_ident(name)
                    {
                        st.set_var(name, &v);
                    }
                }
            }
        }
        st
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut st = CallState {
            wait: Some(Wait::Menu),
            attempt: 2,
            leg: 1,
            vars: vec![],
        };
        st.set_var("account", "123456");
        st.set_var("said", "yes & no = maybe?+");
        let q = st.encode();
        assert_eq!(
            q,
            "k=m&n=2&l=1&v.account=123456&v.said=yes+%26+no+%3D+maybe%3F%2B"
        );
        assert_eq!(CallState::decode(&q), st);
    }

    #[test]
    fn decode_is_lenient() {
        let st = CallState::decode("k=zz&n=x&v.bad-name=1&v.ok=2&Digits=5");
        assert_eq!(st.wait, None);
        assert_eq!(st.attempt, 0);
        assert_eq!(st.vars, vec![("ok".to_string(), "2".to_string())]);
        // Not form encoding at all: no state, not an error.
        let st = CallState::decode("k=m&n=2&v.ok=2&%ZZ");
        assert_eq!((st.wait, st.attempt, st.vars.len()), (None, 0, 0));
        let st = CallState::decode("n=4294967295&l=4294967295");
        assert_eq!((st.attempt, st.leg), (MAX_COUNTER, MAX_COUNTER));
    }

    #[test]
    fn limits() {
        let mut st = CallState::default();
        for i in 0..MAX_VARS {
            assert!(st.set_var(&format!("v{i}"), "x"));
        }
        assert!(!st.set_var("one_more", "x"));
        assert!(st.set_var("v0", &"y".repeat(1000)));
        assert_eq!(st.var("v0").map(|v| v.len()), Some(MAX_VALUE_CHARS));
    }
}
