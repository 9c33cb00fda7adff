//! Value parsers shared by several subcommands' flags.

use std::time::Duration;

use crate::http::PublicUrl;

/// `--public-url` (`serve`, `call`): an absolute `http(s)` base URL.
pub fn parse_public_url(s: &str) -> Result<PublicUrl, String> {
    PublicUrl::parse(s).map_err(|e| e.to_string())
}

/// `250ms`, `10s`, `2m`, or a bare number of seconds; more than zero, at most an hour.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 500ms, 10s or 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("invalid duration {s:?}: units are ms, s and m")),
    };
    if d.is_zero() || d > Duration::from_secs(3600) {
        return Err(format!("duration {s:?} must be more than 0 and at most 1h"));
    }
    Ok(d)
}

/// A duration for record keeping: `90s`, `30m`, `4h`, `30d`; `0` is zero (the flags that
/// take it say what zero means).
pub fn parse_long_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 90s, 30m, 4h or 30d"))?;
    let secs = match unit {
        "" | "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(format!("invalid duration {s:?}: units are s, m, h and d")),
    };
    match secs {
        Some(s) if s <= 100 * 365 * 86_400 => Ok(Duration::from_secs(s)),
        _ => Err(format!("duration {s:?} is longer than 100 years")),
    }
}

/// `--database`'s parser. clap's own error would repeat the value, and a connection
/// string may hold a password (`password=…`): this one says what is wrong without it.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseParser;

impl clap::builder::TypedValueParser for DatabaseParser {
    type Value = crate::calls::DatabaseUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let refuse = |why: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value for --database (not shown: it may hold a password): {why}\n"
                ),
            )
            .with_cmd(cmd)
        };
        value
            .to_str()
            .ok_or_else(|| refuse("not UTF-8"))?
            .parse()
            .map_err(|e: String| refuse(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_database_url_is_not_repeated() {
        use clap::builder::TypedValueParser as _;
        let cmd = clap::Command::new("switchboard");
        let err = DatabaseParser
            .parse_ref(&cmd, None, std::ffi::OsStr::new("host=db password=hunter2"))
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("sqlite:PATH"), "{err}");
        let ok = DatabaseParser.parse_ref(&cmd, None, std::ffi::OsStr::new("none"));
        assert_eq!(ok.unwrap(), crate::calls::DatabaseUrl::None);
    }

    #[test]
    fn long_durations() {
        assert_eq!(
            parse_long_duration("30d"),
            Ok(Duration::from_secs(30 * 86_400))
        );
        assert_eq!(parse_long_duration("4h"), Ok(Duration::from_secs(4 * 3600)));
        assert_eq!(parse_long_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "d", "1w", "-1d", "1.5h", "99999999999d"] {
            assert!(parse_long_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "0s", "s", "10h", "-1s", "1.5s", "2h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
