//! The offline tools' views the operator console shows, handed to the server as plain
//! functions: `http` and `tools` do not import each other, the command line joins them.

use jiff::tz::TimeZone;

use crate::calls::Story;
use crate::flow::FlowSet;
use crate::flow::model::FlowId;
use crate::http::console::Views;
use crate::tools::replay::render::{self, Context};
use crate::tools::replay::{Flows, RecordedCall, When, replay};
use crate::tools::{graph, graph_svg, records};

/// The views `serve` gives the console.
pub fn views() -> Views {
    Views {
        story,
        diagram,
        replay: replay_now,
    }
}

/// `calls show`'s text.
fn story(story: &Story, tz: &TimeZone) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = records::story_text(story, tz, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `switchboard graph`'s graph, drawn as SVG.
fn diagram(set: &FlowSet, fid: FlowId) -> String {
    graph_svg::svg(&graph::build(set, fid))
}

/// `replay CALLSID` against `set`, at the recorded times.
fn replay_now(story: &Story, set: &FlowSet, label: &str, tz: &TimeZone) -> String {
    let call = RecordedCall::from_records(&story.call.call_sid, story.records.clone());
    let r = replay(&call, Flows::Candidate(set), When::Recorded);
    let ctx = Context {
        flows: label.to_string(),
        at: "the recorded times".to_string(),
    };
    let mut out = Vec::new();
    let _ = render::replay_text(&call, &r, &ctx, tz, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
