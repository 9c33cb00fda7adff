//! Reading the records: filters, pages and cursors, shared by `switchboard calls`, the HTTP
//! API and both backends (the backends run the SQL [`Filter::calls_sql`] builds).

use serde::{Deserialize, Serialize};

use super::record::Record;
use super::summary::{Call, Recording};

/// The most rows one page returns.
pub const MAX_LIMIT: u32 = 1000;
/// Rows per page when the reader does not say.
pub const DEFAULT_LIMIT: u32 = 50;

/// The final statuses of a call no one answered ([`Filter::missed`]).
pub const MISSED_STATUSES: [&str; 4] = ["no-answer", "busy", "failed", "canceled"];

/// Which calls (or recordings) to list. Every field narrows; none set lists everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// First seen at or after (µs since the epoch).
    pub since: Option<i64>,
    /// First seen before.
    pub until: Option<i64>,
    /// `From` equals.
    pub from: Option<String>,
    /// `To` equals.
    pub to: Option<String>,
    /// Answered by this flow.
    pub flow: Option<String>,
    /// Final (or current) status equals.
    pub status: Option<String>,
    /// `From` or `To` equals (the console's one number box).
    pub number: Option<String>,
    /// Only missed calls: no one answered ([`MISSED_STATUSES`]), or a dial raised a
    /// missed-call notification.
    pub missed: bool,
    /// Only calls with at least one recording (voicemail).
    pub with_recording: bool,
    /// Rows per page (1..=[`MAX_LIMIT`]).
    pub limit: u32,
    /// Continue after this cursor ([`Page::next`]).
    pub cursor: Option<Cursor>,
}

/// Where a page ended: the last row's time and id (rows come newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The row's time.
    pub at: i64,
    /// The row's id (`CallSid` or `RecordingSid`).
    pub sid: String,
}

impl Cursor {
    /// The opaque text form (`{at}.{sid}`).
    pub fn encode(&self) -> String {
        format!("{}.{}", self.at, self.sid)
    }

    /// Reads [`Cursor::encode`]'s form.
    pub fn decode(text: &str) -> Option<Cursor> {
        let (at, sid) = text.split_once('.')?;
        let valid = !sid.is_empty()
            && sid.len() <= 64
            && sid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return None;
        }
        Some(Cursor {
            at: at.parse().ok()?,
            sid: sid.to_string(),
        })
    }
}

/// A value bound to a query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// An integer.
    Int(i64),
    /// A string.
    Text(String),
    /// SQL `NULL`.
    Null,
}

/// One page of rows and the cursor of the next (`None`: this is the last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows, newest first.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page.
    pub next: Option<String>,
}

/// A call and everything recorded about it, in time order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    /// The summary.
    pub call: Call,
    /// Its recordings.
    pub recordings: Vec<Recording>,
    /// Every record, oldest first.
    pub records: Vec<Record>,
    /// Dialed legs whose parent this call is.
    pub children: Vec<Call>,
    /// The call has more than [`MAX_STORY_RECORDS`] records; `records` holds the first
    /// ones (a story is read whole, so its size is bounded).
    #[serde(default)]
    pub truncated: bool,
    /// The notifications it raised, with every delivery attempt.
    #[serde(default)]
    pub notifications: Vec<super::outbox::Notification>,
}

/// The most webhooks of one call a replay reads: a call with more is not replayed (it
/// would take a webhook every ten seconds for three hours), so one call, forged or looping,
/// cannot make a replay's page unbounded.
pub const MAX_REPLAY_WEBHOOKS: usize = 1_000;

/// `SELECT` of the webhook records of `calls` calls (`$1`..`$n`, their `CallSid`s): what a
/// replay reads for a page of calls in one query; at most [`MAX_REPLAY_WEBHOOKS`] + 1 a
/// call (the one more says there are more).
pub fn webhooks_sql(calls: usize) -> String {
    let list: Vec<String> = (1..=calls).map(|i| format!("${i}")).collect();
    format!(
        "SELECT body FROM (SELECT body, call_sid, at, key, \
         ROW_NUMBER() OVER (PARTITION BY call_sid ORDER BY at, key) AS n \
         FROM records WHERE kind = 'webhook' AND call_sid IN ({})) AS w \
         WHERE n <= {} ORDER BY call_sid, at, key",
        list.join(", "),
        MAX_REPLAY_WEBHOOKS + 1
    )
}

/// The most records one story holds.
pub const MAX_STORY_RECORDS: usize = 5_000;

impl Filter {
    /// The limit clamped to 1..=[`MAX_LIMIT`] (0 means the default).
    pub fn page_size(&self) -> u32 {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }

