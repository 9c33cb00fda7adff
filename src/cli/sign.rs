//! `switchboard sign`: the signature Twilio would send, for placing signed test requests.

use std::io::Write;
use std::path::PathBuf;

use super::exit;
use super::secrets::{AUTH_TOKEN_ENV, auth_token};
use crate::signature;

/// `--help` after the options.
pub const HELP: &str = "\
Example (a signed test call against a local `switchboard serve`):
  URL=http://127.0.0.1:8080/voice
  BODY='CallSid=CA00000000000000000000000000000001&From=%2B12025550143&To=%2B14155550100'
  curl -sS \"$URL\" --data \"$BODY\" \\
    -H \"X-Twilio-Signature: $(switchboard sign --url \"$URL\" --data \"$BODY\")\"

The URL must be exactly the one the server rebuilds: its --public-url (or http://{Host}
without one) followed by the path and query.";

/// `switchboard sign`.
#[derive(Debug, clap::Args)]
pub struct Args {
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

/// `switchboard sign`: prints the signature for `--url` and `--data`.
pub fn run(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let token = match auth_token(
        &args.token_env,
        args.auth_token_file.as_deref(),
        env,
        || {
            format!(
                "error: no auth token: set {} or pass --auth-token-file",
                args.token_env
            )
        },
    ) {
        Ok(t) => t,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::env_of;

    #[test]
    fn sign_prints_the_fixture_signature() {
        // tests/data/webhooks/README.md: incoming-call.form on https://ivr.example.com/voice.
        let body = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/webhooks/incoming-call.form"
        ))
        .unwrap();
        let args = Args {
            url: "https://ivr.example.com/voice".into(),
            data: Some(body),
            token_env: "TOKEN".into(),
            auth_token_file: None,
        };
        let env = env_of(&[("TOKEN", "c4851beb21d4a12c322718f7dc11b6e4")]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(&args, &env, &mut out, &mut err), exit::OK);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "bpcVev1+GWUH8Y9Z2lUvUseuTh4=\n"
        );

        let mut err = Vec::new();
        let code = run(&args, &env_of(&[]), &mut Vec::new(), &mut err);
        assert_eq!(code, exit::USAGE);
        assert!(String::from_utf8(err).unwrap().contains("TOKEN"));
    }
}
