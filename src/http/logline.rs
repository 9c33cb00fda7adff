//! The server's JSON log lines, written directly: the same lines as tracing-subscriber's
//! JSON formatter (`.json().flatten_event(true)`, no span fields), at a fraction of the cost.
//!
//! Every request logs one line, so the formatter is on the hot path. tracing-subscriber's
//! formatter serializes through serde_json into an `io::Write` adaptor that re-validates UTF-8
//! for every fragment it is handed (about a hundred per line); profiled, that was a fifth of
//! the instructions switchboard spent on a whole webhook. This formatter writes the same
//! keys in the same order with the same escaping straight into the line buffer:
//! `timestamp` (RFC 3339, microseconds, UTC), `level`, the event's fields in order
//! (`message` included), then `target`. The tests compare its output with
//! tracing-subscriber's, byte for byte apart from the timestamp.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter `switchboard serve` installs: one JSON object per line.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        writer.write_str("{\"timestamp\":\"")?;
        write_timestamp(&mut writer, jiff::Timestamp::now())?;
        writer.write_str("\",\"level\":\"")?;
        writer.write_str(meta.level().as_str())?;
        writer.write_char('"')?;
        let mut fields = Fields {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        write_json_str(&mut writer, meta.target())?;
        writer.write_str("}\n")
    }
}

/// `2026-11-30T15:00:00.123456Z`, as tracing-subscriber's default timer writes it.
fn write_timestamp(out: &mut impl fmt::Write, now: jiff::Timestamp) -> fmt::Result {
    let t = jiff::tz::TimeZone::UTC.to_datetime(now);
    let year = t.year();
    if year > 9999 {
        write!(out, "+{year}")?;
    } else if year < 0 {
        write!(out, "{year:05}")?;
    } else {
        write!(out, "{year:04}")?;
    }
    let micros = t.subsec_nanosecond() / 1_000;
    write!(
        out,
        "-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Writes each field as `,"name":value`, as serde_json would serialize it.
struct Fields<'w, W: fmt::Write> {
    out: &'w mut W,
    /// The first write error; later fields are skipped.
    result: fmt::Result,
}

impl<W: fmt::Write> Fields<'_, W> {
    fn entry(&mut self, field: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = (|| {
                self.out.write_char(',')?;
                write_json_str(self.out, field.name())?;
                self.out.write_char(':')?;
                value(self.out)
            })();
        }
    }
}

impl<W: fmt::Write> Visit for Fields<'_, W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field, |out| write_json_str(out, value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, |out| {
            out.write_str(if value { "true" } else { "false" })
        });
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, |out| write!(out, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, |out| write!(out, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json's own float text (shortest round trip; `null` when not finite). Rare:
        // only start-up lines carry floats.
        self.entry(field, |out| {
            out.write_str(&serde_json::to_string(&value).map_err(|_| fmt::Error)?)
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // The message (`format_args!`) and `%display` values arrive here.
        self.entry(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }
}

/// A JSON string literal with serde_json's escaping.
fn write_json_str(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(s)?;
    out.write_char('"')
}

/// Escapes what it is given for the inside of a JSON string, as serde_json does: `"` and
/// `\` with a backslash, the control characters as `\b \t \n \f \r` or `\u00xx`; everything
/// else (all non-ASCII text included) as is.
struct Escaped<'a, W: fmt::Write>(&'a mut W);

impl<W: fmt::Write> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes = s.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0x00..=0x1f => "",
                _ => continue,
            };
            // `i` is at an ASCII byte, so both slices are on character boundaries.
            self.0.write_str(s.get(start..i).unwrap_or_default())?;
            if short.is_empty() {
                let hex = [
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 0xf)],
                ];
                self.0
                    .write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)?;
            } else {
                self.0.write_str(short)?;
            }
            start = i + 1;
        }
        self.0.write_str(s.get(start..).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what a subscriber writes.
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Buf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// Events like the server's, with every kind of value and hostile text.
    fn emit() {
        let peer: std::net::SocketAddr = "127.0.0.1:4242".parse().unwrap();
        let call_sid: Option<&str> = None;
        tracing::info!(
            endpoint = "voice",
            method = "POST",
            path = "/voice/acme/menu",
            status = 200u16,
            latency_us = 1234u64,
            call_sid,
            flow = Some("acme"),
            steps = "acme/entry > acme/menu > wait for menu choice",
            failed = false,
            "call"
        );
        tracing::warn!(
            endpoint = "voice", status = 403u16, peer = %peer,
            reason = "quote \" backslash \\ newline \n tab \t cr \r bell \u{7} nul \u{0} \
                      del \u{7f} é 🎉 \u{2028}",
            "signature check failed"
        );
        tracing::error!(
            panic = "boom",
            delta = -5i64,
            "handler panicked; answered safely"
        );
        tracing::info!(
            load_ms = 12.5f64,
            nan = f64::NAN,
            big = 1e300f64,
            "flows loaded"
        );
        tracing::info!("a message with {} and {:?}", "Display", "Debug \"quoted\"");
        tracing::debug!(endpoint = "healthz", "probe");
    }

    /// The `"timestamp":"…"` value replaced, so lines from two runs compare.
    fn without_timestamps(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let ts = v["timestamp"].as_str().unwrap().to_owned();
                assert_eq!(ts.len(), "2026-11-30T15:00:00.123456Z".len(), "{ts}");
                l.replace(&ts, "TS")
            })
            .collect()
    }

    #[test]
    fn same_lines_as_tracing_subscriber_json() {
        let theirs = Buf::default();
        let w = theirs.clone();
        let reference = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || w.clone())
            .finish();
        tracing::subscriber::with_default(reference, emit);

        let ours = Buf::default();
        let w = ours.clone();
        let fast = tracing_subscriber::fmt()
            .event_format(JsonLines)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || w.clone())
            .finish();
        tracing::subscriber::with_default(fast, emit);

        let (theirs, ours) = (theirs.text(), ours.text());
        assert_eq!(theirs.lines().count(), 6, "{theirs}");
        assert_eq!(without_timestamps(&ours), without_timestamps(&theirs));
    }

    #[test]
    fn timestamps_are_rfc3339_micros() {
        let mut s = String::new();
        let t: jiff::Timestamp = "2026-11-30T15:04:05.123456789Z".parse().unwrap();
        write_timestamp(&mut s, t).unwrap();
        assert_eq!(s, "2026-11-30T15:04:05.123456Z");
        s.clear();
        write_timestamp(&mut s, "0001-01-01T00:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(s, "0001-01-01T00:00:00.000000Z");
    }
}
