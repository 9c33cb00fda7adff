//! Flow tests: `switchboard test`, a YAML format for "this call goes there" (modelled on
//! `promtool test rules`), and its runner.
//!
//! ```yaml
//! # flows/tests/acme.yaml: tests the flows in flows/ (the directory above tests/)
//! tests:
//!   - name: VIPs go straight to the account manager
//!     call: { to: "+14155550100", from: "+12025550143", at: "2026-11-30T10:00" }
//!     expect:
//!       path: [entry, vip, vip_dial]
//!       hears: ["Welcome back"]
//!       dials: ["+14155550113"]
//!       ends_at: vip_dial
//! ```
//!
//! Each case is a call run by the simulator ([`crate::tools::simulate`]): the same webhook loop, the
//! same interpreter and the same action-URL round trip as a real call. Parsing is strict
//! (unknown keys are errors) and every problem is reported `file:line:col` with the same
//! diagnostics as `flow-check`. The loader never reads `tests/` (it reads a directory's own
//! files only), which is why tests live there.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::diag::{Diagnostic, Kind, Loc, Sources};
use crate::engine::Config;
use crate::flow::raw::{OneOrMany, OrderedMap};
use crate::flow::{self, FlowSet};
use crate::tools::simulate::{self as sim, Call, DialStatus, Ending, Scripted};

/// A spanned value.
type S<T> = Spanned<T>;

/// A test file larger than this is refused (as flow files are).
pub const MAX_FILE_BYTES: u64 = flow::MAX_FILE_BYTES;

/// A test file: the flows it tests and its cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTestFile {
    /// The flows directory, relative to this file; by default the directory above `tests/`.
    pub flows: Option<S<String>>,
    /// The cases, run in order.
    pub tests: Vec<S<RawCase>>,
}

/// One case: a call, the caller's replies, and what must happen.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    /// Shown in the output and matched by `--run`.
    pub name: S<String>,
    /// Who calls whom, when.
    pub call: S<RawCall>,
    /// Replies at each menu or ask, in order: keys or speech; `""` is silence.
    #[serde(default)]
    pub inputs: Vec<S<String>>,
    /// Outcome of each dial in order (the last repeats): completed, busy, no-answer, ….
    pub dial: Option<S<OneOrMany>>,
    /// Length of each recording in seconds; 0 is an empty recording.
    pub record_seconds: Option<S<u32>>,
    /// `QueueResult` when the caller leaves a queue.
    pub queue_result: Option<S<String>>,
    /// Once the inputs are used up, the caller hangs up at the next menu or ask (instead of
    /// staying silent).
    pub hang_up: Option<S<bool>>,
    /// What must happen.
    pub expect: S<RawExpect>,
}

/// The call of a case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// The dialed number (`To`).
    pub to: S<String>,
    /// The caller (`From`).
    pub from: Option<S<String>>,
    /// When: `2026-11-30T10:00` in the answering flow's zone, or an RFC 3339 instant.
    /// Required, so a case never depends on when it runs.
    pub at: S<String>,
    /// Extra request parameters (`FromCountry: US`).
    #[serde(default)]
    pub params: OrderedMap<S<String>>,
}

/// What a case expects. Every key given must hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    /// Every step entered, in order (`@flow.step` for steps of other flows).
    pub path: Option<S<Vec<S<String>>>>,
    /// Text (or audio URLs) the caller hears, each a part of something said, in order.
    #[serde(default)]
    pub hears: Vec<S<String>>,
    /// Text the caller must not hear.
    #[serde(default)]
    pub not_hears: Vec<S<String>>,
    /// Every party dialed, in order.
    pub dials: Option<S<Vec<S<String>>>>,
    /// The last step entered; or a dial target, which the last dial must ring.
    pub ends_at: Option<S<String>>,
    /// How the call ends: hangup, rejected, document-end, redirect, webhook-limit.
    pub ending: Option<S<String>>,
}

/// Values of `expect.ending`.
pub const ENDINGS: &[&str] = &[
    "hangup",
    "caller-hangup",
    "rejected",
    "document-end",
    "redirect",
    "webhook-limit",
];

fn ending_name(e: &Ending) -> &'static str {
    match e {
        Ending::HungUp => "hangup",
        Ending::Rejected(_) => "rejected",
        Ending::DocumentEnded => "document-end",
        Ending::CallerHungUp => "caller-hangup",
        Ending::ExternalRedirect(_) => "redirect",
        Ending::TooManyWebhooks(_) => "webhook-limit",
        // Only a transport over HTTP fails; tests run in process.
        Ending::Failed(_) => "failed",
    }
}

