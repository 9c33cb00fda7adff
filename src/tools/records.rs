//! The call records as people and scripts read them (`switchboard calls`, `calls show`,
//! `recordings`): tables, a call's whole story, and JSON. Plain functions over rows already
//! fetched ([`crate::calls::Database`]), writing to the `Write` they are given.
//!
//! Times are shown in the zone the caller passes; the command line passes the system's
//! local zone (`TZ` respected) and names it in the table's header, because an operator asks
//! "what happened at 10:02?" in their own time. JSON always carries the stored integers
//! (microseconds since the epoch), whatever the zone.
//!
//! Values Twilio relays from callers (`From`, what was heard) can hold anything; control
//! characters are escaped before they reach a terminal.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::calls::record::{Body, Record, Webhook};
use crate::calls::{Call, Recording, Story};

/// Longest path shown in the calls table; `calls show` has the whole of it.
const PATH_WIDTH: usize = 40;

/// The calls table: one call per line, newest first as given.
pub fn calls_table(calls: &[Call], tz: &TimeZone, out: &mut dyn Write) -> io::Result<()> {
    if calls.is_empty() {
        return writeln!(out, "no calls");
    }
    let time = format!("TIME ({})", zone_name(tz));
    let header = [
        time.as_str(),
        "FROM",
        "TO",
        "FLOW",
        "PATH",
        "STATUS",
        "DURATION",
        "RECORDING",
    ];
    let rows: Vec<Vec<String>> = calls
        .iter()
        .map(|c| {
            vec![
                date_time(c.first_seen, tz),
                or_dash(c.from.as_deref()),
                or_dash(c.to.as_deref()),
                or_dash(c.flow.as_deref()),
                if c.path.is_empty() {
                    "-".into()
                } else {
                    shorten(&clean(&c.path), PATH_WIDTH)
                },
                status_text(c),
                duration(c.duration),
                if c.recordings > 0 { "yes" } else { "no" }.to_string(),
            ]
        })
        .collect();
    table(&header, &rows, out)
}

/// The recordings table, newest first as given.
pub fn recordings_table(
    recordings: &[Recording],
    tz: &TimeZone,
    out: &mut dyn Write,
) -> io::Result<()> {
    if recordings.is_empty() {
        return writeln!(out, "no recordings");
    }
    let time = format!("TIME ({})", zone_name(tz));
    let header = [
        time.as_str(),
        "CALL",
        "RECORDING",
        "STATUS",
        "DURATION",
        "TRANSCRIPT",
        "URL",
    ];
    let rows: Vec<Vec<String>> = recordings
        .iter()
        .map(|r| {
            vec![
                date_time(r.at, tz),
                clean(&r.call_sid).into_owned(),
                clean(&r.recording_sid).into_owned(),
                clean(&r.status).into_owned(),
                duration(r.duration),
                or_dash(r.transcription_status.as_deref()),
                or_dash(r.url.as_deref()),
            ]
        })
        .collect();
    table(&header, &rows, out)
}

/// One JSON object per line (`calls --format json`, `recordings --format json`).
pub fn json_lines<T: Serialize>(items: &[T], out: &mut dyn Write) -> io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut *out, item)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The story as one JSON document (`calls show --format json`), indented for reading.
pub fn story_json(story: &Story, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, story)?;
    out.write_all(b"\n")
}

/// A call's whole story (`calls show`): the summary, then every record in time order, its
/// recordings and its dialed legs.
pub fn story_text(story: &Story, tz: &TimeZone, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    summary_lines(&story.call, tz, &mut s);
    s.push('\n');
    let day = day_of(story.call.first_seen, tz);
    for r in &story.records {
        record_lines(r, &day, tz, &mut s);
    }
    if story.truncated {
        let _ = writeln!(
            s,
            "… the call has more records; the first {} are shown",
            crate::calls::query::MAX_STORY_RECORDS
        );
    }
    if !story.recordings.is_empty() {
        s.push_str("\nRecordings:\n");
        for r in &story.recordings {
            let _ = writeln!(
                s,
                "  {}  {}  {}  {}",
                clean(&r.recording_sid),
                clean(&r.status),
                duration(r.duration),
                or_dash(r.url.as_deref())
            );
            if let Some(code) = &r.error_code {
                let _ = writeln!(s, "    error {}", clean(code));
            }
            match (&r.transcription_status, &r.transcript) {
                (Some(st), Some(text)) => {
                    let _ = writeln!(s, "    transcript ({}): {:?}", clean(st), text);
                }
                (Some(st), None) => {
                    let _ = writeln!(s, "    transcript: {}", clean(st));
                }
                _ => {}
            }
        }
    }
    notification_lines(story, tz, &mut s);
    if !story.children.is_empty() {
        s.push_str("\nDialed legs:\n");
        for c in &story.children {
            let _ = writeln!(
                s,
                "  {}  {} → {}  {}  {}",
                clean(&c.call_sid),
                or_dash(c.from.as_deref()),
                or_dash(c.to.as_deref()),
                status_text(c),
                duration(c.duration)
            );
        }
    }
    out.write_all(s.as_bytes())
}

