//! The typed TwiML model: the `<Response>` document, its verbs and `<Dial>` nouns, with the
//! attributes switchboard uses. Plain data; [`super::write`] turns it into XML and
//! [`super::read`] reads XML back into it.

/// HTTP method Twilio uses for a callback; written `GET` or `POST`.
///
/// The default is `Post`, which is also Twilio's default everywhere.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Method {
    /// Written `GET`.
    Get,
    /// Written `POST`.
    #[default]
    Post,
}

impl Method {
    /// The attribute value Twilio expects: `"GET"` or `"POST"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A TwiML document: the `<Response>` root and its verbs, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The verbs inside `<Response>`, executed top to bottom.
    pub verbs: Vec<Verb>,
}

impl Response {
    /// An empty document, written `<Response />`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a verb to the end of the document.
    pub fn push(&mut self, verb: impl Into<Verb>) {
        self.verbs.push(verb.into());
    }

    /// True when the document has no verbs (Twilio then ends the call).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.verbs.is_empty()
    }
}

/// A verb allowed directly inside `<Response>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
    /// `<Gather>`.
    Gather(Gather),
    /// `<Dial>`.
    Dial(Dial),
    /// `<Record>`.
    Record(Record),
    /// `<Enqueue>`.
    Enqueue(Enqueue),
    /// `<Redirect>`.
    Redirect(Redirect),
    /// `<Hangup />`.
    Hangup,
    /// `<Reject>`.
    Reject(Reject),
    /// `<Leave />`: takes the caller out of the queue it is waiting in.
    Leave,
}

macro_rules! impl_from {
    ($target:ident: $($variant:ident),+ $(,)?) => {
        $(
            impl From<$variant> for $target {
                fn from(value: $variant) -> Self {
                    $target::$variant(value)
                }
            }
        )+
    };
}

impl_from!(Verb: Say, Play, Pause, Gather, Dial, Record, Enqueue, Redirect, Reject);
impl_from!(GatherChild: Say, Play, Pause);
impl_from!(DialNoun: Number, Client, Sip, Conference, Queue);

/// `<Say>`: reads text aloud.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Say {
    /// The element text: what is spoken. Empty writes `<Say />`.
    pub text: String,
    /// `voice` attribute, e.g. `Polly.Joanna`; passed through unvalidated.
    pub voice: Option<String>,
    /// `language` attribute (BCP-47).
    pub language: Option<String>,
    /// `loop` attribute: repetitions, `0` meaning until hangup.
    pub loop_count: Option<u32>,
}

/// `<Play>`: plays an audio file or sends DTMF digits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Play {
    /// The element text: the audio URL. May be empty when `digits` is set.
    pub url: String,
    /// `loop` attribute: repetitions, `0` meaning until hangup.
    pub loop_count: Option<u32>,
    /// `digits` attribute: DTMF to send (`0-9 * # w`).
    pub digits: Option<String>,
}

/// `<Pause>`: silence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pause {
    /// `length` attribute: seconds (Twilio's default is 1).
    pub length: Option<u32>,
}

/// A verb allowed inside `<Gather>`; Twilio accepts only these three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    /// `<Say>`.
    Say(Say),
    /// `<Play>`.
    Play(Play),
    /// `<Pause>`.
    Pause(Pause),
}

/// `<Gather>`: collects DTMF or speech while its children play.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gather {
    /// `action` attribute: URL requested with the input.
    pub action: Option<String>,
    /// `method` attribute: method for `action`.
    pub method: Option<Method>,
    /// `input` attribute: `dtmf`, `speech` or `dtmf speech`.
    pub input: Option<String>,
    /// `timeout` attribute: seconds to wait for input.
    pub timeout: Option<u32>,
    /// `finishOnKey` attribute; `Some("")` disables the finish key.
    pub finish_on_key: Option<String>,
    /// `numDigits` attribute: digits that end input.
    pub num_digits: Option<u32>,
    /// `actionOnEmptyResult` attribute: request `action` even with no input.
    pub action_on_empty_result: Option<bool>,
    /// `speechTimeout` attribute: seconds or `auto`.
    pub speech_timeout: Option<String>,
    /// `speechModel` attribute.
    pub speech_model: Option<String>,
    /// `language` attribute (BCP-47) for speech recognition.
    pub language: Option<String>,
    /// `hints` attribute: comma-separated phrases.
    pub hints: Option<String>,
    /// `profanityFilter` attribute.
    pub profanity_filter: Option<bool>,
    /// Nested prompts, written as child elements in order.
    pub children: Vec<GatherChild>,
}

