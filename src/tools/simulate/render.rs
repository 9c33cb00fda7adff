//! How `simulate` (and `call`, and a failing `test -v`) prints a transcript.

use std::fmt::Write as _;
use std::io::Write;

use crate::flow::FlowSet;
use crate::twiml::{GatherChild, Verb};

use super::input::Scripted;
use super::setup::{Call, zone_for};
use super::transcript::{Ending, Heard, Transcript, Webhook, dial_targets};
use super::walk::{Transport, run_over};

/// How transcripts are printed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Render {
    /// Print each TwiML document.
    pub twiml: bool,
}

/// One webhook, as `simulate` prints it.
pub fn render_webhook(w: &Webhook, n: usize, opts: &Render) -> String {
    let mut out = String::new();
    let what = match (&w.input, n) {
        (_, 1) => "incoming call".to_string(),
        (Some(Heard::Pressed(d)), _) => format!("caller pressed {d}"),
        (Some(Heard::Said(s)), _) => format!("caller said {s:?}"),
        (Some(Heard::Silence), _) => "silence".to_string(),
        (None, _) => match w.result.first() {
            Some((k, v)) => format!("{k}={v}"),
            None => "redirect".to_string(),
        },
    };
    let _ = writeln!(out, "── {n}. POST {}  ({what})", w.url);
    let shown: Vec<String> = if n == 1 {
        w.params
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "AccountSid" | "ApiVersion" | "Caller" | "Called"
                )
            })
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    } else {
        w.result.iter().map(|(k, v)| format!("{k}={v}")).collect()
    };
    if !shown.is_empty() {
        let _ = writeln!(out, "   params: {}", shown.join(" "));
    }
    for note in &w.notes {
        let _ = writeln!(out, "   note: {note}");
    }
    for e in &w.outcome.trace {
        let line = e.to_string();
        let _ = writeln!(out, "   {}", line.trim_end());
    }
    for v in w.verbs() {
        verb_lines(v, &mut out);
    }
    if w.played < w.outcome.response.verbs.len() {
        let _ = writeln!(
            out,
            "   ({} verb(s) after this not run: Twilio requests the action URL instead)",
            w.outcome.response.verbs.len() - w.played
        );
    }
    if opts.twiml {
        let _ = writeln!(out, "   twiml: {}", w.outcome.twiml);
    }
    out
}

/// The lines for one verb the caller experienced.
fn verb_lines(v: &Verb, out: &mut String) {
    let prompt = |c: &GatherChild, out: &mut String| match c {
        GatherChild::Say(s) => {
            let _ = writeln!(out, "   ▸ hears {:?}", s.text);
        }
        GatherChild::Play(p) => play_line(p, out),
        GatherChild::Pause(p) => {
            let _ = writeln!(out, "   ▸ pause {}s", p.length.unwrap_or(1));
        }
    };
    match v {
        Verb::Say(s) => prompt(&GatherChild::Say(s.clone()), out),
        Verb::Play(p) => play_line(p, out),
        Verb::Pause(p) => prompt(&GatherChild::Pause(p.clone()), out),
        Verb::Gather(g) => {
            let input = match g.input.as_deref() {
                Some("speech") => "speech",
                Some("dtmf speech") => "digits or speech",
                _ => "digits",
            };
            let mut attrs = Vec::new();
            if let Some(n) = g.num_digits {
                attrs.push(format!("{n} digit(s)"));
            }
            if let Some(t) = g.timeout {
                attrs.push(format!("timeout {t}s"));
            }
            let _ = writeln!(
                out,
                "   ▸ gather {input}{}",
                if attrs.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", attrs.join(", "))
                }
            );
            for c in &g.children {
                prompt(c, out);
            }
        }
        Verb::Dial(d) => {
            let targets = dial_targets(d);
            let timeout = d
                .timeout
                .map(|t| format!(" (ring {t}s)"))
                .unwrap_or_default();
            let _ = writeln!(out, "   ▸ dial {}{timeout}", targets.join(", "));
        }
        Verb::Record(r) => {
            let max = r
                .max_length
                .map(|m| format!(" (max {m}s)"))
                .unwrap_or_default();
            let _ = writeln!(out, "   ▸ record{max}");
        }
        Verb::Enqueue(e) => {
            let _ = writeln!(out, "   ▸ enqueue in {:?}", e.name);
        }
        Verb::Redirect(r) => {
            let _ = writeln!(out, "   ▸ redirect to {}", r.url);
        }
        Verb::Hangup => {
            let _ = writeln!(out, "   ▸ hang up");
        }
        Verb::Reject(r) => {
            let _ = writeln!(
                out,
                "   ▸ reject{}",
                r.reason
                    .as_ref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            );
        }
        Verb::Leave => {
            let _ = writeln!(out, "   ▸ leave the queue");
        }
    }
}

fn play_line(p: &crate::twiml::Play, out: &mut String) {
    if let Some(d) = &p.digits {
        let _ = writeln!(out, "   ▸ tones {d}");
    }
    if !p.url.is_empty() {
        let _ = writeln!(out, "   ▸ plays {}", p.url);
    }
}

/// The call's first line: who, whom, when.
pub fn render_header(t: &Transcript) -> String {
    let local = t.at.to_zoned_datetime(t.zone.clone());
    format!(
        "call from {} to {} at {} ({})\n",
        t.from,
        t.to,
        local.strftime("%Y-%m-%d %H:%M %Z"),
        t.zone.iana_name().unwrap_or("UTC")
    )
}

/// The call's last lines: the step path and how it ended.
pub fn render_footer(t: &Transcript) -> String {
    let mut out = String::new();
    let path = t.path();
    let _ = writeln!(
        out,
        "path: {}",
        if path.is_empty() {
            "(no step)".to_string()
        } else {
            path.join(" → ")
        }
    );
    let _ = writeln!(out, "ended: {}", t.ending);
    out
}

/// A whole transcript, as `simulate` prints it.
pub fn render(t: &Transcript, opts: &Render) -> String {
    let mut out = render_header(t);
    for (i, w) in t.webhooks.iter().enumerate() {
        out.push_str(&render_webhook(w, i + 1, opts));
    }
    out.push_str(&render_footer(t));
    out
}

/// The header line before any webhook has run (interactive mode prints it first).
pub(super) fn render_header_for(set: &FlowSet, call: &Call) -> String {
    render_header(&Transcript {
        to: call.to.clone(),
        from: call.from.clone(),
        at: call.at,
        zone: zone_for(set, &call.to),
        webhooks: Vec::new(),
        ending: Ending::DocumentEnded,
    })
}

/// Runs `call` over `transport` with the scripted `replies` and prints the transcript to
/// `out`, then a note on replies the call never asked for (`simulate --input`, `call`).
pub fn run_scripted(
    transport: &mut dyn Transport,
    call: &Call,
    replies: &[String],
    opts: &Render,
    out: &mut dyn Write,
) -> Transcript {
    let mut script = Scripted::new(replies.iter().cloned());
    let t = run_over(transport, call, &mut script);
    let _ = out.write_all(render(&t, opts).as_bytes());
    if let Some(note) = script.unused_note() {
        let _ = writeln!(out, "note: {note}");
    }
    t
}
