//! The flow file as written: serde types that mirror the YAML one to one, with a source
//! span on every value.
//!
//! serde-saphyr loses spans through `#[serde(flatten)]` and untagged or internally tagged
//! enums, so nothing here uses them. A step is a struct of optional action fields (the
//! compiler checks that exactly one is set); values that may take several shapes (a prompt
//! that is a string or a list, a condition) have hand-written visitors that keep asking the
//! YAML deserializer for `Spanned` values.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::kind::StepKind;

use crate::schedule::ScheduleSpec;

/// A spanned value.
pub type S<T> = Spanned<T>;

/// A YAML mapping kept in source order, with spanned keys (serde's maps lose both).
#[derive(Debug, Clone)]
pub struct OrderedMap<V>(pub Vec<(S<String>, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V_<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V_<V> {
            type Value = OrderedMap<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<S<String>>()? {
                    out.push((k, map.next_value::<V>()?));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(V_(std::marker::PhantomData))
    }
}

/// A flow file (`flows/acme.yaml`): one flow, named after the file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    /// Free text for humans.
    pub description: Option<S<String>>,
    /// Dialed numbers (`To`) this flow answers: E.164, SIP URI, `client:name` or `prefix*`.
    #[serde(default)]
    pub numbers: Vec<S<String>>,
    /// Answer numbers no flow claims.
    pub default: Option<S<bool>>,
    /// IANA zone for schedules.
    pub timezone: Option<S<String>>,
    /// Default `<Say voice>`.
    pub voice: Option<S<String>>,
    /// Default `<Say language>`.
    pub language: Option<S<String>>,
    /// Constants, `{{vars.name}}`.
    #[serde(default)]
    pub vars: OrderedMap<S<String>>,
    /// Schedules local to this flow.
    #[serde(default)]
    pub schedules: OrderedMap<S<ScheduleSpec>>,
    /// The first step.
    pub start: Option<S<String>>,
    /// Where a run-time failure goes after the apology.
    pub on_error: Option<S<String>>,
    /// The steps by name.
    #[serde(default)]
    pub steps: OrderedMap<S<RawStep>>,
}

/// A shared file (`flows/_common.yaml`): definitions many flows use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShared {
    /// Free text for humans.
    pub description: Option<S<String>>,
    /// Constants visible to every flow as `{{vars.name}}`.
    #[serde(default)]
    pub vars: OrderedMap<S<String>>,
    /// Schedules every flow can name.
    #[serde(default)]
    pub schedules: OrderedMap<S<ScheduleSpec>>,
    /// Notification channels `record` and `dial` steps can name in `notify`.
    #[serde(default)]
    pub channels: OrderedMap<S<RawChannel>>,
}

/// A notification channel (`channels:` in a shared file): exactly one of `webhook`, `email`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChannel {
    /// Free text for humans.
    pub description: Option<S<String>>,
    /// A JSON POST, signed.
    pub webhook: Option<S<RawWebhookChannel>>,
    /// An email over SMTP (`switchboard serve --smtp`).
    pub email: Option<S<RawEmailChannel>>,
}

/// A webhook channel: where to POST, and the key that signs the body. Secrets come from the
/// environment or a file, never from the flow file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhookChannel {
    /// The URL (`https://…`; `http://` only for a receiver on a private network).
    pub url: Option<S<String>>,
    /// The environment variable holding the URL (a Slack incoming webhook's URL is a
    /// secret).
    pub url_env: Option<S<String>>,
    /// The environment variable holding the signing key.
    pub secret_env: Option<S<String>>,
    /// A file holding the signing key.
    pub secret_file: Option<S<String>>,
}

/// An email channel: who gets it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEmailChannel {
    /// One address or a list.
    pub to: Option<S<OneOrMany>>,
    /// The sender (default: `serve --smtp-from`).
    pub from: Option<S<String>>,
}