/// `<Dial>`: connects the caller to another party.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dial {
    /// `action` attribute: URL requested when the dialed leg ends.
    pub action: Option<String>,
    /// `method` attribute: method for `action`.
    pub method: Option<Method>,
    /// `timeout` attribute: seconds to ring.
    pub timeout: Option<u32>,
    /// `timeLimit` attribute: maximum call length in seconds.
    pub time_limit: Option<u32>,
    /// `callerId` attribute.
    pub caller_id: Option<String>,
    /// `answerOnBridge` attribute.
    pub answer_on_bridge: Option<bool>,
    /// `hangupOnStar` attribute.
    pub hangup_on_star: Option<bool>,
    /// `record` attribute, e.g. `record-from-answer-dual`.
    pub record: Option<String>,
    /// `trim` attribute: `trim-silence` or `do-not-trim`.
    pub trim: Option<String>,
    /// `recordingStatusCallback` attribute.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod` attribute.
    pub recording_status_callback_method: Option<Method>,
    /// `recordingStatusCallbackEvent` attribute: space-separated events.
    pub recording_status_callback_event: Option<String>,
    /// `ringTone` attribute: a country code.
    pub ring_tone: Option<String>,
    /// `sequential` attribute: ring the nouns in order instead of at once.
    pub sequential: Option<bool>,
    /// The element text: a bare number to dial, written before any nouns
    /// (`<Dial>+14155550111</Dial>`). Equivalent to a single `<Number>`
    /// noun, but it is the form twilio-python's `dial('+1…')` writes.
    pub number: Option<String>,
    /// The nouns to dial, written as child elements in order.
    pub nouns: Vec<DialNoun>,
}

/// A noun allowed inside `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialNoun {
    /// `<Number>`.
    Number(Number),
    /// `<Client>`.
    Client(Client),
    /// `<Sip>`.
    Sip(Sip),
    /// `<Conference>`.
    Conference(Conference),
    /// `<Queue>`.
    Queue(Queue),
}

/// `<Number>` inside `<Dial>`: a phone number to ring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Number {
    /// The element text: the E.164 number.
    pub number: String,
    /// `sendDigits` attribute: DTMF sent after answer (`w` = pause).
    pub send_digits: Option<String>,
    /// `url` attribute: screening document run on the callee.
    pub url: Option<String>,
    /// `method` attribute: method for `url`.
    pub method: Option<Method>,
    /// `statusCallback` attribute.
    pub status_callback: Option<String>,
    /// `statusCallbackEvent` attribute: space-separated events.
    pub status_callback_event: Option<String>,
    /// `statusCallbackMethod` attribute.
    pub status_callback_method: Option<Method>,
}

/// `<Client>` inside `<Dial>`: a Voice SDK client.
///
/// Without parameters the identity is the element text
/// (`<Client>alice</Client>`); with parameters it moves into `<Identity>`
/// followed by one `<Parameter name value />` per pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    /// The client identity: element text, or `<Identity>` text when
    /// parameters are present.
    pub identity: String,
    /// `<Parameter name="…" value="…" />` children, in order.
    pub parameters: Vec<(String, String)>,
    /// `url` attribute: screening document run on the callee.
    pub url: Option<String>,
    /// `method` attribute: method for `url`.
    pub method: Option<Method>,
    /// `statusCallback` attribute.
    pub status_callback: Option<String>,
    /// `statusCallbackEvent` attribute: space-separated events.
    pub status_callback_event: Option<String>,
    /// `statusCallbackMethod` attribute.
    pub status_callback_method: Option<Method>,
}

