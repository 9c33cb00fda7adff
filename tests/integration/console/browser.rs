//! The console in a real browser: headless Chromium (Debian's `chromium`) driven through
//! `chromedriver` by fantoccini. Skipped, loudly, when either is missing; with
//! `SWITCHBOARD_REQUIRE_BROWSER=1` (CI) a missing browser fails instead.
//!
//! Chromium runs with every host but 127.0.0.1 unresolvable and its background services
//! off, so nothing the page (or the browser) tries can reach the network; the pages'
//! own script marks script errors and CSP violations on `<html>`, and the Resource Timing
//! entries list every request the page made: all must be to the server.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::{ADMIN, Served};
use crate::harness::BOUND;
use crate::records::support::{callbacks, play_voicemail_call, sid};

/// Desktop and phone viewport sizes for the screenshots.
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// Where the tests write screenshots (copied into docs/console/ by hand for the docs).
fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first of `names` found on `PATH` or as an absolute path.
fn find(names: &[&str]) -> Option<PathBuf> {
    for name in names {
        let p = Path::new(name);
        if p.is_absolute() && p.is_file() {
            return Some(p.to_path_buf());
        }
        if let Some(paths) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&paths) {
                let c = dir.join(name);
                if c.is_file() {
                    return Some(c);
                }
            }
        }
    }
    None
}

/// chromedriver and the Chromium binary, or why not (a skip, or a failure in CI).
fn browser() -> Option<(PathBuf, PathBuf)> {
    // Debian's /usr/bin/chromium is a shell wrapper; the binary itself is beside its files.
    let chrome = find(&["/usr/lib/chromium/chromium", "chromium", "chromium-browser"]);
    let driver = find(&["chromedriver"]);
    match (driver, chrome) {
        (Some(d), Some(c)) => Some((d, c)),
        (d, c) => {
            let why = format!(
                "no browser for the console tests: chromedriver {}, chromium {} \
                 (apt-get install chromium chromium-driver)",
                if d.is_some() { "found" } else { "missing" },
                if c.is_some() { "found" } else { "missing" },
            );
            assert!(
                std::env::var("SWITCHBOARD_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "{why}; SWITCHBOARD_REQUIRE_BROWSER=1 makes this a failure"
            );
            eprintln!("SKIPPED console::browser: {why}");
            None
        }
    }
}

/// A running chromedriver, killed when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        // A free port: chromedriver takes a number, not 0.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(path)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + BOUND;
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(driver: &Driver, chrome: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chrome,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.display()),
                // Nothing leaves the machine: no other host resolves, no background services.
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--no-first-run", "--no-default-browser-check",
                "--disable-features=Translate,OptimizationHints,MediaRouter",
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap()
}

/// Checks the page made no request to another host, ran without script errors and broke
/// no CSP rule. Returns how many requests it made (all to `host`).
async fn clean(c: &Client, host: &str) -> usize {
    let v = c
        .execute(
            "return { errors: document.documentElement.getAttribute('data-js-errors'), \
             csp: document.documentElement.getAttribute('data-csp-violations'), \
             urls: performance.getEntries().map(function (e) { return e.name; }) \
               .filter(function (n) { return n.indexOf('://') > 0; }) };",
            vec![],
        )
        .await
        .unwrap();
    let page = c.current_url().await.unwrap();
    assert_eq!(v["errors"], json!("0"), "script errors on {page}");
    assert_eq!(v["csp"], json!("0"), "CSP violations on {page}");
    let urls: Vec<String> = v["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    for u in &urls {
        assert!(
            u.starts_with(&format!("http://{host}/")),
            "{page} requested {u}"
        );
    }
    urls.len()
}