/// One step: exactly one action field, plus `next` where the action continues.
///
/// Every field is boxed: a step sets two or three of these seventeen fields, and each field
/// carries two source locations (96 bytes) beside its value, so inline they made every raw
/// step 1.6 KB. Boxed, an absent field costs 8 bytes; the raw models of every file in
/// a set are alive at once during a load (targets need every flow's step names), and they
/// set the loader's peak memory, which the allocator keeps after the load.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Free text for humans.
    pub description: Option<Box<S<String>>>,
    pub say: Option<Box<S<RawPrompt>>>,
    pub play: Option<Box<S<RawPlay>>>,
    pub pause: Option<Box<S<u32>>>,
    pub route: Option<Box<S<Vec<S<RawRule>>>>>,
    pub menu: Option<Box<S<RawMenu>>>,
    pub ask: Option<Box<S<RawAsk>>>,
    pub dial: Option<Box<S<RawDial>>>,
    pub record: Option<Box<S<RawRecord>>>,
    pub enqueue: Option<Box<S<RawEnqueue>>>,
    pub conference: Option<Box<S<RawConference>>>,
    pub redirect: Option<Box<S<RawRedirect>>>,
    pub set: Option<Box<S<OrderedMap<S<String>>>>>,
    pub hangup: Option<Box<S<bool>>>,
    pub reject: Option<Box<S<String>>>,
    /// Where to go after the action (say, play, pause, set, record, enqueue, conference,
    /// route's otherwise, dial's answered outcome).
    pub next: Option<Box<S<String>>>,
    /// `true` when this step's dial targets, caller id or URLs may be filled from caller
    /// input on purpose (the `caller-input` check, docs/flows.md "Caller input").
    pub allow_caller_input: Option<Box<S<bool>>>,
}