/// A case ready to run.
#[derive(Debug)]
struct Case {
    /// The case's name.
    name: String,
    /// Where the case starts in its file.
    loc: Loc,
    /// The simulated call.
    call: Call,
    /// The caller's replies, in order.
    inputs: Vec<String>,
    /// The caller hangs up once the replies are used up.
    hang_up: bool,
    /// What must happen.
    expect: Expect,
}

/// The checked expectations of a case.
#[derive(Debug, Default)]
struct Expect {
    /// The exact step path, if given.
    path: Option<Vec<String>>,
    /// Texts heard, in order.
    hears: Vec<String>,
    /// Texts never heard.
    not_hears: Vec<String>,
    /// The exact list of parties dialed, if given.
    dials: Option<Vec<String>>,
    /// The last step, or a party of the last dial.
    ends_at: Option<String>,
    /// One of [`ENDINGS`].
    ending: Option<String>,
}

/// A test file, read and checked as far as it can be without its flows.
struct TestFile {
    /// The file, as diagnostics name it.
    path: Arc<Path>,
    /// Its parsed content.
    raw: RawTestFile,
    /// The flows directory it tests.
    flows: PathBuf,
}

/// Reads and parses one test file; problems become diagnostics.
fn read_file(path: &Path, sources: &mut Sources) -> Result<TestFile, Vec<Diagnostic>> {
    let file: Arc<Path> = Arc::from(path);
    let text = match crate::flow::read_capped(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(vec![Diagnostic::error(
                Kind::Io,
                Loc::file(&file),
                format!("cannot read {}: {e}", path.display()),
            )]);
        }
    };
    sources.insert(path, Arc::from(text.as_str()));
    let raw: RawTestFile = crate::flow::parse_yaml(&text)
        .map_err(|e| vec![crate::flow::yaml_diagnostic(&file, &text, &e)])?;
    let dir = parent_dir(path);
    let flows = match &raw.flows {
        Some(f) => dir.join(&f.value),
        None if dir.file_name().is_some_and(|n| n == "tests") => parent_dir(&dir),
        None => {
            return Err(vec![
                Diagnostic::error(
                    Kind::Field,
                    Loc::file(&file),
                    "cannot tell which flows this file tests",
                )
                .with_help(
                    "put it in a `tests/` directory beside the flows, or add `flows: <dir>`",
                ),
            ]);
        }
    };
    Ok(TestFile {
        path: file,
        raw,
        flows,
    })
}

/// The directory holding `p`; `.` for a bare name (where `Path::parent` gives `""`).
fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn at(file: &Arc<Path>, l: Location) -> Loc {
    Loc::at(file, l)
}

/// Checks a parsed case against its flow set (the time zone of `at` depends on the flow the
/// number reaches).
fn check_case(
    file: &Arc<Path>,
    raw: &S<RawCase>,
    loaded: &FlowSet,
    diags: &mut Vec<Diagnostic>,
) -> Option<Case> {
    let c = &raw.value;
    let before = diags.len();
    let to = c.call.value.to.value.clone();
    let tz = sim::zone_for(loaded, &to);
    let when = &c.call.value.at;
    let t = match sim::parse_at(&when.value, &tz) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                Kind::BadValue,
                at(file, when.referenced),
                e,
            ));
            jiff::Timestamp::UNIX_EPOCH
        }
    };
    let mut call = Call::new(&to, t);
    if let Some(f) = &c.call.value.from {
        call.from = f.value.clone();
    }
    call.params = c
        .call
        .value
        .params
        .0
        .iter()
        .map(|(k, v)| (k.value.clone(), v.value.clone()))
        .collect();
    if let Some(d) = &c.dial {
        for s in &d.value.0 {
            let l = if s.referenced == Location::UNKNOWN {
                d.referenced
            } else {
                s.referenced
            };
            match DialStatus::parse(&s.value) {
                Ok(st) => call.dial.push(st),
                Err(e) => diags.push(Diagnostic::error(Kind::BadValue, at(file, l), e)),
            }
        }
    }
    if let Some(r) = &c.record_seconds {
        call.record_seconds = r.value;
    }
    if let Some(q) = &c.queue_result {
        match sim::parse_queue_result(&q.value) {
            Ok(v) => call.queue_result = v,
            Err(e) => diags.push(Diagnostic::error(Kind::BadValue, at(file, q.referenced), e)),
        }
    }
    let e = &c.expect.value;
    let strings = |v: &[S<String>]| v.iter().map(|s| s.value.clone()).collect::<Vec<_>>();
    let expect = Expect {
        path: e.path.as_ref().map(|p| strings(&p.value)),
        hears: strings(&e.hears),
        not_hears: strings(&e.not_hears),
        dials: e.dials.as_ref().map(|d| strings(&d.value)),
        ends_at: e.ends_at.as_ref().map(|s| s.value.clone()),
        ending: e.ending.as_ref().map(|s| s.value.clone()),
    };
    if let Some(en) = &e.ending
        && !ENDINGS.contains(&en.value.as_str())
    {
        diags.push(Diagnostic::error(
            Kind::BadValue,
            at(file, en.referenced),
            format!(
                "`ending` is one of {}, not `{}`",
                ENDINGS.join(", "),
                en.value
            ),
        ));
    }
    if expect.path.is_none()
        && expect.hears.is_empty()
        && expect.not_hears.is_empty()
        && expect.dials.is_none()
        && expect.ends_at.is_none()
        && expect.ending.is_none()
    {
        diags.push(
            Diagnostic::error(
                Kind::Field,
                at(file, c.expect.referenced),
                "`expect` expects nothing",
            )
            .with_help("give at least one of: path, hears, not_hears, dials, ends_at, ending"),
        );
    }
    (diags.len() == before).then(|| Case {
        name: c.name.value.clone(),
        loc: at(file, raw.referenced),
        call,
        inputs: strings(&c.inputs),
        hang_up: c.hang_up.as_ref().is_some_and(|h| h.value),
        expect,
    })
}

