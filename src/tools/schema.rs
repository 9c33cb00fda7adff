//! `switchboard schema`: JSON Schemas for flow files and flow-test files, for editors (the
//! YAML language server) and CI.
//!
//! # Why it cannot drift
//!
//! The keys of every mapping come from the loader's own types at run time: serde's derived
//! `Deserialize` hands the list of field names to `Deserializer::deserialize_struct`, and
//! [`fields_of`] catches that list with a probe deserializer. So a key added to or removed
//! from [`crate::flow::raw`] (or the test format) changes the schema by itself; each key's
//! value schema comes from a table here, and a key the table does not describe (or a table
//! entry for a key that no longer exists) is reported by [`generate`] and fails the unit
//! tests. Every type the loader reads with `deny_unknown_fields` gets
//! `additionalProperties: false`.
//!
//! `schemars` was not used: every field of the raw model is a `serde_saphyr::Spanned<T>`,
//! and the orphan rule forbids implementing `schemars::JsonSchema` for that foreign type, so
//! the derive would need a `#[schemars(with = …)]` on each of the ~120 fields.
//!
//! The schema follows draft-07, which every YAML language server understands. Scalars that
//! the loader reads as text (`description`, numbers, …) accept YAML numbers and booleans too,
//! as the loader does.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde_json::{Map, Value, json};

use crate::flow::StepKind;
use crate::flow::compile::OPERATORS;
use crate::flow::raw::*;
use crate::schedule::ScheduleSpec;
use crate::template::TWILIO_PARAMS;
use crate::tools::flowtest::{ENDINGS, RawCall, RawCase, RawExpect, RawTestFile};
use crate::tools::simulate::{DialStatus, QUEUE_RESULTS};

/// Why the probe stopped: it found the field list, or the type is not a derived struct.
#[derive(Debug)]
enum Probe {
    /// The keys serde's derived impl passed to `deserialize_struct`.
    Fields(&'static [&'static str]),
    /// The type asked for something else (or serde raised its own error).
    NotAStruct,
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("schema probe")
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Probe::NotAStruct
    }
}

/// A deserializer that reads nothing: it only records what the type asks for.
struct Prober;

impl<'de> Deserializer<'de> for Prober {
    type Error = Probe;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probe> {
        Err(Probe::NotAStruct)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Probe> {
        Err(Probe::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys serde's derived `Deserialize` of `T` accepts (renames applied), or `None` when
/// `T` is not a derived struct.
pub fn fields_of<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    match T::deserialize(Prober) {
        Err(Probe::Fields(f)) => Some(f),
        _ => None,
    }
}

/// Which schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Flow files (`flows/*.yaml`), shared files (`_*.yaml`) included.
    Flow,
    /// Flow-test files (`flows/tests/*.yaml`).
    Test,
}

/// Builds schemas and remembers every key the tables do not match.
#[derive(Default)]
struct Gen {
    /// Keys without a description, and descriptions of keys that do not exist.
    problems: Vec<String>,
}

fn r(def: &str) -> Value {
    json!({ "$ref": format!("#/definitions/{def}") })
}

/// Adds a description; a `$ref` is wrapped, since draft-07 ignores its siblings.
fn d(v: Value, description: &str) -> Value {
    let mut v = if v.get("$ref").is_some() {
        json!({ "allOf": [v] })
    } else {
        v
    };
    if let Some(o) = v.as_object_mut() {
        o.insert("description".into(), Value::String(description.into()));
    }
    v
}

impl Gen {
    /// The schema of the derived struct `T`: its keys from serde, their schemas from
    /// `table`. Always a JSON object, so callers may add keywords with `v["key"] = …`
    /// (indexing a `Value` object inserts; only non-objects would panic).
    fn object<T: DeserializeOwned>(
        &mut self,
        type_name: &str,
        description: &str,
        table: Vec<(&'static str, Value)>,
        required: &[&str],
    ) -> Value {
        let Some(fields) = fields_of::<T>() else {
            self.problems
                .push(format!("{type_name} is not a derived struct"));
            return json!({});
        };
        let mut props = Map::new();
        for f in fields {
            match table.iter().find(|(k, _)| k == f) {
                Some((_, v)) => {
                    props.insert((*f).to_string(), v.clone());
                }
                None => {
                    self.problems
                        .push(format!("{type_name}.{f} has no schema in src/schema.rs"));
                    props.insert((*f).to_string(), json!({}));
                }
            }
        }
        for (k, _) in &table {
            if !fields.contains(k) {
                self.problems.push(format!(
                    "src/schema.rs describes {type_name}.{k}, which the loader does not read"
                ));
            }
        }
        let mut o = json!({
            "type": "object",
            "description": description,
            "properties": props,
            "additionalProperties": false,
        });
        if !required.is_empty() {
            o["required"] = json!(required);
        }
        o
    }
}

/// Definitions shared by both schemas.
fn common(defs: &mut Map<String, Value>) {
    defs.insert(
        "text".into(),
        json!({
            "type": ["string", "number", "boolean"],
            "description": "A value, read as text."
        }),
    );
    defs.insert(
        "count".into(),
        json!({ "type": "integer", "minimum": 0, "maximum": 4294967295u64 }),
    );
}

/// A value read as text.
fn text() -> Value {
    r("text")
}

/// An integer in `min..=max`.
fn count(min: u64, max: u64, desc: &str) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max, "description": desc })
}

