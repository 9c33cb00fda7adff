//! Property tests (proptest): the parsers and writers that meet untrusted text, each checked
//! against a reference or an invariant over generated inputs.
//!
//! `cargo test` runs [`DEFAULT_CASES`] cases per property, fewer for the few whose every case
//! loads a flow set (a few seconds for all of them on two cores). A long run sets one
//! variable, for every property at once:
//!
//! ```sh
//! SWITCHBOARD_PROPTEST_CASES=1000000 cargo test --release props::
//! ```
//!
//! The cases come from a fixed seed, the same on every run. Failures are not written to `proptest-regressions/` files: a failure found here is turned
//! into a named regression test beside the code it concerns.

mod conditions;
mod form;
mod schedule;
mod signature;
mod template;
mod twiml;
mod yaml;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Cases per property in a plain `cargo test`.
pub const DEFAULT_CASES: u32 = 256;

/// The variable that sets the cases per property for a long run.
pub const CASES_VAR: &str = "SWITCHBOARD_PROPTEST_CASES";

/// The cases per property: [`CASES_VAR`] when set (a bad value fails the test instead of
/// silently running the default), else `default`.
pub fn cases(default: u32) -> u32 {
    match std::env::var(CASES_VAR) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{CASES_VAR}={v:?} is not a whole number")),
        Err(_) => default,
    }
}

/// The runner configuration every property uses: `cases` cases, no failure files, and a
/// shrink budget that keeps a failing long run from shrinking for hours.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 4096,
        // `prop_assume!` skips a few cases in every thousand (a "change" that changes
        // nothing); the default cap of 1,024 skips would end a long run early.
        max_global_rejects: cases.max(1024),
        ..Config::default()
    }
}

/// Runs `test` over [`DEFAULT_CASES`] (or [`CASES_VAR`]) cases of `strategy`; see
/// [`check_cases`].
pub fn check<S: proptest::strategy::Strategy>(
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) -> u32 {
    check_cases(DEFAULT_CASES, strategy, test)
}

/// Runs `test` over `default` cases of `strategy` ([`CASES_VAR`] overrides it) and returns
/// how many passed, having asserted that it is all of them (a data-driven test says how many
/// cases it checked). A property whose case loads a whole flow set uses fewer by default, so
/// `cargo test` stays fast.
pub fn check_cases<S: proptest::strategy::Strategy>(
    default: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) -> u32 {
    let cases = cases(default);
    let ran = std::sync::atomic::AtomicU32::new(0);
    // A fixed seed: every run draws the same cases, so a failure reproduces and CI is not
    // flaky; a long run draws the same first cases and then many more.
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config(cases), rng);
    let result = runner.run(&strategy, |v| {
        let outcome = test(v);
        if outcome.is_ok() {
            ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        outcome
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let ran = ran.into_inner();
    // The runner stops after the configured number of passing cases; a case a property
    // rejects (`prop_assume!`) is replaced by another and not counted.
    assert_eq!(ran, cases, "ran {ran} cases, configured {cases}");
    ran
}

/// Text that exercises escaping and parsing: any string, or pieces of the syntax that
/// matters to XML, forms, URLs, templates and YAML, glued together.
pub fn hostile_string() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    const PIECES: &[&str] = &[
        "<",
        ">",
        "&",
        "\"",
        "'",
        "/",
        "=",
        " ",
        "]]>",
        "<!--",
        "-->",
        "<![CDATA[",
        "&amp;",
        "&#0;",
        "&#x1;",
        "<Say>",
        "</Say>",
        "<Dial>+1900</Dial>",
        "/>",
        "\u{0}",
        "\u{1}",
        "\u{b}",
        "\u{1b}",
        "\u{7f}",
        "\u{85}",
        "\u{2028}",
        "\u{fffe}",
        "\u{ffff}",
        "\n",
        "\t",
        "\r",
        "\r\n",
        "%",
        "%2",
        "%zz",
        "%41",
        "+",
        "{{",
        "}}",
        "{{From}}",
        "a",
        "Z",
        "9",
        "é",
        "🎉",
    ];
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(proptest::sample::select(PIECES), 0..10).prop_map(|v| v.concat()),
    ]
}
