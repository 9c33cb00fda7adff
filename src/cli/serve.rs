//! `switchboard serve`: resolve the keys, load the flows, set up logging, and run the
//! webhook server ([`crate::http`]) until a signal.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::exit;
use super::secrets::{
    ADMIN_TOKEN_ENV, AUTH_TOKEN_ENV, METRICS_TOKEN_ENV, SECONDARY_AUTH_TOKEN_ENV,
    SHARED_KEY_SECRET_ENV, secret, secret_text,
};
use super::values::{parse_duration, parse_long_duration, parse_public_url};
use crate::calls::{self, DatabaseUrl};
use crate::flow;
use crate::http::{
    self, AdminToken, FlowStore, Limits, PublicUrl, ServerConfig, StoreError, Verification,
};
use crate::signature::Keys;

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Secrets (environment only, or a file; never a flag):
  TWILIO_AUTH_TOKEN            the account auth token Twilio signs with (or --auth-token-file)
  TWILIO_SECONDARY_AUTH_TOKEN  optional second token, accepted during a rotation
                               (or --secondary-auth-token-file)
  TWILIO_SHARED_KEY_SECRET     secret of the shared key named by --shared-key-id
                               (or --shared-key-file)
  SWITCHBOARD_ADMIN_TOKEN      bearer token of the records API under /api/ (or
                               --admin-token-file); without one the API is off
  SWITCHBOARD_METRICS_TOKEN    bearer token /metrics asks for (or --metrics-token-file);
                               without one /metrics is open, as Prometheus expects

Endpoints (GET or POST): /voice, /voice/{flow}/{step}, /status, /recording,
/transcription, /fallback; /healthz and /readyz for probes; /metrics for Prometheus; /api/calls,
/api/calls/{CallSid} and /api/recordings with the admin token. Every call and callback is
kept in --database (default sqlite:switchboard.db; docs/records.md). Logs are JSON lines
on stderr (filter: --log).

Reload: edits to the flows directory are picked up as they are saved (--no-watch turns
that off); SIGHUP reloads at once. A set with errors is refused and the previous flows keep
serving; /readyz shows why (docs/operations.md).

Examples:
  TWILIO_AUTH_TOKEN=... switchboard serve
  switchboard serve --listen 0.0.0.0:8080 --public-url https://ivr.example.com \\
      --auth-token-file /run/secrets/twilio_auth_token
  switchboard serve --insecure-skip-signature     # local experiments only",
        &[
            (exit::OK, "stopped by SIGTERM/SIGINT"),
            (exit::ERRORS, exit::FLOWS_HAVE_ERRORS),
            (
                exit::USAGE,
                "bad usage: no auth token, unreadable flows directory, bad flag",
            ),
            (
                exit::SERVER,
                "the server could not start (e.g. the address is in use)",
            ),
        ],
    )
}

