//! The simulated call itself: who calls whom, when, and how the outside world (dialed
//! parties, recordings, queues) behaves.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::flow::FlowSet;

/// Webhooks one simulated call may make before it is stopped (a flow that loops through
/// menus forever would otherwise never end).
pub const MAX_WEBHOOKS: usize = 100;

/// The caller's number when none is given: Twilio's magic "valid" test number.
pub const DEFAULT_FROM: &str = "+15005550006";

/// How a simulated `<Dial>` ends: Twilio's `DialCallStatus` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialStatus {
    /// The called party answered and the call ended normally.
    Completed,
    /// The called party answered (Twilio sends this while bridged in some flows).
    Answered,
    /// The line was busy.
    Busy,
    /// Nobody answered before the timeout.
    NoAnswer,
    /// The call could not be placed.
    Failed,
    /// The dial was cancelled.
    Canceled,
}

impl DialStatus {
    /// Every status, for help texts and errors.
    pub const ALL: &'static [DialStatus] = &[
        DialStatus::Completed,
        DialStatus::Answered,
        DialStatus::Busy,
        DialStatus::NoAnswer,
        DialStatus::Failed,
        DialStatus::Canceled,
    ];

    /// The value Twilio sends in `DialCallStatus`.
    pub fn as_str(self) -> &'static str {
        match self {
            DialStatus::Completed => "completed",
            DialStatus::Answered => "answered",
            DialStatus::Busy => "busy",
            DialStatus::NoAnswer => "no-answer",
            DialStatus::Failed => "failed",
            DialStatus::Canceled => "canceled",
        }
    }

    /// Parses a `DialCallStatus` value.
    pub fn parse(s: &str) -> Result<DialStatus, String> {
        DialStatus::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a dial outcome; expected one of: {}",
                    DialStatus::ALL
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// True when someone picked up.
    pub(super) fn answered(self) -> bool {
        matches!(self, DialStatus::Completed | DialStatus::Answered)
    }
}

/// Twilio's `QueueResult` values, for checking `--queue-result`.
pub const QUEUE_RESULTS: &[&str] = &[
    "bridged",
    "bridging-in-process",
    "error",
    "hangup",
    "leave",
    "queue-full",
    "redirected",
    "redirected-from-bridged",
    "system-error",
];

/// Checks a `QueueResult` value.
pub fn parse_queue_result(s: &str) -> Result<String, String> {
    if QUEUE_RESULTS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a queue result; expected one of: {}",
            QUEUE_RESULTS.join(", ")
        ))
    }
}

/// One simulated call: who calls whom, when, and how the outside world behaves.
#[derive(Debug, Clone)]
pub struct Call {
    /// The dialed number (`To`), which picks the flow.
    pub to: String,
    /// The caller (`From`).
    pub from: String,
    /// Extra request parameters (`FromCountry`, `CallerName`, …), sent with every webhook.
    /// They win over the simulator's standard parameters of the same name.
    pub params: Vec<(String, String)>,
    /// The instant of the call; every webhook of the call uses it.
    pub at: Timestamp,
    /// Outcomes of successive dials, in order; the last one repeats, and with none every
    /// dial is `completed`.
    pub dial: Vec<DialStatus>,
    /// `DialCallDuration` of an answered dial.
    pub dial_seconds: u32,
    /// `RecordingDuration` of a recording; 0 simulates an empty recording.
    pub record_seconds: u32,
    /// `QueueResult` when the caller leaves a queue.
    pub queue_result: String,
    /// At most this many webhooks (see [`MAX_WEBHOOKS`]).
    pub max_webhooks: usize,
}

impl Call {
    /// A call to `to` at `at`, with the defaults for everything else.
    pub fn new(to: &str, at: Timestamp) -> Call {
        Call {
            to: to.to_string(),
            from: DEFAULT_FROM.to_string(),
            params: Vec::new(),
            at,
            dial: Vec::new(),
            dial_seconds: 60,
            record_seconds: 15,
            queue_result: "bridged".to_string(),
            max_webhooks: MAX_WEBHOOKS,
        }
    }
}

/// The zone a call's civil times are read in: the zone of the flow that answers `to`, else
/// UTC (a call no flow answers is rejected whatever the time).
pub fn zone_for(set: &FlowSet, to: &str) -> TimeZone {
    set.numbers()
        .lookup(to)
        .and_then(|(fid, _)| set.get(fid))
        .map(|f| f.tz.clone())
        .unwrap_or(TimeZone::UTC)
}

/// Reads `--at`: an RFC 3339 instant (`2026-12-24T18:30:00Z`, `…-05:00`), or a civil date
/// and time (`2026-12-24T18:30`, `2026-12-24 18:30`) in `tz`.
pub fn parse_at(s: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    match s.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| format!("`{s}` is not a time in the flow's zone: {e}")),
        Err(_) => Err(format!(
            "`{s}` is not a time; write `2026-12-24T18:30` (in the flow's time zone) or an \
             RFC 3339 instant such as `2026-12-24T23:30:00Z`"
        )),
    }
}
