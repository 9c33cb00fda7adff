//! The flow loader (`switchboard::flow`): random and mutated flow files never panic the
//! loader, and every diagnostic points at a real place: line ≥ 1 and col ≥ 1 within the
//! file's text, or (for the few problems that belong to a whole file) no line at all.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;
use switchboard::diag::{Diagnostic, Kind};
use switchboard::flow;

use super::check;
use crate::harness::shipped_flow_dirs;

/// Every shipped flow set: its files' names and texts.
fn shipped() -> &'static Vec<Vec<(PathBuf, String)>> {
    static SETS: OnceLock<Vec<Vec<(PathBuf, String)>>> = OnceLock::new();
    SETS.get_or_init(|| {
        shipped_flow_dirs()
            .iter()
            .map(|dir| {
                let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
                    .expect("read flow dir")
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                    .map(|p| {
                        let text = std::fs::read_to_string(&p).expect("read flow");
                        (PathBuf::from(p.file_name().expect("a file name")), text)
                    })
                    .collect();
                files.sort();
                assert!(!files.is_empty(), "no flow files in {}", dir.display());
                files
            })
            .collect()
    })
}

/// YAML syntax inserted by the mutations.
const SYNTAX: &[&str] = &[
    ":",
    ": ",
    "- ",
    "-",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "*b",
    "!!str ",
    "!tag ",
    "? ",
    "|\n",
    ">-\n",
    "'",
    "\"",
    "#",
    "\t",
    "\n",
    "\n  ",
    "\n    - ",
    "---\n",
    "...\n",
    "<<: *a\n",
    "%YAML 1.2\n",
    "\\",
    "~",
    "null",
    "true",
    "0x1F",
    "007",
    "1e9",
    "\u{feff}",
    "é",
    "🎉",
    "\r",
    "{{",
    "}}",
    "{{From}}",
    "{{vars.x}}",
    "goto: ",
    "next: ",
    "start: ",
    "steps:\n",
];

