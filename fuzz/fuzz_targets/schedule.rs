//! Schedules: any YAML as a schedule compiles or gives errors without a panic; a compiled
//! schedule answers `is_open` and `explain` (the same answer) at instants across centuries.
#![no_main]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use switchboard::schedule::{Schedule, ScheduleSpec};

fuzz_target!(|data: &[u8]| {
    // The first eight bytes pick the instant; the rest is the YAML.
    let (head, rest) = data.split_at(data.len().min(8));
    let mut seconds = [0u8; 8];
    seconds[..head.len()].copy_from_slice(head);
    let text = String::from_utf8_lossy(rest);
    let Ok(spec) = serde_saphyr::from_str::<ScheduleSpec>(&text) else {
        return;
    };
    let fallback = TimeZone::get("America/New_York").expect("bundled zone");
    let Ok(schedule) = Schedule::compile(&spec, &fallback) else {
        return;
    };
    // Anywhere from 1900 to 2200, then every hour of the following week.
    let span = 9_466_848_000_i64;
    let start = -2_208_988_800 + (i64::from_le_bytes(seconds).rem_euclid(span));
    for h in 0..168 {
        let Ok(at) = Timestamp::from_second(start + h * 3600) else {
            return;
        };
        let (open, why) = schedule.explain(at);
        assert_eq!(open, schedule.is_open(at), "{why}");
    }
});