/// `switchboard serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of flow files to serve.
    #[arg(
        long,
        env = "SWITCHBOARD_FLOWS",
        value_name = "DIR",
        default_value = "flows"
    )]
    pub flows: PathBuf,
    /// Don't watch the flows directory for changes; reload only on SIGHUP (or --reload-poll).
    #[arg(long, env = "SWITCHBOARD_NO_WATCH", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_watch: bool,
    /// Also check the flows directory for changes this often (e.g. 5s), for filesystems that
    /// send no change events (NFS, some container mounts). Works with --no-watch.
    #[arg(long, env = "SWITCHBOARD_RELOAD_POLL", value_name = "DURATION", value_parser = parse_reload_poll)]
    pub reload_poll: Option<Duration>,
    /// Address to listen on, IP:PORT (`0.0.0.0:8080` for every interface).
    #[arg(
        long,
        env = "SWITCHBOARD_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// The base URL Twilio uses, e.g. `https://ivr.example.com` (a path prefix is allowed).
    /// Signatures are checked against it and action URLs are built from it. Without it,
    /// signatures are checked against http://{Host} and action URLs are relative: only for
    /// local tests.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<PublicUrl>,
    /// Without --public-url, take scheme and host from X-Forwarded-Proto/X-Forwarded-Host.
    /// Only behind a proxy that overwrites them: the signature cannot vouch for them.
    #[arg(long, env = "SWITCHBOARD_TRUST_FORWARDED", value_parser = clap::builder::FalseyValueParser::new())]
    pub trust_forwarded: bool,
    /// Read the auth token from this file (a secret mount) instead of TWILIO_AUTH_TOKEN.
    #[arg(long, env = "SWITCHBOARD_AUTH_TOKEN_FILE", value_name = "PATH")]
    pub auth_token_file: Option<PathBuf>,
    /// Read the secondary auth token (rotation) from this file.
    #[arg(
        long,
        env = "SWITCHBOARD_SECONDARY_AUTH_TOKEN_FILE",
        value_name = "PATH"
    )]
    pub secondary_auth_token_file: Option<PathBuf>,
    /// Id of a Twilio shared key (KS…) for HMAC-SHA256 signatures; its secret comes from
    /// TWILIO_SHARED_KEY_SECRET or --shared-key-file.
    #[arg(long, env = "SWITCHBOARD_SHARED_KEY_ID", value_name = "ID")]
    pub shared_key_id: Option<String>,
    /// Read the shared-key secret from this file.
    #[arg(long, env = "SWITCHBOARD_SHARED_KEY_FILE", value_name = "PATH")]
    pub shared_key_file: Option<PathBuf>,
    /// Read the records API's bearer token from this file instead of SWITCHBOARD_ADMIN_TOKEN.
    /// Without either, /api/… answers 404.
    #[arg(long, env = "SWITCHBOARD_ADMIN_TOKEN_FILE", value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// Read /metrics' bearer token from this file instead of SWITCHBOARD_METRICS_TOKEN.
    /// Without either, /metrics needs no token.
    #[arg(long, env = "SWITCHBOARD_METRICS_TOKEN_FILE", value_name = "PATH")]
    pub metrics_token_file: Option<PathBuf>,
    /// Accept unsigned webhooks. For local experiments only: anyone who can reach the server
    /// can then drive calls. Deliberately a flag only, with no environment variable, so it
    /// cannot be switched on by a forgotten setting.
    #[arg(long)]
    pub insecure_skip_signature: bool,
    /// Largest request body accepted, in bytes (413 above it).
    #[arg(long, env = "SWITCHBOARD_BODY_LIMIT", value_name = "BYTES", default_value_t = 64 * 1024,
          value_parser = parse_body_limit)]
    pub body_limit: usize,
    /// Largest request head (request line and headers), in bytes (431 above it).
    #[arg(long, env = "SWITCHBOARD_MAX_HEADER_BYTES", value_name = "BYTES", default_value_t = 16 * 1024,
          value_parser = parse_header_bytes)]
    pub max_header_bytes: usize,
    /// Time a client has to send its request head; also the keep-alive idle timeout.
    #[arg(long, env = "SWITCHBOARD_HEADER_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Time to read a body and answer (408 after it). Twilio gives up after 15s.
    #[arg(long, env = "SWITCHBOARD_REQUEST_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// On SIGTERM/SIGINT, how long in-flight requests may take to finish.
    #[arg(long, env = "SWITCHBOARD_SHUTDOWN_GRACE", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// How long an answer may wait for a client that does not read it before the connection
    /// is closed.
    #[arg(long, env = "SWITCHBOARD_WRITE_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub write_timeout: Duration,
    /// Open connections at most; more wait in the accept queue. Keep it below the descriptor
    /// limit (`ulimit -n`), with room for flow files and logs.
    #[arg(long, env = "SWITCHBOARD_MAX_CONNECTIONS", value_name = "N", default_value = "768",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Requests answered on one keep-alive connection; the last answer closes it.
    #[arg(long, env = "SWITCHBOARD_MAX_REQUESTS_PER_CONNECTION", value_name = "N",
          default_value = "1000", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests_per_connection: u64,
    /// How long flow files must hold still before a reload uses them: a file saved in place
    /// is never served half-written (0 turns it off; renaming a finished file into place is
    /// always safe).
    #[arg(long, env = "SWITCHBOARD_RELOAD_SETTLE", value_name = "DURATION", default_value = "200ms",
          value_parser = parse_duration)]
    pub reload_settle: Duration,
    /// What callers hear when something goes wrong (run-time failures, /fallback).
    #[arg(long, env = "SWITCHBOARD_APOLOGY", value_name = "TEXT")]
    pub apology: Option<String>,
    /// E.164 number /fallback forwards callers to after the apology (else it hangs up).
    #[arg(long, env = "SWITCHBOARD_FALLBACK_OPERATOR", value_name = "NUMBER", value_parser = parse_e164)]
    pub fallback_operator: Option<String>,
    /// Where call records are kept: `sqlite:PATH` (created on first start), `postgres://…`
    /// (shared by replicas) or `none` (keep no records). See docs/records.md.
    #[arg(long, env = "SWITCHBOARD_DATABASE", value_name = "URL", default_value = calls::DEFAULT_DATABASE,
          value_parser = super::values::DatabaseParser)]
    pub database: DatabaseUrl,
    /// Local directory for records the database cannot take right now (replayed when it is
    /// back). Default: `PATH.spool` beside a SQLite database, `switchboard-spool` for
    /// PostgreSQL. Put it on another disk than the database. One per replica.
    #[arg(long, env = "SWITCHBOARD_SPOOL", value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Most bytes the spool may hold; past it, callbacks are refused with 503.
    #[arg(long, env = "SWITCHBOARD_SPOOL_MAX", value_name = "BYTES", default_value_t = 1 << 30,
          value_parser = clap::value_parser!(u64).range(4096..))]
    pub spool_max: u64,
    /// This server's name in call records (default: the host name).
    #[arg(long, env = "SWITCHBOARD_REPLICA", value_name = "NAME")]
    pub replica: Option<String>,
    /// A commit slower than this goes to the spool instead.
    #[arg(long, env = "SWITCHBOARD_COMMIT_TIMEOUT", value_name = "DURATION", default_value = "2s",
          value_parser = parse_duration)]
    pub commit_timeout: Duration,
    /// Calls with no final status and no news for this long are closed as `unknown`.
    #[arg(long, env = "SWITCHBOARD_CLOSE_AFTER", value_name = "DURATION", default_value = "4h",
          value_parser = parse_nonzero_long_duration)]
    pub close_after: Duration,
    /// Calls older than this are deleted in the background; `0` keeps everything.
    #[arg(long, env = "SWITCHBOARD_RETENTION", value_name = "DURATION", default_value = "30d",
          value_parser = parse_long_duration)]
    pub retention: Duration,
    /// Notifications: retries, waits and the SMTP relay (docs/notifications.md).
    #[command(flatten)]
    pub notify: super::notifications::NotifyArgs,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `switchboard=debug`.
    #[arg(
        long,
        env = "SWITCHBOARD_LOG",
        value_name = "FILTER",
        default_value = "info"
    )]
    pub log: String,
}