async fn shoot(c: &Client, name: &str) {
    for (label, (w, h)) in [("desktop", DESKTOP), ("phone", PHONE)] {
        c.set_window_size(w, h).await.unwrap();
        let png = c.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        std::fs::write(screenshots().join(format!("{name}-{label}.png")), png).unwrap();
    }
    c.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(BOUND)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/console/")).await.unwrap();
    let field = c
        .wait()
        .at_most(BOUND)
        .for_element(Locator::Id("token"))
        .await
        .unwrap();
    field.send_keys(token).await.unwrap();
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[test]
fn the_console_in_a_real_browser() {
    let Some((driver_path, chrome)) = browser() else {
        return;
    };
    let s = Served::start(true);
    let driver = Driver::start(&driver_path);
    let profile = tempfile::tempdir().unwrap();
    let host = s.serve.addr.to_string();
    let base = format!("http://{host}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = connect(&driver, &chrome, profile.path()).await;
        c.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();

        // A wrong token: the form again, and no calls anywhere on the page.
        sign_in(&c, &base, "not-the-token").await;
        let err = text_of(&c, "#login-error").await;
        assert_eq!(err, "That is not the admin token.");
        assert!(c.find(Locator::Id("calls")).await.is_err(), "no data");
        shoot(&c, "sign-in").await;
        clean(&c, &host).await;

        // The right one: the (empty) calls list.
        sign_in(&c, &base, ADMIN).await;
        text_of(&c, "table#calls caption").await;
        // A marker the page keeps only as long as it is not reloaded.
        c.execute("window.__kept = 42; return null;", vec![])
            .await
            .unwrap();

        // A call placed through the real server appears without a reload.
        let call = sid(77);
        play_voicemail_call(&s.serve, &call);
        for (path, body) in callbacks(&call) {
            assert_eq!(s.serve.post(path, &body).status, 204);
        }
        let row = format!("tr[data-call='{call}']");
        c.wait()
            .at_most(BOUND)
            .for_element(Locator::Css(&row))
            .await
            .expect("the call appears in the list");
        let kept = c.execute("return window.__kept;", vec![]).await.unwrap();
        assert_eq!(kept, Value::from(42), "the page was not reloaded");
        shoot(&c, "calls").await;
        clean(&c, &host).await;

        // Open it: the rule decisions, the recording.
        c.find(Locator::Css(&format!("{row} a")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let timeline = text_of(&c, "#timeline").await;
        assert!(
            timeline.contains("rule 2 matched: otherwise → voicemail"),
            "{timeline}"
        );
        assert!(
            timeline.contains("menu: heard \"1\": option 1"),
            "{timeline}"
        );
        let audio = c.find(Locator::Css("audio")).await.unwrap();
        let src = audio.attr("src").await.unwrap().unwrap();
        assert!(src.starts_with("https://api.twilio.com/"), "{src}");
        assert_eq!(
            audio.attr("preload").await.unwrap().as_deref(),
            Some("none")
        );
        shoot(&c, "call").await;
        // The recording was not fetched: only this server was asked for anything.
        clean(&c, &host).await;

        // Its replay against the flows serving now.
        c.find(Locator::Id("replay"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let replay = text_of(&c, "#replay-text").await;
        assert!(
            replay.contains("replayed against the flows serving now"),
            "{replay}"
        );
        clean(&c, &host).await;

        // A flow: its diagram with its steps.
        c.goto(&format!("{base}/console/flows/acme")).await.unwrap();
        let nodes = c
            .find_all(Locator::Css("#diagram svg g.node text.n-title"))
            .await
            .unwrap();
        let mut titles = Vec::new();
        for n in &nodes {
            titles.push(n.text().await.unwrap());
        }
        for step in ["menu", "sales", "pin", "check", "voicemail", "bye"] {
            assert!(titles.iter().any(|t| t == step), "{step} not in {titles:?}");
        }
        shoot(&c, "flow").await;
        clean(&c, &host).await;

        // A refused reload's diagnostic.
        s.refuse_a_reload();
        c.goto(&format!("{base}/console/flows")).await.unwrap();
        let diag = text_of(&c, "#diagnostics").await;
        assert!(diag.contains("broken.yaml:6"), "{diag}");
        shoot(&c, "flows").await;
        let requests = clean(&c, &host).await;
        assert!(
            requests >= 3,
            "the page, its stylesheet and script: {requests}"
        );

        // Sign out: the pages are gone again.
        c.find(Locator::Css("form.signout button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        text_of(&c, "#token").await;
        c.goto(&format!("{base}/console/calls/{call}"))
            .await
            .unwrap();
        text_of(&c, "#token").await;
        c.close().await.unwrap();
    });
}
