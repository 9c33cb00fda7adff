//! The flow language: its YAML model ([`raw`]), the compiled form the interpreter runs
//! ([`model`]), and the one loader that server start-up, hot reload and `flow-check` share.
//!
//! A flows directory holds one flow per `*.yaml`/`*.yml` file, named after the file. Files
//! whose name starts with `_` hold shared definitions (schedules, variables). The loader reads
//! the directory itself, not its subdirectories (`flows/tests/` holds flow tests). Hidden
//! files and editor droppings (`.swp`, `~`) are skipped.

pub mod check;
pub mod compile;
mod files;
pub mod kind;
pub mod model;
pub mod raw;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use files::{is_flow_file, list_dir, read_all, read_capped};
pub use kind::StepKind;
pub use model::{FlowId, FlowSet, StepId};

use crate::diag::{Diagnostic, Kind, Loc, Severity, Sources};
use compile::{ParsedFlow, ParsedShared};

/// A flow file larger than this is refused: no hand-written flow comes close, and it bounds
/// memory for a hostile file.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The result of loading a flow set: the set and every diagnostic. The set comes out only
/// through [`Loaded::into_servable`], which refuses a load with errors.
#[derive(Debug)]
pub struct Loaded {
    /// The compiled flows (complete even with errors, so the counts are right; never served
    /// then).
    set: FlowSet,
    /// Every problem found, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file read, for rendering diagnostics.
    pub sources: Sources,
    /// How many files were read.
    pub files: usize,
}

impl Loaded {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// True when the set can be served.
    pub fn is_ok(&self) -> bool {
        self.errors() == 0
    }

    /// The set, to serve or run: `Err` gives the load back, unchanged, when it has errors
    /// (render its diagnostics).
    // The error is the whole load on purpose (its diagnostics and sources explain the
    // refusal); it happens once per refused load, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn into_servable(self) -> Result<FlowSet, Loaded> {
        if self.is_ok() {
            Ok(self.set)
        } else {
            Err(self)
        }
    }

    /// Number of flows loaded (files not starting with `_`).
    pub fn flow_count(&self) -> usize {
        self.set.len()
    }

    /// Number of steps across all flows.
    pub fn step_count(&self) -> usize {
        self.set.step_count()
    }

    /// `flows/: 4 flows, 37 steps, 0 errors, 1 warning`.
    pub fn summary(&self, what: &str) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        format!(
            "{what}: {}, {}, {}, {}",
            plural(self.flow_count(), "flow"),
            plural(self.step_count(), "step"),
            plural(self.errors(), "error"),
            plural(self.warnings(), "warning"),
        )
    }

    /// Every diagnostic rendered rustc-style, one after another.
    pub fn render_diagnostics(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| crate::diag::render(d, &self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A path given to the loader could not be read at all (exit code 2 in `flow-check`).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The path does not exist or cannot be listed.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A directory with no flow files at all.
    #[error("{} holds no flow files (*.yaml, *.yml)", path.display())]
    Empty {
        /// The directory.
        path: PathBuf,
    },
}

/// Loads a directory (the server's flow set).
pub fn load_dir(dir: &Path) -> Result<Loaded, LoadError> {
    load_paths(&[dir.to_path_buf()])
}

/// Loads directories and files together as one set: what `flow-check PATH…` and the server
/// both call. Directories contribute their flow files; files are read as given.
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, LoadError> {
    Ok(load_read(read_all(&files_of(paths)?)))
}

/// The flow files `paths` name: each directory's flow files ([`list_dir`]), each file as
/// given.
///
/// # Errors
///
/// When a path cannot be read at all, or a directory holds no flow files.
pub fn files_of(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| LoadError::Unreadable {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            let listed = list_dir(p)?;
            if listed.is_empty() {
                return Err(LoadError::Empty { path: p.clone() });
            }
            files.extend(listed);
        } else {
            files.push(p.clone());
        }
    }
    files.dedup();
    Ok(files)
}

/// Compiles files already read ([`read_all`]): the texts, and a diagnostic for each file
/// that could not be read.
pub fn load_read(read: Vec<(PathBuf, std::io::Result<String>)>) -> Loaded {
    let mut texts = Vec::new();
    let mut diags = Vec::new();
    for (f, r) in read {
        match r {
            Ok(text) => texts.push((f, text)),
            // A file in the set that cannot be read is a problem with the set (reported with
            // the others), not with how the checker was called.
            Err(e) => {
                let file: Arc<Path> = Arc::from(f.as_path());
                diags.push(Diagnostic::error(
                    Kind::Io,
                    Loc::file(&file),
                    format!("cannot read this file: {e}"),
                ));
            }
        }
    }
    let mut loaded = load_texts(texts);
    loaded.files += diags.len();
    loaded.diagnostics.extend(diags);
    loaded
}

