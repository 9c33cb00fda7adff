//! The operator console (`/console/`, docs/console.md) on the real binary: sign-in, pages
//! and their security headers over plain HTTP (`http`), and in a real browser, headless
//! Chromium driven through WebDriver (`browser`; skipped loudly without one, a failure
//! with `SWITCHBOARD_REQUIRE_BROWSER=1`).

mod browser;
mod http;

use crate::harness::FlowDir;
use crate::harness::binary::ServeProcess;
use crate::harness::server::{Reply, request};
use crate::records::support::{FLOW, sqlite_args};

/// The admin token the consoles here are started with.
pub const ADMIN: &str = "console-adm-5e884898da28047151d0e56f8dc62927";

/// A server with the voicemail flow, a SQLite store and the admin token (or none).
pub struct Served {
    /// The flows directory (a test may break a file in it).
    pub flows: FlowDir,
    /// The database and spool, deleted when the test ends.
    _data: tempfile::TempDir,
    /// The running server.
    pub serve: ServeProcess,
}

impl Served {
    pub fn start(token: bool) -> Served {
        let flows = FlowDir::new().file("acme.yaml", FLOW);
        let data = tempfile::tempdir().unwrap();
        let token_file = data.path().join("admin-token");
        std::fs::write(&token_file, format!("{ADMIN}\n")).unwrap();
        let mut args = sqlite_args(data.path());
        if token {
            args.extend([
                "--admin-token-file".into(),
                token_file.display().to_string(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let serve = ServeProcess::start(flows.path(), &args);
        Served {
            flows,
            _data: data,
            serve,
        }
    }

    pub fn get(&self, target: &str, headers: &[(&str, &str)]) -> Reply {
        request(self.serve.addr, "GET", target, headers, b"")
    }

    pub fn post_form(&self, target: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        request(self.serve.addr, "POST", target, &h, body.as_bytes())
    }

    /// Signs in; returns the `Cookie` header value to send.
    pub fn sign_in(&self) -> String {
        let r = self.post_form("/console/login", &[], &format!("token={ADMIN}"));
        assert_eq!(r.status, 303, "{r:?}");
        let set = r
            .header("set-cookie")
            .expect("a session cookie")
            .to_string();
        set.split(';').next().unwrap().to_string()
    }

    /// Breaks a flow file and waits until the server has refused the reload.
    pub fn refuse_a_reload(&self) {
        let broken = "numbers: [\"+14155550199\"]\nstart: hi\nsteps:\n  hi:\n    say: Hello\n    next: nowhere\n";
        std::fs::write(self.flows.path().join("broken.yaml"), broken).unwrap();
        self.serve.signal("HUP");
        crate::harness::wait_until("the reload is refused", || {
            self.serve.readyz()["reload"]["failed"].as_u64() >= Some(1)
        });
    }
}
