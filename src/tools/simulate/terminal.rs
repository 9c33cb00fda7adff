//! The interactive input source: a person at a terminal, answering each gather like a
//! phone's keypad or microphone.

use std::io::{BufRead, Write};

use crate::engine::Config;
use crate::flow::FlowSet;

use super::input::{InputSource, Reply, Waiting};
use super::render::{Render, render_footer, render_header_for, render_webhook};
use super::setup::Call;
use super::transcript::{Transcript, Webhook};
use super::walk::run;

/// A person at a terminal: before each gather it prints the webhooks not yet shown, then
/// asks for a line. An empty line is silence; `.` or end of input hangs up.
pub struct Terminal<'a> {
    /// Where the caller's lines come from.
    input: &'a mut dyn BufRead,
    /// Where the call is printed.
    out: &'a mut dyn Write,
    /// Echo each line read (when input is piped, so the output reads as a conversation).
    echo: bool,
    /// How webhooks are printed.
    render: Render,
    /// Webhooks already printed.
    printed: usize,
    /// Lines read (bounds a runaway input; see [`Terminal::MAX_LINE_BYTES`]).
    lines: usize,
}

impl<'a> Terminal<'a> {
    /// A line longer than this is cut: nobody types more into a phone.
    pub const MAX_LINE_BYTES: u64 = 4096;

    /// A terminal reading `input` and printing to `out`.
    pub fn new(
        input: &'a mut dyn BufRead,
        out: &'a mut dyn Write,
        echo: bool,
        render: Render,
    ) -> Terminal<'a> {
        Terminal {
            input,
            out,
            echo,
            render,
            printed: 0,
            lines: 0,
        }
    }

    /// How many webhooks have been printed (the caller prints the rest).
    pub fn printed(&self) -> usize {
        self.printed
    }

    /// Lines the caller typed.
    pub fn lines(&self) -> usize {
        self.lines
    }

    fn read_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        // `Read::take` by path: on the trait object itself it would need `Sized`.
        let n = std::io::Read::take(&mut *self.input, Self::MAX_LINE_BYTES)
            .read_until(b'\n', &mut buf)
            .ok()?;
        if n == 0 {
            return None;
        }
        if buf.last() != Some(&b'\n') && n as u64 == Self::MAX_LINE_BYTES {
            // Discard the rest of an over-long line so it does not become the next reply.
            let mut rest = Vec::new();
            let _ = std::io::Read::take(&mut *self.input, 1 << 20).read_until(b'\n', &mut rest);
        }
        self.lines += 1;
        Some(
            String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .trim()
                .to_string(),
        )
    }
}

impl InputSource for Terminal<'_> {
    fn reply(&mut self, waiting: &Waiting, so_far: &[Webhook]) -> Reply {
        for (i, w) in so_far.iter().enumerate().skip(self.printed) {
            let _ = self
                .out
                .write_all(render_webhook(w, i + 1, &self.render).as_bytes());
        }
        self.printed = so_far.len();
        let what = match waiting.input.as_str() {
            "speech" => "speech",
            "dtmf speech" => "digits or speech",
            _ => "digits",
        };
        let choices = if waiting.choices.is_empty() {
            String::new()
        } else {
            format!(" [{}]", waiting.choices.join(", "))
        };
        let _ = write!(
            self.out,
            "? {} `{}` waits for {what}{choices} (Enter = silence, . = hang up): ",
            waiting.kind, waiting.step
        );
        let _ = self.out.flush();
        let line = self.read_line();
        if self.echo {
            let _ = writeln!(self.out, "{}", line.as_deref().unwrap_or("(end of input)"));
        } else if line.is_none() {
            let _ = writeln!(self.out);
        }
        match line {
            None => Reply::HangUp,
            Some(l) if l == "." => Reply::HangUp,
            Some(l) => Reply::Entry(l),
        }
    }
}

/// Runs a call in process with a person at a terminal (`simulate` on a terminal, or
/// `--interactive`): prints the header first, the call so far before each question, then
/// the rest and the footer. `echo` repeats each line read (for piped input).
pub fn run_interactive(
    set: &FlowSet,
    cfg: &Config,
    call: &Call,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    echo: bool,
    opts: Render,
) -> Transcript {
    let _ = out.write_all(render_header_for(set, call).as_bytes());
    let mut term = Terminal::new(stdin, out, echo, opts);
    let t = run(set, cfg, call, &mut term);
    let printed = term.printed();
    for (i, w) in t.webhooks.iter().enumerate().skip(printed) {
        let _ = out.write_all(render_webhook(w, i + 1, &opts).as_bytes());
    }
    let _ = out.write_all(render_footer(&t).as_bytes());
    t
}