/// The notifications a call raised and every attempt to deliver them.
fn notification_lines(story: &Story, tz: &TimeZone, s: &mut String) {
    if story.notifications.is_empty() {
        return;
    }
    s.push_str("\nNotifications:\n");
    for n in &story.notifications {
        let _ = writeln!(
            s,
            "  {} of {}/{} → {}: {}",
            clean(&n.kind).replace('_', " "),
            clean(&n.flow),
            clean(&n.step),
            clean(&n.channel),
            clean(&n.state)
        );
        for a in &n.attempts {
            let _ = writeln!(
                s,
                "    attempt {} at {} by {}: {} {}",
                a.attempt,
                clock(a.at, tz),
                clean(&a.replica),
                if a.ok { "delivered" } else { "failed" },
                clean(&a.detail)
            );
        }
    }
}

/// The lines above the records: who called whom, how it ended, where it went.
fn summary_lines(c: &Call, tz: &TimeZone, s: &mut String) {
    let _ = writeln!(s, "Call {}", clean(&c.call_sid));
    let direction = c
        .direction
        .as_deref()
        .map(|d| format!(" ({})", clean(d)))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "  from {} to {}{direction}",
        or_dash(c.from.as_deref()),
        or_dash(c.to.as_deref())
    );
    if let Some(parent) = &c.parent_call_sid {
        let _ = writeln!(s, "  dialed from call {}", clean(parent));
    }
    if let Some(flow) = &c.flow {
        let version = c
            .flow_version
            .as_deref()
            .map(|v| format!(" (flow set {})", clean(v)))
            .unwrap_or_default();
        let _ = writeln!(s, "  flow {}{version}", clean(flow));
    }
    let mut status = format!("  status {}", status_text(c));
    if c.duration.is_some() {
        let _ = write!(status, ", {}", duration(c.duration));
    }
    if let Some(code) = &c.sip_response_code {
        let _ = write!(status, ", SIP {}", clean(code));
    }
    if let Some(code) = &c.error_code {
        let _ = write!(status, ", error {}", clean(code));
    }
    if c.failed {
        status.push_str(", a step failed (the caller heard the apology)");
    }
    let _ = writeln!(s, "{status}");
    let mut times = format!(
        "  first seen {} {}",
        date_time(c.first_seen, tz),
        zone_name(tz)
    );
    if let Some(at) = c.answered_at {
        let _ = write!(times, ", answered {}", clock(at, tz));
    }
    if let Some(at) = c.ended_at {
        let _ = write!(times, ", ended {}", clock(at, tz));
    }
    let _ = writeln!(s, "{times}");
    if !c.path.is_empty() {
        let _ = writeln!(s, "  path {}", clean(&c.path));
    }
}

/// One record: a heading line with its time, then what it carried, indented.
fn record_lines(r: &Record, day: &str, tz: &TimeZone, s: &mut String) {
    let at = if day_of(r.at, tz) == day {
        clock_ms(r.at, tz)
    } else {
        format!("{} {}", date_time(r.at, tz), zone_name(tz))
    };
    match &r.body {
        Body::Webhook(w) => webhook_lines(w, &r.replica, &at, s),
        Body::Status(st) => {
            let mut line = format!("{at}  status {}", or_dash(st.leg.call_status.as_deref()));
            let mut details = Vec::new();
            if let Some(n) = st.sequence {
                details.push(format!("sequence {n}"));
            }
            if st.duration.is_some() {
                details.push(duration(st.duration));
            }
            if let Some(code) = &st.sip_response_code {
                details.push(format!("SIP {}", clean(code)));
            }
            if let Some(code) = &st.error_code {
                details.push(format!("error {}", clean(code)));
            }
            if let Some(by) = &st.answered_by {
                details.push(format!("answered by {}", clean(by)));
            }
            if !details.is_empty() {
                let _ = write!(line, " ({})", details.join(", "));
            }
            let _ = writeln!(s, "{line}");
        }
        Body::Recording(g) => {
            let _ = writeln!(
                s,
                "{at}  recording {} {} ({}) {}",
                clean(&g.recording_sid),
                clean(&g.status),
                duration(g.duration),
                or_dash(g.url.as_deref())
            );
        }
        Body::Transcription(t) => {
            let of = t
                .recording_sid
                .as_deref()
                .map(|r| format!(" of {}", clean(r)))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{at}  transcription {}{of} {}",
                clean(&t.transcription_sid),
                clean(&t.status)
            );
            if let Some(text) = &t.text {
                let _ = writeln!(s, "   {text:?}");
            }
        }
        Body::Expired => {
            let _ = writeln!(
                s,
                "{at}  closed as unknown: no final status arrived in time"
            );
        }
    }
}

