//! Strict `application/x-www-form-urlencoded` decoding for webhook bodies and GET queries.
//!
//! [`crate::engine::Params::from_form`] is lenient (bad escapes pass through, invalid UTF-8 is
//! replaced), which suits tools. The server needs the opposite: a body that does not decode
//! cleanly is answered `400` instead of being "repaired", because a repaired body is not the
//! one Twilio signed. The rules match the signature checker's (reference §1.2): `+` is a space,
//! `%XX` a byte, empty `&&` segments are skipped, a segment without `=` is a key with an empty
//! value, and the input and every decoded component must be UTF-8.

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
    let text = std::str::from_utf8(input).map_err(|_| MalformedForm::NotUtf8)?;
    let mut out = Vec::new();
    for segment in text.split('&') {
        if segment.is_empty() {
            continue;
        }
        let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
        out.push((decode(key)?, decode(value)?));
    }
    Ok(out)
}

/// Decodes one component: `+` → space, `%XX` → byte; the result must be UTF-8.
fn decode(raw: &str) -> Result<String, MalformedForm> {
    // Most components (SIDs, statuses) have nothing to decode.
    if !raw.bytes().any(|b| b == b'+' || b == b'%') {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex);
                let lo = bytes.get(i + 2).copied().and_then(hex);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(MalformedForm::BadEscape);
                };
                out.push((hi << 4) | lo);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| MalformedForm::DecodedNotUtf8)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
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
    fn rejects_what_cannot_be_signed_faithfully() {
        assert_eq!(parse(b"a=%ZZ"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%4"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%"), Err(MalformedForm::BadEscape));
        assert_eq!(parse(b"a=%FF"), Err(MalformedForm::DecodedNotUtf8));
        assert_eq!(parse(b"a=\xff"), Err(MalformedForm::NotUtf8));
    }
}
