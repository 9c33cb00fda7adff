//! The schedule as written in a flow file, and the errors found when compiling it.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::{Location, Spanned};

/// A schedule as written in YAML, before it is checked. The flow loader deserializes it
/// as part of a bigger document; [`Schedule::compile`](super::Schedule::compile) turns it
/// into something that can answer "open now?". Every string keeps its source span so errors
/// can point at it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// IANA zone name (`America/New_York`); when absent the caller's fallback zone is used.
    pub timezone: Option<Spanned<String>>,
    /// Weekly hours: day keys to window lists, in the order written.
    pub hours: Option<Hours>,
    /// Closures and holidays: dates, date ranges or date-time ranges.
    #[serde(default)]
    pub closed: Vec<Spanned<String>>,
    /// Special openings (same syntax as `closed`); they win over closures and hours.
    #[serde(default)]
    pub open: Vec<Spanned<String>>,
    /// Manual override, `open` or `closed`; beats everything else.
    pub force: Option<Spanned<String>>,
}

/// The `hours:` mapping: `(day key, windows)` pairs in the order they were written.
///
/// A plain map type would lose the order (and `Spanned` keys are not `Ord`), and the order
/// makes error lists and explanations follow the file, so this keeps a vector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hours(pub Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for Hours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Collects map entries in document order.
        struct HoursVisitor;

        impl<'de> Visitor<'de> for HoursVisitor {
            type Value = Hours;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of days to hours, e.g. `mon-fri: \"09:00-17:00\"`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Hours, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(16));
                while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<String>>()? {
                    entries.push(entry);
                }
                Ok(Hours(entries))
            }
        }

        deserializer.deserialize_map(HoursVisitor)
    }
}

/// A problem found while compiling a [`ScheduleSpec`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleError {
    /// Where: the source location of the offending value or key (`Location::UNKNOWN` for a
    /// spec built in code rather than parsed).
    pub at: Location,
    /// What is wrong, in one line.
    pub message: String,
}

impl ScheduleError {
    /// An error at `at`.
    pub(super) fn new(at: Location, message: impl Into<String>) -> ScheduleError {
        ScheduleError {
            at,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}",
            self.at.line(),
            self.at.column(),
            self.message
        )
    }
}

impl std::error::Error for ScheduleError {}