/// The action a step sets, typed: one variant per [`StepKind`], borrowing the raw value.
#[derive(Debug, Clone, Copy)]
pub enum RawAction<'r> {
    Say(&'r S<RawPrompt>),
    Play(&'r S<RawPlay>),
    Pause(&'r S<u32>),
    Route(&'r S<Vec<S<RawRule>>>),
    Menu(&'r S<RawMenu>),
    Ask(&'r S<RawAsk>),
    Dial(&'r S<RawDial>),
    Record(&'r S<RawRecord>),
    Enqueue(&'r S<RawEnqueue>),
    Conference(&'r S<RawConference>),
    Redirect(&'r S<RawRedirect>),
    Set(&'r S<OrderedMap<S<String>>>),
    Hangup(&'r S<bool>),
    Reject(&'r S<String>),
}

impl RawAction<'_> {
    /// The kind of step it makes.
    pub fn kind(&self) -> StepKind {
        match self {
            RawAction::Say(_) => StepKind::Say,
            RawAction::Play(_) => StepKind::Play,
            RawAction::Pause(_) => StepKind::Pause,
            RawAction::Route(_) => StepKind::Route,
            RawAction::Menu(_) => StepKind::Menu,
            RawAction::Ask(_) => StepKind::Ask,
            RawAction::Dial(_) => StepKind::Dial,
            RawAction::Record(_) => StepKind::Record,
            RawAction::Enqueue(_) => StepKind::Enqueue,
            RawAction::Conference(_) => StepKind::Conference,
            RawAction::Redirect(_) => StepKind::Redirect,
            RawAction::Set(_) => StepKind::Set,
            RawAction::Hangup(_) => StepKind::Hangup,
            RawAction::Reject(_) => StepKind::Reject,
        }
    }

    /// Where its value starts in the file.
    pub fn at(&self) -> Location {
        match self {
            RawAction::Say(v) => v.referenced,
            RawAction::Play(v) => v.referenced,
            RawAction::Pause(v) => v.referenced,
            RawAction::Route(v) => v.referenced,
            RawAction::Menu(v) => v.referenced,
            RawAction::Ask(v) => v.referenced,
            RawAction::Dial(v) => v.referenced,
            RawAction::Record(v) => v.referenced,
            RawAction::Enqueue(v) => v.referenced,
            RawAction::Conference(v) => v.referenced,
            RawAction::Redirect(v) => v.referenced,
            RawAction::Set(v) => v.referenced,
            RawAction::Hangup(v) => v.referenced,
            RawAction::Reject(v) => v.referenced,
        }
    }
}

impl RawStep {
    /// Every action field the step sets, in [`StepKind::ALL`] order (a valid step has
    /// exactly one).
    pub fn actions(&self) -> Vec<RawAction<'_>> {
        let fields = [
            self.say.as_deref().map(RawAction::Say),
            self.play.as_deref().map(RawAction::Play),
            self.pause.as_deref().map(RawAction::Pause),
            self.route.as_deref().map(RawAction::Route),
            self.menu.as_deref().map(RawAction::Menu),
            self.ask.as_deref().map(RawAction::Ask),
            self.dial.as_deref().map(RawAction::Dial),
            self.record.as_deref().map(RawAction::Record),
            self.enqueue.as_deref().map(RawAction::Enqueue),
            self.conference.as_deref().map(RawAction::Conference),
            self.redirect.as_deref().map(RawAction::Redirect),
            self.set.as_deref().map(RawAction::Set),
            self.hangup.as_deref().map(RawAction::Hangup),
            self.reject.as_deref().map(RawAction::Reject),
        ];
        fields.into_iter().flatten().collect()
    }
}

/// A rule of a `route`: `if` (absent = always) then `goto`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(rename = "if")]
    pub cond: Option<S<RawCond>>,
    pub goto: S<String>,
}

/// A prompt: a string (text to say, or an `http(s)://` audio URL), one item, or a list.
#[derive(Debug, Clone)]
pub enum RawPrompt {
    Text(String),
    Items(Vec<S<RawPromptItem>>),
}

/// One part of a prompt list: exactly one of `say`, `play`, `pause`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPromptItem {
    pub say: Option<S<String>>,
    pub play: Option<S<String>>,
    pub pause: Option<S<u32>>,
    pub voice: Option<S<String>>,
    pub language: Option<S<String>>,
    #[serde(rename = "loop")]
    pub loop_count: Option<S<u32>>,
    /// DTMF tones to play (`<Play digits>`).
    pub digits: Option<S<String>>,
}

impl<'de> Deserialize<'de> for RawPrompt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPrompt;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a prompt: text, an audio URL, or a list of say/play/pause items")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPrompt, E> {
                Ok(RawPrompt::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPrompt, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<S<RawPromptItem>>()? {
                    items.push(item);
                }
                Ok(RawPrompt::Items(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPrompt, A::Error> {
                let item = RawPromptItem::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawPrompt::Items(vec![Spanned::new(
                    item,
                    serde_saphyr::Location::UNKNOWN,
                    serde_saphyr::Location::UNKNOWN,
                )]))
            }
        }
        d.deserialize_any(V)
    }
}

/// `play:` as a step: a URL, or a map with `url`, `loop`, `digits`.
#[derive(Debug, Clone)]
pub enum RawPlay {
    Url(String),
    Full(RawPlayFull),
}

/// `play:` with options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlayFull {
    pub url: Option<S<String>>,
    #[serde(rename = "loop")]
    pub loop_count: Option<S<u32>>,
    pub digits: Option<S<String>>,
}

impl<'de> Deserialize<'de> for RawPlay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawPlay;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an audio URL, or a map with url/loop/digits")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPlay, E> {
                Ok(RawPlay::Url(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPlay, A::Error> {
                Ok(RawPlay::Full(RawPlayFull::deserialize(
                    de::value::MapAccessDeserializer::new(map),
                )?))
            }
        }
        d.deserialize_any(V)
    }
}

/// A condition: a mapping whose keys are parameter names, `vars.x`, or the operators
/// `all`, `any`, `not`, `open`, `closed`. Several keys in one mapping must all hold.
#[derive(Debug, Clone)]
pub struct RawCond(pub Vec<(S<String>, RawCondPart)>);

/// The value under one key of a condition.
#[derive(Debug, Clone)]
pub enum RawCondPart {
    All(Vec<S<RawCond>>),
    Any(Vec<S<RawCond>>),
    Not(Box<S<RawCond>>),
    Open(S<String>),
    Closed(S<String>),
    Test(S<RawTest>),
}

impl<'de> Deserialize<'de> for RawCond {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCond;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a condition mapping, e.g. { From: { in: [...] } } or { open: office }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCond, A::Error> {
                let mut parts = Vec::new();
                while let Some(k) = map.next_key::<S<String>>()? {
                    let part = match k.value.as_str() {
                        "all" => RawCondPart::All(map.next_value()?),
                        "any" => RawCondPart::Any(map.next_value()?),
                        "not" => RawCondPart::Not(Box::new(map.next_value()?)),
                        "open" => RawCondPart::Open(map.next_value()?),
                        "closed" => RawCondPart::Closed(map.next_value()?),
                        _ => RawCondPart::Test(map.next_value()?),
                    };
                    parts.push((k, part));
                }
                Ok(RawCond(parts))
            }
        }
        d.deserialize_map(V)
    }
}

/// The test on one parameter: a scalar (equals), a list (in), or a mapping of operators.
#[derive(Debug, Clone)]
pub enum RawTest {
    Eq(String),
    In(Vec<S<String>>),
    Ops(Vec<(S<String>, S<RawOperand>)>),
}

/// An operator's operand: a scalar or a list of scalars.
#[derive(Debug, Clone)]
pub enum RawOperand {
    Scalar(String),
    List(Vec<S<String>>),
}

/// Accepts any YAML scalar as its text.
struct ScalarText;

impl<'de> Visitor<'de> for ScalarText {
    type Value = String;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl<'de> Deserialize<'de> for RawTest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTest;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a value, a list of values, or a mapping of operators (eq, in, matches, lt, …)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTest, E> {
                Ok(RawTest::Eq(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawTest, E> {
                Ok(RawTest::Eq(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTest, E> {
                Ok(RawTest::Eq(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTest, E> {
                Ok(RawTest::Eq(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawTest, E> {
                Ok(RawTest::Eq(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawTest, A::Error> {
                Ok(RawTest::In(scalar_list(seq)?))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawTest, A::Error> {
                let mut ops = Vec::new();
                while let Some(k) = map.next_key::<S<String>>()? {
                    ops.push((k, map.next_value::<S<RawOperand>>()?));
                }
                Ok(RawTest::Ops(ops))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawOperand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawOperand;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawOperand, E> {
                ScalarText.visit_str(v).map(RawOperand::Scalar)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawOperand, E> {
                ScalarText.visit_bool(v).map(RawOperand::Scalar)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawOperand, E> {
                ScalarText.visit_i64(v).map(RawOperand::Scalar)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawOperand, E> {
                ScalarText.visit_u64(v).map(RawOperand::Scalar)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawOperand, E> {
                ScalarText.visit_f64(v).map(RawOperand::Scalar)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<RawOperand, A::Error> {
                Ok(RawOperand::List(scalar_list(seq)?))
            }
        }
        d.deserialize_any(V)
    }
}

fn scalar_list<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<S<String>>, A::Error> {
    let mut out = Vec::new();
    while let Some(v) = seq.next_element::<S<Scalar>>()? {
        out.push(Spanned::new(v.value.0, v.referenced, v.defined));
    }
    Ok(out)
}

/// Any scalar, as text (numbers and booleans in a list of values are fine).
#[derive(Debug, Clone)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarText).map(Scalar)
    }
}

/// A string, or a list of strings (dial targets).
#[derive(Debug, Clone)]
pub struct OneOrMany(pub Vec<S<String>>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![Spanned::new(
                    v.to_string(),
                    serde_saphyr::Location::UNKNOWN,
                    serde_saphyr::Location::UNKNOWN,
                )]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                Ok(OneOrMany(scalar_list(seq)?))
            }
        }
        d.deserialize_any(V)
    }
}

/// `menu:` — a `<Gather>` with options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMenu {
    pub prompt: Option<S<RawPrompt>>,
    #[serde(default)]
    pub options: OrderedMap<S<String>>,
    #[serde(default)]
    pub speech: OrderedMap<S<String>>,
    pub timeout: Option<S<u32>>,
    pub attempts: Option<S<u32>>,
    pub invalid: Option<S<RawPrompt>>,
    pub no_input: Option<S<RawPrompt>>,
    pub exhausted: Option<S<String>>,
    pub digits: Option<S<u32>>,
    pub finish_on_key: Option<S<String>>,
    pub language: Option<S<String>>,
    pub hints: Option<S<String>>,
    pub speech_model: Option<S<String>>,
    pub speech_timeout: Option<S<String>>,
}

/// `ask:` — collect digits or speech into a variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAsk {
    pub prompt: Option<S<RawPrompt>>,
    pub input: Option<S<String>>,
    pub digits: Option<S<u32>>,
    pub finish_on_key: Option<S<String>>,
    pub pattern: Option<S<String>>,
    pub save_as: Option<S<String>>,
    /// What the caller enters here is never stored in clear (docs/records.md).
    pub sensitive: Option<S<bool>>,
    pub timeout: Option<S<u32>>,
    pub attempts: Option<S<u32>>,
    pub invalid: Option<S<RawPrompt>>,
    pub no_input: Option<S<RawPrompt>>,
    pub next: Option<S<String>>,
    pub exhausted: Option<S<String>>,
    pub language: Option<S<String>>,
    pub hints: Option<S<String>>,
    pub speech_model: Option<S<String>>,
    pub speech_timeout: Option<S<String>>,
}

/// `dial:` — connect the caller to numbers, SIP endpoints or clients.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDial {
    pub to: Option<S<OneOrMany>>,
    pub strategy: Option<S<String>>,
    pub timeout: Option<S<u32>>,
    pub time_limit: Option<S<u32>>,
    pub caller_id: Option<S<String>>,
    pub record: Option<S<Scalar>>,
    pub answer_on_bridge: Option<S<bool>>,
    pub hangup_on_star: Option<S<bool>>,
    pub ring_tone: Option<S<String>>,
    pub send_digits: Option<S<String>>,
    pub next: Option<S<String>>,
    pub on_busy: Option<S<String>>,
    pub on_no_answer: Option<S<String>>,
    pub on_failed: Option<S<String>>,
    pub on_fail: Option<S<String>>,
    /// Channels told when nobody answers (busy, no answer, failed).
    pub notify: Option<S<Vec<S<String>>>>,
}

/// `record:` — voicemail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecord {
    pub prompt: Option<S<RawPrompt>>,
    pub max_length: Option<S<u32>>,
    pub timeout: Option<S<u32>>,
    pub finish_on_key: Option<S<String>>,
    pub beep: Option<S<bool>>,
    pub transcribe: Option<S<bool>>,
    pub trim: Option<S<bool>>,
    pub next: Option<S<String>>,
    /// Channels told of the voicemail.
    pub notify: Option<S<Vec<S<String>>>>,
}

/// `enqueue:` — put the caller in a queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnqueue {
    pub queue: Option<S<String>>,
    pub wait_url: Option<S<String>>,
    pub next: Option<S<String>>,
}

/// `conference:` — put the caller in a conference room.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConference {
    pub room: Option<S<String>>,
    pub start_on_enter: Option<S<bool>>,
    pub end_on_exit: Option<S<bool>>,
    pub muted: Option<S<bool>>,
    pub beep: Option<S<Scalar>>,
    pub wait_url: Option<S<String>>,
    pub max_participants: Option<S<u32>>,
    pub record: Option<S<bool>>,
    pub next: Option<S<String>>,
}

/// `redirect:` — another flow (its start or a step), or an external TwiML URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRedirect {
    pub flow: Option<S<String>>,
    pub step: Option<S<String>>,
    pub url: Option<S<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_kind_is_a_step_key_and_actions_lists_them_in_table_order() {
        // A step with every action set: the YAML keys are the table's names, and
        // `actions` gives one typed action per kind, in `StepKind::ALL` order.
        let yaml = "say: hi\nplay: https://x/a.mp3\npause: 1\nroute: []\nmenu: {}\nask: {}\n\
                    dial: {}\nrecord: {}\nenqueue: {}\nconference: {}\nredirect: {}\nset: {}\n\
                    hangup: true\nreject: busy\n";
        let step: RawStep = crate::flow::parse_yaml(yaml).expect("parses");
        let kinds: Vec<StepKind> = step.actions().iter().map(RawAction::kind).collect();
        assert_eq!(kinds, StepKind::ALL);
        for k in StepKind::ALL {
            assert!(yaml.contains(&format!("{}:", k.name())), "{k}");
        }
    }

    #[test]
    fn a_raw_step_is_small_whatever_it_sets() {
        // Defect 8 (issue 10): every file's raw model is alive at once during a load, and
        // with its seventeen optional fields inline a raw step was 1,632 bytes, most of the
        // loader's peak. Boxed, an absent field is one pointer.
        let size = std::mem::size_of::<RawStep>();
        assert!(size <= 17 * 8, "RawStep is {size} bytes");
    }
}