/// Loads flow files from memory: `(path, text)` pairs. The path decides the flow name (its
/// stem) and whether it is a shared file (`_` prefix). Never panics, whatever the text.
pub fn load_texts(texts: Vec<(PathBuf, String)>) -> Loaded {
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let mut flows = Vec::new();
    let mut shared = Vec::new();
    let mut names_seen: std::collections::HashMap<String, Arc<Path>> = Default::default();
    let files = texts.len();
    let mut parsed = parse_all(&texts).into_iter();
    for (path, text) in texts {
        // `parse_all` gives one result per text, in order.
        let pre = parsed
            .next()
            .unwrap_or(Parsed::Flow(Ok(raw::RawFlow::default())));
        let file: Arc<Path> = Arc::from(path.as_path());
        let text: Arc<str> = Arc::from(text);
        sources.insert(&file, text.clone());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if stem.starts_with('_') {
            match pre {
                Parsed::Shared(Ok(raw)) => shared.push(ParsedShared { file, raw }),
                Parsed::Shared(Err(e)) => diags.push(yaml_diagnostic(&file, &text, &e)),
                Parsed::Flow(_) => {}
            }
            continue;
        }
        if let Some(prev) = names_seen.get(&stem) {
            diags.push(Diagnostic::error(
                Kind::Duplicate,
                Loc::file(&file),
                format!("flow `{stem}` is also defined by {}", prev.display()),
            ));
            continue;
        }
        names_seen.insert(stem.clone(), file.clone());
        let (raw, broken) = match pre {
            Parsed::Flow(Ok(raw)) => (raw, false),
            Parsed::Flow(Err(e)) => {
                diags.push(yaml_diagnostic(&file, &text, &e));
                (raw::RawFlow::default(), true)
            }
            Parsed::Shared(_) => (raw::RawFlow::default(), true),
        };
        flows.push(ParsedFlow {
            name: stem,
            file,
            text,
            raw,
            broken,
        });
    }
    let (set, metas) = compile::compile(flows, shared, &mut diags);
    check::check(&set, &metas, &mut diags);
    diags.sort_by(|a, b| {
        (&a.loc.file, a.loc.line, a.loc.col, a.severity).cmp(&(
            &b.loc.file,
            b.loc.line,
            b.loc.col,
            b.severity,
        ))
    });
    diags.dedup();
    Loaded {
        set,
        diagnostics: diags,
        sources,
        files,
    }
}

/// One file parsed: a shared file (`_` prefix) or a flow.
// One per file and only for the length of a load; boxing the larger variant would add an
// allocation per flow for nothing.
#[allow(clippy::large_enum_variant)]
enum Parsed {
    Shared(Result<raw::RawShared, serde_saphyr::Error>),
    Flow(Result<raw::RawFlow, serde_saphyr::Error>),
}

/// Parses every text, shared or flow by its file name, in order. Parsing is most of a load
/// (about 85% of the instructions for 1,000 flows) and files parse independently, so they
/// are split over one thread per available core (reload and start-up time).
fn parse_all(texts: &[(PathBuf, String)]) -> Vec<Parsed> {
    let is_shared = |path: &PathBuf| {
        path.file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| s.starts_with('_'))
    };
    let parse = |(path, text): &(PathBuf, String)| {
        if is_shared(path) {
            Parsed::Shared(parse_yaml(text))
        } else {
            Parsed::Flow(parse_yaml(text))
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || texts.len() < 2 {
        return texts.iter().map(parse).collect();
    }
    let chunk = texts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                (
                    part,
                    scope.spawn(move || part.iter().map(parse).collect::<Vec<_>>()),
                )
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|(part, worker)| {
                // The parser never panics on any input (module invariant); should a thread
                // fail anyway, each of its files is reported as unparsable, not lost.
                worker.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|(path, _)| {
                            let e = <serde_saphyr::Error as serde::de::Error>::custom(
                                "the YAML parser failed on this file",
                            );
                            if is_shared(path) {
                                Parsed::Shared(Err(e))
                            } else {
                                Parsed::Flow(Err(e))
                            }
                        })
                        .collect()
                })
            })
            .collect()
    })
}

