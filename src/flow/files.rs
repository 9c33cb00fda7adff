//! Finding and reading flow files: the only file I/O in the core.
//!
//! Every file whose *name* makes it a flow file is part of the set, whatever it turns out to
//! be. A dangling symlink, a symlink loop, a directory or a FIFO named `acme.yaml` is an
//! `io` error of the set, never silently left out: leaving it out could serve a set without
//! the flow the operator deployed (a broken deploy symlink would be an outage with a green
//! reload). Reading never blocks on a FIFO or device.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::{LoadError, MAX_FILE_BYTES};

/// True for a file the loader reads: `*.yaml`/`*.yml`, not hidden, not an editor temp file.
pub fn is_flow_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.')
        && !name.ends_with('~')
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// Lists the flow files of a directory by name, sorted. Symlinks are listed as they are (a
/// Kubernetes ConfigMap mount's `..data` links work, since reading follows them); entries that
/// turn out not to be readable files are reported when read.
///
/// # Errors
///
/// When the directory cannot be listed.
pub fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let unreadable = |source| LoadError::Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        // An entry that cannot be read while listing (rare: the directory changed under us)
        // fails the listing rather than shrinking the set.
        let p = entry.map_err(unreadable)?.path();
        if is_flow_file(&p) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads a UTF-8 regular file of at most [`MAX_FILE_BYTES`] (flow files and flow-test
/// files), following symlinks.
///
/// # Errors
///
/// When the path is not a regular file (a directory, a FIFO, a socket, a device, a dangling
/// symlink or a symlink loop), cannot be opened or read, is too large or is not UTF-8.
pub fn read_capped(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    not_regular(&meta)?;
    let f = open_nonblocking(path)?;
    // Checked again on the open file: the path may have been swapped since.
    not_regular(&f.metadata()?)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "file is larger than {} KiB",
            MAX_FILE_BYTES / 1024
        )));
    }
    String::from_utf8(buf).map_err(|_| std::io::Error::other("file is not UTF-8"))
}

/// Reads every file, each to its text or the reason it cannot be read.
pub fn read_all(files: &[PathBuf]) -> Vec<(PathBuf, std::io::Result<String>)> {
    files.iter().map(|f| (f.clone(), read_capped(f))).collect()
}

/// An error unless `meta` is a regular file.
fn not_regular(meta: &std::fs::Metadata) -> std::io::Result<()> {
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    let what = if t.is_dir() {
        "a directory"
    } else {
        special_kind(&t)
    };
    Err(std::io::Error::other(format!(
        "not a regular file (it is {what})"
    )))
}

#[cfg(unix)]
fn special_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "not a file"
}

/// Opens for reading without blocking: opening a FIFO with no writer blocks for ever, and the
/// path may have become one after it was checked.
#[cfg(target_os = "linux")]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    /// `O_NONBLOCK` on every Linux architecture Rust supports except alpha, sparc and parisc
    /// (which Rust does not build for); for a regular file it changes nothing.
    const O_NONBLOCK: i32 = 0o4000;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decide_what_is_listed() {
        for (name, want) in [
            ("acme.yaml", true),
            ("acme.yml", true),
            ("_shared.yaml", true),
            (".acme.yaml", false),
            ("acme.yaml~", false),
            ("acme.json", false),
        ] {
            assert_eq!(is_flow_file(Path::new(name)), want, "{name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn what_is_not_a_regular_file_is_an_error_not_a_hang_or_a_skip() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink(d.join("missing"), d.join("dangling.yaml")).unwrap();
        std::os::unix::fs::symlink(d.join("loop.yaml"), d.join("loop.yaml")).unwrap();
        std::fs::create_dir(d.join("dir.yaml")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(d.join("fifo.yaml"))
            .status()
            .is_ok_and(|s| s.success());
        std::fs::write(d.join("ok.yaml"), "x").unwrap();
        let listed = list_dir(d).unwrap();
        assert_eq!(listed.len(), if fifo { 5 } else { 4 }, "{listed:?}");
        let mut errors = 0;
        for (path, read) in read_all(&listed) {
            if path.ends_with("ok.yaml") {
                assert_eq!(read.unwrap(), "x");
            } else {
                let e = read.unwrap_err().to_string();
                assert!(!e.is_empty());
                errors += 1;
            }
        }
        assert_eq!(errors, listed.len() - 1);
    }
}