/// Runs one case; returns the problems (empty = pass) and the transcript.
fn run_case(loaded: &FlowSet, case: &Case) -> (Vec<String>, sim::Transcript) {
    let mut script = Scripted::new(case.inputs.iter().cloned()).hanging_up(case.hang_up);
    let t = sim::run(loaded, &Config::default(), &case.call, &mut script);
    let mut problems = Vec::new();
    let e = &case.expect;
    let path = t.path();
    if let Some(want) = &e.path
        && *want != path
    {
        problems.push(format!(
            "path differs (- expected, + actual):\n{}",
            diff(want, &path)
        ));
    }
    let heard = t.heard();
    let mut from = 0;
    for h in &e.hears {
        match heard.iter().skip(from).position(|x| x.contains(h.as_str())) {
            Some(i) => from += i + 1,
            None => {
                let earlier = heard.iter().take(from).any(|x| x.contains(h.as_str()));
                problems.push(if earlier {
                    format!("heard {h:?}, but not after the text expected before it")
                } else {
                    format!("did not hear {h:?}")
                });
            }
        }
    }
    for h in &e.not_hears {
        if let Some(x) = heard.iter().find(|x| x.contains(h.as_str())) {
            problems.push(format!("heard {h:?} (in {x:?})"));
        }
    }
    if problems.iter().any(|p| p.contains("hear")) {
        problems.push(format!(
            "the caller heard:\n{}",
            if heard.is_empty() {
                "      (nothing)".to_string()
            } else {
                heard
                    .iter()
                    .map(|h| format!("      {h:?}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
        ));
    }
    let dialed = t.dialed();
    if let Some(want) = &e.dials
        && *want != dialed
    {
        problems.push(format!(
            "dials differ (- expected, + actual):\n{}",
            diff(want, &dialed)
        ));
    }
    if let Some(want) = &e.ends_at {
        let is_party = ["+", "sip:", "client:", "conference:"]
            .iter()
            .any(|p| want.starts_with(p));
        if is_party {
            let last = t.dials().pop().unwrap_or_default();
            if !last.contains(want) {
                problems.push(format!(
                    "the last dial rings {}, not {want}",
                    if last.is_empty() {
                        "nobody (no dial)".to_string()
                    } else {
                        last.join(", ")
                    }
                ));
            }
        } else {
            let got = t.ends_at();
            if got.as_deref() != Some(want.as_str()) {
                problems.push(format!(
                    "ends at {}, not {want}",
                    got.as_deref().unwrap_or("(no step)")
                ));
            }
        }
    }
    if let Some(want) = &e.ending {
        let got = ending_name(&t.ending);
        if got != want {
            problems.push(format!("ending is {got} ({}), not {want}", t.ending));
        }
    }
    if let Some(note) = script.unused_note() {
        problems.push(note);
    }
    (problems, t)
}

/// A line diff of two lists (longest common subsequence): ` ` kept, `-` only expected,
/// `+` only actual. Long lists fall back to listing both.
pub fn diff(want: &[String], got: &[String]) -> String {
    let (n, m) = (want.len(), got.len());
    let mut out = String::new();
    // The table is n×m; beyond this the plain listing is as readable and far cheaper.
    if n.saturating_mul(m) > 250_000 {
        let _ = writeln!(out, "      expected: {}", want.join(" → "));
        let _ = write!(out, "      actual:   {}", got.join(" → "));
        return out;
    }
    // lcs[i * w + j] is the LCS length of want[i..] and got[j..]; every index below stays
    // under n and m by the loop bounds, and the table has the extra row and column.
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let w = m + 1;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if want[i] == got[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut lines = Vec::new();
    while i < n || j < m {
        if i < n && j < m && want[i] == got[j] {
            lines.push(format!("        {}", want[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i * w + j + 1] > lcs[(i + 1) * w + j]) {
            lines.push(format!("      + {}", got[j]));
            j += 1;
        } else {
            lines.push(format!("      - {}", want[i]));
            i += 1;
        }
    }
    out.push_str(&lines.join("\n"));
    out
}

/// The test files under the given paths: files as given, directories' `*.yaml`/`*.yml`.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        if meta.is_dir() {
            let listed = flow::list_dir(p).map_err(|e| e.to_string())?;
            if listed.is_empty() {
                return Err(format!(
                    "{} holds no test files (*.yaml, *.yml)",
                    p.display()
                ));
            }
            files.extend(listed);
        } else {
            files.push(p.clone());
        }
    }
    files.dedup();
    Ok(files)
}

/// What a run of test files found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed, and files that could not run (malformed, or flows with errors).
    pub failed: usize,
    /// Cases selected (by the filter) and run.
    pub selected: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Runs the test files under `paths` (files as given, directories' `*.yaml`/`*.yml`),
/// only the cases whose name `filter` matches, printing `PASS`/`FAIL` lines to `out`;
/// `verbose` adds the whole simulated call of each failing case.
///
/// # Errors
///
/// A path that cannot be read, or a directory without test files.
pub fn run(
    paths: &[PathBuf],
    filter: Option<&Regex>,
    verbose: bool,
    out: &mut dyn Write,
) -> Result<Summary, String> {
    let files = collect(paths)?;
    let mut runner = Runner {
        filter,
        verbose,
        sources: Sources::default(),
        flow_sets: HashMap::new(),
        summary: Summary::default(),
    };
    for path in &files {
        runner.file(path, out);
    }
    Ok(runner.summary)
}

/// Checks and runs the cases of a test file's `text` against `set`: each case's name and
/// its problems (empty: it passes). What `calls export-test` uses to prove a case it
/// wrote passes before handing it out.
///
/// # Errors
///
/// The text is not a valid test file (the diagnostics, rendered).
pub fn run_text(text: &str, set: &FlowSet) -> Result<Vec<(String, Vec<String>)>, String> {
    let file: Arc<Path> = Arc::from(Path::new("(exported case)"));
    let mut sources = Sources::default();
    sources.insert(&file, Arc::from(text));
    let raw: RawTestFile = crate::flow::parse_yaml(text).map_err(|e| {
        crate::diag::render(&crate::flow::yaml_diagnostic(&file, text, &e), &sources)
    })?;
    let mut diags = Vec::new();
    let cases: Vec<Option<Case>> = raw
        .tests
        .iter()
        .map(|c| check_case(&file, c, set, &mut diags))
        .collect();
    if !diags.is_empty() {
        let rendered: Vec<String> = diags
            .iter()
            .map(|d| crate::diag::render(d, &sources))
            .collect();
        return Err(rendered.join("\n"));
    }
    Ok(cases
        .into_iter()
        .flatten()
        .map(|case| (case.name.clone(), run_case(set, &case).0))
        .collect())
}

/// The state of a run across test files.
struct Runner<'a> {
    /// Only cases whose name matches run.
    filter: Option<&'a Regex>,
    /// Print the whole call of each failing case.
    verbose: bool,
    /// Every file read, for diagnostics.
    sources: Sources,
    /// Flow sets by directory, loaded once (`None`: they have errors).
    flow_sets: HashMap<PathBuf, Option<FlowSet>>,
    /// The counts so far.
    summary: Summary,
}

impl Runner<'_> {
    /// Reads one test file, checks its cases and runs them.
    fn file(&mut self, path: &Path, out: &mut dyn Write) {
        let sources = &mut self.sources;
        let tf = match read_file(path, sources) {
            Ok(tf) => tf,
            Err(diags) => {
                for d in diags {
                    let _ = writeln!(out, "{}", crate::diag::render(&d, sources));
                }
                let _ = writeln!(out, "FAIL {} (the file has errors)", path.display());
                self.summary.failed += 1;
                return;
            }
        };
        let loaded =
            self.flow_sets.entry(tf.flows.clone()).or_insert_with(|| {
                match flow::load_dir(&tf.flows) {
                    Ok(l) if l.is_ok() => l.into_servable().ok(),
                    Ok(l) => {
                        let _ = writeln!(out, "{}", l.render_diagnostics());
                        let _ = writeln!(out, "{}", l.summary(&tf.flows.display().to_string()));
                        None
                    }
                    Err(e) => {
                        let _ = writeln!(out, "error: {e}");
                        None
                    }
                }
            });
        let Some(loaded) = loaded.as_ref() else {
            let _ = writeln!(
                out,
                "FAIL {} (its flows, {}, cannot be loaded)",
                path.display(),
                tf.flows.display()
            );
            self.summary.failed += 1;
            return;
        };
        let mut diags = Vec::new();
        let mut seen: HashMap<&str, Location> = HashMap::new();
        let mut cases = Vec::new();
        for raw in &tf.raw.tests {
            let name = &raw.value.name;
            if let Some(first) = seen.insert(&name.value, name.referenced) {
                diags.push(Diagnostic::error(
                    Kind::Duplicate,
                    at(&tf.path, name.referenced),
                    format!(
                        "another case is named `{}` (at line {})",
                        name.value,
                        first.line()
                    ),
                ));
            }
            if self.filter.is_some_and(|f| !f.is_match(&name.value)) {
                continue;
            }
            cases.push(check_case(&tf.path, raw, loaded, &mut diags));
        }
        if !diags.is_empty() {
            for d in &diags {
                let _ = writeln!(out, "{}", crate::diag::render(d, sources));
            }
            let _ = writeln!(out, "FAIL {} (the file has errors)", path.display());
            self.summary.failed += 1;
            return;
        }
        for case in cases.into_iter().flatten() {
            self.summary.selected += 1;
            let (problems, transcript) = run_case(loaded, &case);
            if problems.is_empty() {
                self.summary.passed += 1;
                let _ = writeln!(out, "PASS {}", case.name);
                continue;
            }
            self.summary.failed += 1;
            let _ = writeln!(out, "FAIL {}  [{}]", case.name, case.loc);
            for p in &problems {
                let _ = writeln!(out, "    {p}");
            }
            if self.verbose {
                let text = sim::render(&transcript, &sim::Render::default());
                for line in text.lines() {
                    let _ = writeln!(out, "    | {line}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn diff_marks_missing_and_extra_steps() {
        let d = diff(&v(&["entry", "vip", "vip_dial"]), &v(&["entry", "menu"]));
        assert_eq!(
            d,
            "        entry\n      - vip\n      - vip_dial\n      + menu"
        );
        assert_eq!(diff(&v(&["a"]), &v(&["a"])), "        a");
    }

    #[test]
    fn unknown_keys_are_errors_with_a_suggestion() {
        let file: Arc<Path> = Arc::from(Path::new("t.yaml"));
        let text = "tests:\n  - name: x\n    call: { to: \"+1\", at: \"2026-01-01T00:00\" }\n    expct: {}\n";
        let e = crate::flow::parse_yaml::<RawTestFile>(text).expect_err("unknown key");
        let d = crate::flow::yaml_diagnostic(&file, text, &e);
        assert_eq!(d.kind, Kind::UnknownKey);
        assert_eq!((d.loc.line, d.loc.col), (4, 5));
        assert_eq!(d.help.as_deref(), Some("did you mean `expect`?"));
    }

    #[test]
    fn replies_keep_their_text() {
        let f: RawTestFile = crate::flow::parse_yaml(
            "tests:\n  - name: x\n    call: { to: \"+1\", at: now }\n    inputs: [007, yes, 1, \"\"]\n    expect: { ending: hangup }\n",
        )
        .expect("parses");
        let inputs: Vec<&str> = f.tests[0]
            .value
            .inputs
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        assert_eq!(inputs, ["007", "yes", "1", ""]);
    }
}
