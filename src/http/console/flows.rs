//! The flows pages: every flow with its numbers and schedules, the served set's warnings and
//! the reload history (a refused reload's diagnostics as the command line prints them: the
//! console is behind the admin token, docs/security.md), and one flow as a diagram.

use std::fmt::Write as _;
use std::sync::Arc;

use hyper::StatusCode;
use jiff::Timestamp;

use super::html::{esc, layout, message, url};
use super::{Resp, Views, page};
use crate::flow::FlowSet;
use crate::flow::model::{Action, Cond, Flow, FlowId, Target};
use crate::http::store::FlowStore;
use crate::schedule::Schedule;

/// The schedules a flow's route rules consult, by name, first use first.
fn schedules(flow: &Flow) -> Vec<(String, Arc<Schedule>)> {
    fn walk(c: &Cond, out: &mut Vec<(String, Arc<Schedule>)>) {
        match c {
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| walk(c, out)),
            Cond::Not(c) => walk(c, out),
            Cond::Schedule { name, schedule, .. } => {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.clone(), Arc::clone(schedule)));
                }
            }
            Cond::Test { .. } => {}
        }
    }
    let mut out = Vec::new();
    for step in &flow.steps {
        if let Action::Route { rules, .. } = &step.action {
            for c in rules.iter().filter_map(|r| r.cond.as_ref()) {
                walk(c, &mut out);
            }
        }
    }
    out
}

/// Each schedule's state now: `open: Mon 09:00-17:30 (Europe/Paris, …)`.
fn schedules_html(flow: &Flow, now: Timestamp) -> String {
    let list = schedules(flow);
    if list.is_empty() {
        return String::new();
    }
    let mut s = String::from("<ul class=\"schedules\">");
    for (name, schedule) in list {
        let (open, why) = schedule.explain(now);
        let _ = write!(
            s,
            "<li>schedule <strong>{}</strong>: <span class=\"{}\">{}</span></li>",
            esc(&name),
            if open { "open" } else { "closed" },
            esc(&why)
        );
    }
    s.push_str("</ul>");
    s
}

fn numbers_html(set: &FlowSet, fid: FlowId) -> String {
    let mut numbers = set.numbers().patterns_of(fid);
    if set.numbers().default_flow() == Some(fid) {
        numbers.push("every other number (default)".into());
    }
    if numbers.is_empty() {
        return "<p class=\"note\">No numbers: reached only from other flows.</p>".into();
    }
    let items: Vec<String> = numbers
        .iter()
        .map(|n| format!("<li>{}</li>", esc(n)))
        .collect();
    format!(
        "<ul class=\"numbers\" aria-label=\"Numbers\">{}</ul>",
        items.concat()
    )
}

/// `GET /console/flows`: every flow, the warnings, the reloads.
pub(super) fn overview(store: &FlowStore) -> Resp {
    let served = store.current();
    let now = Timestamp::now();
    let mut main = format!(
        "<h1>Flows</h1><p>Flow set <code>{}</code>: {} flows, {} steps, {} warnings; \
         in service since {}.</p><div class=\"flows\">",
        esc(served.version()),
        served.flows,
        served.steps,
        served.warnings,
        esc(&served.loaded_at.to_string()),
    );
    for (fid, flow) in served.set.iter() {
        let _ = write!(
            main,
            "<section class=\"card\" aria-labelledby=\"flow-{id}\"><h2 id=\"flow-{id}\">\
             <a href=\"/console/flows/{u}\">{name}</a></h2><p class=\"note\">{file}, {steps} steps</p>\
             {numbers}{schedules}</section>",
            id = esc(&flow.name),
            u = url(&flow.name),
            name = esc(&flow.name),
            file = esc(&flow.file.display().to_string()),
            steps = flow.steps.len(),
            numbers = numbers_html(&served.set, fid),
            schedules = schedules_html(flow, now),
        );
    }
    main.push_str("</div>");
    if !served.warnings_text.is_empty() {
        let _ = write!(
            main,
            "<h2 id=\"warnings\">Warnings</h2><pre tabindex=\"0\">{}</pre>",
            esc(&served.warnings_text)
        );
    }
    reloads_html(store, &mut main);
    page(StatusCode::OK, layout("Flows", "flows", &main))
}

