//! Form decoding: any bytes decode or are refused without a panic, both decoders agree, and
//! what decodes re-encodes to something that decodes to the same pairs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::form;

fuzz_target!(|data: &[u8]| {
    let pairs = form::parse(data);
    let params = form::parse_params(data);
    match (&pairs, &params) {
        (Ok(pairs), Ok(params)) => {
            let fast: Vec<(&str, &str)> = params.pairs().collect();
            let slow: Vec<(&str, &str)> =
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(fast, slow);
            let again = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            assert_eq!(form::parse(again.as_bytes()).as_ref(), Ok(pairs));
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("parse and parse_params disagree"),
    }
});
