//! Templates: any text compiles or fails without a panic, errors point at a `{{` in it, and
//! a compiled template renders (plain and as a URL) with hostile values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::template::{Scope, Template, is_twilio_param};

/// Every name resolves to the same hostile value.
struct Hostile;

impl Scope for Hostile {
    fn param(&self, _: &str) -> Option<&str> {
        Some("&a=b?c#d{{From}}%")
    }
    fn var(&self, name: &str) -> Option<&str> {
        (name.len() % 2 == 0).then_some("\u{0}</Say>")
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Template::compile(&text, is_twilio_param, |v| v.starts_with('a')) {
        Ok(t) => {
            let _ = t.render(&Hostile);
            let _ = t.render_url(&Hostile);
            let _ = t.as_literal();
        }
        Err(errors) => {
            assert!(!errors.is_empty());
            for e in errors {
                assert_eq!(text.get(e.offset..e.offset + 2), Some("{{"), "{e:?}");
            }
        }
    }
});
