//! Form decoding (`switchboard::form`): never panics, agrees with a plain reference decoder
//! written from the rules in the module docs (same pairs, same error), and what is encoded
//! decodes back.

use proptest::prelude::*;
use switchboard::form::{self, MalformedForm};

use super::{check, hostile_string};

/// The rules of `form`'s module docs, written the slow and obvious way: UTF-8 input, split on
/// `&`, skip empty segments, split each at its first `=`, `+` is a space, `%XX` a byte, every
/// decoded component UTF-8; the first failure in order (key before value) is the error.
fn reference(input: &[u8]) -> Result<Vec<(String, String)>, MalformedForm> {
    let text = std::str::from_utf8(input).map_err(|_| MalformedForm::NotUtf8)?;
    let component = |raw: &str| -> Result<String, MalformedForm> {
        let b = raw.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                    match (hex(b.get(i + 1)), hex(b.get(i + 2))) {
                        (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                        _ => return Err(MalformedForm::BadEscape),
                    }
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).map_err(|_| MalformedForm::DecodedNotUtf8)
    };
    let mut pairs = Vec::new();
    for segment in text.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = segment.split_once('=').unwrap_or((segment, ""));
        let key = component(k)?;
        pairs.push((key, component(v)?));
    }
    Ok(pairs)
}

/// Bytes weighted toward what the decoder looks at: separators, escapes, hex digits, bytes
/// that are not UTF-8 on their own, and multi-byte characters.
fn form_bytes() -> impl Strategy<Value = Vec<u8>> {
    const PIECES: &[&[u8]] = &[
        b"&",
        b"=",
        b"+",
        b"%",
        b"%2",
        b"%2B",
        b"%zz",
        b"%C3%A9",
        b"%C3",
        b"%FF",
        b"%e9",
        b"a",
        b"Z",
        b"0",
        b"f",
        b"F",
        b" ",
        b"\xff",
        b"\xc3",
        b"\xc3\xa9",
        "🎉".as_bytes(),
        b"&&",
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::collection::vec(proptest::sample::select(PIECES), 0..24).prop_map(|v| v.concat()),
    ]
}

#[test]
fn decoding_any_bytes_matches_the_reference_decoder() {
    let ran = check(form_bytes(), |input| {
        let got = form::parse(&input);
        prop_assert_eq!(
            &got,
            &reference(&input),
            "input {:?}",
            String::from_utf8_lossy(&input)
        );
        // The server's allocation-free decoder gives the same pairs and the same error.
        let params = form::parse_params(&input);
        match (&got, &params) {
            (Ok(pairs), Ok(params)) => {
                let p: Vec<(&str, &str)> = params.pairs().collect();
                let want: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                prop_assert_eq!(p, want);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "parse and parse_params disagree on {input:?}"),
        }
        Ok(())
    });
    assert!(ran > 0);
}

#[test]
fn what_is_encoded_decodes_back() {
    let pairs = proptest::collection::vec((hostile_string(), hostile_string()), 0..8);
    let ran = check(pairs, |pairs| {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        // An empty pair encodes as `=`, which decodes back to it; only `&&` runs are skipped,
        // and the encoder never writes one.
        prop_assert_eq!(form::parse(body.as_bytes()), Ok(pairs), "body {}", body);
        Ok(())
    });
    assert!(ran > 0);
}

/// Strictness: an encoded body with one bad escape, one raw non-UTF-8 byte or one escaped
/// non-UTF-8 byte inserted anywhere in a value is refused, never repaired.
#[test]
fn a_body_with_one_defect_is_refused_not_repaired() {
    let defect = prop_oneof![
        Just((&b"%"[..], MalformedForm::BadEscape)),
        Just((&b"%4"[..], MalformedForm::BadEscape)),
        Just((&b"%G1"[..], MalformedForm::BadEscape)),
        Just((&b"%FF"[..], MalformedForm::DecodedNotUtf8)),
        Just((&b"%C3"[..], MalformedForm::DecodedNotUtf8)),
        Just((&b"\xff"[..], MalformedForm::NotUtf8)),
    ];
    let case = (
        proptest::collection::vec((hostile_string(), hostile_string()), 1..6),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        defect,
    );
    let ran = check(case, |(pairs, which, at, (bad, want))| {
        let i = which.index(pairs.len());
        let mut body = Vec::new();
        for (n, (k, v)) in pairs.iter().enumerate() {
            if n > 0 {
                body.push(b'&');
            }
            body.extend(form_urlencoded::byte_serialize(k.as_bytes()).flat_map(str::bytes));
            body.push(b'=');
            let value: Vec<u8> = form_urlencoded::byte_serialize(v.as_bytes())
                .flat_map(str::bytes)
                .collect();
            if n == i {
                // Between two encoded units (an escape is three bytes, everything else one).
                let mut cuts = vec![0];
                let mut j = 0;
                while j < value.len() {
                    j += if value[j] == b'%' { 3 } else { 1 };
                    cuts.push(j);
                }
                let cut = cuts[at.index(cuts.len())];
                body.extend_from_slice(&value[..cut]);
                body.extend_from_slice(bad);
                // A `z` after it: `%4` followed by a hex digit would be a good escape, and
                // `%C3` followed by the right escape a good character.
                if bad[0] == b'%' {
                    body.push(b'z');
                }
                body.extend_from_slice(&value[cut..]);
            } else {
                body.extend(value);
            }
        }
        let got = form::parse(&body);
        prop_assert!(
            got.is_err(),
            "accepted {:?}",
            String::from_utf8_lossy(&body)
        );
        // A raw `\xff` anywhere makes the whole input not UTF-8, which is checked first;
        // otherwise the first defect in order is reported, and there is only one.
        prop_assert_eq!(got, Err(want));
        Ok(())
    });
    assert!(ran > 0);
}
