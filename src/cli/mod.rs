//! The command line: argument definitions (one per flag) and the subcommands. `main.rs` only
//! calls [`main`] and exits with the code it returns.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::render_json;
use crate::flow;
use crate::http::{self, FlowStore, Limits, PublicUrl, ServerConfig, StoreError, Verification};
use crate::signature::{self, Keys, Secret};

/// Exit codes (stable; documented in `--help`).
pub mod exit {
    /// Success: no errors (and no warnings with `--deny-warnings`).
    pub const OK: i32 = 0;
    /// The flows have errors.
    pub const ERRORS: i32 = 1;
    /// Bad usage, or a path that cannot be read.
    pub const USAGE: i32 = 2;
    /// Warnings only, with `--deny-warnings`.
    pub const WARNINGS: i32 = 3;
    /// `serve`: the server could not start (e.g. the address is in use).
    pub const SERVER: i32 = 4;
}

/// switchboard: a self-hosted Twilio voice router driven by YAML flow files.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check flow files exactly as the server loads them, and report every problem.
    #[command(after_help = FLOW_CHECK_HELP)]
    FlowCheck(FlowCheckArgs),
    /// Run a call through the flows in-process (no server, no network) and show what the
    /// caller hears, which rules match and why, and the step path.
    #[command(after_help = crate::tools::simulate::HELP)]
    Simulate(crate::tools::simulate::Args),
    /// Place a signed call against a running server over HTTP, as Twilio would, and show the
    /// same transcript as `simulate` (the smoke test after a deploy).
    #[command(after_help = crate::tools::call::HELP)]
    Call(Box<crate::tools::call::Args>),
    /// Run flow tests (YAML files of simulated calls and what must happen).
    #[command(after_help = crate::tools::flowtest::HELP)]
    Test(crate::tools::flowtest::Args),
    /// Draw a flow as a Mermaid or Graphviz diagram.
    #[command(after_help = crate::tools::graph::HELP)]
    Graph(crate::tools::graph::Args),
    /// Print the JSON Schema of flow files (or of flow-test files), for editors.
    #[command(after_help = crate::tools::schema::HELP)]
    Schema(crate::tools::schema::Args),
    /// Serve the flows to Twilio: the webhook server.
    #[command(after_help = SERVE_HELP)]
    Serve(Box<ServeArgs>),
    /// Print the X-Twilio-Signature Twilio would send, to place signed test requests.
    #[command(after_help = SIGN_HELP)]
    Sign(SignArgs),
}

const FLOW_CHECK_HELP: &str = "\
Examples:
  switchboard flow-check                 # checks ./flows
  switchboard flow-check flows/ extra.yaml --format json
  switchboard flow-check --deny-warnings

Exit codes:
  0  no errors (warnings allowed unless --deny-warnings)
  1  at least one error
  2  bad usage, or a path that cannot be read
  3  warnings only, with --deny-warnings";

/// `switchboard flow-check`.
#[derive(Debug, clap::Args)]
pub struct FlowCheckArgs {
    /// Flow directories or files, checked together as one set [default: flows]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with code 3 when there are warnings but no errors.
    #[arg(long)]
    pub deny_warnings: bool,
}

/// How `flow-check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style text with source lines and carets.
    Human,
    /// One JSON object: diagnostics and summary.
    Json,
}

/// Parses arguments and runs; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::FlowCheck(args) => {
            flow_check(&args, &mut std::io::stdout(), &mut std::io::stderr())
        }
        Command::Simulate(args) => {
            use std::io::IsTerminal as _;
            let stdin = std::io::stdin();
            let tty = stdin.is_terminal();
            crate::tools::simulate::command(
                &args,
                &mut stdin.lock(),
                tty,
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            )
        }
        Command::Call(args) => crate::tools::call::command(
            &args,
            &process_env,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        ),
        Command::Test(args) => {
            crate::tools::flowtest::command(&args, &mut std::io::stdout(), &mut std::io::stderr())
        }
        Command::Graph(args) => {
            crate::tools::graph::command(&args, &mut std::io::stdout(), &mut std::io::stderr())
        }
        Command::Schema(args) => crate::tools::schema::command(&args, &mut std::io::stdout()),
        Command::Serve(args) => serve(&args, &process_env, &mut std::io::stderr()),
        Command::Sign(args) => sign(
            &args,
            &process_env,
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        ),
    }
}

