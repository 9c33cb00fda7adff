//! The calls pages: the list with its filters (and the rows the page's script polls), one
//! call's story, and its replay against the flows serving now.

use std::fmt::Write as _;

use hyper::StatusCode;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::html::{esc, layout, message, url};
use super::{Resp, Views, page};
use crate::calls::query::MISSED_STATUSES;
use crate::calls::when::parse_instant;
use crate::calls::{Call, Cursor, Database, Filter, Story};
use crate::http::store::FlowStore;

/// Rows per page.
const PAGE: u32 = 25;
/// How often the list asks for new rows, in milliseconds.
const POLL_MS: u32 = 3000;

/// The list's filters as the form sent them (empty fields are unset).
#[derive(Debug, Default, PartialEq, Eq)]
struct Form {
    number: String,
    flow: String,
    status: String,
    since: String,
    until: String,
    missed: bool,
    voicemail: bool,
    cursor: String,
}

impl Form {
    fn parse(query: &str) -> Form {
        let mut f = Form::default();
        for (k, v) in crate::form::parse(query.as_bytes()).unwrap_or_default() {
            // An unencoded `+` decodes as a space; no number starts with one.
            let v = match v.strip_prefix(' ') {
                Some(rest) if k == "number" => format!("+{}", rest.trim()),
                _ => v.trim().to_string(),
            };
            match k.as_str() {
                "number" => f.number = v,
                "flow" => f.flow = v,
                "status" => f.status = v,
                "since" => f.since = v,
                "until" => f.until = v,
                "missed" => f.missed = !v.is_empty(),
                "voicemail" => f.voicemail = !v.is_empty(),
                "cursor" => f.cursor = v,
                _ => {}
            }
        }
        f
    }

    /// The store's filter, or what is wrong with a field.
    fn filter(&self, now: i64) -> Result<Filter, String> {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let time = |name: &str, v: &str| -> Result<Option<i64>, String> {
            if v.is_empty() {
                return Ok(None);
            }
            parse_instant(v, now).map(Some).map_err(|e| {
                format!("{name}: {e} (a duration such as 2h or 1d, or an RFC 3339 time)")
            })
        };
        let cursor = if self.cursor.is_empty() {
            None
        } else {
            Some(Cursor::decode(&self.cursor).ok_or("that page link is not valid")?)
        };
        Ok(Filter {
            since: time("From", &self.since)?,
            until: time("Until", &self.until)?,
            flow: some(&self.flow),
            status: some(&self.status),
            number: some(&self.number),
            missed: self.missed,
            with_recording: self.voicemail,
            limit: PAGE,
            cursor,
            ..Filter::default()
        })
    }

    /// The query string of these filters (without the cursor).
    fn query(&self) -> String {
        let mut q = Vec::new();
        for (k, v) in [
            ("number", &self.number),
            ("flow", &self.flow),
            ("status", &self.status),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if !v.is_empty() {
                q.push(format!("{k}={}", url(v)));
            }
        }
        if self.missed {
            q.push("missed=on".into());
        }
        if self.voicemail {
            q.push("voicemail=on".into());
        }
        q.join("&")
    }
}

fn no_records() -> Resp {
    page(
        StatusCode::OK,
        message(
            "No call records",
            "calls",
            "This server keeps no records (--database none).",
        ),
    )
}

