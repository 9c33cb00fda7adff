//! A connection's socket with a write deadline.
//!
//! hyper's header-read timeout covers a client that is slow to *send*; nothing in hyper
//! covers a client that never *reads*. Such a client (pipelined requests, answers never
//! read) parks the connection in a write that never completes, and it stays open for ever,
//! holding a descriptor and hyper's buffers. [`Deadlined`] fails a write (and a flush) that
//! makes no progress for [`Deadlined::new`]'s `timeout`, which ends the connection.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use tokio::time::{Instant, Sleep};

/// An I/O object whose writes must make progress within a time limit.
pub(crate) struct Deadlined<T> {
    /// The socket (hyper's tokio adapter).
    inner: T,
    /// How long a write may wait for the peer to read.
    timeout: Duration,
    /// Armed while a write or flush is pending: when it fires, the write fails. `None` while
    /// writes complete (reset on every bit of progress).
    deadline: Option<Pin<Box<Sleep>>>,
}

impl<T> Deadlined<T> {
    /// Wraps `inner`; a write pending for longer than `timeout` fails with `TimedOut`.
    pub(crate) fn new(inner: T, timeout: Duration) -> Deadlined<T> {
        Deadlined {
            inner,
            timeout,
            deadline: None,
        }
    }

    /// Called when a write returned `Pending`: arms the deadline (once per stall) and fails
    /// once it has passed.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.timeout;
        let sleep = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(Instant::now() + timeout)));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client did not read the answer in time",
        ))
    }
}

impl<T: Write + Unpin> Deadlined<T> {
    /// Polls one write-side operation under the deadline.
    fn guard<R>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match op(Pin::new(&mut self.inner), cx) {
            Poll::Ready(r) => {
                self.deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.stalled(cx).map(Err),
        }
    }
}

impl<T: Read + Unpin> Read for Deadlined<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for Deadlined<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.guard(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |io, cx| io.poll_flush(cx))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard(cx, |io, cx| io.poll_shutdown(cx))
    }
}
