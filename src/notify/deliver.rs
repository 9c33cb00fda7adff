//! Sending one notification: a signed JSON POST, or an email over SMTP. Each returns what
//! happened in one line for the attempt record; neither line ever holds the URL (a Slack
//! webhook's URL is its credential), a key or a password.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::payload;
use super::settings::{Smtp, Tls};
use crate::calls::outbox::Claimed;

/// The HTTP client webhooks go out on: HTTPS (Mozilla's roots) or plain HTTP.
pub type HttpClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A client for webhook channels.
pub fn http_client() -> HttpClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(https)
}

/// What one attempt came to: taken (`true`) or not, and the line that says so.
pub type Result = (bool, String);

/// POSTs the notification to `url`, signed with `key` if any.
pub async fn webhook(
    client: &HttpClient,
    n: &Claimed,
    url: &str,
    key: Option<&[u8]>,
    timeout: Duration,
) -> Result {
    let body = match serde_json::to_vec(&payload::body(n)) {
        Ok(b) => b,
        Err(e) => return (false, format!("cannot encode the body: {e}")),
    };
    let mut request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header(
            "user-agent",
            concat!("switchboard/", env!("CARGO_PKG_VERSION")),
        )
        .header(payload::ID_HEADER, n.id.as_str());
    if let Some(key) = key {
        let now = jiff::Timestamp::now().as_second();
        request = request.header(
            payload::SIGNATURE_HEADER,
            payload::signature(key, now, &body),
        );
    }
    let request = match request.body(Full::new(Bytes::from(body))) {
        Ok(r) => r,
        // Only a URL that is not a valid URI gets here; it is not repeated.
        Err(_) => return (false, "the channel's URL is not a valid URL".to_string()),
    };
    let sent =
        tokio::time::timeout(timeout, async {
            let response = client.request(request).await?;
            let status = response.status();
            // A little of the answer says why a receiver refused; more is not kept.
            let text =
                match tokio::time::timeout(Duration::from_secs(2), response.into_body().collect())
                    .await
                {
                    Ok(Ok(b)) => String::from_utf8_lossy(&b.to_bytes())
                        .chars()
                        .take(200)
                        .collect(),
                    _ => String::new(),
                };
            Ok::<_, hyper_util::client::legacy::Error>((status, text))
        })
        .await;
    match sent {
        Err(_) => (false, format!("no answer within {} s", timeout.as_secs())),
        Ok(Err(e)) => (false, format!("request failed: {}", chain(&e))),
        Ok(Ok((status, _))) if status.is_success() => (true, format!("HTTP {}", status.as_u16())),
        Ok(Ok((status, text))) => {
            let text = text.trim();
            if text.is_empty() {
                (false, format!("HTTP {}", status.as_u16()))
            } else {
                (false, format!("HTTP {}: {text}", status.as_u16()))
            }
        }
    }
}

/// An error and its causes, on one line (hyper's own message is only "client error").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Emails the notification to `to` through the SMTP relay.
pub async fn email(smtp: &Smtp, n: &Claimed, to: &[String], from: Option<&str>) -> Result {
    let from = from.unwrap_or(&smtp.from);
    let mut builder = Message::builder()
        .subject(payload::subject(n))
        .header(ContentType::TEXT_PLAIN);
    match from.parse::<Mailbox>() {
        Ok(m) => builder = builder.from(m),
        Err(e) => return (false, format!("the sender {from:?} is not an address: {e}")),
    }
    for t in to {
        match t.parse::<Mailbox>() {
            Ok(m) => builder = builder.to(m),
            Err(e) => return (false, format!("{t:?} is not an address: {e}")),
        }
    }
    let message = match builder.body(payload::email_body(n)) {
        Ok(m) => m,
        Err(e) => return (false, format!("cannot build the email: {e}")),
    };
    let transport = match transport(smtp) {
        Ok(t) => t,
        Err(e) => return (false, e),
    };
    match transport.send(message).await {
        Ok(r) => (true, format!("SMTP {}", r.code())),
        Err(e) => (false, format!("SMTP: {}", chain(&e))),
    }
}

fn transport(smtp: &Smtp) -> std::result::Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let builder = match smtp.tls {
        Tls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
        Tls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| format!("SMTP: {e}"))?,
        Tls::Implicit => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
            .map_err(|e| format!("SMTP: {e}"))?,
    };
    let mut builder = builder.port(smtp.port).timeout(Some(smtp.timeout));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}
