//! Compiler-style diagnostics for flow files.
//!
//! Every problem the loader or checker finds is a [`Diagnostic`]: a severity, a stable
//! [`Kind`] (its code never changes, so CI scripts can match on it), a message, a location
//! (`file:line:col`) and an optional help line. [`render`] prints one rustc-style, with the
//! source line and a caret; [`render_json`] prints the lot for machines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How bad a diagnostic is. Errors stop a flow set from being served; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The flow set is refused.
    Error,
    /// Served, but probably not what the author meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, )*) => {
        /// The stable kind of a diagnostic. The code (`Kind::code`) is part of the CLI's
        /// contract: tests and CI scripts match on it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind { $( $(#[$doc])* $variant, )* }
        impl Kind {
            /// The kebab-case code printed in `error[code]`.
            pub fn code(self) -> &'static str {
                match self { $( Kind::$variant => $code, )* }
            }
            /// Every kind, for documentation tests.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];
        }
    };
}

kinds! {
    /// A file could not be read (or is too large).
    Io = "io",
    /// The YAML itself is malformed.
    Syntax = "syntax",
    /// A key the language does not know.
    UnknownKey = "unknown-key",
    /// A value of the wrong type or shape.
    Type = "type",
    /// A step with no action, or more than one.
    StepActions = "step-actions",
    /// A field that the step needs is missing, or one that does not belong.
    Field = "field",
    /// `goto`, `next`, `exhausted`, `on_fail`, … name a step or flow that does not exist.
    MissingTarget = "missing-target",
    /// The flow has no `start`.
    MissingStart = "missing-start",
    /// A flow or step name that cannot appear in a URL path.
    BadName = "bad-name",
    /// Two flows claim the same number, or two flows are the default.
    DuplicateNumber = "duplicate-number",
    /// A number that is not E.164, a SIP URI, a client name or a `prefix*` pattern.
    BadNumber = "bad-number",
    /// A regular expression that does not compile.
    BadRegex = "bad-regex",
    /// An unknown IANA time zone.
    BadTimezone = "bad-timezone",
    /// A malformed schedule (days, times, dates, ranges).
    BadSchedule = "bad-schedule",
    /// A schedule name that is not defined here or in a shared file.
    UnknownSchedule = "unknown-schedule",
    /// A `notify` list names a channel no shared file defines.
    UnknownChannel = "unknown-channel",
    /// A template that names an unknown parameter or variable, or is malformed.
    BadTemplate = "bad-template",
    /// A value outside what Twilio accepts (a digit key that cannot be typed, a bad enum).
    BadValue = "bad-value",
    /// Steps that loop without ever waiting for the caller.
    Cycle = "cycle",
    /// A menu or ask whose `exhausted` path leads back to it without waiting elsewhere: a
    /// silent caller would go round forever.
    MenuLoop = "menu-loop",
    /// Two definitions of the same name.
    Duplicate = "duplicate",
    /// A step that no path reaches.
    Unreachable = "unreachable",
    /// A menu option that can never be chosen.
    UntypableOption = "untypable-option",
    /// A schedule that is never open.
    NeverOpen = "never-open",
    /// A rule after an unconditional one, which can never match.
    ShadowedRule = "shadowed-rule",
    /// A route that can match nothing and has nowhere to go.
    NoFallthrough = "no-fallthrough",
    /// A `set`, `save_as` or named group assigns a name that is a constant (`vars:`) somewhere
    /// in the set: constants cannot be changed at run time.
    AssignsConstant = "assigns-constant",
    /// A dial target, caller id or URL that caller input (typed digits, speech, the caller's
    /// own number, SIP headers, or a variable set from them) can fill, in a step without
    /// `allow_caller_input: true`.
    CallerInput = "caller-input",
}

/// A place in a flow file: 1-based line and column (in characters), and how many characters
/// to underline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Loc {
    /// The file, as given to the loader.
    pub file: Arc<Path>,
    /// 1-based line; 0 when unknown (then no snippet is printed).
    pub line: u32,
    /// 1-based column in characters.
    pub col: u32,
    /// Characters to underline (at least one caret is drawn).
    pub len: u32,
}

impl Loc {
    /// A whole-file location (no line).
    pub fn file(file: &Arc<Path>) -> Loc {
        Loc {
            file: file.clone(),
            line: 0,
            col: 0,
            len: 0,
        }
    }

    /// A location from a serde-saphyr span.
    pub fn at(file: &Arc<Path>, loc: serde_saphyr::Location) -> Loc {
        Loc {
            file: file.clone(),
            line: loc.line() as u32,
            col: loc.column() as u32,
            len: loc.span().len() as u32,
        }
    }
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}:{}", self.file.display(), self.line, self.col)
        }
    }
}

/// One problem in a flow set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable kind.
    pub kind: Kind,
    /// What is wrong, in one line.
    pub message: String,
    /// Where.
    pub loc: Loc,
    /// How to fix it, when we can tell.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error.
    pub fn error(kind: Kind, loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            kind,
            message: message.into(),
            loc,
            help: None,
        }
    }

    /// A warning.
    pub fn warning(kind: Kind, loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            kind,
            message: message.into(),
            loc,
            help: None,
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

/// The text of every file loaded, so diagnostics can quote their source line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// File → its full text.
    files: HashMap<PathBuf, Arc<str>>,
}

impl Sources {
    /// Remembers a file's text.
    pub fn insert(&mut self, file: &Path, text: Arc<str>) {
        self.files.insert(file.to_path_buf(), text);
    }

    /// The given 1-based line of a file, if known.
    pub fn line(&self, file: &Path, line: u32) -> Option<&str> {
        let text = self.files.get(file)?;
        lines(text).nth((line as usize).checked_sub(1)?)
    }

