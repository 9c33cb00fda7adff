//! `switchboard call`: `simulate`'s call, placed against a running server over HTTP
//! ([`crate::tools::call`]).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;

use super::exit;
use super::secrets::{AUTH_TOKEN_ENV, auth_token};
use super::simulate::CallerArgs;
use super::values::{parse_duration, parse_public_url};
use crate::http::PublicUrl;
use crate::tools::call::{Endpoint, HttpTransport};
use crate::tools::simulate::{self as sim, Render};

/// `--help` after the options.
pub fn help() -> String {
    exit::help(
        "\
Examples:
  export TWILIO_AUTH_TOKEN=...          # the token the server verifies with
  switchboard call http://127.0.0.1:8080/voice --to +14155550100 --input 1
  switchboard call http://127.0.0.1:8080/voice --to +14155550100 --from +12025550143 \\
      --dial no-answer --twiml
  # A deployed server behind a TLS proxy: talk to it directly, sign for the public URL.
  switchboard call http://10.0.0.5:8080/voice --public-url https://ivr.example.com \\
      --to +14155550100 --auth-token-file /run/secrets/twilio_auth_token

Every webhook is a form POST signed with the auth token (X-Twilio-Signature), with the
parameters Twilio sends; action URLs and Redirects are followed as Twilio follows them.
The transcript is simulate's: the rules and steps come from the server's trace, which it
returns to signed requests only. Plain HTTP only (no TLS).",
        &[
            (exit::OK, "the call ran to its end"),
            (
                exit::ERRORS,
                "a webhook failed (no connection, a status other than 200 such as 403, malformed\n\
                 TwiML), or the server hit a run-time failure (the caller heard the apology)",
            ),
            (
                exit::USAGE,
                "bad usage: no auth token, a URL that cannot be used",
            ),
        ],
    )
}

/// `switchboard call`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The number's Voice URL as reachable from here: `http://HOST[:PORT]/voice` (plain HTTP
    /// only; behind a TLS proxy use the server's own address and --public-url).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Who calls whom, and the caller's script (the same flags as `simulate`).
    #[command(flatten)]
    pub caller: CallerArgs,
    /// Print each TwiML document.
    #[arg(long)]
    pub twiml: bool,
    /// Read the auth token from this file instead of TWILIO_AUTH_TOKEN.
    #[arg(long, value_name = "PATH")]
    pub auth_token_file: Option<PathBuf>,
    /// The server's --public-url: the base Twilio requests and signs (scheme, host, any
    /// path prefix) [default: the URL's scheme and host]
    #[arg(long, value_name = "URL", value_parser = parse_public_url)]
    pub public_url: Option<PublicUrl>,
    /// Where to connect, HOST:PORT [default: the URL's host and port]
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,
    /// How long each webhook may take, e.g. `15s`, `500ms`.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Runs `switchboard call`. `env` reads environment variables (tests pass their own).
pub fn run(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let token = match auth_token(AUTH_TOKEN_ENV, args.auth_token_file.as_deref(), env, || {
        format!(
            "error: no auth token: `call` signs every webhook as Twilio does\n\
             \x20 help: export {AUTH_TOKEN_ENV}=<the token the server verifies with>, or \
             pass --auth-token-file PATH"
        )
    }) {
        Ok(t) => t,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return exit::USAGE;
        }
    };
    let endpoint = match Endpoint::new(&args.url, args.public_url.as_ref(), args.connect.as_deref())
    {
        Ok(e) => e,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            return exit::USAGE;
        }
    };
    let mut transport = match HttpTransport::new(endpoint, token, args.timeout) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return exit::ERRORS;
        }
    };
    let call = args.caller.call(Timestamp::now());
    let opts = Render { twiml: args.twiml };
    let t = sim::run_scripted(&mut transport, &call, &args.caller.inputs, &opts, out);
    if let sim::Ending::Failed(why) = &t.ending {
        let _ = writeln!(err, "error: {why}");
        return exit::ERRORS;
    }
    if let Some(n) = t.webhooks.iter().position(|w| w.outcome.failed) {
        let _ = writeln!(
            err,
            "error: webhook {} hit a run-time failure on the server (the caller heard the \
             apology); the server log has the reason",
            n + 1
        );
        return exit::ERRORS;
    }
    exit::OK
}
