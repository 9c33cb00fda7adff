//! Where secrets come from: environment variables or files, never flags (flags show up in
//! `ps`). `serve` reads its keys and the admin token here, and `sign` and `call` their auth
//! token.

use std::path::Path;

use crate::signature::Secret;

/// Where the primary auth token comes from (never a flag: flags show up in `ps`).
pub const AUTH_TOKEN_ENV: &str = "TWILIO_AUTH_TOKEN";
/// The secondary auth token, accepted alongside the primary during a rotation.
pub const SECONDARY_AUTH_TOKEN_ENV: &str = "TWILIO_SECONDARY_AUTH_TOKEN";
/// The shared-key secret for HMAC-SHA256 signatures (`--shared-key-id` names it).
pub const SHARED_KEY_SECRET_ENV: &str = "TWILIO_SHARED_KEY_SECRET";

/// The records API's bearer token (`serve`; or `--admin-token-file`).
pub const ADMIN_TOKEN_ENV: &str = "SWITCHBOARD_ADMIN_TOKEN";
/// `/metrics`' bearer token (`serve`; or `--metrics-token-file`).
pub const METRICS_TOKEN_ENV: &str = "SWITCHBOARD_METRICS_TOKEN";

/// A secret from an environment variable or a file (not both); `None` when neither is set.
/// Error messages name the variable or path, never the value.
pub fn secret(
    env_name: &str,
    file_flag: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Secret>, String> {
    Ok(secret_text(env_name, file_flag, file, env)?.map(Secret::new))
}

/// [`secret`]'s text, trimmed, for secrets that are not signing keys (the admin token).
pub fn secret_text(
    env_name: &str,
    file_flag: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    let from_env = env(env_name).filter(|v| !v.trim().is_empty());
    match (from_env, file) {
        (Some(_), Some(_)) => Err(format!(
            "error: both {env_name} and {file_flag} are set; use one"
        )),
        (Some(v), None) => Ok(Some(v.trim().to_string())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("error: cannot read {file_flag} {}: {e}", path.display()))?;
            // Secret mounts and `echo > file` leave a trailing newline; tokens have no spaces.
            let text = text.trim();
            if text.is_empty() {
                return Err(format!("error: {file_flag} {} is empty", path.display()));
            }
            Ok(Some(text.to_string()))
        }
        (None, None) => Ok(None),
    }
}

/// The auth token a signing command (`sign`, `call`) needs, from `env_name` or
/// `--auth-token-file`; without either, the error is `missing()`. Errors are whole lines,
/// ready to print.
pub fn auth_token(
    env_name: &str,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    missing: impl FnOnce() -> String,
) -> Result<Secret, String> {
    secret(env_name, "--auth-token-file", file, env)?.ok_or_else(missing)
}