/// `switchboard flow-check`: load with the server's loader, print, pick the exit code.
pub fn flow_check(
    args: &FlowCheckArgs,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("flows")]
    } else {
        args.paths.clone()
    };
    let what = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let loaded = match flow::load_paths(&paths) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    let summary = loaded.summary(&what);
    match args.format {
        Format::Human => {
            let text = loaded.render_diagnostics();
            if !text.is_empty() {
                let _ = writeln!(out, "{text}");
            }
            let _ = writeln!(out, "{summary}");
        }
        Format::Json => {
            let v = serde_json::json!({
                "diagnostics": render_json(&loaded.diagnostics),
                "summary": {
                    "files": loaded.files,
                    "flows": loaded.flow_count(),
                    "steps": loaded.step_count(),
                    "errors": loaded.errors(),
                    "warnings": loaded.warnings(),
                },
            });
            let _ = writeln!(out, "{v:#}");
        }
    }
    if loaded.errors() > 0 {
        exit::ERRORS
    } else if args.deny_warnings && loaded.warnings() > 0 {
        exit::WARNINGS
    } else {
        exit::OK
    }
}

// ---------------------------------------------------------------------------------------------
// `switchboard serve` and `switchboard sign`
// ---------------------------------------------------------------------------------------------

/// Where the primary auth token comes from (never a flag: flags show up in `ps`).
pub const AUTH_TOKEN_ENV: &str = "TWILIO_AUTH_TOKEN";
/// The secondary auth token, accepted alongside the primary during a rotation.
pub const SECONDARY_AUTH_TOKEN_ENV: &str = "TWILIO_SECONDARY_AUTH_TOKEN";
/// The shared-key secret for HMAC-SHA256 signatures (`--shared-key-id` names it).
pub const SHARED_KEY_SECRET_ENV: &str = "TWILIO_SHARED_KEY_SECRET";

const SERVE_HELP: &str = "\
Secrets (environment only, or a file; never a flag):
  TWILIO_AUTH_TOKEN            the account auth token Twilio signs with (or --auth-token-file)
  TWILIO_SECONDARY_AUTH_TOKEN  optional second token, accepted during a rotation
                               (or --secondary-auth-token-file)
  TWILIO_SHARED_KEY_SECRET     secret of the shared key named by --shared-key-id
                               (or --shared-key-file)

Endpoints (GET or POST): /voice, /voice/{flow}/{step}, /status, /recording, /fallback;
/healthz and /readyz for probes. Logs are JSON lines on stderr (filter: --log).

Reload: edits to the flows directory are picked up as they are saved (--no-watch turns
that off); SIGHUP reloads at once. A set with errors is refused and the previous flows keep
serving; /readyz shows why (docs/operations.md).

Examples:
  TWILIO_AUTH_TOKEN=... switchboard serve
  switchboard serve --listen 0.0.0.0:8080 --public-url https://ivr.example.com \\
      --auth-token-file /run/secrets/twilio_auth_token
  switchboard serve --insecure-skip-signature     # local experiments only

Exit codes:
  0  stopped by SIGTERM/SIGINT
  1  the flows have errors
  2  bad usage: no auth token, unreadable flows directory, bad flag
  4  the server could not start (e.g. the address is in use)";

const SIGN_HELP: &str = "\
Example (a signed test call against a local `switchboard serve`):
  URL=http://127.0.0.1:8080/voice
  BODY='CallSid=CA00000000000000000000000000000001&From=%2B12025550143&To=%2B14155550100'
  curl -sS \"$URL\" --data \"$BODY\" \\
    -H \"X-Twilio-Signature: $(switchboard sign --url \"$URL\" --data \"$BODY\")\"

The URL must be exactly the one the server rebuilds: its --public-url (or http://{Host}
without one) followed by the path and query.";

/// `switchboard serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
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
    /// What callers hear when something goes wrong (run-time failures, /fallback).
    #[arg(long, env = "SWITCHBOARD_APOLOGY", value_name = "TEXT")]
    pub apology: Option<String>,
    /// E.164 number /fallback forwards callers to after the apology (else it hangs up).
    #[arg(long, env = "SWITCHBOARD_FALLBACK_OPERATOR", value_name = "NUMBER", value_parser = parse_e164)]
    pub fallback_operator: Option<String>,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `switchboard=debug`.
    #[arg(
        long,
        env = "SWITCHBOARD_LOG",
        value_name = "FILTER",
        default_value = "info"
    )]
    pub log: String,
}

