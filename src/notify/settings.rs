//! How notifications are delivered: retries, waits, timeouts and the SMTP relay
//! (`switchboard serve` flags, docs/notifications.md).

use std::time::Duration;

use crate::signature::Secret;

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Attempts per notification before it is given up (`--notify-attempts`).
    pub attempts: u32,
    /// The wait before the second attempt; it doubles after each failure
    /// (`--notify-backoff`), up to [`Settings::max_backoff`].
    pub backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How long a voicemail notification waits for its transcript (`--transcript-wait`).
    pub transcript_wait: Duration,
    /// How long one attempt may take (`--notify-timeout`).
    pub timeout: Duration,
    /// How often the outbox is looked at when nothing woke the dispatcher.
    pub poll: Duration,
    /// The SMTP relay for email channels (`--smtp`); `None`: email attempts fail.
    pub smtp: Option<Smtp>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            attempts: 8,
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3600),
            transcript_wait: Duration::from_secs(120),
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            smtp: None,
        }
    }
}

impl Settings {
    /// How long a claim holds a notification: an attempt's timeout with room to record
    /// its result. A replica that dies holding one leaves it to the others after this.
    pub fn lease(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(20)
    }

    /// The wait after failed attempt `n` (1-based): `backoff`, doubled each time, at most
    /// `max_backoff`.
    pub fn backoff_after(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1).min(20));
        self.backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `smtp://`: STARTTLS, required (the default).
    StartTls,
    /// `smtps://`: TLS from the first byte (port 465).
    Implicit,
    /// `smtp://…?tls=none`: no TLS, for a relay on the same host or a private network.
    None,
}

/// The SMTP relay.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Its host name (TLS checks the certificate against it).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: Tls,
    /// The user to authenticate as (`--smtp-user`).
    pub user: Option<String>,
    /// The password (`SWITCHBOARD_SMTP_PASSWORD` or `--smtp-password-file`).
    pub password: Option<Secret>,
    /// The sender when a channel names none (`--smtp-from`).
    pub from: String,
    /// How long the SMTP exchange may take.
    pub timeout: Duration,
}

/// Reads `smtp://host[:port][?tls=none]` or `smtps://host[:port]` (no user or password in
/// the URL: they come from `--smtp-user` and the environment or a file). Errors never
/// repeat the value (a pasted URL may hold a password).
pub fn parse_smtp_url(s: &str) -> Result<(String, u16, Tls), String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("an SMTP URL is smtp://HOST[:PORT] or smtps://HOST[:PORT]")?;
    let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
    let hostport = hostport.trim_end_matches('/');
    if hostport.contains('@') {
        return Err(
            "put the SMTP user in --smtp-user and the password in SWITCHBOARD_SMTP_PASSWORD or --smtp-password-file, not in the URL"
                .into(),
        );
    }
    let mut tls = match scheme {
        "smtp" => Tls::StartTls,
        "smtps" => Tls::Implicit,
        _ => return Err("an SMTP URL starts with smtp:// or smtps://".into()),
    };
    match query {
        "" => {}
        "tls=none" if tls == Tls::StartTls => tls = Tls::None,
        _ => return Err("the only option is ?tls=none (on smtp://)".into()),
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| "the SMTP port is a number from 1 to 65535".to_string())?,
        ),
        None => (hostport, if tls == Tls::Implicit { 465 } else { 587 }),
    };
    if host.is_empty() || port == 0 {
        return Err("an SMTP URL needs a host (and a port from 1 to 65535)".into());
    }
    Ok((host.to_string(), port, tls))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        assert_eq!(
            parse_smtp_url("smtp://mail.example.com").unwrap(),
            ("mail.example.com".into(), 587, Tls::StartTls)
        );
        assert_eq!(
            parse_smtp_url("smtps://mail.example.com").unwrap(),
            ("mail.example.com".into(), 465, Tls::Implicit)
        );
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525?tls=none").unwrap(),
            ("127.0.0.1".into(), 2525, Tls::None)
        );
        for bad in [
            "mail.example.com",
            "http://x",
            "smtp://user:hunter2@mail.example.com",
            "smtp://x:99999",
            "smtps://x?tls=none",
            "smtp://:25",
        ] {
            let e = parse_smtp_url(bad).unwrap_err();
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = Settings {
            backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(300),
            ..Settings::default()
        };
        let waits: Vec<u64> = (1..=6).map(|n| s.backoff_after(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        assert_eq!(s.backoff_after(u32::MAX), Duration::from_secs(300));
    }
}