/// A positive number of seconds.
fn seconds(desc: &str) -> Value {
    count(1, 4294967295, desc)
}

/// A step target.
fn target(desc: &str) -> Value {
    d(r("target"), desc)
}

/// One DTMF key, or none.
fn dtmf_key(desc: &str) -> Value {
    json!({ "type": ["string", "integer"], "pattern": "^[0-9*#]?$", "description": desc })
}

/// A YAML boolean.
fn boolean(desc: &str) -> Value {
    json!({ "type": "boolean", "description": desc })
}

/// Every definition of the flow-file schema.
fn flow_defs(g: &mut Gen, defs: &mut Map<String, Value>) {
    common(defs);
    value_defs(g, defs);
    condition_defs(g, defs);
    step_def(g, defs);
    schedule_def(g, defs);
}

/// Targets, prompts and plain values.
fn value_defs(g: &mut Gen, defs: &mut Map<String, Value>) {
    defs.insert(
        "target".into(),
        json!({
            "type": ["string", "integer"],
            "pattern": "^(@[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64})?|[A-Za-z0-9_-]{1,64})$",
            "description": "Where to go: a step of this flow, `hangup`, `@flow` (another flow's start) or `@flow.step`."
        }),
    );
    defs.insert(
        "textMap".into(),
        json!({ "type": "object", "additionalProperties": r("text") }),
    );
    defs.insert(
        "prompt".into(),
        json!({
            "description": "What the caller hears: text to say (an http(s):// URL is played), one say/play/pause item, or a list of them. Text may use {{From}} and {{vars.name}}.",
            "anyOf": [
                r("text"),
                r("promptItem"),
                { "type": "array", "items": r("promptItem") }
            ]
        }),
    );
    let item = g.object::<RawPromptItem>(
        "RawPromptItem",
        "One part of a prompt: exactly one of `say`, `play`, `pause` (or `digits` alone).",
        vec![
            ("say", d(text(), "Text to speak (<Say>).")),
            ("play", d(text(), "Audio URL to play (<Play>).")),
            ("pause", seconds("Seconds of silence (<Pause>).")),
            ("voice", d(text(), "<Say voice>, e.g. Polly.Joanna.")),
            ("language", d(text(), "<Say language>, e.g. en-US.")),
            ("loop", count(0, 4294967295, "Repetitions (0 = until hang-up).")),
            (
                "digits",
                json!({ "type": ["string", "integer"], "pattern": "^[0-9*#wW]+$", "description": "DTMF tones to play (<Play digits>)." }),
            ),
        ],
        &[],
    );
    defs.insert("promptItem".into(), item);
    let play_full = g.object::<RawPlayFull>(
        "RawPlayFull",
        "`play` with options.",
        vec![
            ("url", d(text(), "Audio URL.")),
            ("loop", count(0, 4294967295, "Repetitions (0 = until hang-up).")),
            (
                "digits",
                json!({ "type": ["string", "integer"], "pattern": "^[0-9*#wW]+$", "description": "DTMF tones to play." }),
            ),
        ],
        &[],
    );
    defs.insert(
        "play".into(),
        json!({
            "description": "Play audio: a URL, or a mapping with url/loop/digits.",
            "anyOf": [r("text"), play_full]
        }),
    );
    defs.insert(
        "scalarList".into(),
        json!({ "type": "array", "items": r("text") }),
    );
}

