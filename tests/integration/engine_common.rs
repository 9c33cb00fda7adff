//! Shared bits of the interpreter tests.

pub const MAIN: &str = "+14155550100";
pub const CALLER: &str = "+12025550143";

pub fn flow(steps: &str) -> String {
    format!(
        "numbers: [\"{MAIN}\"]\ntimezone: America/New_York\nstart: entry\nvars:\n  line: \"+14155550111\"\nsteps:\n{steps}"
    )
}
