//! The URLs a signature is made over: the public base URL a server is reached at, and the
//! port variants Twilio may have signed (§1.3).

use std::fmt;

/// The public base URL Twilio uses, validated: `http(s)://host[:port][/prefix]`, no trailing
/// `/`, no credentials, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(
    /// The normalised URL text (trailing `/` removed).
    String,
);

/// Why a `--public-url` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicUrlError {
    /// Not `http://` or `https://`.
    #[error("the public URL must start with https:// (or http:// for local tests)")]
    Scheme,
    /// No host after the scheme.
    #[error("the public URL has no host")]
    NoHost,
    /// `user:pass@` in the authority.
    #[error("the public URL must not contain credentials (user:pass@)")]
    Credentials,
    /// A `?query` or `#fragment`.
    #[error(
        "the public URL must not have a query or fragment; give only scheme, host, port and path prefix"
    )]
    QueryOrFragment,
    /// Whitespace or control characters.
    #[error("the public URL contains whitespace or control characters")]
    BadCharacter,
}

impl PublicUrl {
    /// Validates and normalises a public base URL.
    ///
    /// # Errors
    ///
    /// [`PublicUrlError`] says what is wrong.
    pub fn parse(text: &str) -> Result<PublicUrl, PublicUrlError> {
        let text = text.trim();
        if text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(PublicUrlError::BadCharacter);
        }
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or(PublicUrlError::Scheme)?;
        if rest.contains(['?', '#']) {
            return Err(PublicUrlError::QueryOrFragment);
        }
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return Err(PublicUrlError::NoHost);
        }
        if authority.contains('@') {
            return Err(PublicUrlError::Credentials);
        }
        Ok(PublicUrl(text.trim_end_matches('/').to_owned()))
    }

    /// The URL, without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The URLs a signature may have been made over (§1.3), without allocating: each candidate is
/// `head + port + tail`, for each entry of [`UrlCandidates::ports`]. The first is always the
/// URL exactly as given.
#[derive(Clone, Copy, Debug)]
pub(super) struct UrlCandidates<'a> {
    /// Everything before the port position: `scheme://[userinfo@]host`.
    pub(super) head: &'a str,
    /// `[as given, alternative]`: `[":1234", ""]` with a port, `["", ":443"]` without one.
    port_variants: [&'a str; 2],
    /// How many of `port_variants` apply: 1 if the URL could not be parsed, else 2.
    count: usize,
    /// Everything after the authority: path, query, fragment.
    pub(super) tail: &'a str,
}

impl<'a> UrlCandidates<'a> {
    /// The port pieces to splice between `head` and `tail`, the URL as given first.
    pub(super) fn ports(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.port_variants.into_iter().take(self.count)
    }

    #[cfg(test)]
    pub(super) fn to_strings(self) -> Vec<String> {
        self.ports()
            .map(|port| [self.head, port, self.tail].concat())
            .collect()
    }
}

/// URL candidates per §1.3: as given; with the default port (`:443` for https, `:80`
/// otherwise) added when there is none; with the port removed when there is one. The port is
/// found in a parsed authority, so `user:pass@` and `[v6]:port` are handled (§1.3 warns about
/// `netloc.split(":")`). A URL whose authority cannot be parsed yields only itself.
pub(super) fn url_candidates(url: &str) -> UrlCandidates<'_> {
    let only_itself = UrlCandidates {
        head: url,
        port_variants: ["", ""],
        count: 1,
        tail: "",
    };
    let Some(scheme_end) = url.find("://") else {
        return only_itself;
    };
    let scheme = &url[..scheme_end];
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Guards against a "://" that only
    // appears later in the path or query.
    let scheme_ok = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return only_itself;
    }
    let auth_start = scheme_end + 3;
    let auth_end = url[auth_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| auth_start + i);
    let authority = &url[auth_start..auth_end];
    // The host cannot contain '@', so the userinfo ends at the last one.
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];

    // Offset of the ':' before the port within `host_port`, if there is a port.
    let port_colon = if host_port.starts_with('[') {
        let Some(close) = host_port.find(']') else {
            return only_itself;
        };
        match &host_port[close + 1..] {
            "" => None,
            rest if rest.starts_with(':') => Some(close + 1),
            _ => return only_itself,
        }
    } else {
        host_port.find(':')
    };

    let default_port = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    match port_colon {
        Some(colon) => {
            let port = &host_port[colon + 1..];
            // An empty port ("h:") counts as a port and is removed like any other.
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return only_itself;
            }
            let port_start = auth_start + host_start + colon;
            UrlCandidates {
                head: &url[..port_start],
                port_variants: [&url[port_start..auth_end], ""],
                count: 2,
                tail: &url[auth_end..],
            }
        }
        None => UrlCandidates {
            head: &url[..auth_end],
            port_variants: ["", default_port],
            count: 2,
            tail: &url[auth_end..],
        },
    }
}
