//! A throwaway PostgreSQL server for the record-store tests: Debian's `postgresql` package
//! (`initdb` + `pg_ctl`) on a temporary directory and a free port, trust authentication,
//! no fsync. As root it runs as the `postgres` user (PostgreSQL refuses root).
//!
//! [`PgServer::start`] returns `None` when PostgreSQL is not installed: the test then
//! returns after a loud `SKIPPED` line, unless `SWITCHBOARD_REQUIRE_POSTGRES=1` (CI sets
//! it), where a missing server fails the test.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

/// Seconds `pg_ctl` waits for the server to start or stop before giving up.
const PG_CTL_WAIT: &str = "30";

/// Numbers the databases made by [`PgServer::database`] across one test binary.
static NEXT_DB: AtomicUsize = AtomicUsize::new(0);

/// The server [`PgServer::shared`] hands out while some test holds it.
static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());

/// A running PostgreSQL server; stopped (`-m immediate`) and deleted when dropped.
pub struct PgServer {
    /// `initdb`, `pg_ctl`, … live here.
    bin: PathBuf,
    /// The data directory and socket directory's parent; removed on drop.
    dir: tempfile::TempDir,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// Whether the commands run through `runuser -u postgres` (we are root).
    as_postgres: bool,
}

impl PgServer {
    /// Starts a fresh server; `None` (after saying so) when PostgreSQL is not installed
    /// and the environment does not require it.
    pub fn start() -> Option<PgServer> {
        let Some(bin) = find_bin() else {
            assert!(
                std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "PostgreSQL is required (SWITCHBOARD_REQUIRE_POSTGRES=1) but no initdb was found \
                 under /usr/lib/postgresql/*/bin or on PATH; install the `postgresql` package"
            );
            // Straight to the process's stderr: libtest captures `eprintln!` of a passing
            // test, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n==== SKIPPED: PostgreSQL not installed (no initdb under \
                 /usr/lib/postgresql/*/bin or on PATH); install `postgresql` to run this test ====\n"
            );
            return None;
        };
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("sb-pg-")
            .tempdir()
            .expect("tempdir");
        if as_postgres {
            run_checked(
                Command::new("chown")
                    .args(["-R", "postgres:"])
                    .arg(dir.path()),
                "chown the test server's directory to postgres",
            );
        }
        let port = free_port();
        let server = PgServer {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = server.data();
        let out = server
            .pg("initdb")
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data)
            .output()
            .expect("run initdb");
        check(&out, "initdb");
        server.restart();
        Some(server)
    }

    /// A server shared by the tests running at the same time (each makes its own
    /// [`PgServer::database`]): `initdb` is most of a server's start-up cost. It stops when
    /// the last test holding it drops it; a test that stops or restarts the server must use
    /// [`PgServer::start`] instead.
    pub fn shared() -> Option<Arc<PgServer>> {
        let mut slot = SHARED.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(server) = slot.upgrade() {
            return Some(server);
        }
        let server = Arc::new(PgServer::start()?);
        *slot = Arc::downgrade(&server);
        Some(server)
    }

    /// The URL of the server's default database (empty in a fresh server).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// A command for one of PostgreSQL's programs, as the `postgres` user when root.
    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Starts the stopped server again, on the same port with the same data; returns once
    /// it accepts connections.
    pub fn restart(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let out = self
            .pg("pg_ctl")
            .args(["-w", "-t", PG_CTL_WAIT, "-D"])
            .arg(self.data())
            .arg("-l")
            .arg(self.log())
            .args(["-o", &options, "start"])
            .output()
            .expect("run pg_ctl start");
        if !out.status.success() {
            let log = std::fs::read_to_string(self.log()).unwrap_or_default();
            panic!(
                "pg_ctl start failed ({}):\n{}{}\nserver log:\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Stops the server (fast shutdown: connections are cut); [`PgServer::restart`] brings
    /// it back with its data.
    pub fn stop(&self) {
        let out = self
            .pg("pg_ctl")
            .args(["-w", "-t", PG_CTL_WAIT, "-m", "fast", "-D"])
            .arg(self.data())
            .arg("stop")
            .output()
            .expect("run pg_ctl stop");
        check(&out, "pg_ctl stop");
    }

    /// Creates a new empty database and returns its URL (one per test, so tests sharing a
    /// server never see each other's rows).
    pub async fn database(&self, label: &str) -> String {
        let n = NEXT_DB.fetch_add(1, Ordering::Relaxed);
        let name = format!("sb_{label}_{n}");
        let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("connect to the test server");
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        drop(client);
        let _ = task.await;
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // Immediate: nothing here needs a clean shutdown, and the directory goes next.
        let _ = self
            .pg("pg_ctl")
            .args(["-w", "-t", PG_CTL_WAIT, "-m", "immediate", "-D"])
            .arg(self.data())
            .arg("stop")
            .output();
    }
}

/// The directory holding `initdb`: the newest `/usr/lib/postgresql/N/bin`, else `initdb`'s
/// directory on `PATH`.
fn find_bin() -> Option<PathBuf> {
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A port nothing listens on now (bound and released; the server takes it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("find a free port")
        .port()
}

fn run_checked(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    check(&out, what);
}

fn check(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