/// Conditions and route rules.
fn condition_defs(g: &mut Gen, defs: &mut Map<String, Value>) {
    let mut ops = Map::new();
    for op in OPERATORS.iter().copied().chain(["equals", "not_equals"]) {
        let v = match op {
            "in" | "not_in" => d(r("scalarList"), "One of these values."),
            "lt" | "le" | "gt" | "ge" => {
                json!({ "type": ["number", "string"], "description": "A number to compare with." })
            }
            "exists" | "empty" => {
                json!({ "enum": [true, false, "true", "false"] })
            }
            "matches" => d(
                text(),
                "A regular expression; named groups become call variables.",
            ),
            _ => text(),
        };
        ops.insert(op.to_string(), v);
    }
    defs.insert(
        "test".into(),
        json!({
            "description": "A test on one value: a value (equals), a list (one of), or a mapping of operators.",
            "anyOf": [
                r("text"),
                r("scalarList"),
                {
                    "type": "object",
                    "properties": ops,
                    "additionalProperties": false,
                    "minProperties": 1
                }
            ]
        }),
    );
    let mut cond_props = Map::new();
    cond_props.insert(
        "all".into(),
        json!({ "type": "array", "items": r("cond"), "description": "Every condition holds." }),
    );
    cond_props.insert(
        "any".into(),
        json!({ "type": "array", "items": r("cond"), "description": "At least one holds." }),
    );
    cond_props.insert("not".into(), d(r("cond"), "The condition does not hold."));
    cond_props.insert(
        "open".into(),
        d(
            text(),
            "The named schedule is open at the time of the call.",
        ),
    );
    cond_props.insert("closed".into(), d(text(), "The named schedule is closed."));
    defs.insert(
        "paramTest".into(),
        d(r("test"), "A test on a Twilio request parameter."),
    );
    for p in TWILIO_PARAMS {
        cond_props.insert((*p).to_string(), r("paramTest"));
    }
    defs.insert(
        "cond".into(),
        json!({
            "type": "object",
            "description": "A condition: request parameters, `vars.name`, or all/any/not/open/closed; several keys must all hold.",
            "properties": cond_props,
            "patternProperties": {
                "^vars\\.[A-Za-z_][A-Za-z0-9_]*$": d(r("test"), "A call variable or constant."),
                "^SipHeader_": d(r("test"), "A SIP header parameter.")
            },
            "additionalProperties": false,
            "minProperties": 1
        }),
    );
    let rule = g.object::<RawRule>(
        "RawRule",
        "A rule: if the condition holds (or always, without `if`), go to `goto`.",
        vec![
            (
                "if",
                d(
                    r("cond"),
                    "The condition; omit it for a rule that always matches.",
                ),
            ),
            ("goto", target("Where the call goes when the rule matches.")),
        ],
        &["goto"],
    );
    defs.insert("rule".into(), rule);
}

