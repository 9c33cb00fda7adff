//! Strict `application/x-www-form-urlencoded` decoding for webhook bodies and GET queries:
//! the crate's only form decoder.
//!
//! A body that does not decode cleanly is refused (the server answers `400`, the signature
//! check [`MalformedBody`](crate::signature::Rejection::MalformedBody)) instead of being
//! "repaired", because a repaired body is not the one Twilio signed. The rules are the
//! signature reference's (§1.2): `+` is a space, `%XX` a byte, empty `&&` segments are
//! skipped, a segment without `=` is a key with an empty value, and the input and every
//! decoded component must be UTF-8.
//!
//! What it decodes into is [`Params`]: a webhook's parameters, in order, packed (the
//! engine reads them; the signature check hashes them).
//!
//! Beside the decoder sit the two other rules for request text that the server and the
//! signature check share: which content type is a form ([`is_form`]) and how much of a
//! request-supplied string may be kept for a log line ([`clip`]).

use std::borrow::Cow;
use std::fmt;

/// Why a form body or query could not be decoded. Carries no request text (it may be logged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedForm {
    /// The raw input is not UTF-8.
    NotUtf8,
    /// A `%` not followed by two hex digits.
    BadEscape,
    /// A decoded key or value is not UTF-8.
    DecodedNotUtf8,
}

impl fmt::Display for MalformedForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MalformedForm::NotUtf8 => "form data is not UTF-8",
            MalformedForm::BadEscape => "form data has an invalid %-escape",
            MalformedForm::DecodedNotUtf8 => "a decoded form field is not UTF-8",
        })
    }
}

impl std::error::Error for MalformedForm {}

/// Decodes `input` into `(key, value)` pairs in the order received.
///
/// # Errors
///
/// [`MalformedForm`] when the input or a decoded component is not UTF-8, or an escape is bad.
pub fn parse(input: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
    let mut out = Vec::with_capacity(max_pairs(input));
    each_pair(input, |k, v| out.push((k.into_owned(), v.into_owned())))?;
    Ok(out)
}

/// Decodes `input` into request parameters: the same rules as [`parse`], without an
/// allocation per key and value (the server's hot path).
///
/// # Errors
///
/// As [`parse`].
pub fn parse_params(input: &[u8]) -> Result<Params, MalformedForm> {
    let mut params = Params::with_capacity(max_pairs(input), input.len());
    each_pair(input, |k, v| params.push(&k, &v))?;
    Ok(params)
}

/// At most one pair per `&`-separated segment: sized once, the pairs never regrow.
fn max_pairs(input: &[u8]) -> usize {
    input.iter().filter(|&&b| b == b'&').count() + 1
}

/// Calls `f` with every decoded `(key, value)`, in order.
///
/// One pass over the bytes finds the `&` separators, each segment's first `=` and whether a
/// component has anything to decode (`+`, `%`), so the common component is handed over as a
/// borrowed slice without a second scan.
fn each_pair(
    input: &[u8],
    mut f: impl FnMut(Cow<'_, str>, Cow<'_, str>),
) -> Result<(), MalformedForm> {
    let text = std::str::from_utf8(input).map_err(|_| MalformedForm::NotUtf8)?;
    let bytes = text.as_bytes();
    // Every index below is the position of an ASCII byte (`&`, `=`) or the end, so each slice
    // falls on character boundaries; `get` keeps that a non-panic anyway.
    let slice = |from: usize, to: usize| text.get(from..to).unwrap_or_default();
    let (mut start, mut eq) = (0, None);
    let (mut key_special, mut value_special) = (false, false);
    let mut i = 0;
    loop {
        // Skip the run of bytes that need no attention in a tight loop (most of the body).
        while bytes.get(i).is_some_and(|&b| PLAIN[usize::from(b)]) {
            i += 1;
        }
        // Past the end acts as a final `&`.
        match bytes.get(i).copied().unwrap_or(b'&') {
            b'&' => {
                // Empty segments (`&&`, a trailing `&`) are skipped.
                if i > start {
                    let (key, value) = match eq {
                        Some(e) => (slice(start, e), slice(e + 1, i)),
                        None => (slice(start, i), ""),
                    };
                    f(decode(key, key_special)?, decode(value, value_special)?);
                }
                (start, eq) = (i + 1, None);
                (key_special, value_special) = (false, false);
            }
            b'=' if eq.is_none() => eq = Some(i),
            b'+' | b'%' if eq.is_none() => key_special = true,
            b'+' | b'%' => value_special = true,
            _ => {}
        }
        if i >= bytes.len() {
            return Ok(());
        }
        i += 1;
    }
}