/// `switchboard sign`.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The full URL Twilio requests: the server's public URL, path and query, exactly as sent.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The form-encoded POST body exactly as sent (what `curl --data` sends). Omit for GET.
    #[arg(short = 'd', long = "data", value_name = "BODY")]
    pub data: Option<String>,
    /// Environment variable that holds the auth token.
    #[arg(long, value_name = "NAME", default_value = AUTH_TOKEN_ENV)]
    pub token_env: String,
    /// Read the auth token from this file instead.
    #[arg(long, value_name = "PATH")]
    pub auth_token_file: Option<PathBuf>,
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// `switchboard serve`: resolve secrets, load the flows, serve until a signal. `env` reads
/// environment variables (tests pass their own).
pub fn serve(
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
    err: &mut dyn std::io::Write,
) -> i32 {
    let verification = match verification(args, env) {
        Ok(v) => v,
        Err(msg) => {
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
        Err(StoreError::Unreadable(e)) => {
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
    };
    if let Some(a) = &args.apology {
        config.apology = a.clone();
    }
    config.fallback_operator = args.fallback_operator.clone();

    let reload = http::reload::Options {
        watch: !args.no_watch,
        poll: args.reload_poll,
        ..http::reload::Options::default()
    };
    match http::run(Arc::new(store), config, args.listen, &reload) {
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
fn verification(
    args: &ServeArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Verification, String> {
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

/// A secret from an environment variable or a file (not both); `None` when neither is set.
/// Error messages name the variable or path, never the value.
pub(crate) fn secret(
    env_name: &str,
    file_flag: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, String> {
    let from_env = env(env_name).filter(|v| !v.trim().is_empty());
    match (from_env, file) {
        (Some(_), Some(_)) => Err(format!(
            "error: both {env_name} and {file_flag} are set; use one"
        )),
        (Some(v), None) => Ok(Some(Secret::new(v.trim()))),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("error: cannot read {file_flag} {}: {e}", path.display()))?;
            // Secret mounts and `echo > file` leave a trailing newline; tokens have no spaces.
            let text = text.trim();
            if text.is_empty() {
                return Err(format!("error: {file_flag} {} is empty", path.display()));
            }
            Ok(Some(Secret::new(text)))
        }
        (None, None) => Ok(None),
    }
}

/// `switchboard sign`: prints the signature for `--url` and `--data`.
pub fn sign(
    args: &SignArgs,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    let token = match secret(
        &args.token_env,
        "--auth-token-file",
        args.auth_token_file.as_deref(),
        env,
    ) {
        Ok(Some(t)) => t,
        Ok(None) => {
            let _ = writeln!(
                err,
                "error: no auth token: set {} or pass --auth-token-file",
                args.token_env
            );
            return exit::USAGE;
        }
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let params = match &args.data {
        Some(body) => match crate::form::parse(body.as_bytes()) {
            Ok(p) => p,
            Err(e) => {
                let _ = writeln!(err, "error: --data: {e}");
                return exit::USAGE;
            }
        },
        None => Vec::new(),
    };
    let _ = writeln!(out, "{}", signature::sign(&token, &args.url, &params));
    exit::OK
}

fn parse_public_url(s: &str) -> Result<PublicUrl, String> {
    PublicUrl::parse(s).map_err(|e| e.to_string())
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

/// `250ms`, `10s`, `2m`, or a bare number of seconds; more than zero, at most an hour.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 500ms, 10s or 2m"))?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("invalid duration {s:?}: units are ms, s and m")),
    };
    if d.is_zero() || d > Duration::from_secs(3600) {
        return Err(format!("duration {s:?} must be more than 0 and at most 1h"));
    }
    Ok(d)
}

#[cfg(test)]
mod serve_tests {
    use super::*;

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["switchboard", "serve"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Serve(a) => *a,
            other => panic!("parsed {other:?}"),
        }
    }

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in ["", "0s", "s", "10h", "-1s", "1.5s", "2h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
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

    #[test]
    fn sign_prints_the_fixture_signature() {
        // tests/data/webhooks/README.md: incoming-call.form on https://ivr.example.com/voice.
        let body = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/webhooks/incoming-call.form"
        ))
        .unwrap();
        let args = SignArgs {
            url: "https://ivr.example.com/voice".into(),
            data: Some(body),
            token_env: "TOKEN".into(),
            auth_token_file: None,
        };
        let env = env_of(&[("TOKEN", "c4851beb21d4a12c322718f7dc11b6e4")]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(sign(&args, &env, &mut out, &mut err), exit::OK);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "bpcVev1+GWUH8Y9Z2lUvUseuTh4=\n"
        );

        let mut err = Vec::new();
        let code = sign(&args, &env_of(&[]), &mut Vec::new(), &mut err);
        assert_eq!(code, exit::USAGE);
        assert!(String::from_utf8(err).unwrap().contains("TOKEN"));
    }
}