/// The actions that gather input: `menu` and `ask`.
fn input_actions(g: &mut Gen) -> (Value, Value) {
    let gather = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            (
                "prompt",
                d(r("prompt"), "What the caller hears while choosing."),
            ),
            ("timeout", seconds("Seconds to wait for input (default 5).")),
            (
                "attempts",
                count(1, 10, "Tries before `exhausted` (default 3)."),
            ),
            ("invalid", d(r("prompt"), "Said after a wrong answer.")),
            ("no_input", d(r("prompt"), "Said after silence.")),
            (
                "exhausted",
                target("Where the call goes when the tries run out."),
            ),
            (
                "digits",
                seconds("numDigits: input ends after this many keys."),
            ),
            (
                "finish_on_key",
                dtmf_key("The key that ends input (empty: none)."),
            ),
            ("language", d(text(), "Speech recognition language.")),
            ("hints", d(text(), "Speech hints, comma-separated.")),
            ("speech_model", d(text(), "Twilio speech model.")),
            (
                "speech_timeout",
                d(text(), "Seconds of silence that end speech, or `auto`."),
            ),
        ];
        v.extend(extra);
        v
    };
    let menu = g.object::<RawMenu>(
        "RawMenu",
        StepKind::Menu.help(),
        gather(vec![
            (
                "options",
                json!({
                    "type": "object",
                    "description": "Key(s) → step.",
                    "propertyNames": { "pattern": "^[0-9*#]+$" },
                    "additionalProperties": r("target")
                }),
            ),
            (
                "speech",
                json!({
                    "type": "object",
                    "description": "Spoken keyword → step.",
                    "additionalProperties": r("target")
                }),
            ),
        ]),
        &["prompt"],
    );
    let ask = g.object::<RawAsk>(
        "RawAsk",
        StepKind::Ask.help(),
        gather(vec![
            (
                "input",
                json!({ "enum": ["dtmf", "speech", "both", "dtmf speech"], "description": "What to listen for (default dtmf)." }),
            ),
            ("pattern", d(text(), "A regular expression the input must match; named groups are saved too.")),
            (
                "save_as",
                json!({ "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": "The variable that gets the answer (vars.name)." }),
            ),
            ("sensitive", boolean("What the caller enters is stored and shown redacted (card numbers, PINs).")),
            ("next", target("Where to go with a valid answer.")),
        ]),
        &["prompt", "save_as"],
    );
    (menu, ask)
}

