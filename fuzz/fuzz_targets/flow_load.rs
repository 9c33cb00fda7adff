//! The flow loader: any text as a flow file (and as a shared `_` file beside a good flow)
//! loads without a panic, and every diagnostic has a line and column ≥ 1 (or, for a
//! whole-file problem, no line), inside the text as YAML counts its lines.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use switchboard::diag::Kind;
use switchboard::flow;

const GOOD: &str = "numbers: [\"+14155550100\"]\nstart: entry\nsteps:\n  entry:\n    say: \"{{vars.x}}\"\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    for files in [
        vec![(PathBuf::from("fuzz.yaml"), text.clone())],
        vec![
            (PathBuf::from("_shared.yaml"), text.clone()),
            (PathBuf::from("good.yaml"), GOOD.to_string()),
        ],
    ] {
        let loaded = flow::load_texts(files.clone());
        let _ = loaded.render_diagnostics();
        let unified = text.replace("\r\n", "\n").replace('\r', "\n");
        let lines = unified.split('\n').count();
        for d in &loaded.diagnostics {
            if &*d.loc.file != std::path::Path::new(&files[0].0) {
                continue;
            }
            if d.loc.line == 0 {
                assert!(matches!(d.kind, Kind::MissingStart), "{d:?}");
            } else {
                assert!(d.loc.col >= 1 && d.loc.line as usize <= lines, "{d:?}");
            }
        }
    }
});