/// Parses YAML the way flow files are parsed (strict booleans, leading zeros kept, budgets).
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_saphyr::Error> {
    // The default options carry budgets (events, depth, aliases) against hostile input, and
    // reject duplicate keys. Phone lines are full of text that YAML 1.1 would turn into
    // booleans or numbers (`say: yes`, a menu key `0`, digits `007`), so only `true`/`false`
    // are booleans and leading zeros stay text.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    serde_saphyr::from_str_with_options(text, options)
}

/// The text at a location: up to the end of the line, cut at a flow separator, short.
fn token_at(text: &str, loc: &Loc) -> String {
    let Some(line) = crate::diag::lines(text).nth((loc.line as usize).saturating_sub(1)) else {
        return String::new();
    };
    let rest: String = line
        .chars()
        .skip((loc.col as usize).saturating_sub(1))
        .collect();
    // A quoted scalar ends at its closing quote; a plain one at a flow separator or comment.
    let end = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map(|i| i + 2).unwrap_or(rest.len()),
        _ => rest.find([',', '}', '#']).unwrap_or(rest.len()),
    };
    let t = rest[..end].trim();
    if t.chars().count() > 40 {
        format!("{}…", t.chars().take(40).collect::<String>())
    } else {
        t.to_string()
    }
}

/// Turns a serde-saphyr error into a diagnostic with a kind and, for unknown keys, a
/// suggestion.
pub(crate) fn yaml_diagnostic(file: &Arc<Path>, text: &str, e: &serde_saphyr::Error) -> Diagnostic {
    let full = e.without_snippet().to_string();
    // The message ends with its own " at line N, column M"; we print the location ourselves.
    let msg = match full.rfind(" at line ") {
        Some(i) if full[i..].contains("column") => full[..i].to_string(),
        _ => full,
    };
    // serde-saphyr's own advice names its API, which means nothing to a flow author.
    let msg = match msg.split_once(", set DuplicateKeyPolicy") {
        Some((head, _)) => head.replace("duplicate mapping key: ", "duplicate key: "),
        None => msg,
    };
    let loc = match e.location() {
        Some(l) => Loc::at(file, l),
        None => Loc::file(file),
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail
            .split_once("expected one of ")
            .or_else(|| tail.split_once("expected "))
            .map(|(_, l)| l.split(", ").map(|s| s.trim_matches('`')).collect())
            .unwrap_or_default();
        let mut loc = loc;
        loc.len = name.chars().count() as u32;
        let mut d = Diagnostic::error(Kind::UnknownKey, loc, format!("unknown key `{name}`"));
        d = match crate::diag::did_you_mean(name, expected.iter().copied()) {
            Some(h) => d.with_help(format!("did you mean `{h}`?")),
            None if !expected.is_empty() => {
                d.with_help(format!("expected one of: {}", expected.join(", ")))
            }
            None => d,
        };
        return d;
    }
    // serde-saphyr speaks of Rust types; say what the flow author wrote and what fits.
    let found = token_at(text, &loc);
    let retyped = match msg.as_str() {
        "invalid u8" | "invalid u16" | "invalid u32" | "invalid u64" | "invalid i64" => Some(
            format!("expected a whole number (0 or more), found `{found}`"),
        ),
        "invalid f64" | "invalid f32" => Some(format!("expected a number, found `{found}`")),
        "expected sequence start" => Some(format!(
            "expected a list (`[a, b]` or `- item` lines), found `{found}`"
        )),
        "expected mapping start" => Some(format!(
            "expected a mapping (`key: value`), found `{found}`"
        )),
        "expected string scalar" => Some(format!("expected a single value, found `{found}`")),
        m if m.starts_with("invalid boolean") => {
            Some(format!("expected `true` or `false`, found `{found}`"))
        }
        _ => None,
    };
    if let Some(m) = retyped {
        return Diagnostic::error(Kind::Type, loc, m);
    }
    let kind = match e.without_snippet() {
        serde_saphyr::Error::Message { .. }
        | serde_saphyr::Error::NullIntoString { .. }
        | serde_saphyr::Error::InvalidBooleanStrict { .. }
        | serde_saphyr::Error::UnexpectedValueForUnit { .. } => Kind::Type,
        _ if msg.starts_with("invalid type")
            || msg.starts_with("invalid value")
            || msg.starts_with("expected")
            || msg.starts_with("missing field")
            || msg.starts_with("cannot deserialize") =>
        {
            Kind::Type
        }
        _ if msg.starts_with("duplicate key") => Kind::Duplicate,
        _ => Kind::Syntax,
    };
    Diagnostic::error(kind, loc, msg)
}