/// The actions that take the call somewhere: `dial`, `record`, `enqueue`, `conference`,
/// `redirect`.
fn call_actions(g: &mut Gen) -> (Value, Value, Value, Value, Value) {
    let mut record_modes = vec![json!(true), json!(false), json!("true"), json!("false")];
    for m in [
        "record-from-answer",
        "record-from-ringing",
        "record-from-answer-dual",
        "record-from-ringing-dual",
        "do-not-record",
    ] {
        record_modes.push(json!(m));
    }
    let dial = g.object::<RawDial>(
        "RawDial",
        StepKind::Dial.help(),
        vec![
            (
                "to",
                json!({
                    "description": "Who to dial: +E.164, sip:…, client:name, or a {{template}}; a list rings several (at most 10).",
                    "anyOf": [r("text"), { "type": "array", "items": r("text"), "minItems": 1, "maxItems": 10 }]
                }),
            ),
            (
                "strategy",
                json!({ "enum": ["simultaneous", "sequential"], "description": "Ring a list at once (default) or one after another." }),
            ),
            ("timeout", count(5, 600, "Seconds to ring (per target when sequential).")),
            ("time_limit", seconds("Maximum call length in seconds.")),
            ("caller_id", d(text(), "Caller ID shown to the called party.")),
            ("record", json!({ "enum": record_modes, "description": "Record the call: true, false, or a Twilio mode." })),
            ("answer_on_bridge", boolean("Keep ringing for the caller until answered.")),
            ("hangup_on_star", boolean("The caller may press * to leave the call.")),
            ("ring_tone", d(text(), "Ring tone country code.")),
            (
                "send_digits",
                json!({ "type": ["string", "integer"], "pattern": "^[0-9*#wW]+$", "description": "DTMF to send once answered." }),
            ),
            ("next", target("After an answered call, if the caller is still there.")),
            ("on_busy", target("When the line is busy (default: on_fail).")),
            ("on_no_answer", target("When nobody answers (default: on_fail).")),
            ("on_failed", target("When the call fails (default: on_fail).")),
            ("on_fail", target("Any unanswered outcome without its own target.")),
            ("notify", notify("Channels told when nobody answers (busy, no answer, failed).")),
        ],
        &["to"],
    );
    let record = g.object::<RawRecord>(
        "RawRecord",
        StepKind::Record.help(),
        vec![
            ("prompt", d(r("prompt"), "Said before the beep.")),
            ("max_length", count(1, 14400, "Longest recording in seconds.")),
            ("timeout", count(0, 4294967295, "Seconds of silence that end the recording.")),
            ("finish_on_key", json!({ "type": ["string", "integer"], "pattern": "^[0-9*#]*$", "description": "Keys that end the recording." })),
            ("beep", boolean("Play a beep first.")),
            ("transcribe", boolean("Ask Twilio for a transcription.")),
            ("trim", boolean("Trim silence.")),
            ("next", target("After the recording.")),
            ("notify", notify("Channels told of the voicemail.")),
        ],
        &[],
    );
    let enqueue = g.object::<RawEnqueue>(
        "RawEnqueue",
        StepKind::Enqueue.help(),
        vec![
            ("queue", d(text(), "The queue name.")),
            ("wait_url", d(text(), "TwiML played while waiting.")),
            (
                "next",
                target("After leaving the queue (QueueResult tells why)."),
            ),
        ],
        &["queue"],
    );
    let conference = g.object::<RawConference>(
        "RawConference",
        StepKind::Conference.help(),
        vec![
            ("room", d(text(), "The room name.")),
            ("start_on_enter", boolean("The conference starts when this caller enters.")),
            ("end_on_exit", boolean("The conference ends when this caller leaves.")),
            ("muted", boolean("Join muted.")),
            (
                "beep",
                json!({ "enum": [true, false, "true", "false", "onEnter", "onExit"], "description": "When to beep." }),
            ),
            ("wait_url", d(text(), "TwiML played while waiting for the start.")),
            ("max_participants", count(2, 250, "At most this many participants.")),
            ("record", boolean("Record the conference.")),
            ("next", target("After leaving the conference.")),
        ],
        &["room"],
    );
    let mut redirect = g.object::<RawRedirect>(
        "RawRedirect",
        StepKind::Redirect.help(),
        vec![
            ("flow", d(text(), "Another flow of the set.")),
            (
                "step",
                d(text(), "A step of that flow (default: its start)."),
            ),
            ("url", d(text(), "An external TwiML URL.")),
        ],
        &[],
    );
    redirect["oneOf"] = json!([{ "required": ["flow"] }, { "required": ["url"] }]);
    redirect["dependencies"] = json!({ "step": ["flow"] });
    (dial, record, enqueue, conference, redirect)
}

/// A step: one action (menu, dial, … built here) and `next`.
fn step_def(g: &mut Gen, defs: &mut Map<String, Value>) {
    let (menu, ask) = input_actions(g);
    let (dial, record, enqueue, conference, redirect) = call_actions(g);
    let mut step = g.object::<RawStep>(
        "RawStep",
        "A step: exactly one action, plus `next` where the action goes on.",
        vec![
            ("description", d(text(), "Free text for humans.")),
            ("say", d(r("prompt"), StepKind::Say.help())),
            ("play", d(r("play"), StepKind::Play.help())),
            ("pause", seconds(StepKind::Pause.help())),
            (
                "route",
                json!({ "type": "array", "items": r("rule"), "description": StepKind::Route.help() }),
            ),
            ("menu", menu),
            ("ask", ask),
            ("dial", dial),
            ("record", record),
            ("enqueue", enqueue),
            ("conference", conference),
            ("redirect", redirect),
            (
                "set",
                json!({
                    "type": "object",
                    "description": StepKind::Set.help(),
                    "propertyNames": { "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" },
                    "additionalProperties": r("text")
                }),
            ),
            ("hangup", json!({ "const": true, "description": StepKind::Hangup.help() })),
            (
                "reject",
                json!({ "enum": ["busy", "rejected"], "description": StepKind::Reject.help() }),
            ),
            ("next", target("Where to go after the action (default: hang up).")),
            (
                "allow_caller_input",
                json!({ "type": "boolean", "description": "`true`: this step's dial targets, caller id or URLs are filled from caller input on purpose (silences `caller-input`)." }),
            ),
        ],
        &[],
    );
    let actions = StepKind::ALL.map(StepKind::name);
    step["oneOf"] = Value::Array(actions.iter().map(|a| json!({ "required": [a] })).collect());
    defs.insert("step".into(), step);
}