/// A webhook: endpoint, inputs, then the engine's trace in `simulate`'s wording.
fn webhook_lines(w: &Webhook, replica: &str, at: &str, s: &mut String) {
    let endpoint = match &w.resumed {
        Some(step) => format!("{} {}", clean(&w.endpoint), clean(step)),
        None => clean(&w.endpoint).into_owned(),
    };
    let _ = writeln!(
        s,
        "{at}  webhook {endpoint}  (flow set {}, replica {}, {:.1} ms)",
        clean(&w.flow_version),
        clean(replica),
        w.latency_us as f64 / 1000.0
    );
    if !w.inputs.is_empty() {
        let inputs: Vec<String> = w
            .inputs
            .iter()
            .map(|(k, v)| format!("{}={}", clean(k), clean(v)))
            .collect();
        let _ = writeln!(s, "   inputs: {}", inputs.join(" "));
    }
    for e in &w.trace.0 {
        let line = e.to_string();
        let _ = writeln!(s, "   {}", clean(line.trim_end()));
    }
    if w.failed {
        s.push_str("   (failed: the caller heard the apology)\n");
    }
    if w.redacted {
        s.push_str("   (values a sensitive step heard are shown as [redacted])\n");
    }
}

/// Aligned columns, two spaces apart; the last column is not padded.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>], out: &mut dyn Write) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut s = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, s: &mut String| {
        let cells: Vec<&str> = cells.collect();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                s.push_str(cell);
                s.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        let kept = s.trim_end_matches(' ').len();
        s.truncate(kept);
        s.push('\n');
    };
    line(&mut header.iter().copied(), &mut s);
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut s);
    }
    out.write_all(s.as_bytes())
}

/// The status, or `-` for a call only webhooks have mentioned so far.
fn status_text(c: &Call) -> String {
    if c.status.is_empty() {
        "-".into()
    } else {
        clean(&c.status).into_owned()
    }
}

/// `45s`, `3m14s`, `1h02m`; `-` when unknown.
fn duration(secs: Option<i64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s < 60 => format!("{s}s"),
        Some(s) if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        Some(s) => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn or_dash(v: Option<&str>) -> String {
    v.map_or_else(|| "-".into(), |v| clean(v).into_owned())
}

/// `text` with control characters escaped (`\u{1b}`), so a value cannot drive a terminal.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// At most `max` characters, the cut marked with `…`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The zone's name for headers: its IANA name, else `local`.
fn zone_name(tz: &TimeZone) -> String {
    tz.iana_name().unwrap_or("local").to_string()
}

fn strftime(at: i64, tz: &TimeZone, format: &str) -> String {
    match Timestamp::from_microsecond(at) {
        Ok(t) => t.to_zoned_datetime(tz.clone()).strftime(format).to_string(),
        // Out of jiff's range: only a corrupt row has such a time; show the number.
        Err(_) => at.to_string(),
    }
}

/// `2026-07-14 16:06:49`.
pub(crate) fn date_time(at: i64, tz: &TimeZone) -> String {
    strftime(at, tz, "%Y-%m-%d %H:%M:%S")
}

/// `16:06:49`.
fn clock(at: i64, tz: &TimeZone) -> String {
    strftime(at, tz, "%H:%M:%S")
}

/// `16:06:49.125`.
fn clock_ms(at: i64, tz: &TimeZone) -> String {
    strftime(at, tz, "%H:%M:%S%.3f")
}

fn day_of(at: i64, tz: &TimeZone) -> String {
    strftime(at, tz, "%Y-%m-%d")
}

#[cfg(test)]
mod tests;
