//! Instants as readers write them: `--since 1h` on the command line and `since=1h` in the
//! HTTP API mean the same thing, parsed here once. Pure: the caller passes "now".

use jiff::Timestamp;

/// Microseconds in one of each duration unit.
const UNITS: &[(&str, i64)] = &[
    ("s", 1_000_000),
    ("m", 60 * 1_000_000),
    ("h", 3_600 * 1_000_000),
    ("d", 86_400 * 1_000_000),
    ("w", 7 * 86_400 * 1_000_000),
];

/// An instant in microseconds since the epoch: a duration back from `now` (`90s`, `30m`,
/// `1h`, `2d`, `1w`) or an RFC 3339 time (`2026-07-14T16:00:00Z`,
/// `2026-07-14T09:00:00-07:00`). The error says what was expected.
pub fn parse_instant(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if let Some(ago) = parse_ago(text) {
        return now
            .checked_sub(ago?)
            .ok_or_else(|| format!("{text:?} reaches before any recorded time"));
    }
    text.parse::<Timestamp>()
        .map(|t| t.as_microsecond())
        .map_err(|_| {
            format!(
                "invalid time {text:?}: expected a duration back from now (30m, 1h, 2d, 1w) \
                 or an RFC 3339 time (2026-07-14T16:00:00Z)"
            )
        })
}

/// `Some` when `text` looks like a duration (digits, then a unit letter).
fn parse_ago(text: &str) -> Option<Result<i64, String>> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = text.split_at(split);
    if num.is_empty() {
        return None;
    }
    let (_, per) = UNITS.iter().find(|(u, _)| *u == unit)?;
    Some(
        num.parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(*per))
            .ok_or_else(|| format!("duration {text:?} is too long")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_784_044_800_000_000; // 2026-07-14T16:00:00Z

    #[test]
    fn durations_count_back_from_now() {
        let cases = [
            ("90s", 90),
            ("30m", 1_800),
            ("1h", 3_600),
            (" 2d ", 172_800),
            ("1w", 604_800),
        ];
        for (text, secs) in cases {
            assert_eq!(
                parse_instant(text, NOW),
                Ok(NOW - secs * 1_000_000),
                "{text}"
            );
        }
        assert_eq!(cases.len(), 5);
    }

    #[test]
    fn rfc3339_times_are_absolute() {
        assert_eq!(parse_instant("2026-07-14T16:00:00Z", 0), Ok(NOW));
        assert_eq!(parse_instant("2026-07-14T09:00:00-07:00", 0), Ok(NOW));
    }

    #[test]
    fn junk_is_refused_with_the_expected_forms() {
        for bad in ["", "1", "h", "1y", "-1h", "1.5h", "yesterday", "2026-07-14"] {
            let e = parse_instant(bad, NOW).unwrap_err();
            assert!(e.contains("RFC 3339"), "{bad}: {e}");
        }
        let e = parse_instant("99999999999999999d", NOW).unwrap_err();
        assert!(e.contains("too long"), "{e}");
    }
}