/// Business hours.
fn schedule_def(g: &mut Gen, defs: &mut Map<String, Value>) {
    let hours = json!({
        "type": "object",
        "description": "Weekly hours: day keys (mon-fri, sat, daily, weekends, …) to windows (\"09:00-12:00, 13:00-17:30\") or `closed`.",
        "additionalProperties": { "type": "string" }
    });
    let schedule = g.object::<ScheduleSpec>(
        "ScheduleSpec",
        "Business hours in a time zone, with closures and special openings.",
        vec![
            ("timezone", d(text(), "IANA zone (default: the flow's).")),
            ("hours", hours),
            (
                "closed",
                json!({ "type": "array", "items": { "type": "string" }, "description": "Closures: 2026-12-25, 2026-12-24..2026-12-26, 2026-12-31T17:00..2027-01-02T09:00." }),
            ),
            (
                "open",
                json!({ "type": "array", "items": { "type": "string" }, "description": "Special openings (same forms as `closed`); they win." }),
            ),
            (
                "force",
                json!({ "type": "string", "pattern": "^\\s*([Oo][Pp][Ee][Nn]|[Cc][Ll][Oo][Ss][Ee][Dd])\\s*$", "description": "Override: open or closed." }),
            ),
        ],
        &[],
    );
    defs.insert("schedule".into(), schedule);
}

/// A step's `notify` list.
fn notify(description: &str) -> Value {
    json!({
        "type": "array",
        "items": { "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$" },
        "description": description,
    })
}

/// One notification channel: a signed webhook or an email.
fn channel_schema() -> Value {
    let env = json!({ "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$" });
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "description": { "type": "string", "description": "Free text for humans." },
            "webhook": {
                "type": "object",
                "additionalProperties": false,
                "description": "A JSON POST signed with HMAC-SHA256 (Slack-compatible `text`).",
                "properties": {
                    "url": { "type": "string", "pattern": "^https?://", "description": "Where to POST." },
                    "url_env": { "allOf": [env], "description": "The environment variable holding the URL." },
                    "secret_env": { "allOf": [env], "description": "The environment variable holding the signing key." },
                    "secret_file": { "type": "string", "description": "A file holding the signing key." }
                }
            },
            "email": {
                "type": "object",
                "additionalProperties": false,
                "description": "An email over the server's SMTP relay (serve --smtp).",
                "properties": {
                    "to": { "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" }, "minItems": 1 }], "description": "Recipients." },
                    "from": { "type": "string", "description": "The sender (default: serve --smtp-from)." }
                },
                "required": ["to"]
            }
        },
        "oneOf": [{ "required": ["webhook"] }, { "required": ["email"] }]
    })
}