    /// `SELECT` for a page of calls, and its parameters. One more row than the page is
    /// fetched to know whether there is a next page.
    pub fn calls_sql(&self) -> (String, Vec<Param>) {
        let mut w = Where::default();
        w.time("first_seen", "call_sid", self);
        w.eq("from_number", self.from.as_deref());
        w.eq("to_number", self.to.as_deref());
        w.eq("flow", self.flow.as_deref());
        w.eq("status", self.status.as_deref());
        if let Some(n) = self.number.as_deref() {
            let a = w.push(Param::Text(super::record::storable(n)));
            let b = w.push(Param::Text(super::record::storable(n)));
            w.conds
                .push(format!("(from_number = {a} OR to_number = {b})"));
        }
        if self.missed {
            let listed: Vec<String> = MISSED_STATUSES.iter().map(|s| format!("'{s}'")).collect();
            w.conds.push(format!(
                "(status IN ({}) OR EXISTS (SELECT 1 FROM notifications n \
                 WHERE n.call_sid = calls.call_sid AND n.kind = 'missed_call'))",
                listed.join(", ")
            ));
        }
        if self.with_recording {
            w.conds.push("recordings > 0".into());
        }
        let limit = w.push(Param::Int(i64::from(self.page_size()) + 1));
        let sql = format!(
            "SELECT {} FROM calls{} ORDER BY first_seen DESC, call_sid DESC LIMIT {limit}",
            super::sql::CALL_COLUMNS,
            w.clause()
        );
        (sql, w.params)
    }

    /// `SELECT` for a page of recordings (`since`/`until`/`cursor` on the recording's time,
    /// `status` on its status; the call filters through the call).
    pub fn recordings_sql(&self) -> (String, Vec<Param>) {
        let mut w = Where::default();
        w.time("r.at", "r.recording_sid", self);
        w.eq("r.status", self.status.as_deref());
        w.eq("c.from_number", self.from.as_deref());
        w.eq("c.to_number", self.to.as_deref());
        w.eq("c.flow", self.flow.as_deref());
        let limit = w.push(Param::Int(i64::from(self.page_size()) + 1));
        let cols: Vec<String> = super::sql::RECORDING_COLUMNS
            .split(", ")
            .map(|c| format!("r.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT {} FROM recordings r LEFT JOIN calls c ON c.call_sid = r.call_sid{} \
             ORDER BY r.at DESC, r.recording_sid DESC LIMIT {limit}",
            cols.join(", "),
            w.clause()
        );
        (sql, w.params)
    }

    /// Cuts the extra row off and makes the next cursor.
    pub fn page<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> Cursor) -> Page<T> {
        let size = self.page_size() as usize;
        let next = if rows.len() > size {
            rows.truncate(size);
            rows.last().map(|r| key(r).encode())
        } else {
            None
        };
        Page { items: rows, next }
    }
}

/// A `WHERE` clause being built with numbered parameters.
#[derive(Default)]
struct Where {
    /// The conditions, joined with `AND`.
    conds: Vec<String>,
    /// The parameters, `$1` first.
    params: Vec<Param>,
}

impl Where {
    fn push(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }

    fn eq(&mut self, col: &str, value: Option<&str>) {
        if let Some(v) = value {
            // As the value was stored (a NUL would fail the query on PostgreSQL).
            let p = self.push(Param::Text(super::record::storable(v)));
            self.conds.push(format!("{col} = {p}"));
        }
    }

    fn time(&mut self, at: &str, sid: &str, f: &Filter) {
        if let Some(s) = f.since {
            let p = self.push(Param::Int(s));
            self.conds.push(format!("{at} >= {p}"));
        }
        if let Some(u) = f.until {
            let p = self.push(Param::Int(u));
            self.conds.push(format!("{at} < {p}"));
        }
        if let Some(c) = &f.cursor {
            let a = self.push(Param::Int(c.at));
            let b = self.push(Param::Int(c.at));
            let s = self.push(Param::Text(c.sid.clone()));
            self.conds
                .push(format!("({at} < {a} OR ({at} = {b} AND {sid} < {s}))"));
        }
    }

    fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conds.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_story_reads_one_record_more_than_it_shows() {
        let limit = format!("LIMIT {}", MAX_STORY_RECORDS + 1);
        assert!(super::super::sql::CALL_RECORDS.ends_with(&limit));
    }

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let c = Cursor {
            at: 1_780_000_000_000_000,
            sid: "CA0123".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for bad in ["", "x.CA1", "12", "12.", "12.CA'1", "12.CA 1"] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn parameters_are_numbered_in_order_of_appearance() {
        let f = Filter {
            since: Some(5),
            from: Some("+1415".into()),
            status: Some("completed".into()),
            cursor: Some(Cursor {
                at: 9,
                sid: "CA1".into(),
            }),
            ..Filter::default()
        };
        let (sql, params) = f.calls_sql();
        assert_eq!(params.len(), 7);
        let mut last = 0;
        for n in 1..=params.len() {
            let at = sql
                .find(&format!("${n}"))
                .unwrap_or_else(|| panic!("${n} in {sql}"));
            assert!(at > last, "${n} out of order in {sql}");
            last = at;
        }
        assert_eq!(params[6], Param::Int(i64::from(DEFAULT_LIMIT) + 1));
    }
}