/// `GET /console/`: the filters, the first (or a later) page, and the pager.
pub(super) async fn list(
    db: Option<&Database>,
    store: &FlowStore,
    query: &str,
    tz: &TimeZone,
) -> Resp {
    let Some(db) = db else { return no_records() };
    let form = Form::parse(query);
    let now = Timestamp::now().as_microsecond();
    let mut main = String::from("<h1>Calls</h1>");
    main.push_str(&filters_form(&form, store));
    let filter = match form.filter(now) {
        Ok(f) => f,
        Err(e) => {
            let _ = write!(main, "<p class=\"error\" role=\"alert\">{}</p>", esc(&e));
            return page(StatusCode::BAD_REQUEST, layout("Calls", "calls", &main));
        }
    };
    let first_page = filter.cursor.is_none();
    let result = db.calls(filter).await;
    let calls = match result {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "console: the database failed");
            main.push_str("<p class=\"error\" role=\"alert\">The records database is unavailable; see the server log.</p>");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                layout("Calls", "calls", &main),
            );
        }
    };
    let live = if first_page {
        let q = form.query();
        format!(
            " data-live=\"/console/calls/rows{}\" data-interval=\"{POLL_MS}\"",
            esc(&if q.is_empty() { q } else { format!("?{q}") })
        )
    } else {
        String::new()
    };
    let _ = write!(
        main,
        "<p id=\"live-status\" class=\"live\" role=\"status\" aria-live=\"polite\">{}</p>\
         <div class=\"table-wrap\"><table id=\"calls\"><caption>Newest first; times in {zone}{more}</caption>\
         <thead><tr><th scope=\"col\">Time</th><th scope=\"col\">From</th><th scope=\"col\">To</th>\
         <th scope=\"col\">Flow</th><th scope=\"col\" class=\"wide\">Path</th>\
         <th scope=\"col\">Status</th><th scope=\"col\" class=\"wide\">Duration</th>\
         <th scope=\"col\">Recording</th></tr></thead><tbody{live}>{rows}</tbody></table></div>",
        if first_page {
            "New calls appear here as they arrive."
        } else {
            ""
        },
        zone = esc(tz.iana_name().unwrap_or("the server's zone")),
        more = if first_page { "" } else { " (an older page)" },
        rows = rows_html(&calls.items, tz),
    );
    main.push_str("<p class=\"pager\">");
    if !first_page {
        let q = form.query();
        let _ = write!(
            main,
            "<a href=\"/console/{}\">Newest calls</a> ",
            esc(&if q.is_empty() { q } else { format!("?{q}") })
        );
    }
    if let Some(next) = &calls.next {
        let q = form.query();
        let sep = if q.is_empty() { "" } else { "&" };
        let _ = write!(
            main,
            "<a href=\"/console/?{}{sep}cursor={}\" rel=\"next\">Older calls</a>",
            esc(&q),
            url(next)
        );
    }
    main.push_str("</p>");
    page(StatusCode::OK, layout("Calls", "calls", &main))
}

/// `GET /console/calls/rows?…`: the first page's rows alone, for the page's script.
pub(super) async fn rows(db: Option<&Database>, query: &str, tz: &TimeZone) -> Resp {
    let Some(db) = db else { return no_records() };
    let form = Form::parse(query);
    let Ok(mut filter) = form.filter(Timestamp::now().as_microsecond()) else {
        return page(StatusCode::BAD_REQUEST, String::new());
    };
    filter.cursor = None;
    match db.calls(filter).await {
        Ok(p) => page(StatusCode::OK, rows_html(&p.items, tz)),
        Err(e) => {
            tracing::warn!(error = %e, "console: the database failed");
            page(StatusCode::SERVICE_UNAVAILABLE, String::new())
        }
    }
}

fn filters_form(f: &Form, store: &FlowStore) -> String {
    let served = store.current();
    let mut flows = String::from("<option value=\"\">any</option>");
    for flow in served.set.flows() {
        let sel = if flow.name == f.flow { " selected" } else { "" };
        let _ = write!(flows, "<option{sel}>{}</option>", esc(&flow.name));
    }
    let mut statuses = String::from("<option value=\"\">any</option>");
    for s in ["completed", "in-progress", "ringing"]
        .iter()
        .chain(MISSED_STATUSES.iter())
        .chain(["unknown"].iter())
    {
        let sel = if *s == f.status { " selected" } else { "" };
        let _ = write!(statuses, "<option{sel}>{s}</option>");
    }
    let checked = |b: bool| if b { " checked" } else { "" };
    format!(
        "<form method=\"get\" action=\"/console/\" class=\"filters\" role=\"search\" \
         aria-label=\"Filter calls\">\
         <div><label for=\"f-number\">Number (from or to)</label>\
         <input id=\"f-number\" name=\"number\" value=\"{number}\" inputmode=\"tel\" size=\"16\"></div>\
         <div><label for=\"f-flow\">Flow</label><select id=\"f-flow\" name=\"flow\">{flows}</select></div>\
         <div><label for=\"f-status\">Status</label><select id=\"f-status\" name=\"status\">{statuses}</select></div>\
         <div><label for=\"f-since\">From (e.g. 2h, 1d)</label>\
         <input id=\"f-since\" name=\"since\" value=\"{since}\" size=\"10\"></div>\
         <div><label for=\"f-until\">Until</label>\
         <input id=\"f-until\" name=\"until\" value=\"{until}\" size=\"10\"></div>\
         <div class=\"check\"><input type=\"checkbox\" id=\"f-missed\" name=\"missed\"{missed}>\
         <label for=\"f-missed\">Missed only</label></div>\
         <div class=\"check\"><input type=\"checkbox\" id=\"f-voicemail\" name=\"voicemail\"{vm}>\
         <label for=\"f-voicemail\">With voicemail</label></div>\
         <div><button type=\"submit\">Filter</button> <a href=\"/console/\">Clear</a></div></form>",
        number = esc(&f.number),
        since = esc(&f.since),
        until = esc(&f.until),
        missed = checked(f.missed),
        vm = checked(f.voicemail),
    )
}

