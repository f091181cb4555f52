//! Shared by every target: the input is one file's content, run through
//! `stackfit::fuzzing::Harness` (decode, parse, every rule, fact extractors,
//! project rules) on a thread with the stack a scan's workers get.

use stackfit::fuzzing::{Harness, SCAN_STACK_SIZE};
use stackfit::parse::Lang;
use std::sync::OnceLock;

static HARNESS: OnceLock<Harness> = OnceLock::new();

pub fn run(lang: Lang, data: &[u8]) {
    let harness = HARNESS.get_or_init(|| Harness::new().expect("builtin rules load"));
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(SCAN_STACK_SIZE)
            .spawn_scoped(s, || {
                let _ = harness.run(lang, data);
            })
            .expect("spawn")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
    });
}