/// `<Sip>` inside `<Dial>`: a SIP endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sip {
    /// The element text: the SIP URI.
    pub uri: String,
    /// `username` attribute (digest authentication).
    pub username: Option<String>,
    /// `password` attribute (digest authentication).
    pub password: Option<String>,
    /// `statusCallback` attribute.
    pub status_callback: Option<String>,
    /// `statusCallbackEvent` attribute: space-separated events.
    pub status_callback_event: Option<String>,
    /// `statusCallbackMethod` attribute.
    pub status_callback_method: Option<Method>,
}

/// `<Conference>` inside `<Dial>`: a conference room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conference {
    /// The element text: the room name.
    pub name: String,
    /// `muted` attribute.
    pub muted: Option<bool>,
    /// `beep` attribute: `true`, `false`, `onEnter` or `onExit`.
    pub beep: Option<String>,
    /// `startConferenceOnEnter` attribute.
    pub start_conference_on_enter: Option<bool>,
    /// `endConferenceOnExit` attribute.
    pub end_conference_on_exit: Option<bool>,
    /// `waitUrl` attribute: hold music; `Some("")` means silence.
    pub wait_url: Option<String>,
    /// `waitMethod` attribute: method for `waitUrl`.
    pub wait_method: Option<Method>,
    /// `maxParticipants` attribute.
    pub max_participants: Option<u32>,
    /// `record` attribute: `do-not-record` or `record-from-start`.
    pub record: Option<String>,
    /// `trim` attribute.
    pub trim: Option<String>,
    /// `statusCallback` attribute.
    pub status_callback: Option<String>,
    /// `statusCallbackEvent` attribute: space-separated events.
    pub status_callback_event: Option<String>,
    /// `statusCallbackMethod` attribute.
    pub status_callback_method: Option<Method>,
    /// `recordingStatusCallback` attribute.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackEvent` attribute: space-separated events.
    pub recording_status_callback_event: Option<String>,
    /// `recordingStatusCallbackMethod` attribute.
    pub recording_status_callback_method: Option<Method>,
}

/// `<Queue>` inside `<Dial>`: dequeues the caller waiting longest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// The element text: the queue name.
    pub name: String,
    /// `url` attribute: document run on the dequeued caller.
    pub url: Option<String>,
    /// `method` attribute: method for `url`.
    pub method: Option<Method>,
}

/// `<Record>`: records the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// `action` attribute: URL requested when recording ends.
    pub action: Option<String>,
    /// `method` attribute: method for `action`.
    pub method: Option<Method>,
    /// `timeout` attribute: seconds of silence that end the recording.
    pub timeout: Option<u32>,
    /// `finishOnKey` attribute: keys that end the recording.
    pub finish_on_key: Option<String>,
    /// `maxLength` attribute: seconds.
    pub max_length: Option<u32>,
    /// `playBeep` attribute.
    pub play_beep: Option<bool>,
    /// `trim` attribute: `trim-silence` or `do-not-trim`.
    pub trim: Option<String>,
    /// `recordingStatusCallback` attribute.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod` attribute.
    pub recording_status_callback_method: Option<Method>,
    /// `recordingStatusCallbackEvent` attribute: space-separated events.
    pub recording_status_callback_event: Option<String>,
    /// `transcribe` attribute.
    pub transcribe: Option<bool>,
    /// `transcribeCallback` attribute.
    pub transcribe_callback: Option<String>,
}

/// `<Enqueue>`: puts the caller in a queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enqueue {
    /// The element text: the queue name.
    pub name: String,
    /// `action` attribute: URL requested when the caller leaves the queue.
    pub action: Option<String>,
    /// `method` attribute: method for `action`.
    pub method: Option<Method>,
    /// `waitUrl` attribute: hold document; `Some("")` means silence.
    pub wait_url: Option<String>,
    /// `waitUrlMethod` attribute: method for `waitUrl`.
    pub wait_url_method: Option<Method>,
}

/// `<Redirect>`: continues with the document at another URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Redirect {
    /// The element text: the URL to fetch.
    pub url: String,
    /// `method` attribute: method for the URL.
    pub method: Option<Method>,
}

/// `<Reject>`: declines the call unanswered when it is the first verb.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reject {
    /// `reason` attribute: `rejected` or `busy`.
    pub reason: Option<String>,
}
