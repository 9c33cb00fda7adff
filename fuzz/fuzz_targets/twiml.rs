//! TwiML: any text is read by `read_twiml` or refused without a panic; what it reads, the
//! writer writes as a well-formed document that reads back to the same model.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::twiml::read_twiml;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((model, _notes)) = read_twiml(text) else {
        return;
    };
    let xml = model.to_xml();
    roxmltree::Document::parse(&xml).expect("the writer's output is well-formed");
    let (again, notes) = read_twiml(&xml).expect("the writer's output reads back");
    assert!(notes.is_empty(), "{notes:?}\n{xml}");
    // Text read back has XML's line ends; one more round is a fixed point.
    let (third, _) = read_twiml(&again.to_xml()).expect("reads back");
    assert_eq!(third, again, "{xml}");
});
