//! Exit codes: the numbers (stable; scripts and CI depend on them) and the `Exit codes:`
//! section of every subcommand's `--help`, written from these same numbers.

use std::fmt::Write as _;

/// Success: no errors (and no warnings with `--deny-warnings`).
pub const OK: i32 = 0;
/// The flows have errors.
pub const ERRORS: i32 = 1;
/// Bad usage, or a path that cannot be read.
pub const USAGE: i32 = 2;
/// Warnings only, with `--deny-warnings`.
pub const WARNINGS: i32 = 3;
/// `serve`: the server could not start (e.g. the address is in use).
pub const SERVER: i32 = 4;

/// What [`ERRORS`] means for the subcommands that load flows and do nothing else that fails.
pub const FLOWS_HAVE_ERRORS: &str = "the flows have errors";
/// What [`USAGE`] means for the subcommands that only read paths.
pub const BAD_USAGE: &str = "bad usage, or a path that cannot be read";

/// A subcommand's `after_help`: `text` (examples, notes), then its `Exit codes:` section
/// listing what each code it can return means for it. A meaning's further lines are
/// indented under its first.
pub fn help(text: &str, codes: &[(i32, &str)]) -> String {
    let mut out = format!("{text}\n\nExit codes:");
    for (code, meaning) in codes {
        let _ = write!(out, "\n  {code}  {}", meaning.replace('\n', "\n     "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_lists_codes_under_the_text() {
        let text = help("Examples:\n  x", &[(OK, "fine"), (ERRORS, "not\nfine")]);
        assert_eq!(
            text,
            "Examples:\n  x\n\nExit codes:\n  0  fine\n  1  not\n     fine"
        );
    }
}
