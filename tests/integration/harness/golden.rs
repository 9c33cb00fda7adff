//! The one golden-file check: output compared with a committed file, byte for byte.
//! `BLESS=1 cargo test NAME` rewrites the files instead of comparing them; then read the
//! diff before committing.

use std::path::Path;

/// Whether this run rewrites golden files (`BLESS` is set).
pub fn blessing() -> bool {
    std::env::var_os("BLESS").is_some()
}

/// Compares `got` with the file at `path`; under `BLESS=1` writes `got` there instead
/// (creating missing directories). `Err` says how they differ, or why the file is missing.
pub fn check(path: &Path, got: &str) -> Result<(), String> {
    if blessing() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("bless: mkdir");
        }
        std::fs::write(path, got).expect("bless: write golden file");
        return Ok(());
    }
    match std::fs::read_to_string(path) {
        Ok(want) if want == got => Ok(()),
        Ok(want) => Err(format!(
            "=== {} (BLESS=1 to accept): expected\n{want}=== got\n{got}",
            path.display()
        )),
        Err(e) => Err(format!(
            "=== {}: {e} (BLESS=1 to create it); got\n{got}",
            path.display()
        )),
    }
}

/// [`check`], failing the test on a difference.
pub fn assert(path: &Path, got: &str) {
    if let Err(diff) = check(path, got) {
        panic!("{diff}");
    }
}
