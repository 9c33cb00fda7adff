//! How replays are printed: one call side by side (`replay CALLSID`), the impact of a
//! candidate on a window of calls (`replay --since`), as text or JSON. Stored values pass
//! through [`records::clean`] so none can drive the terminal.

use std::io::{self, Write};

use jiff::tz::TimeZone;
use serde::Serialize;

use super::impact::Impact;
use super::{Pair, RecordedCall, Replay, Side, Verdict};
use crate::tools::records::{self, clean, shorten};

/// What was replayed against what, for headers.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The flows: a directory, or `recorded` (each call against the version that answered).
    pub flows: String,
    /// `recorded` or the instant the calls were moved to.
    pub at: String,
}

/// The widest a path cell gets before it is cut (the JSON has it whole).
const CELL: usize = 48;

/// One replayed call, side by side.
pub fn replay_text(
    call: &RecordedCall,
    r: &Replay,
    ctx: &Context,
    tz: &TimeZone,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (from, to, at) = call.header();
    let mut s = format!(
        "Call {} from {} to {}",
        clean(&r.call_sid),
        clean(from.unwrap_or("?")),
        clean(to.unwrap_or("?")),
    );
    if let Some(at) = at {
        s.push_str(&format!(
            " at {}",
            records::date_time(at.as_microsecond(), tz)
        ));
    }
    s.push_str(&format!(
        "\nreplayed against {} at {}\n\n",
        clean(&ctx.flows),
        ctx.at
    ));
    out.write_all(s.as_bytes())?;
    let home = home_flow(r);
    let first = r.first_difference();
    let rows: Vec<Vec<String>> = r
        .pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mark = if Some(i) == first { "◀ differs" } else { "" };
            vec![
                (i + 1).to_string(),
                shorten(&clean(&p.input), 24),
                cell(p.recorded.as_ref(), &home, "(not recorded)"),
                cell(p.replayed.as_ref(), &home, "(not replayed)"),
                mark.to_string(),
            ]
        })
        .collect();
    records::table(&["#", "request", "recorded", "replayed", ""], &rows, out)?;
    let mut s = format!(
        "\nrecorded path: {}\nreplayed path: {}\n",
        path_text(&r.recorded_path),
        path_text(&r.replayed_path)
    );
    match &r.verdict {
        Verdict::Same => {
            s.push_str("\nSame path");
            match r.documents_differ() {
                0 => s.push_str(" and the same documents.\n"),
                n => s.push_str(&format!(
                    "; {n} document{} differ (a changed prompt or setting).\n",
                    plural(n)
                )),
            }
        }
        Verdict::Changed { webhook } => {
            s.push_str(&format!("\nThe path changes at webhook {}", webhook + 1));
            differing(&r.pairs[*webhook], &mut s);
        }
        Verdict::Unreplayable { webhook, reason } => {
            s.push_str(&format!(
                "\nCannot replay past webhook {}: {}.\n",
                webhook + 1,
                clean(&reason.to_string())
            ));
            if let Some(i) = r.first_difference().filter(|i| i < webhook) {
                s.push_str(&format!("The path changes at webhook {}", i + 1));
                differing(&r.pairs[i], &mut s);
            }
        }
    }
    out.write_all(s.as_bytes())
}

/// The decisions only one side made at the first differing webhook.
fn differing(p: &Pair, s: &mut String) {
    s.push_str(&format!(" ({}).\n", clean(&p.input)));
    let (recorded, replayed) = p.differing_verdicts();
    if recorded.is_empty() && replayed.is_empty() {
        return;
    }
    s.push_str("Decisions that differ:\n");
    for (side, lines) in [("recorded", recorded), ("replayed", replayed)] {
        for line in lines {
            s.push_str(&format!("  {side}: {}\n", clean(&line)));
        }
    }
}

