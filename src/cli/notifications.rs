//! `switchboard serve`'s notification flags (docs/notifications.md): retries and waits,
//! and the SMTP relay email channels go out through. The SMTP password comes from the
//! environment or a file, never a flag.

use std::path::PathBuf;
use std::time::Duration;

use super::secrets::secret;
use super::values::parse_duration;
use crate::notify::{Settings, Smtp, parse_smtp_url};

/// The SMTP password (or `--smtp-password-file`).
pub const SMTP_PASSWORD_ENV: &str = "SWITCHBOARD_SMTP_PASSWORD";

/// The notification flags.
#[derive(Debug, Clone, clap::Args)]
pub struct NotifyArgs {
    /// The SMTP relay for email channels: `smtp://HOST[:PORT]` (STARTTLS required, port 587
    /// by default), `smtps://HOST[:PORT]` (TLS, 465), or `smtp://HOST:PORT?tls=none` for a
    /// relay on this host or a private network.
    #[arg(long, env = "SWITCHBOARD_SMTP", value_name = "URL")]
    pub smtp: Option<String>,
    /// The user to authenticate to the relay as (the password: SWITCHBOARD_SMTP_PASSWORD or
    /// --smtp-password-file).
    #[arg(long, env = "SWITCHBOARD_SMTP_USER", value_name = "USER")]
    pub smtp_user: Option<String>,
    /// A file holding the SMTP password.
    #[arg(long, value_name = "PATH")]
    pub smtp_password_file: Option<PathBuf>,
    /// The sender of notification emails whose channel names none.
    #[arg(long, env = "SWITCHBOARD_SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
    /// Attempts per notification before it is given up.
    #[arg(long, env = "SWITCHBOARD_NOTIFY_ATTEMPTS", value_name = "N", default_value = "8",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub notify_attempts: u32,
    /// The wait before a second attempt; it doubles after each failure, up to an hour.
    #[arg(long, env = "SWITCHBOARD_NOTIFY_BACKOFF", value_name = "DURATION", default_value = "30s",
          value_parser = parse_duration)]
    pub notify_backoff: Duration,
    /// How long one delivery attempt may take.
    #[arg(long, env = "SWITCHBOARD_NOTIFY_TIMEOUT", value_name = "DURATION", default_value = "10s",
          value_parser = parse_duration)]
    pub notify_timeout: Duration,
    /// How long a voicemail notification waits for its transcript (`transcribe: true`)
    /// before it goes without.
    #[arg(long, env = "SWITCHBOARD_TRANSCRIPT_WAIT", value_name = "DURATION", default_value = "2m",
          value_parser = parse_duration)]
    pub transcript_wait: Duration,
}

impl NotifyArgs {
    /// The delivery settings; errors are whole lines, ready to print.
    pub fn settings(&self, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let mut s = Settings {
            attempts: self.notify_attempts,
            backoff: self.notify_backoff.max(Duration::from_millis(1)),
            timeout: self.notify_timeout.max(Duration::from_millis(100)),
            transcript_wait: self.transcript_wait,
            ..Settings::default()
        };
        // Short waits (tests, a fast local relay) also mean looking at the outbox often.
        s.poll = s.poll.min(s.backoff);
        let password = secret(
            SMTP_PASSWORD_ENV,
            "--smtp-password-file",
            self.smtp_password_file.as_deref(),
            env,
        )?;
        let Some(url) = &self.smtp else {
            if password.is_some() || self.smtp_user.is_some() {
                return Err("error: an SMTP user or password is set but no --smtp relay".into());
            }
            return Ok(s);
        };
        let (host, port, tls) = parse_smtp_url(url).map_err(|e| format!("error: --smtp: {e}"))?;
        let from = self
            .smtp_from
            .clone()
            .ok_or("error: --smtp needs --smtp-from (the sender of notification emails)")?;
        if self.smtp_user.is_some() != password.is_some() {
            return Err(format!(
                "error: SMTP authentication needs both --smtp-user and {SMTP_PASSWORD_ENV} (or --smtp-password-file)"
            ));
        }
        s.smtp = Some(Smtp {
            host,
            port,
            tls,
            user: self.smtp_user.clone(),
            password,
            from,
            timeout: s.timeout,
        });
        Ok(s)
    }
}