/// One change to a file's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// XOR one byte with a non-zero mask (the result is read back as lossy UTF-8).
    FlipByte(prop::sample::Index, u8),
    /// Cut the text at a byte.
    Truncate(prop::sample::Index),
    /// Swap two lines.
    SwapLines(prop::sample::Index, prop::sample::Index),
    /// Duplicate a line.
    DuplicateLine(prop::sample::Index),
    /// Delete a line.
    DeleteLine(prop::sample::Index),
    /// Insert YAML syntax at a byte.
    Insert(prop::sample::Index, &'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let i = any::<prop::sample::Index>;
    prop_oneof![
        (i(), 1u8..).prop_map(|(i, m)| Mutation::FlipByte(i, m)),
        i().prop_map(Mutation::Truncate),
        (i(), i()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        i().prop_map(Mutation::DuplicateLine),
        i().prop_map(Mutation::DeleteLine),
        (i(), proptest::sample::select(SYNTAX)).prop_map(|(i, s)| Mutation::Insert(i, s)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = |i: &prop::sample::Index, n: usize| i.index(n.max(1)).min(n);
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    match m {
        Mutation::FlipByte(i, mask) => {
            if !bytes.is_empty() {
                let i = at(i, bytes.len());
                bytes[i] ^= mask;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Truncate(i) => {
            bytes.truncate(at(i, bytes.len()));
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Insert(i, s) => {
            let i = at(i, bytes.len() + 1);
            bytes.splice(i..i, s.bytes());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ if lines.is_empty() => String::new(),
        Mutation::SwapLines(a, b) => {
            let (a, b) = (a.index(lines.len()), b.index(lines.len()));
            lines.swap(a, b);
            lines.concat()
        }
        Mutation::DuplicateLine(i) => {
            let i = i.index(lines.len());
            lines.insert(i, lines[i]);
            lines.concat()
        }
        Mutation::DeleteLine(i) => {
            lines.remove(i.index(lines.len()));
            lines.concat()
        }
    }
}

/// Checks one diagnostic's location against the texts it may point into.
fn check_location(d: &Diagnostic, files: &[(PathBuf, String)]) -> Result<(), TestCaseError> {
    let text = files
        .iter()
        .find(|(p, _)| p.as_path() == &*d.loc.file)
        .map(|(_, t)| t)
        .ok_or_else(|| TestCaseError::fail(format!("{d:?} names a file that was not loaded")))?;
    if d.loc.line == 0 {
        // Only a problem with the file as a whole has no line.
        prop_assert!(
            matches!(d.kind, Kind::MissingStart),
            "a {:?} diagnostic without a line: {}",
            d.kind,
            d.message
        );
        return Ok(());
    }
    // Lines as YAML counts them: `\r\n`, `\n` and a lone `\r` each end one.
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut lines: Vec<&str> = unified.split('\n').collect();
    // After a final line break the parser may point at the start of the empty line that
    // follows (an unexpected end of file); that is the one place past the last line.
    if lines.last() == Some(&"") && d.loc.line as usize == lines.len() {
        prop_assert_eq!(d.loc.col, 1, "past the end: {:?}", d);
        return Ok(());
    }
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let line = d.loc.line as usize;
    prop_assert!(d.loc.col >= 1, "column 0: {d:?}");
    prop_assert!(
        line <= lines.len(),
        "line {line} past the end ({} lines): {d:?}\n{text}",
        lines.len()
    );
    let width = lines[line - 1].chars().count() + 1;
    prop_assert!(
        d.loc.col as usize <= width,
        "column {} past the end of line {line} ({width} columns): {d:?}\n{text}",
        d.loc.col
    );
    Ok(())
}

/// Loads a set, renders its diagnostics (which quotes the lines), and checks every location.
fn load_and_check(files: Vec<(PathBuf, String)>) -> Result<(), TestCaseError> {
    let loaded = flow::load_texts(files.clone());
    let rendered = loaded.render_diagnostics();
    prop_assert_eq!(rendered.is_empty(), loaded.diagnostics.is_empty());
    for d in &loaded.diagnostics {
        check_location(d, &files)?;
    }
    Ok(())
}

#[test]
fn mutated_shipped_flows_give_diagnostics_at_real_places() {
    let case = (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        proptest::collection::vec(mutation(), 1..4),
    );
    let ran = check(case, |(set, file, mutations)| {
        let mut files = shipped()[set.index(shipped().len())].clone();
        let i = file.index(files.len());
        for m in &mutations {
            files[i].1 = apply(&files[i].1, m);
        }
        load_and_check(files)
    });
    assert!(ran > 0);
}

/// Flow-shaped text from scratch: lines of keys the loader knows, values and YAML syntax at
/// random indentation.
fn random_flow() -> impl Strategy<Value = String> {
    const KEYS: &[&str] = &[
        "numbers",
        "start",
        "steps",
        "entry",
        "say",
        "menu",
        "dial",
        "to",
        "goto",
        "next",
        "route",
        "if",
        "options",
        "timezone",
        "schedules",
        "hours",
        "vars",
        "ask",
        "pattern",
        "save_as",
        "record",
        "hangup",
        "set",
        "play",
        "on_error",
        "exhausted",
        "retries",
    ];
    const VALUES: &[&str] = &[
        "",
        "entry",
        "\"+14155550100\"",
        "[\"+14155550100\"]",
        "{ to: \"+1\" }",
        "hi",
        "3",
        "true",
        "'{{From}}'",
        "\"{{vars.x}}\"",
        "[a, b",
        "{ open: office }",
        "- x",
        "*a",
        "&a x",
        "\"09:00-17:00\"",
        "America/New_York",
        "'^\\d+$'",
        "|",
        "null",
    ];
    let line = (
        0usize..4,
        proptest::sample::select(KEYS),
        proptest::sample::select(VALUES),
        proptest::option::of(proptest::sample::select(SYNTAX)),
    )
        .prop_map(|(indent, k, v, extra)| {
            format!("{}{k}: {v}{}\n", "  ".repeat(indent), extra.unwrap_or(""))
        });
    proptest::collection::vec(line, 0..16).prop_map(|l| l.concat())
}

#[test]
fn random_flow_files_give_diagnostics_at_real_places() {
    let ran = check(random_flow(), |text| {
        load_and_check(vec![(PathBuf::from("random.yaml"), text)])
    });
    assert!(ran > 0);
}

/// Found by the property above: YAML counts a lone CR as a line break (old Mac line ends, a
/// stray `\r` pasted in), so the loader's line numbers did too, but the diagnostic renderer
/// and the loader's own "found `…`" text split lines on LF only, quoting the wrong line (or
/// none) under a right line number.
#[test]
fn a_file_with_cr_line_breaks_is_quoted_at_the_right_line() {
    let text = "numbers: [\"+14155550100\"]\rstart: entry\r\nsteps:\r  entry:\r    sya: hi\r";
    let loaded = flow::load_texts(vec![(PathBuf::from("cr.yaml"), text.to_string())]);
    let d = loaded
        .diagnostics
        .iter()
        .find(|d| d.kind == Kind::UnknownKey)
        .unwrap_or_else(|| panic!("no unknown-key error:\n{}", loaded.render_diagnostics()));
    assert_eq!((d.loc.line, d.loc.col), (5, 5), "{d:?}");
    let rendered = loaded.render_diagnostics();
    assert!(rendered.contains("5 |     sya: hi\n"), "{rendered}");
    // The "found `…`" of a type error quotes the right line too.
    let text = "numbers: [\"+14155550100\"]\rstart: entry\rsteps:\r  entry:\r    say: [a\r";
    let loaded = flow::load_texts(vec![(PathBuf::from("cr.yaml"), text.to_string())]);
    let rendered = loaded.render_diagnostics();
    assert!(loaded.errors() > 0, "{rendered}");
    for d in &loaded.diagnostics {
        check_location(d, &[(PathBuf::from("cr.yaml"), text.to_string())])
            .unwrap_or_else(|e| panic!("{e}"));
    }
}