/// The table rows of `calls`.
fn rows_html(calls: &[Call], tz: &TimeZone) -> String {
    if calls.is_empty() {
        return "<tr><td colspan=\"8\">No calls match.</td></tr>".into();
    }
    let mut s = String::new();
    for c in calls {
        let dash = |v: Option<&str>| v.map_or("-".to_string(), esc);
        let status = if c.status.is_empty() { "-" } else { &c.status };
        let _ = write!(
            s,
            "<tr data-call=\"{sid}\"><td><a href=\"/console/calls/{sid_url}\">{time}</a></td>\
             <td>{from}</td><td>{to}</td><td>{flow}</td><td class=\"path wide\">{path}</td>\
             <td class=\"status-{st_class}\">{st}</td><td class=\"wide\">{dur}</td><td>{rec}</td></tr>",
            sid = esc(&c.call_sid),
            sid_url = url(&c.call_sid),
            time = esc(&local_time(c.first_seen, tz)),
            from = dash(c.from.as_deref()),
            to = dash(c.to.as_deref()),
            flow = dash(c.flow.as_deref()),
            path = if c.path.is_empty() {
                "-".into()
            } else {
                esc(&c.path)
            },
            st_class = esc(status),
            st = esc(status),
            dur = c.duration.map_or("-".into(), duration),
            rec = if c.recordings > 0 { "yes" } else { "no" },
        );
    }
    s
}

/// `2026-07-14 18:09:53` in `tz`.
fn local_time(at: i64, tz: &TimeZone) -> String {
    Timestamp::from_microsecond(at).map_or_else(
        |_| at.to_string(),
        |t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    )
}

/// `3m07s`.
fn duration(secs: i64) -> String {
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// A call's story from the store, or the page to answer instead.
async fn story(db: Option<&Database>, sid: &str) -> Result<Story, Resp> {
    let Some(db) = db else {
        return Err(no_records());
    };
    if !crate::calls::record::is_sid(sid) {
        return Err(page(
            StatusCode::BAD_REQUEST,
            message(
                "Not a CallSid",
                "calls",
                "A CallSid is letters and digits (CA…).",
            ),
        ));
    }
    match db.story(sid).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(page(
            StatusCode::NOT_FOUND,
            message(
                "No such call",
                "calls",
                &format!("No call {sid} in the records."),
            ),
        )),
        Err(e) => {
            tracing::warn!(error = %e, "console: the database failed");
            Err(page(
                StatusCode::SERVICE_UNAVAILABLE,
                message(
                    "Database unavailable",
                    "calls",
                    "The records database is unavailable; see the server log.",
                ),
            ))
        }
    }
}

/// `GET /console/calls/{sid}`: the summary, recordings, the timeline, the replay button.
pub(super) async fn one(db: Option<&Database>, views: &Views, sid: &str, tz: &TimeZone) -> Resp {
    let story = match story(db, sid).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let c = &story.call;
    let dash = |v: Option<&str>| v.map_or("-".to_string(), esc);
    let mut main = format!(
        "<h1>Call <code>{sid}</code></h1><dl class=\"summary\">\
         <dt>From</dt><dd>{from}</dd><dt>To</dt><dd>{to}</dd><dt>Flow</dt><dd>{flow}</dd>\
         <dt>Status</dt><dd class=\"status-{st}\">{st}</dd><dt>First seen</dt><dd>{time}</dd>\
         <dt>Path</dt><dd>{path}</dd></dl>\
         <p><a class=\"button\" id=\"replay\" href=\"/console/calls/{sid_url}/replay\">\
         Replay against the flows serving now</a></p>",
        sid = esc(&c.call_sid),
        sid_url = url(&c.call_sid),
        from = dash(c.from.as_deref()),
        to = dash(c.to.as_deref()),
        flow = dash(c.flow.as_deref()),
        st = esc(if c.status.is_empty() { "-" } else { &c.status }),
        time = esc(&local_time(c.first_seen, tz)),
        path = if c.path.is_empty() {
            "-".into()
        } else {
            esc(&c.path)
        },
    );
    recordings_html(&story, &mut main);
    let _ = write!(
        main,
        "<h2 id=\"timeline-heading\">Timeline</h2><p class=\"note\">As <code>switchboard calls show</code> \
         prints it: each webhook with the steps entered and the rule that decided each branch, \
         status changes, recordings, notification attempts.</p>\
         <pre id=\"timeline\" aria-labelledby=\"timeline-heading\" tabindex=\"0\">{}</pre>",
        esc(&(views.story)(&story, tz))
    );
    page(
        StatusCode::OK,
        layout(&format!("Call {}", c.call_sid), "calls", &main),
    )
}