/// `switchboard serve`: resolve secrets, load the flows, serve until a signal. `env` reads
/// environment variables (tests pass their own).
pub fn run(args: &Args, env: &dyn Fn(&str) -> Option<String>, err: &mut dyn Write) -> i32 {
    let verification = match verification(args, env) {
        Ok(v) => v,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let notify = match args.notify.settings(env) {
        Ok(s) => s,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let (admin_token, metrics_token) = match (admin_token(args, env), metrics_token(args, env)) {
        (Ok(a), Ok(m)) => (a, m),
        (Err(msg), _) | (_, Err(msg)) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let filter = match tracing_subscriber::EnvFilter::try_new(&args.log) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(err, "error: invalid --log filter {:?}: {e}", args.log);
            return exit::USAGE;
        }
    };
    // JSON lines on stderr. `try_init` fails only if a subscriber is already installed (an
    // embedding program's), which is then used instead.
    // `JsonLines` writes what `.json().flatten_event(true)` without spans writes, cheaper:
    // one line per request is on the hot path (src/http/logline.rs).
    let _ = tracing_subscriber::fmt()
        .event_format(http::logline::JsonLines)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();

    let (store, report) = match FlowStore::open(&args.flows) {
        Ok(ok) => ok,
        Err(StoreError::Invalid(failed)) => {
            let _ = writeln!(err, "{}\n{}", failed.diagnostics, failed.summary);
            let _ = writeln!(err, "error: not serving flows with errors");
            return exit::ERRORS;
        }
        Err(e @ (StoreError::Unreadable(_) | StoreError::Unsettled { .. })) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    if !report.warnings.is_empty() {
        let _ = writeln!(err, "{}", report.warnings);
    }
    let served = store.current();
    tracing::info!(
        dir = %args.flows.display(),
        flows = served.flows,
        steps = served.steps,
        warnings = served.warnings,
        load_ms = served.load_time.as_secs_f64() * 1000.0,
        "flows loaded"
    );
    drop(served);

    match &verification {
        Verification::InsecureSkip => tracing::warn!(
            "SIGNATURE VERIFICATION IS DISABLED (--insecure-skip-signature): anyone who can \
             reach this server can drive calls. For local experiments only."
        ),
        Verification::Required(keys) => tracing::info!(
            auth_tokens = keys.auth_tokens.len(),
            shared_keys = keys.shared_keys.len(),
            "verifying X-Twilio-Signature"
        ),
    }
    match (&args.public_url, args.trust_forwarded) {
        (Some(url), trust) => {
            if trust {
                tracing::warn!("--trust-forwarded is ignored: --public-url is set");
            }
            tracing::info!(public_url = %url, "action URLs and signatures use the public URL");
        }
        (None, true) => tracing::warn!(
            "no --public-url: signatures are checked against X-Forwarded-Proto/Host \
             (--trust-forwarded); make sure the proxy overwrites them"
        ),
        (None, false) => tracing::warn!(
            "no --public-url: signatures are checked against http://{{Host}} and action URLs \
             are relative; set --public-url for anything but local tests"
        ),
    }

    let mut config = ServerConfig::new(verification);
    config.public_url = args.public_url.clone();
    config.trust_forwarded = args.trust_forwarded && args.public_url.is_none();
    config.limits = Limits {
        body_bytes: args.body_limit,
        max_header_bytes: args.max_header_bytes,
        header_read_timeout: args.header_timeout,
        request_timeout: args.request_timeout,
        shutdown_grace: args.shutdown_grace,
        write_timeout: args.write_timeout,
        max_connections: args.max_connections as usize,
        max_requests_per_connection: args.max_requests_per_connection,
        ..Limits::default()
    };
    if let Some(a) = &args.apology {
        config.apology = a.clone();
    }
    config.fallback_operator = args.fallback_operator.clone();
    if admin_token.is_some() {
        tracing::info!("records API on /api/ (bearer token), console on /console/");
    }
    config.console = Some(super::console::views());
    config.admin_token = admin_token;
    config.notify = notify;
    tracing::info!(
        token = metrics_token.is_some(),
        "Prometheus metrics on /metrics"
    );
    config.metrics_token = metrics_token;

    let reload = http::reload::Options {
        watch: !args.no_watch,
        poll: args.reload_poll,
        ..http::reload::Options::default()
    };
    // A panic is caught per request (the caller still gets the safe document); this makes
    // its report one JSON log line like every other, instead of raw text in the log stream.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(panic = %message, location = location.as_deref().unwrap_or("?"), "panic");
    }));
    let store = store.settle(args.reload_settle);
    let records = store_options(args);
    match http::run(
        Arc::new(store),
        config,
        args.listen,
        &reload,
        records.as_ref(),
    ) {
        Ok(report) => {
            tracing::info!(drained = report.drained, "stopped");
            exit::OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            exit::SERVER
        }
    }
}