/// The flow the call's number chose (its steps are shown without the flow's name).
fn home_flow(r: &Replay) -> Option<String> {
    r.pairs
        .iter()
        .flat_map(|p| p.recorded.iter().chain(p.replayed.iter()))
        .flat_map(|s| s.events.iter())
        .find_map(|e| match e {
            crate::engine::Event::Number { flow, .. } => Some(flow.clone()),
            _ => None,
        })
}

fn cell(side: Option<&Side>, home: &Option<String>, none: &str) -> String {
    let Some(side) = side else {
        return none.to_string();
    };
    if side.steps.is_empty() {
        return "-".to_string();
    }
    let steps: Vec<String> = side
        .steps
        .iter()
        .map(|s| match (home, s.split_once('/')) {
            (Some(h), Some((flow, step))) if flow == h => step.to_string(),
            (_, Some((flow, step))) => format!("@{flow}.{step}"),
            _ => s.clone(),
        })
        .collect();
    shorten(&clean(&steps.join(" → ")), CELL)
}

fn path_text(path: &[String]) -> String {
    if path.is_empty() {
        "(none)".to_string()
    } else {
        clean(&path.join(" → ")).into_owned()
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One replayed call as JSON.
pub fn replay_json(r: &Replay, ctx: &Context, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        flows: &'a str,
        at: &'a str,
        changed: bool,
        #[serde(flatten)]
        replay: &'a Replay,
    }
    let doc = Doc {
        flows: &ctx.flows,
        at: &ctx.at,
        changed: r.changed(),
        replay: r,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// The impact of a candidate on a window of calls.
pub fn impact_text(i: &Impact, ctx: &Context, window: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut s = format!(
        "Replayed {} call{} {window} against {} at {}:\n",
        i.calls,
        plural(i.calls),
        clean(&ctx.flows),
        ctx.at
    );
    let width = i.calls.to_string().len();
    s.push_str(&format!(
        "  {:>width$}  same path{}\n  {:>width$}  different path\n  {:>width$}  not replayable\n",
        i.same,
        match i.same_path_other_document {
            0 => String::new(),
            n => format!(" ({n} with a different document: a changed prompt or setting)"),
        },
        i.changed_calls(),
        i.unreplayable_calls(),
    ));
    out.write_all(s.as_bytes())?;
    if !i.changed.is_empty() {
        out.write_all(b"\nPaths that change (recorded \xe2\x87\x92 replayed):\n")?;
        let rows: Vec<Vec<String>> = i
            .changed
            .iter()
            .map(|g| {
                vec![
                    g.calls.to_string(),
                    format!("{}  ⇒  {}", path_text(&g.recorded), path_text(&g.replayed)),
                    clean(&g.example).into_owned(),
                ]
            })
            .collect();
        records::table(&["calls", "path", "example"], &rows, out)?;
    }
    if !i.unreplayable.is_empty() {
        out.write_all(b"\nNot replayable:\n")?;
        let rows: Vec<Vec<String>> = i
            .unreplayable
            .iter()
            .map(|g| {
                vec![
                    g.calls.to_string(),
                    if g.change { "the edit" } else { "the record" }.to_string(),
                    clean(&g.reason).into_owned(),
                    clean(&g.example).into_owned(),
                ]
            })
            .collect();
        records::table(&["calls", "caused by", "reason", "example"], &rows, out)?;
    }
    let verdict = if i.has_changes() {
        "\nSome calls change: review them with `switchboard replay CALLSID --flows …`.\n"
    } else {
        "\nNo recorded call changes.\n"
    };
    out.write_all(verdict.as_bytes())
}

/// The impact as JSON.
pub fn impact_json(i: &Impact, ctx: &Context, window: &str, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        flows: &'a str,
        at: &'a str,
        window: &'a str,
        changes: bool,
        different_path: usize,
        not_replayable: usize,
        #[serde(flatten)]
        impact: &'a Impact,
    }
    let doc = Doc {
        flows: &ctx.flows,
        at: &ctx.at,
        window,
        changes: i.has_changes(),
        different_path: i.changed_calls(),
        not_replayable: i.unreplayable_calls(),
        impact: i,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}