fn recordings_html(story: &Story, main: &mut String) {
    if story.recordings.is_empty() {
        return;
    }
    main.push_str(
        "<h2>Recordings</h2><p class=\"note\">Recordings play from Twilio: playback needs the \
         account's Twilio login unless the account's recordings are public. Nothing is fetched \
         until you press play.</p><ul class=\"recordings\">",
    );
    for r in &story.recordings {
        let _ = write!(
            main,
            "<li id=\"rec-{id}\"><strong>{id}</strong> {st}{dur}",
            id = esc(&r.recording_sid),
            st = esc(&r.status),
            dur = r
                .duration
                .map_or(String::new(), |d| format!(", {}", duration(d))),
        );
        // Only Twilio's https URLs become links and players (never `javascript:`).
        if let Some(u) = r.url.as_deref().filter(|u| u.starts_with("https://")) {
            let _ = write!(
                main,
                "<br><audio controls preload=\"none\" src=\"{u}\" aria-label=\"Recording {id}\"></audio>\
                 <br><a href=\"{u}\" rel=\"noopener noreferrer\" target=\"_blank\" class=\"rec-link\">\
                 Open the recording at Twilio</a>",
                u = esc(u),
                id = esc(&r.recording_sid)
            );
        }
        if let Some(t) = &r.transcript {
            let _ = write!(
                main,
                "<blockquote class=\"transcript\">{}</blockquote>",
                esc(t)
            );
        } else if let Some(st) = &r.transcription_status {
            let _ = write!(main, "<p class=\"note\">Transcript: {}</p>", esc(st));
        }
        main.push_str("</li>");
    }
    main.push_str("</ul>");
}

/// `GET /console/calls/{sid}/replay`: the call run again against the served set.
pub(super) async fn replay(
    db: Option<&Database>,
    store: &FlowStore,
    views: &Views,
    sid: &str,
    tz: &TimeZone,
) -> Resp {
    let story = match story(db, sid).await {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    let served = store.current();
    let label = format!("the flows serving now (flow set {})", served.version());
    let text = (views.replay)(&story, &served.set, &label, tz);
    let main = format!(
        "<h1>Replay of <code>{sid}</code></h1><p class=\"note\">Each recorded webhook run again \
         through the interpreter against the flows serving now, at the times it was answered, \
         side by side with what the caller got (<code>switchboard replay</code>).</p>\
         <pre id=\"replay-text\" tabindex=\"0\">{text}</pre>\
         <p><a href=\"/console/calls/{sid_url}\">Back to the call</a></p>",
        sid = esc(sid),
        sid_url = url(sid),
        text = esc(&text)
    );
    page(
        StatusCode::OK,
        layout(&format!("Replay {sid}"), "calls", &main),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_back_what_it_wrote() {
        let f = Form::parse("number=+14155550100&flow=acme&since=2h&missed=on&cursor=&x=1");
        assert_eq!(f.number, "+14155550100");
        assert!(f.missed && !f.voicemail);
        assert_eq!(
            f.query(),
            "number=%2B14155550100&flow=acme&since=2h&missed=on"
        );
        assert_eq!(
            Form::parse(&f.query()),
            Form {
                cursor: String::new(),
                ..f
            }
        );
        let now = 1_784_044_800_000_000;
        let filter = Form::parse("since=2h&voicemail=on").filter(now).unwrap();
        assert_eq!(filter.since, Some(now - 7_200_000_000));
        assert!(filter.with_recording);
        assert!(
            Form::parse("since=yesterday")
                .filter(now)
                .unwrap_err()
                .starts_with("From:")
        );
        assert!(Form::parse("cursor=x").filter(now).is_err());
    }

    #[test]
    fn rows_escape_what_callers_send() {
        let call = Call {
            call_sid: "CA1".into(),
            from: Some("<b>\"x\"</b>".into()),
            status: "no-answer".into(),
            duration: Some(187),
            ..Call::default()
        };
        let html = rows_html(&[call], &TimeZone::UTC);
        assert!(
            html.contains("<td>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</td>"),
            "{html}"
        );
        assert!(html.contains("class=\"status-no-answer\">no-answer</td>"));
        assert!(html.contains(">3m07s<"));
        assert_eq!(rows_html(&[], &TimeZone::UTC).matches("<tr").count(), 1);
    }
}
