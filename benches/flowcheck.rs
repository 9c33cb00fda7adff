//! flow-check at scale (not a timed test): how long the loader and the set-wide checks take
//! on long `exhausted` chains split across two files (issue 10, defect 3: 16,000 menus took
//! 198 s when the menu-loop check was cubic).
//!
//! ```sh
//! cargo bench --bench flowcheck                 # 1,000 / 10,000 / 16,000 menus
//! cargo bench --bench flowcheck -- 50000        # other sizes
//! ```
//!
//! For each size: the same number of menus loaded three ways — every menu's `exhausted`
//! straight to `hangup` (no chain: the load without the checks' share), one chain across
//! both files that ends, and the chain closed into one loop (every menu reported, with its
//! way round). The checks' cost is the difference between the first and the others. Best
//! of three runs. The figures are recorded in BENCHMARKS.md ("flow-check scale").

// A benchmark program: it prints its report, and a failed setup may stop it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use switchboard::flow::load_texts;

/// `n` menus `m0`…, of flow `name`; `exhausted` of menu `i` is `link(i)`.
fn menus(
    name: &str,
    n: usize,
    numbered: bool,
    link: impl Fn(usize) -> String,
) -> (PathBuf, String) {
    let mut out = String::new();
    if numbered {
        out.push_str("numbers: [\"+14155550100\"]\n");
    }
    out.push_str("start: m0\nsteps:\n");
    for i in 0..n {
        out.push_str(&format!(
            "  m{i}:\n    menu:\n      prompt: \"Press 1.\"\n      options: {{ \"1\": hangup }}\n      exhausted: {}\n",
            link(i)
        ));
    }
    (PathBuf::from(format!("{name}.yaml")), out)
}

/// The two files of a set of `n` menus; `end` is where the last menu of `b` goes.
fn set(n: usize, chained: bool, end: &str) -> Vec<(PathBuf, String)> {
    let half = n / 2;
    let link = |next_file: &'static str, last: String| {
        move |i: usize| {
            if !chained {
                "hangup".to_string()
            } else if i + 1 < half {
                format!("m{}", i + 1)
            } else if next_file.is_empty() {
                last.clone()
            } else {
                format!("\"@{next_file}.m0\"")
            }
        }
    };
    vec![
        menus("a", half, true, link("b", String::new())),
        menus("b", half, false, link("", end.to_string())),
    ]
}

/// Best of three loads, with the diagnostics counted.
fn best(texts: &[(PathBuf, String)]) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut errors = 0;
    for _ in 0..3 {
        let texts = texts.to_vec();
        let t = Instant::now();
        let loaded = load_texts(texts);
        best = best.min(t.elapsed());
        errors = loaded.errors();
    }
    (best, errors)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000, 16_000]
    } else {
        sizes
    };
    println!("| menus | no chain | chain that ends | chain closed into a loop (errors) |");
    println!("|---:|---:|---:|---:|");
    for n in sizes {
        let (plain, _) = best(&set(n, false, "hangup"));
        let (chain, chain_errors) = best(&set(n, true, "hangup"));
        assert_eq!(chain_errors, 0);
        let (ring, ring_errors) = best(&set(n, true, "\"@a\""));
        println!(
            "| {n} | {:.3} s | {:.3} s | {:.3} s ({ring_errors}) |",
            plain.as_secs_f64(),
            chain.as_secs_f64(),
            ring.as_secs_f64()
        );
    }
}