    /// A SHA-256 digest of every file's path and text: equal digests mean the same files
    /// with the same texts (what a reload compares, without keeping the texts).
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest as _;
        let mut files: Vec<_> = self.files.iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        let mut h = sha2::Sha256::new();
        for (path, text) in files {
            // Lengths first, so no two different lists of (path, text) hash the same bytes.
            let path = path.as_os_str().as_encoded_bytes();
            h.update((path.len() as u64).to_le_bytes());
            h.update(path);
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().into()
    }

    /// Every file and its text, sorted by path (the server hands them to the call store).
    pub fn into_files(self) -> Vec<(PathBuf, Arc<str>)> {
        let mut files: Vec<_> = self.files.into_iter().collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files
    }
}

/// The lines of a flow file as YAML counts them (YAML 1.2 §5.4): a line ends at `\r\n`,
/// `\n` or a lone `\r`. The parser's line numbers count that way, so every line quoted
/// beside a location must be found this way too (`str::lines` splits on `\n` only, and
/// quoted the wrong line of a file with old Mac line ends or a stray `\r`).
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let t = rest;
        let (line, next) = match t.find(['\r', '\n']) {
            Some(i) if t[i..].starts_with("\r\n") => (&t[..i], i + 2),
            Some(i) => (&t[..i], i + 1),
            None => (t, t.len()),
        };
        rest = t.get(next..).unwrap_or_default();
        Some(line)
    })
}

/// Renders one diagnostic rustc-style:
///
/// ```text
/// error[unknown-key]: unknown field `optons`
///   --> flows/acme.yaml:12:7
///    |
/// 12 |       optons: { "1": sales }
///    |       ^^^^^^
///    = help: did you mean `options`?
/// ```
pub fn render(d: &Diagnostic, sources: &Sources) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        d.severity.as_str(),
        d.kind.code(),
        d.message
    );
    let line_text = if d.loc.line > 0 {
        sources.line(&d.loc.file, d.loc.line)
    } else {
        None
    };
    let gutter = if d.loc.line > 0 {
        d.loc.line.to_string().len()
    } else {
        1
    };
    let pad = " ".repeat(gutter);
    let _ = writeln!(out, "{pad}--> {}", d.loc);
    if let Some(text) = line_text {
        let text = text.trim_end_matches('\r');
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{} | {}", d.loc.line, text);
        // Columns count characters; tabs are kept so the caret lines up under them.
        let prefix: String = text
            .chars()
            .take((d.loc.col as usize).saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let avail = text.chars().count().saturating_sub(prefix.chars().count());
        let carets = (d.loc.len as usize).clamp(1, avail.max(1));
        let _ = writeln!(out, "{pad} | {prefix}{}", "^".repeat(carets));
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{pad} = help: {help}");
    }
    out
}

/// Renders diagnostics as a JSON array (for `flow-check --format json`).
pub fn render_json(diags: &[Diagnostic]) -> serde_json::Value {
    serde_json::Value::Array(
        diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": d.severity.as_str(),
                    "kind": d.kind.code(),
                    "message": d.message,
                    "file": d.loc.file.display().to_string(),
                    "line": d.loc.line,
                    "column": d.loc.col,
                    "help": d.help,
                })
            })
            .collect(),
    )
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a
/// plausible typo ("did you mean …?").
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    // One edit per three characters is the usual threshold (rustc uses a similar one).
    (d <= (word.chars().count().max(3) / 3).max(1)).then_some(c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit
/// (optimal string alignment), so `vpi` is one edit from `vip`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, slot) in d.iter_mut().enumerate().take(w) {
        *slot = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_the_span() {
        let file: Arc<Path> = Arc::from(Path::new("flows/acme.yaml"));
        let mut sources = Sources::default();
        sources.insert(
            &file,
            Arc::from("start: entry\nsteps:\n  menu:\n    optons: {}\n"),
        );
        let d = Diagnostic::error(
            Kind::UnknownKey,
            Loc {
                file: file.clone(),
                line: 4,
                col: 5,
                len: 6,
            },
            "unknown field `optons`",
        )
        .with_help("did you mean `options`?");
        assert_eq!(
            render(&d, &sources),
            "error[unknown-key]: unknown field `optons`\n --> flows/acme.yaml:4:5\n  |\n4 |     optons: {}\n  |     ^^^^^^\n  = help: did you mean `options`?\n"
        );
    }

    #[test]
    fn the_digest_tells_files_and_texts_apart_and_ignores_order() {
        let of = |files: &[(&str, &str)]| {
            let mut s = Sources::default();
            for (path, text) in files {
                s.insert(Path::new(path), Arc::from(*text));
            }
            s.digest()
        };
        let base = of(&[("a.yaml", "x: 1\n"), ("b.yaml", "y: 2\n")]);
        assert_eq!(base, of(&[("b.yaml", "y: 2\n"), ("a.yaml", "x: 1\n")]));
        let different = [
            of(&[("a.yaml", "x: 1\n"), ("b.yaml", "y: 3\n")]),
            of(&[("a.yaml", "x: 1\n"), ("c.yaml", "y: 2\n")]),
            of(&[("a.yaml", "x: 1\n")]),
            // One byte more at the end of a text.
            of(&[("a.yaml", "x: 1\n "), ("b.yaml", "y: 2\n")]),
        ];
        assert_eq!(different.len(), 4);
        assert!(different.iter().all(|d| *d != base));
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("optons", ["options", "prompt"]),
            Some("options")
        );
        assert_eq!(did_you_mean("xyz", ["options", "prompt"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("vpi", "vip"), 1);
        assert_eq!(did_you_mean("Form", ["From", "To"]), Some("From"));
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.code()), "duplicate code {}", k.code());
        }
    }
}
