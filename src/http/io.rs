//! The socket under hyper, with the two rules hyper has no setting for.
//!
//! - **A write deadline.** hyper's header-read timeout covers a client that is slow to
//!   *send*; nothing in hyper covers a client that never *reads*. Such a client (pipelined
//!   requests, answers never read) parks the connection in a write that never completes, and
//!   it stays open for ever, holding a descriptor and hyper's buffers. A write (or flush)
//!   that makes no progress for the timeout fails, which ends the connection.
//! - **A reason in hyper's own error answers.** When a request cannot even be parsed (a
//!   malformed request line or header, a head over the size limit), hyper answers by itself,
//!   before any handler runs, with an empty body: `400 Bad Request` or `431 Request Header
//!   Fields Too Large`, `connection: close`, `content-length: 0`. hyper has no hook for that
//!   answer, so it is recognised on its way out (switchboard's own answers always carry a
//!   `content-type` and a body, so they never match) and sent with a one-line plain-text
//!   reason instead, like every other refusal. It is the last thing written on the
//!   connection.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use tokio::time::{Instant, Sleep};

/// A connection's socket: writes must make progress within a time limit, and hyper's own
/// error answers get a reason.
pub(crate) struct Guarded<T> {
    /// The socket (hyper's tokio adapter).
    inner: T,
    /// How long a write may wait for the peer to read.
    timeout: Duration,
    /// Armed while a write or flush is pending: when it fires, the write fails. `None` while
    /// writes complete (reset on every bit of progress).
    deadline: Option<Pin<Box<Sleep>>>,
    /// A rewritten error answer not yet written in full.
    pending: Vec<u8>,
    /// Bytes of `pending` already written.
    sent: usize,
}

impl<T> Guarded<T> {
    /// Wraps `inner`; a write pending for longer than `timeout` fails with `TimedOut`.
    pub(crate) fn new(inner: T, timeout: Duration) -> Guarded<T> {
        Guarded {
            inner,
            timeout,
            deadline: None,
            pending: Vec::new(),
            sent: 0,
        }
    }
}

impl<T: Write + Unpin> Guarded<T> {
    /// Polls one write-side operation under the deadline: progress disarms it; a stall arms
    /// it (once per stall) and fails once it has passed.
    fn guard<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(&mut Self, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if let Poll::Ready(r) = op(self, cx) {
            self.deadline = None;
            return Poll::Ready(r);
        }
        let timeout = self.timeout;
        let sleep = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read the answer in time",
        )))
    }

    /// Writes what is pending of a rewritten answer; `Ready(Ok)` once nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        Poll::Ready(Ok(()))
    }

    /// One write: hyper's own error answer is swapped for one with a reason (taken whole,
    /// then written by `drain`); anything else goes straight through.
    fn write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        if let Some(answer) = with_reason(buf) {
            self.pending = answer;
            self.sent = 0;
            // Whatever is not written now is written by the next write, flush or shutdown.
            if let Poll::Ready(Err(e)) = self.drain(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
}

/// The reason sent with each answer hyper makes by itself.
const REASONS: &[(&[u8], &str)] = &[
    (
        b"HTTP/1.1 400 ",
        "bad request: the request line or a header is malformed\n",
    ),
    (
        b"HTTP/1.1 431 ",
        "request head too large (see --max-header-bytes)\n",
    ),
    (b"HTTP/1.1 414 ", "request URI too long\n"),
];

/// Whether `head` starts with a status hyper answers by itself (cheap: the status line only).
fn may_need_reason(head: &[u8]) -> bool {
    REASONS.iter().any(|(p, _)| head.starts_with(p))
}

/// hyper's own error answer with a reason in its body, or `None` for any other bytes.
fn with_reason(head: &[u8]) -> Option<Vec<u8>> {
    let (_, reason) = REASONS.iter().find(|(p, _)| head.starts_with(p))?;
    let text = std::str::from_utf8(head).ok()?;
    let lower = text.to_ascii_lowercase();
    if !text.ends_with("\r\n\r\n")
        || !lower.contains("\r\ncontent-length: 0\r\n")
        || lower.contains("\r\ncontent-type:")
    {
        return None;
    }
    let at = lower.find("\r\ncontent-length: 0\r\n")?;
    let end = at + "\r\ncontent-length: 0".len();
    let mut out = String::with_capacity(text.len() + reason.len() + 64);
    out.push_str(&text[..at]);
    out.push_str(&format!(
        "\r\ncontent-length: {}\r\ncontent-type: text/plain; charset=utf-8",
        reason.len()
    ));
    out.push_str(&text[end..]);
    out.push_str(reason);
    Some(out.into_bytes())
}

impl<T: Read + Unpin> Read for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |me, cx| me.write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // hyper writes its own error answer as one buffer; look at the first non-empty one.
        // Only the status line is checked here: `write` decides (once) whether to rewrite.
        let first = bufs.iter().find(|b| !b.is_empty());
        self.guard(cx, |me, cx| match first {
            Some(b) if me.sent < me.pending.len() || may_need_reason(b) => me.write(cx, b),
            _ => Pin::new(&mut me.inner).poll_write_vectored(cx, bufs),
        })
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |me, cx| {
            ready!(me.drain(cx))?;
            Pin::new(&mut me.inner).poll_flush(cx)
        })
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |me, cx| {
            ready!(me.drain(cx))?;
            Pin::new(&mut me.inner).poll_shutdown(cx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_own_error_answers_get_a_reason() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 29 Nov 2026 11:55:25 GMT\r\n\r\n";
        let out = String::from_utf8(with_reason(head).unwrap()).unwrap();
        let (h, body) = out.split_once("\r\n\r\n").unwrap();
        assert_eq!(body, "request head too large (see --max-header-bytes)\n");
        assert!(
            h.contains(&format!("content-length: {}", body.len())),
            "{h}"
        );
        assert!(h.contains("content-type: text/plain"), "{h}");
        assert!(
            h.contains("connection: close") && h.contains("date: "),
            "{h}"
        );
    }

    #[test]
    fn switchboards_own_answers_are_left_alone() {
        for bytes in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 12\r\n\r\n"
                [..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
            b"<Response/>",
            b"",
        ] {
            assert!(
                with_reason(bytes).is_none(),
                "{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