/// The flow-file schema (and the problems the key tables have, if any).
fn flow_schema_checked() -> (Value, Vec<String>) {
    let mut g = Gen::default();
    let mut defs = Map::new();
    flow_defs(&mut g, &mut defs);
    let mut root = g.object::<RawFlow>(
        "RawFlow",
        "A switchboard flow file: one phone line (named after the file). Files whose name starts with `_` hold shared vars and schedules.",
        vec![
            ("description", d(r("text"), "Free text for humans.")),
            (
                "numbers",
                json!({ "type": "array", "items": r("text"), "description": "Dialed numbers (To) this flow answers: +E.164, sip:…, client:name, or a `prefix*`." }),
            ),
            ("default", json!({ "type": "boolean", "description": "Answer numbers no flow claims." })),
            ("timezone", d(r("text"), "IANA zone for schedules, e.g. America/New_York.")),
            ("voice", d(r("text"), "Default <Say voice>.")),
            ("language", d(r("text"), "Default <Say language>.")),
            ("vars", d(r("textMap"), "Constants, used as {{vars.name}}.")),
            (
                "schedules",
                json!({ "type": "object", "additionalProperties": r("schedule"), "description": "Named schedules, used as `open: name`." }),
            ),
            ("start", d(r("target"), "The first step.")),
            ("on_error", d(r("target"), "Where a run-time failure goes after the apology.")),
            (
                "steps",
                json!({
                    "type": "object",
                    "description": "The steps by name.",
                    "propertyNames": { "pattern": "^[A-Za-z0-9_-]{1,64}$", "not": { "const": "hangup" } },
                    "additionalProperties": r("step")
                }),
            ),
        ],
        &[],
    );
    // Shared files have no steps; a flow with steps needs a start.
    root["dependencies"] = json!({ "steps": ["start"] });
    // `channels` is a shared file's key only (the loader refuses it in a flow file); one
    // schema serves both kinds of file.
    root["properties"]["channels"] = json!({
        "type": "object",
        "description": "Notification channels `notify` names (shared files, `_*.yaml`, only).",
        "propertyNames": { "pattern": "^[A-Za-z0-9_-]{1,64}$" },
        "additionalProperties": channel_schema(),
    });
    // Shared files use a subset of the flow keys; checking that here keeps one schema valid
    // for both.
    if let Some(shared) = fields_of::<RawShared>() {
        for f in shared {
            if root["properties"].get(*f).is_none() {
                g.problems.push(format!(
                    "RawShared.{f} is not a flow key; shared files need their own schema"
                ));
            }
        }
    }
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    out.insert("title".into(), json!("switchboard flow file"));
    if let Some(o) = root.as_object() {
        out.extend(o.clone());
    }
    out.insert("definitions".into(), Value::Object(defs));
    (Value::Object(out), g.problems)
}

/// The test-file schema (and the problems the key tables have, if any).
fn test_schema_checked() -> (Value, Vec<String>) {
    let mut g = Gen::default();
    let mut defs = Map::new();
    common(&mut defs);
    let list = |desc: &str| json!({ "type": "array", "items": r("text"), "description": desc });
    let call = g.object::<RawCall>(
        "RawCall",
        "Who calls whom, when.",
        vec![
            ("to", d(r("text"), "The dialed number (To).")),
            ("from", d(r("text"), "The caller (From).")),
            (
                "at",
                json!({ "type": "string", "description": "When: 2026-11-30T10:00 in the answering flow's zone, or an RFC 3339 instant." }),
            ),
            (
                "params",
                json!({ "type": "object", "additionalProperties": r("text"), "description": "Extra request parameters (FromCountry: US)." }),
            ),
        ],
        &["to", "at"],
    );
    let statuses: Vec<&str> = DialStatus::ALL.iter().map(|s| s.as_str()).collect();
    let mut expect = g.object::<RawExpect>(
        "RawExpect",
        "What must happen; every key given must hold.",
        vec![
            ("path", list("Every step entered, in order (@flow.step for other flows).")),
            ("hears", list("Text (or audio URLs) the caller hears, in order; each a part of something said.")),
            ("not_hears", list("Text the caller must not hear.")),
            ("dials", list("Every party dialed, in order.")),
            ("ends_at", d(r("text"), "The last step entered, or a party the last dial rings.")),
            (
                "ending",
                json!({ "enum": ENDINGS, "description": "How the call ends." }),
            ),
        ],
        &[],
    );
    expect["minProperties"] = json!(1);
    let case = g.object::<RawCase>(
        "RawCase",
        "One simulated call and what must happen.",
        vec![
            ("name", json!({ "type": "string", "description": "Shown in the output; matched by --run." })),
            ("call", call),
            ("inputs", list("Replies at each menu or ask, in order: keys (0-9*#) or speech; \"\" is silence.")),
            (
                "dial",
                json!({
                    "description": "Outcome of each dial, in order; the last repeats (default completed).",
                    "anyOf": [
                        { "enum": statuses },
                        { "type": "array", "items": { "enum": statuses } }
                    ]
                }),
            ),
            ("record_seconds", json!({ "type": "integer", "minimum": 0, "maximum": 4294967295u64, "description": "Length of each recording; 0 is an empty one." })),
            ("queue_result", json!({ "enum": QUEUE_RESULTS, "description": "QueueResult when the caller leaves a queue." })),
            ("hang_up", json!({ "type": "boolean", "description": "Once the inputs are used up, the caller hangs up at the next menu or ask (instead of staying silent)." })),
            ("expect", expect),
        ],
        &["name", "call", "expect"],
    );
    let root = g.object::<RawTestFile>(
        "RawTestFile",
        "A switchboard flow-test file (switchboard test).",
        vec![
            ("flows", d(r("text"), "The flows directory, relative to this file (default: the directory above tests/).")),
            ("tests", json!({ "type": "array", "items": case, "description": "The cases." })),
        ],
        &["tests"],
    );
    let mut out = Map::new();
    out.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    out.insert("title".into(), json!("switchboard flow-test file"));
    if let Some(o) = root.as_object() {
        out.extend(o.clone());
    }
    out.insert("definitions".into(), Value::Object(defs));
    (Value::Object(out), g.problems)
}