/// Bytes `each_pair` can skip: everything but `&`, `=`, `+` and `%`.
const PLAIN: [bool; 256] = {
    let mut plain = [true; 256];
    plain[b'&' as usize] = false;
    plain[b'=' as usize] = false;
    plain[b'+' as usize] = false;
    plain[b'%' as usize] = false;
    plain
};

/// Decodes one component: `+` → space, `%XX` → byte; the result must be UTF-8. Borrows
/// when there is nothing to decode (`special` false: no `+` or `%` in it), which is most
/// components (SIDs, statuses).
fn decode(raw: &str, special: bool) -> Result<Cow<'_, str>, MalformedForm> {
    let is_special = |b: &u8| *b == b'+' || *b == b'%';
    let bytes = raw.as_bytes();
    let first = if special {
        bytes.iter().position(is_special)
    } else {
        None
    };
    let Some(first) = first else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut at = Some(first);
    // Runs of plain bytes are copied whole; only `+` and `%XX` are handled one by one.
    while let Some(i) = at {
        out.extend_from_slice(&rest[..i]);
        if rest[i] == b'+' {
            out.push(b' ');
            rest = &rest[i + 1..];
        } else {
            let hi = rest.get(i + 1).copied().and_then(hex);
            let lo = rest.get(i + 2).copied().and_then(hex);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(MalformedForm::BadEscape);
            };
            out.push((hi << 4) | lo);
            // In bounds: `rest[i + 2]` exists, as `lo` was read from it.
            rest = &rest[i + 3..];
        }
        at = rest.iter().position(is_special);
    }
    out.extend_from_slice(rest);
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| MalformedForm::DecodedNotUtf8)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Whether a `Content-Type` value's media type is `application/x-www-form-urlencoded`,
/// ignoring parameters such as `charset` and ASCII case. `None` (no header, or one that is
/// not visible ASCII) is not a form.
pub fn is_form(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("");
        media
            .trim_ascii()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// Copies at most `max` bytes of a request-supplied string, cut on a character boundary, so
/// a hostile value cannot flood a log line.
pub fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    // A short loop rather than `str::floor_char_boundary`, which needs a newer toolchain than
    // the crate's `rust-version`.
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // `end` is a character boundary now, so the slice cannot panic.
    s[..end].to_owned()
}

/// Request parameters, in the order received (the first value of a name wins).
///
/// Stored packed, every name and value back to back in one string, so building them for a
/// webhook of 25 parameters costs two allocations rather than fifty (the server builds one
/// per request).
#[derive(Clone, Default)]
pub struct Params {
    /// Every name and value as decoded, back to back.
    text: String,
    /// Per pair, in order: where its name ends and where its value ends in `text` (a name
    /// starts where the previous value ends).
    ends: Vec<(usize, usize)>,
}

impl Params {
    /// Room for `pairs` pairs of `bytes` bytes in total.
    pub fn with_capacity(pairs: usize, bytes: usize) -> Params {
        Params {
            text: String::with_capacity(bytes),
            ends: Vec::with_capacity(pairs),
        }
    }

