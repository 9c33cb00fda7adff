//! The flow set versions the server served, kept in the call store: through the real
//! server on SQLite, across a hot reload and a refused one.

use switchboard::calls::{Body, Story};

use super::support::*;
use crate::harness::FlowDir;
use crate::harness::binary::ServeProcess;
use crate::harness::wait_until;

/// Shared definitions with text that is not ASCII and CRLF line ends, kept as written.
const SHARED: &str = "# Définitions partagées ☎\r\ndescription: \"Grüß Gott\"\r\nvars:\r\n  operator: \"+14155550199\"\r\n";

/// The version that answered each webhook of a call.
fn versions_of(story: &Story) -> Vec<String> {
    story
        .records
        .iter()
        .filter_map(|r| match &r.body {
            Body::Webhook(w) => Some(w.flow_version.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_version_served_is_kept_with_its_exact_texts() {
    let flows = FlowDir::new()
        .file("acme.yaml", FLOW)
        .file("_shared.yaml", SHARED);
    let data = tempfile::tempdir().unwrap();
    let mut args = sqlite_args(data.path());
    args.push("--no-watch".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let serve = ServeProcess::start(flows.path(), &args);
    let first = sid(21);
    assert_eq!(
        serve
            .post("/voice", &form(&call_params(&first, "ringing")))
            .status,
        200
    );

    // A broken edit is refused: the old set keeps serving, and nothing is kept for it.
    let acme = flows.path().join("acme.yaml");
    std::fs::write(&acme, "start: nowhere\nsteps: [").unwrap();
    serve.signal("HUP");
    serve.next_log("flow reload refused; the previous flows keep serving");
    // Then a good one: a new prompt, not ASCII, every line ending in CRLF.
    let edited = FLOW
        .replace("Press 1 for sales", "Appuyez sur 1 — ventes ☎")
        .replace('\n', "\r\n");
    std::fs::write(&acme, &edited).unwrap();
    serve.signal("HUP");
    serve.next_log("flows reloaded");
    let second = sid(22);
    let r = serve.post("/voice", &form(&call_params(&second, "ringing")));
    assert!(r.body.contains("Appuyez sur 1"), "{}", r.body);

    let db = open(&format!(
        "sqlite:{}",
        data.path().join("calls.db").display()
    ));
    let v1 = versions_of(&wait_for_story(&db, &first, |s| !versions_of(s).is_empty()));
    let v2 = versions_of(&wait_for_story(&db, &second, |s| {
        !versions_of(s).is_empty()
    }));
    assert_eq!((v1.len(), v2.len()), (1, 1));
    assert_ne!(v1[0], v2[0], "the reload changed the version");
    wait_until("both versions are stored", || {
        block_on(db.flow_sets(10)).unwrap().len() >= 2
    });
    let listed = block_on(db.flow_sets(10)).unwrap();
    let names: Vec<&str> = listed.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(
        names,
        [v2[0].as_str(), v1[0].as_str()],
        "the refused set is not one"
    );
    for (version, acme_text) in [(&v1[0], FLOW), (&v2[0], edited.as_str())] {
        let files = block_on(db.flow_set(version)).unwrap().unwrap();
        assert_eq!(
            files,
            [
                ("_shared.yaml".to_string(), SHARED.to_string()),
                ("acme.yaml".to_string(), acme_text.to_string()),
            ],
            "version {version}: the files exactly as served"
        );
    }
    let health = &serve.readyz()["records"];
    assert_eq!(health["flow_sets_kept"], 2, "{health}");
    assert_eq!(health["flow_sets_dropped"], 0, "{health}");
}
