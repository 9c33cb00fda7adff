//! The console over plain HTTP: off without a token, nothing for a wrong token or a forged
//! cookie, the pages with the right one, and the headers that keep them to this server.

use super::{ADMIN, Served};
use crate::records::support::{callbacks, play_voicemail_call, sid};

#[test]
fn without_an_admin_token_there_is_no_console() {
    let s = Served::start(false);
    for path in [
        "/console",
        "/console/",
        "/console/login",
        "/console/assets/console.js",
    ] {
        assert_eq!(s.get(path, &[]).status, 404, "{path}");
    }
    let r = s.post_form("/console/login", &[], &format!("token={ADMIN}"));
    assert_eq!(r.status, 404);
}

#[test]
fn a_wrong_token_or_a_forged_cookie_gets_no_page_and_no_data() {
    let s = Served::start(true);
    let call = sid(41);
    play_voicemail_call(&s.serve, &call);
    // Not signed in: pages send to the sign-in form, the rows fragment is refused.
    let r = s.get("/console/", &[]);
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/console/login"))
    );
    let r = s.get(&format!("/console/calls/{call}"), &[]);
    assert_eq!(r.status, 303);
    let r = s.get("/console/calls/rows", &[]);
    assert_eq!(r.status, 401);
    assert!(!r.body.contains(&call));
    // A wrong token: the form again, no cookie.
    for wrong in ["", "console-adm", &format!("{ADMIN}x"), "Bearer%20x"] {
        let r = s.post_form("/console/login", &[], &format!("token={wrong}"));
        assert_eq!(r.status, 401, "{wrong:?}");
        assert!(r.header("set-cookie").is_none());
        assert!(r.body.contains("That is not the admin token."));
        assert!(!r.body.contains(&call));
    }
    // Forged, expired or other-key cookies open nothing.
    for cookie in [
        "switchboard_console=v1.99999999999.AAAA",
        "switchboard_console=v1.1.x",
        "switchboard_console=",
    ] {
        let r = s.get("/console/", &[("Cookie", cookie)]);
        assert_eq!(r.status, 303, "{cookie}");
        let r = s.get("/console/calls/rows", &[("Cookie", cookie)]);
        assert_eq!(r.status, 401, "{cookie}");
    }
    // The API's bearer header is not a console session.
    let bearer = format!("Bearer {ADMIN}");
    assert_eq!(
        s.get("/console/", &[("Authorization", &bearer)]).status,
        303
    );
    // A sign-in posted from another site is refused before the token is looked at.
    let r = s.post_form(
        "/console/login",
        &[("Origin", "https://evil.example")],
        &format!("token={ADMIN}"),
    );
    assert_eq!(r.status, 403);
    assert!(r.header("set-cookie").is_none());
    let r = s.post_form(
        "/console/login",
        &[("Sec-Fetch-Site", "cross-site")],
        &format!("token={ADMIN}"),
    );
    assert_eq!(r.status, 403);
}

#[test]
fn signed_in_the_pages_show_calls_flows_and_reloads() {
    let s = Served::start(true);
    let call = sid(42);
    play_voicemail_call(&s.serve, &call);
    for (path, body) in callbacks(&call) {
        assert_eq!(s.serve.post(path, &body).status, 204);
    }
    let cookie = s.sign_in();
    let c = [("Cookie", cookie.as_str())];
    let set = s.post_form("/console/login", &[], &format!("token={ADMIN}"));
    let attrs = set.header("set-cookie").unwrap();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(attrs.contains(attr), "{attrs}");
    }
    assert!(!attrs.contains("Secure"), "plain http: {attrs}");
    assert!(!attrs.contains(ADMIN), "the cookie is not the token");

    // The list (once the recorder has written the call) and its rows.
    crate::harness::wait_until("the call is listed", || {
        s.get("/console/calls/rows", &c).body.contains(&call)
    });
    let list = s.get("/console/?missed=&voicemail=on", &c);
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&format!("data-call=\"{call}\"")),
        "{}",
        list.body
    );
    let csp = list.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'self'; script-src 'self'"),
        "{csp}"
    );
    assert_eq!(list.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(list.header("referrer-policy"), Some("same-origin"));
    assert_eq!(list.header("cache-control"), Some("no-store"));
    // Filters narrow: a number that is not the call's, missed only (it was answered).
    let none = s.get("/console/calls/rows?number=%2B19995550000", &c);
    assert!(!none.body.contains(&call));
    assert!(none.body.contains("No calls match."));

    // One call: the timeline in `calls show`'s words, the recording, the transcript.
    let page = s.get(&format!("/console/calls/{call}"), &c);
    assert_eq!(page.status, 200);
    for want in [
        "menu: heard &quot;1&quot;: option 1",
        "rule 2 matched: otherwise → voicemail",
        "<audio controls preload=\"none\" src=\"https://api.twilio.com/",
        "Hi, it is Sam, please call me back.",
        "playback needs the account's Twilio login",
        &format!("/console/calls/{call}/replay"),
    ] {
        assert!(page.body.contains(want), "{want}: {}", page.body);
    }
    let replay = s.get(&format!("/console/calls/{call}/replay"), &c);
    assert_eq!(replay.status, 200);
    assert!(
        replay
            .body
            .contains("replayed against the flows serving now"),
        "{}",
        replay.body
    );

    // A flow: its numbers, its diagram with every step, the steps table.
    let flow = s.get("/console/flows/acme", &c);
    assert_eq!(flow.status, 200);
    assert!(flow.body.contains("<li>+14155550100</li>"));
    assert!(flow.body.contains("<svg "));
    for step in ["menu", "sales", "pin", "check", "voicemail", "bye"] {
        assert!(flow.body.contains(&format!(">{step}</text>")), "{step}");
    }
    // A refused reload's diagnostics, as the command line renders them.
    s.refuse_a_reload();
    let flows = s.get("/console/flows", &c);
    assert!(
        flows.body.contains("The latest reload was refused"),
        "{}",
        flows.body
    );
    assert!(flows.body.contains("broken.yaml:6"), "{}", flows.body);
    assert!(flows.body.contains("nowhere"));

    // Assets are the binary's own; sign-out clears the cookie.
    let js = s.get("/console/assets/console.js", &[]);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let out = s.post_form("/console/logout", &c, "");
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(s.get("/console/nothing", &c).status, 404);
}
