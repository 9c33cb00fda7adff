//! Signature verification: any request (URL, method, content type, body, signature and
//! settings headers) is accepted or rejected without a panic, and `verify_decoded` with the
//! body's own decoding decides exactly as `verify` does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::form;
use switchboard::signature::{self, Keys, Request, Secret};

fuzz_target!(|data: &[u8]| {
    // Fields separated by 0xFF, which never occurs in UTF-8 text.
    let mut parts = data.split(|&b| b == 0xFF);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (url, method, content_type, signature, settings) = (text(), text(), text(), text(), text());
    let body = text();
    let keys = Keys {
        auth_tokens: vec![Secret::new("token"), Secret::new("")],
        shared_keys: vec![("kid".into(), Secret::new("secret"))],
    };
    let req = Request {
        url: &url,
        method: if method.len() % 2 == 0 { "POST" } else { "GET" },
        content_type: (!content_type.is_empty()).then_some(content_type.as_str()),
        body: body.as_bytes(),
        signature: (!signature.is_empty()).then_some(signature.as_str()),
        signature_settings: (!settings.is_empty()).then_some(settings.as_str()),
    };
    let verdict = signature::verify(&keys, &req);
    if let Ok(pairs) = form::parse(body.as_bytes()) {
        let decoded = signature::verify_decoded(
            &keys,
            &req,
            pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        assert_eq!(verdict, decoded);
    }
    // A request signed over this URL and body verifies (when the body is signed as a form).
    let pairs = form::parse(body.as_bytes()).unwrap_or_default();
    let sig = signature::sign(&Secret::new("token"), &url, &pairs);
    let signed = Request {
        method: "POST",
        content_type: Some("application/x-www-form-urlencoded"),
        signature: Some(&sig),
        signature_settings: None,
        ..req
    };
    if form::parse(body.as_bytes()).is_ok() && !url.contains("bodySHA256") {
        assert_eq!(signature::verify(&keys, &signed), Ok(()), "{url:?}");
    }
});
