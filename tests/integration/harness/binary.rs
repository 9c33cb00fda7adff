//! The `switchboard` binary: [`Switchboard`] runs one subcommand to completion and
//! captures what it prints; [`ServeProcess`] runs `switchboard serve` in the background
//! and reads its JSON log lines as they come.

use std::ffi::OsStr;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use switchboard::form;
use switchboard::signature::{self, Secret};

use super::server::{Reply, TOKEN, request};
use super::{BOUND, root};

/// The binary with none of the environment variables it reads for its settings and
/// secrets, so the tests see only what they set.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for var in [
        "TWILIO_AUTH_TOKEN",
        "TWILIO_SECONDARY_AUTH_TOKEN",
        "TWILIO_SHARED_KEY_SECRET",
    ] {
        c.env_remove(var);
    }
    for (var, _) in std::env::vars() {
        if var.starts_with("SWITCHBOARD_") {
            c.env_remove(var);
        }
    }
    c
}

/// One run of `switchboard SUBCOMMAND …`, in the repository root unless told otherwise,
/// with no standard input unless [`Switchboard::stdin`] gives some.
#[must_use]
pub struct Switchboard {
    /// The command being built.
    cmd: Command,
    /// Text piped to standard input, if any.
    stdin: Option<String>,
}

/// What a finished run printed, and its exit code (-1 when killed by a signal).
#[derive(Debug)]
pub struct Output {
    /// The exit code.
    pub code: i32,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

impl Switchboard {
    pub fn new(subcommand: &str) -> Switchboard {
        let mut cmd = command();
        cmd.arg(subcommand).current_dir(root());
        Switchboard { cmd, stdin: None }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Switchboard {
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Switchboard {
        self.cmd.args(args);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Switchboard {
        self.cmd.current_dir(dir);
        self
    }

    pub fn env(mut self, var: &str, value: &str) -> Switchboard {
        self.cmd.env(var, value);
        self
    }

    /// Pipes `text` to the binary's standard input.
    pub fn stdin(mut self, text: &str) -> Switchboard {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Runs the binary to completion.
    pub fn run(mut self) -> Output {
        let out = match self.stdin {
            None => self.cmd.output().expect("run switchboard"),
            Some(text) => {
                let mut child = self
                    .cmd
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run switchboard");
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(text.as_bytes())
                    .expect("write stdin");
                child.wait_with_output().expect("wait")
            }
        };
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Output {
    /// `(code, stdout, stderr)`.
    pub fn parts(self) -> (i32, String, String) {
        (self.code, self.stdout, self.stderr)
    }
}

/// `switchboard serve` on `127.0.0.1:0`, verifying with [`TOKEN`], with its JSON log lines
/// on a channel; killed when dropped.
pub struct ServeProcess {
    /// The running binary.
    child: Child,
    /// Where it listens (from its `listening` log line).
    pub addr: SocketAddr,
    /// Its standard error's JSON lines, in order (other lines are dropped).
    lines: mpsc::Receiver<Value>,
    /// The `--public-url` it was given: requests are signed for it instead of the address.
    public_url: Option<String>,
}

impl ServeProcess {
    /// Serves `flows` with these extra arguments; returns once it listens. Keeps no call
    /// records unless `extra` says `--database` (the default would write
    /// `switchboard.db` into the working directory).
    pub fn start(flows: &Path, extra: &[&str]) -> ServeProcess {
        let records: &[&str] = if extra.contains(&"--database") {
            &[]
        } else {
            &["--database", "none"]
        };
        let mut child = command()
            .args(["serve", "--listen", "127.0.0.1:0", "--flows"])
            .arg(flows)
            .args(records)
            .args(extra)
            .env("TWILIO_AUTH_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        let public_url = extra
            .iter()
            .position(|a| *a == "--public-url")
            .and_then(|i| extra.get(i + 1))
            .map(|u| u.trim_end_matches('/').to_string());
        let mut serve = ServeProcess {
            child,
            addr: "127.0.0.1:1".parse().unwrap(),
            lines,
            public_url,
        };
        let listening = serve.next_log("listening");
        serve.addr = listening["addr"].as_str().unwrap().parse().unwrap();
        serve
    }

    /// The next log event with this message (bounded).
    pub fn next_log(&self, message: &str) -> Value {
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {message:?} log line"));
            if v["message"] == message {
                return v;
            }
        }
    }

    /// A form POST signed with [`TOKEN`] for `http://{addr}{target}`, or for
    /// `{public_url}{target}` when started with `--public-url` (then `target` may be one of
    /// its absolute action URLs).
    pub fn post(&self, target: &str, body: &str) -> Reply {
        let target = self
            .public_url
            .as_deref()
            .and_then(|public| target.strip_prefix(public))
            .unwrap_or(target);
        let url = match &self.public_url {
            Some(public) => format!("{public}{target}"),
            None => format!("http://{}{target}", self.addr),
        };
        let sig = signature::sign(
            &Secret::new(TOKEN),
            &url,
            &form::parse(body.as_bytes()).unwrap(),
        );
        request(
            self.addr,
            "POST",
            target,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", &sig),
            ],
            body.as_bytes(),
        )
    }

    pub fn readyz(&self) -> Value {
        let r = request(self.addr, "GET", "/readyz", &[], b"");
        assert_eq!(r.status, 200);
        serde_json::from_str(&r.body).unwrap()
    }

    /// Sends the signal `name` (`TERM`, `HUP`) with `kill`.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits (bounded) for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + BOUND;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