/// A schema, with every key the description tables miss or invent (empty when in sync).
pub fn generate(kind: Kind) -> (Value, Vec<String>) {
    match kind {
        Kind::Flow => flow_schema_checked(),
        Kind::Test => test_schema_checked(),
    }
}

/// The schema as `switchboard schema` prints it (pretty JSON, trailing newline).
pub fn render(kind: Kind) -> String {
    let (v, _) = generate(kind);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_match_the_loader_types() {
        for kind in [Kind::Flow, Kind::Test] {
            let (_, problems) = generate(kind);
            assert!(problems.is_empty(), "{kind:?}: {problems:#?}");
        }
    }

    #[test]
    fn the_probe_reads_serde_field_names() {
        let f = fields_of::<RawRule>().expect("derived struct");
        assert_eq!(f, ["if", "goto"]);
        assert!(fields_of::<RawPrompt>().is_none());
        assert!(fields_of::<String>().is_none());
    }

    /// Every object the schema closes must be one the loader closes: parsing a mapping with
    /// an unknown key fails for each of these types.
    #[test]
    fn closed_objects_are_closed_in_the_loader_too() {
        fn rejects<T: DeserializeOwned>(name: &str) {
            let r = serde_saphyr::from_str::<T>("zz_not_a_key: 1\n");
            match r {
                Err(e) => assert!(e.to_string().contains("unknown field"), "{name}: {e}"),
                Ok(_) => panic!("{name} accepts unknown keys"),
            }
        }
        rejects::<RawFlow>("RawFlow");
        rejects::<RawShared>("RawShared");
        rejects::<RawStep>("RawStep");
        rejects::<RawRule>("RawRule");
        rejects::<RawPromptItem>("RawPromptItem");
        rejects::<RawPlayFull>("RawPlayFull");
        rejects::<RawMenu>("RawMenu");
        rejects::<RawAsk>("RawAsk");
        rejects::<RawDial>("RawDial");
        rejects::<RawRecord>("RawRecord");
        rejects::<RawEnqueue>("RawEnqueue");
        rejects::<RawConference>("RawConference");
        rejects::<RawRedirect>("RawRedirect");
        rejects::<ScheduleSpec>("ScheduleSpec");
        rejects::<RawTestFile>("RawTestFile");
        rejects::<RawCase>("RawCase");
        rejects::<RawCall>("RawCall");
        rejects::<RawExpect>("RawExpect");
    }

    /// The schema's required keys are the ones serde requires (for types where the schema
    /// requires only what serde does).
    #[test]
    fn required_keys_match_serde() {
        let missing = |text: &str| -> String {
            match serde_saphyr::from_str::<RawCase>(text) {
                Err(e) => e.to_string(),
                Ok(_) => String::new(),
            }
        };
        assert!(missing("{}").contains("missing field `name`"));
        assert!(serde_saphyr::from_str::<RawRule>("{}").is_err());
        assert!(serde_saphyr::from_str::<RawCall>("to: \"+1\"").is_err());
        let (v, _) = generate(Kind::Test);
        let case = &v["properties"]["tests"]["items"];
        assert_eq!(case["required"], json!(["name", "call", "expect"]));
    }
}