    /// From decoded pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        let bytes = pairs.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut params = Params::with_capacity(pairs.len(), bytes);
        for (k, v) in &pairs {
            params.push(k, v);
        }
        params
    }

    /// Adds one pair after the existing ones.
    pub fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((name_end, self.text.len()));
    }

    /// Adds pairs (e.g. GET webhook parameters in the query) after the existing ones.
    pub fn extend(&mut self, more: impl IntoIterator<Item = (String, String)>) {
        for (k, v) in more {
            self.push(&k, &v);
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        // A linear scan (webhooks have about 25 parameters), comparing lengths before bytes.
        let mut start = 0;
        for &(name_end, value_end) in &self.ends {
            if name_end - start == name.len()
                && self.text.as_bytes().get(start..name_end) == Some(name.as_bytes())
            {
                return self.text.get(name_end..value_end);
            }
            start = value_end;
        }
        None
    }

    /// All pairs, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&(name_end, value_end)| {
            // The ends were recorded by `push` at `str` boundaries, in increasing order.
            let pair = (
                self.text.get(start..name_end).unwrap_or_default(),
                self.text.get(name_end..value_end).unwrap_or_default(),
            );
            start = value_end;
            pair
        })
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The shape the derived `Debug` of a list of pairs had.
        struct Pairs<'a>(&'a Params);
        impl std::fmt::Debug for Pairs<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_list().entries(self.0.pairs()).finish()
            }
        }
        f.debug_struct("Params")
            .field("pairs", &Pairs(self))
            .finish()
    }
}

impl PartialEq for Params {
    /// The same pairs in the same order (however they were pushed).
    fn eq(&self, other: &Params) -> bool {
        self.len() == other.len() && self.pairs().eq(other.pairs())
    }
}

impl serde::Serialize for Params {
    /// As a list of `[name, value]` pairs: what a `Vec<(String, String)>` gives.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.pairs())
    }
}

impl<'de> serde::Deserialize<'de> for Params {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(Params::from_pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn decodes_like_twilio_encodes() {
        let got =
            parse(b"From=%2B14155550100&City=SAN+FRANCISCO&Ts=Tue%2C%2014%20Jul&&Flag&E=").unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("From", "+14155550100"),
                ("City", "SAN FRANCISCO"),
                ("Ts", "Tue, 14 Jul"),
                ("Flag", ""),
                ("E", ""),
            ])
        );
        assert_eq!(parse(b"").unwrap(), vec![]);
        assert_eq!(
            parse("Name=Caf%C3%A9+%F0%9F%8E%89&x=é".as_bytes()).unwrap(),
            pairs(&[("Name", "Café 🎉"), ("x", "é")])
        );
        // Repeated keys are kept, in order.
        assert_eq!(parse(b"a=1&a=2").unwrap(), pairs(&[("a", "1"), ("a", "2")]));
    }

    #[test]
    fn params_decode_like_pairs() {
        for input in [
            &b"From=%2B14155550100&City=SAN+FRANCISCO&&Flag&E=&From=x"[..],
            b"",
            "Name=Caf%C3%A9+%F0%9F%8E%89&x=\u{e9}".as_bytes(),
        ] {
            let params = parse_params(input).unwrap();
            let pairs = parse(input).unwrap();
            let got: Vec<(&str, &str)> = params.pairs().collect();
            let want: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(got, want);
        }
        assert_eq!(
            parse_params(b"From=1&From=2").unwrap().get("From"),
            Some("1")
        );
        assert_eq!(
            parse_params(b"a=%ZZ").map(|_| ()),
            Err(MalformedForm::BadEscape)
        );
    }

    #[test]
    fn rejects_what_cannot_be_signed_faithfully() {
        assert_eq!(parse(b"a=%ZZ"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%4"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%FF"), Err(MalformedForm::DecodedNotUtf8));
        assert_eq!(parse(b"a=\xff"), Err(MalformedForm::NotUtf8));
    }
}
