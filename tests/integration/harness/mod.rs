//! What the integration tests share: where the repository's files are, temporary flow
//! directories, loading flows from text, and (in the submodules) the simulated caller, the
//! test server, the binary, golden files, a seeded random source and a throwaway PostgreSQL
//! server.

pub mod binary;
pub mod caller;
pub mod golden;
pub mod postgres;
pub mod rng;
pub mod server;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use switchboard::flow::{self, FlowSet};

pub use caller::{CALLER, Call, MAIN, action_of, dialed, flow, said};

/// Upper bound on any single wait (a read, a poll loop); a hang fails instead of blocking.
pub const BOUND: Duration = Duration::from_secs(10);

/// The fewest example directories `examples/` holds; a loop over fewer fails, so moving
/// or emptying the directory cannot make the example tests pass vacuously.
pub const MIN_EXAMPLES: usize = 8;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    root().join("tests/data").join(rel)
}

/// A raw webhook body from `tests/data/webhooks/` (copied from `../shared/fixtures`).
pub fn webhook(name: &str) -> String {
    let p = data(&format!("webhooks/{name}.form"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The subdirectories of `dir`, sorted; panics if `dir` cannot be read.
pub fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// The example directories (each a flow set), sorted; panics if there are fewer than
/// [`MIN_EXAMPLES`].
pub fn example_dirs() -> Vec<PathBuf> {
    let v = subdirs(&root().join("examples"));
    assert!(
        v.len() >= MIN_EXAMPLES,
        "found {} example dirs under examples/, expected at least {MIN_EXAMPLES}",
        v.len()
    );
    v
}

/// Every flow set the repository ships: `flows/`, then each example.
pub fn shipped_flow_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("flows")];
    dirs.extend(example_dirs());
    dirs
}

/// Polls `done` every 20 ms until it holds; fails after [`BOUND`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A temporary flows directory built file by file.
#[must_use]
pub struct FlowDir {
    /// The directory; removed when this is dropped.
    pub dir: tempfile::TempDir,
}

impl FlowDir {
    pub fn new() -> FlowDir {
        FlowDir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Writes `text` to `name` (a path relative to the directory; missing parent
    /// directories, such as `tests/`, are created).
    pub fn file(self, name: &str, text: &str) -> FlowDir {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write flow");
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A one-step flow answering `number` with `say`, then hanging up.
pub fn line(number: &str, say: &str) -> String {
    format!(
        "numbers: [\"{number}\"]\nstart: hi\nsteps:\n  hi:\n    say: \"{say}\"\n    next: hangup\n"
    )
}

/// Loads flows from `(file name, text)` pairs and asserts there is no error.
pub fn load(files: &[(&str, &str)]) -> FlowSet {
    let loaded = load_any(files);
    match loaded.into_servable() {
        Ok(set) => set,
        Err(l) => panic!("flows have errors:\n{}", l.render_diagnostics()),
    }
}

/// Loads flows from `(file name, text)` pairs, errors or not.
pub fn load_any(files: &[(&str, &str)]) -> flow::Loaded {
    flow::load_texts(
        files
            .iter()
            .map(|(n, t)| (PathBuf::from(n), t.to_string()))
            .collect(),
    )
}

/// A civil time in a zone, as an instant.
pub fn at(civil: &str, tz: &str) -> jiff::Timestamp {
    let dt: jiff::civil::DateTime = civil.parse().expect("civil datetime");
    dt.in_tz(tz).expect("zone").timestamp()
}

/// Parses a document with an independent XML parser and returns its element names in
/// document order (proves it is well-formed and shows its structure).
pub fn structure(xml: &str) -> Vec<String> {
    let doc =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("malformed XML ({e}):\n{xml}"));
    doc.descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name().to_string())
        .collect()
}