/// The keys from the environment and files, or the refusal to start without any.
/// The call store's settings from the flags; `None` for `--database none`.
fn store_options(args: &Args) -> Option<calls::StoreOptions> {
    let spool = match (&args.spool, &args.database) {
        (Some(dir), _) => dir.clone(),
        (None, DatabaseUrl::Sqlite(path)) => {
            let mut p = path.clone().into_os_string();
            p.push(".spool");
            PathBuf::from(p)
        }
        (None, DatabaseUrl::Postgres(_)) => PathBuf::from("switchboard-spool"),
        (None, DatabaseUrl::None) => return None,
    };
    let replica = args.replica.clone().unwrap_or_else(host_name);
    Some(calls::StoreOptions {
        database: args.database.clone(),
        spool,
        spool_max: args.spool_max,
        recorder: calls::RecorderConfig {
            replica,
            commit_timeout: args.commit_timeout,
            close_after: args.close_after,
            retention: (!args.retention.is_zero()).then_some(args.retention),
            ..calls::RecorderConfig::default()
        },
    })
}

/// The kernel's host name, or `switchboard`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "switchboard".into())
}

fn parse_nonzero_long_duration(s: &str) -> Result<Duration, String> {
    match parse_long_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

fn verification(args: &Args, env: &dyn Fn(&str) -> Option<String>) -> Result<Verification, String> {
    let primary = secret(
        AUTH_TOKEN_ENV,
        "--auth-token-file",
        args.auth_token_file.as_deref(),
        env,
    )?;
    let secondary = secret(
        SECONDARY_AUTH_TOKEN_ENV,
        "--secondary-auth-token-file",
        args.secondary_auth_token_file.as_deref(),
        env,
    )?;
    let shared = secret(
        SHARED_KEY_SECRET_ENV,
        "--shared-key-file",
        args.shared_key_file.as_deref(),
        env,
    )?;
    let shared_keys = match (&args.shared_key_id, shared) {
        (Some(id), Some(secret)) => vec![(id.clone(), secret)],
        (None, None) => vec![],
        (Some(_), None) => {
            return Err(format!(
                "error: --shared-key-id needs its secret in {SHARED_KEY_SECRET_ENV} or --shared-key-file"
            ));
        }
        (None, Some(_)) => {
            return Err("error: a shared-key secret is set but --shared-key-id is not".into());
        }
    };
    if secondary.is_some() && primary.is_none() {
        return Err(format!(
            "error: {SECONDARY_AUTH_TOKEN_ENV} is set but {AUTH_TOKEN_ENV} is not; set the primary token too"
        ));
    }
    if args.insecure_skip_signature {
        return Ok(Verification::InsecureSkip);
    }
    if primary.is_none() {
        return Err(format!(
            "error: no Twilio auth token: `serve` checks every webhook's X-Twilio-Signature and \
             will not start without one\n\
             \x20 help: export {AUTH_TOKEN_ENV}=<your auth token> (Twilio Console, Account \
             Info), or pass --auth-token-file PATH (e.g. a secret mount)\n\
             \x20 help: for local experiments only, --insecure-skip-signature accepts unsigned \
             requests"
        ));
    }
    Ok(Verification::Required(Keys {
        auth_tokens: primary.into_iter().chain(secondary).collect(),
        shared_keys,
    }))
}

/// The records API's token from [`ADMIN_TOKEN_ENV`] or `--admin-token-file`; `None`: the
/// API is off.
fn admin_token(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AdminToken>, String> {
    let file = args.admin_token_file.as_deref();
    bearer_token(ADMIN_TOKEN_ENV, "--admin-token-file", file, env)
}

/// `/metrics`' token from [`METRICS_TOKEN_ENV`] or `--metrics-token-file`; `None`: open.
fn metrics_token(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AdminToken>, String> {
    let file = args.metrics_token_file.as_deref();
    bearer_token(METRICS_TOKEN_ENV, "--metrics-token-file", file, env)
}

/// A bearer token from `env_name` or the file `flag` names.
fn bearer_token(
    env_name: &str,
    flag: &str,
    file: Option<&std::path::Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<AdminToken>, String> {
    let text = secret_text(env_name, flag, file, env)?;
    // `secret_text` already refuses an empty file and skips an empty variable.
    Ok(text.as_deref().and_then(AdminToken::new))
}

fn parse_e164(s: &str) -> Result<String, String> {
    if flow::compile::is_e164(s) {
        Ok(s.to_owned())
    } else {
        Err("expected an E.164 number such as +14155550100".into())
    }
}

/// `--body-limit`: bytes, 1 KiB to 16 MiB.
fn parse_body_limit(s: &str) -> Result<usize, String> {
    parse_bytes_in(s, &(1024..=16 * 1024 * 1024))
}

/// `--max-header-bytes`: bytes within what hyper's connection builder accepts.
fn parse_header_bytes(s: &str) -> Result<usize, String> {
    parse_bytes_in(s, &http::HEADER_BYTES_RANGE)
}

/// A number of bytes within `range`.
fn parse_bytes_in(s: &str, range: &std::ops::RangeInclusive<usize>) -> Result<usize, String> {
    let n: usize = s
        .parse()
        .map_err(|_| "expected a number of bytes".to_string())?;
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "must be between {} and {}",
            range.start(),
            range.end()
        ))
    }
}

/// `--reload-poll`: a duration of at least [`http::reload::MIN_POLL`].
fn parse_reload_poll(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < http::reload::MIN_POLL {
        return Err(format!(
            "must be at least {}ms",
            http::reload::MIN_POLL.as_millis()
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command, env_of};

    fn serve_args(extra: &[&str]) -> Args {
        let mut argv = vec!["switchboard", "serve"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Serve(a) => *a,
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = serve_args(&[]);
        assert_eq!(a.flows, PathBuf::from("flows"));
        assert_eq!(a.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(a.body_limit, 65536);
        assert!(a.public_url.is_none());
        assert!(!a.trust_forwarded && !a.insecure_skip_signature);
        assert!(!a.no_watch && a.reload_poll.is_none());
    }

    #[test]
    fn reload_flags() {
        let a = serve_args(&["--no-watch", "--reload-poll", "5"]);
        assert!(a.no_watch);
        assert_eq!(a.reload_poll, Some(Duration::from_secs(5)));
        let a = serve_args(&["--reload-poll", "250ms"]);
        assert_eq!(a.reload_poll, Some(Duration::from_millis(250)));
        for bad in ["50ms", "0", "soon"] {
            let argv = ["switchboard", "serve", "--reload-poll", bad];
            assert!(Cli::try_parse_from(argv).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_to_start_without_a_token() {
        let a = serve_args(&[]);
        let msg = verification(&a, &env_of(&[])).unwrap_err();
        assert!(msg.contains("TWILIO_AUTH_TOKEN"), "{msg}");
        assert!(msg.contains("--auth-token-file"), "{msg}");
        assert!(msg.contains("--insecure-skip-signature"), "{msg}");
        // An empty variable is no token either.
        let msg = verification(&a, &env_of(&[("TWILIO_AUTH_TOKEN", " ")])).unwrap_err();
        assert!(msg.contains("no Twilio auth token"), "{msg}");

        let insecure = serve_args(&["--insecure-skip-signature"]);
        assert!(matches!(
            verification(&insecure, &env_of(&[])),
            Ok(Verification::InsecureSkip)
        ));
    }

    #[test]
    fn tokens_from_env_and_files() {
        let a = serve_args(&[]);
        let env = env_of(&[
            ("TWILIO_AUTH_TOKEN", "tok-primary\n"),
            ("TWILIO_SECONDARY_AUTH_TOKEN", "tok-secondary"),
        ]);
        match verification(&a, &env).unwrap() {
            Verification::Required(k) => assert_eq!(k.auth_tokens.len(), 2),
            other => panic!("{other:?}"),
        }

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "tok-from-file\n").unwrap();
        let path = file.to_str().unwrap();
        let a = serve_args(&["--auth-token-file", path]);
        assert!(matches!(
            verification(&a, &env_of(&[])),
            Ok(Verification::Required(_))
        ));
        // Both sources: ambiguous, refused, and the message does not echo the token.
        let msg = verification(&a, &env_of(&[("TWILIO_AUTH_TOKEN", "tok-primary")])).unwrap_err();
        assert!(msg.contains("use one") && !msg.contains("tok-"), "{msg}");

        std::fs::write(&file, "\n").unwrap();
        let msg = verification(&a, &env_of(&[])).unwrap_err();
        assert!(msg.contains("is empty"), "{msg}");

        // A shared key needs both its id and its secret.
        let a = serve_args(&["--shared-key-id", "KS1"]);
        let msg = verification(&a, &env_of(&[("TWILIO_AUTH_TOKEN", "tok-primary")])).unwrap_err();
        assert!(msg.contains("TWILIO_SHARED_KEY_SECRET"), "{msg}");
        let env = env_of(&[
            ("TWILIO_AUTH_TOKEN", "tok-primary"),
            ("TWILIO_SHARED_KEY_SECRET", "shh"),
        ]);
        match verification(&a, &env).unwrap() {
            Verification::Required(k) => assert_eq!(k.shared_keys.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn admin_token_from_env_or_file() {
        let a = serve_args(&[]);
        assert!(admin_token(&a, &env_of(&[])).unwrap().is_none());
        assert!(
            admin_token(&a, &env_of(&[("SWITCHBOARD_ADMIN_TOKEN", " ")]))
                .unwrap()
                .is_none()
        );
        let t = admin_token(&a, &env_of(&[("SWITCHBOARD_ADMIN_TOKEN", "adm-1\n")])).unwrap();
        assert_eq!(format!("{t:?}"), "Some(AdminToken([redacted]))");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin");
        std::fs::write(&file, "adm-file\n").unwrap();
        let a = serve_args(&["--admin-token-file", file.to_str().unwrap()]);
        assert!(admin_token(&a, &env_of(&[])).unwrap().is_some());
        let msg = admin_token(&a, &env_of(&[("SWITCHBOARD_ADMIN_TOKEN", "adm-1")])).unwrap_err();
        assert!(msg.contains("use one") && !msg.contains("adm-"), "{msg}");
        std::fs::write(&file, " \n").unwrap();
        let msg = admin_token(&a, &env_of(&[])).unwrap_err();
        assert!(msg.contains("is empty"), "{msg}");
    }

    #[test]
    fn metrics_token_from_env_or_file() {
        let a = serve_args(&[]);
        assert!(metrics_token(&a, &env_of(&[])).unwrap().is_none());
        let env = env_of(&[("SWITCHBOARD_METRICS_TOKEN", "met-1\n")]);
        assert!(metrics_token(&a, &env).unwrap().is_some());
        // The admin token is another secret: it does not open /metrics.
        assert!(admin_token(&a, &env).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("metrics");
        std::fs::write(&file, "met-file\n").unwrap();
        let a = serve_args(&["--metrics-token-file", file.to_str().unwrap()]);
        assert!(metrics_token(&a, &env_of(&[])).unwrap().is_some());
        let msg = metrics_token(&a, &env).unwrap_err();
        assert!(msg.contains("use one") && !msg.contains("met-"), "{msg}");
    }

    #[test]
    fn flag_validation() {
        for bad in [
            &["--public-url", "ivr.example.com"][..],
            &["--public-url", "https://u:p@ivr.example.com"],
            &["--fallback-operator", "555-0100"],
            &["--body-limit", "10"],
            &["--max-header-bytes", "100"],
            &["--header-timeout", "0s"],
            &["--listen", "localhost"],
        ] {
            let mut argv = vec!["switchboard", "serve"];
            argv.extend_from_slice(bad);
            assert!(Cli::try_parse_from(argv).is_err(), "{bad:?}");
        }
        let a = serve_args(&[
            "--public-url",
            "https://ivr.example.com/",
            "--trust-forwarded",
        ]);
        assert_eq!(
            a.public_url.as_ref().map(|u| u.as_str()),
            Some("https://ivr.example.com")
        );
        assert!(a.trust_forwarded);
    }
}
