//! Typed TwiML documents and their serializer: the only code in switchboard
//! that writes XML.
//!
//! Everything else in the crate builds a [`Response`] out of typed verbs and
//! nouns and calls [`Response::to_xml`]; nobody concatenates markup by hand.
//! Keeping XML in one place is what lets the escaping rules below be trusted.
//!
//! The module is split by job:
//!
//! - `model`: the typed verbs and nouns ([`Response`], [`Verb`], [`Say`], …);
//! - `write`: the serializer and its escaping rules (output format and security notes);
//! - `read`: the inverse of the writer, for `switchboard call`.
//!
//! # Scope
//!
//! Only the verbs and attributes switchboard uses are modelled. SSML children
//! of `<Say>` (`<break>`, `<prosody>`, …) are out of scope: `<Say>` holds
//! plain text only.

mod model;
mod read;
mod write;

pub use model::*;
pub use read::read_twiml;
pub use write::{escaped, strip_forbidden};

/// Twilio's limit on the size of a TwiML response body (error 11750).
pub const MAX_DOCUMENT_BYTES: usize = 64_000;
