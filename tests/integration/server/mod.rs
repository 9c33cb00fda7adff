//! The webhook server over real sockets (the test server is `harness::server`), one module
//! per capability.

mod calls;
mod connections;
mod failures;
mod lifecycle;
mod limits;
mod signatures;

use crate::harness::FlowDir;

/// Two small flows on two numbers.
fn two_flows() -> FlowDir {
    FlowDir::new()
        .file(
            "sales.yaml",
            "numbers: [\"+14155550100\"]\nstart: hi\nsteps:\n  hi:\n    say: \"Sales here.\"\n    next: menu\n  menu:\n    menu:\n      prompt: \"Press 1.\"\n      options: { \"1\": bye }\n  bye:\n    say: \"Bye.\"\n    next: hangup\n",
        )
        .file(
            "support.yaml",
            "numbers: [\"+14155550101\"]\nstart: hi\nsteps:\n  hi:\n    say: \"Support here.\"\n    next: hangup\n",
        )
}
