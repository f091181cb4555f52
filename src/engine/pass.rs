//! File passes: work that runs on a file after its rules and fact
//! extractors, over the same tree, and may run the rules again under other
//! assumptions about which functions are request handlers. What a pass
//! finds holds only if phase 2 confirms its condition (a NestJS service
//! method that some controller of another file reaches), so the engine
//! completes these findings like the file's own (metadata, fingerprints,
//! suppressions) and hands them back to the pass to keep in the file's
//! facts; the pass's project side decides which hold.

use crate::engine::context::{FileCtx, RawFinding};
use crate::engine::facts::FileFacts;
use crate::engine::Engine;
use crate::finding::Finding;
use crate::semantics::Handlers;
use std::any::Any;

/// A condition a pass attaches to one of its findings, opaque to the
/// engine.
pub type Tag = Box<dyn Any>;

pub trait FilePass: Sync {
    /// Whether the file gives the pass anything to do (read from the facts
    /// its extractors recorded).
    fn applies(&self, ctx: &FileCtx) -> bool;
    /// The findings of the file under the pass's assumptions that its own
    /// run does not have, each with its condition.
    fn run(&self, rerun: &Rerun, base: &FileCtx) -> Vec<(RawFinding, Tag)>;
    /// Keeps the completed findings (in the order `run` returned them),
    /// each with its condition and the directive that suppresses it.
    fn store(&self, facts: &mut FileFacts, found: Vec<(Finding, Tag, Option<usize>)>);
}

/// The rules of a file's run, to run again.
pub struct Rerun<'e> {
    pub(crate) engine: &'e Engine,
    pub(crate) enabled: &'e [bool],
}

impl Rerun<'_> {
    /// Per rule index: it ran on the file.
    pub fn enabled(&self) -> &[bool] {
        self.enabled
    }

    /// The rules of `run` over `base`'s tree again, with `handlers` as the
    /// request handlers: their findings and the rules that read request
    /// data in that run.
    pub fn run(&self, base: &FileCtx, run: &[bool], handlers: Handlers) -> (Vec<RawFinding>, Vec<usize>) {
        self.engine.rerun(base, run, handlers)
    }
}