fn reloads_html(store: &FlowStore, main: &mut String) {
    let h = store.history();
    let mode = store.reload_mode();
    let time = |t: Option<Timestamp>| t.map_or("never".to_string(), |t| t.to_string());
    let how = match (mode.watch, mode.poll) {
        (true, Some(p)) => format!("watching the directory and polling every {}s", p.as_secs()),
        (true, None) => "watching the directory".into(),
        (false, Some(p)) => format!("polling every {}s", p.as_secs()),
        (false, None) => "on SIGHUP only".into(),
    };
    let _ = write!(
        main,
        "<h2 id=\"reloads\">Reloads</h2><p>Reloaded {how}. Since start: {ok} succeeded \
         ({same} found nothing changed), {failed} refused; last attempt {last}, last success {good}.</p>",
        ok = h.succeeded,
        same = h.unchanged,
        failed = h.failed,
        last = esc(&time(h.last_attempt_at)),
        good = esc(&time(h.last_success_at)),
    );
    match store.last_failure() {
        Some(f) => {
            let _ = write!(
                main,
                "<section class=\"refused\" aria-labelledby=\"refused\"><h3 id=\"refused\" class=\"error\">\
                 The latest reload was refused ({at}); the flows above still serve.</h3>\
                 <p>{summary}</p><pre id=\"diagnostics\" tabindex=\"0\">{diag}</pre></section>",
                at = esc(&f.at.to_string()),
                summary = esc(&f.summary),
                diag = esc(&f.diagnostics),
            );
        }
        None => main.push_str("<p>No refused reload since the last success.</p>"),
    }
}

/// Where a target goes, in words.
fn target_name(set: &FlowSet, flow: &Flow, t: Target) -> String {
    match t {
        Target::Step(s) => flow.get(s).map_or("?".into(), |s| s.name.clone()),
        Target::Flow(f, s) => {
            let other = set.get(f);
            format!(
                "@{}.{}",
                other.map_or("?", |f| f.name.as_str()),
                other
                    .and_then(|f| f.get(s))
                    .map_or("?", |s| s.name.as_str())
            )
        }
        Target::FlowStart(f) => format!("@{}", set.get(f).map_or("?", |f| f.name.as_str())),
        Target::Hangup => "hang up".into(),
    }
}

/// `GET /console/flows/{name}`: numbers, schedules, the diagram, the steps.
pub(super) fn one(store: &FlowStore, views: &Views, name: &str) -> Resp {
    let served = store.current();
    let Some((fid, flow)) = served.set.flow(name) else {
        return page(
            StatusCode::NOT_FOUND,
            message(
                "No such flow",
                "flows",
                &format!("No flow named {name} is serving."),
            ),
        );
    };
    let mut main = format!(
        "<h1>Flow {name}</h1><p class=\"note\">{file} · flow set <code>{v}</code></p>\
         <h2>Numbers</h2>{numbers}",
        name = esc(&flow.name),
        file = esc(&flow.file.display().to_string()),
        v = esc(served.version()),
        numbers = numbers_html(&served.set, fid),
    );
    let schedules = schedules_html(flow, Timestamp::now());
    if !schedules.is_empty() {
        let _ = write!(main, "<h2>Schedules now</h2>{schedules}");
    }
    let _ = write!(
        main,
        "<h2 id=\"diagram-heading\">Diagram</h2><div class=\"diagram-wrap\" id=\"diagram\">{}</div>",
        (views.diagram)(&served.set, fid)
    );
    main.push_str(
        "<h2>Steps</h2><div class=\"table-wrap\"><table id=\"steps\"><thead><tr>\
         <th scope=\"col\">Step</th><th scope=\"col\">Kind</th><th scope=\"col\">Goes to</th>\
         </tr></thead><tbody>",
    );
    for step in &flow.steps {
        let goes: Vec<String> = step
            .action
            .targets()
            .into_iter()
            .map(|(label, t)| format!("{label} → {}", target_name(&served.set, flow, t)))
            .collect();
        let _ = write!(
            main,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&step.name),
            step.action.kind(),
            esc(&goes.join("; "))
        );
    }
    main.push_str("</tbody></table></div>");
    page(
        StatusCode::OK,
        layout(&format!("Flow {name}"), "flows", &main),
    )
}
