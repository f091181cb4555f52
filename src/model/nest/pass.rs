//! The NestJS file pass: findings a file's rules report when its
//! `@Injectable()` service methods are request handlers, or when their
//! parameters carry request data. Phase 2 ([`super::services::resolve`])
//! keeps those whose methods a controller reaches.

use super::providers::service_methods;
use super::services::{Cond, Conditional, NestFacts};
use crate::engine::context::{FileCtx, RawFinding};
use crate::engine::facts::FileFacts;
use crate::engine::pass::{FilePass, Rerun, Tag};
use crate::finding::{Finding, Severity};
use crate::parse::Syntax;
use crate::semantics::js::is_function_kind;
use crate::semantics::Handlers;

pub struct ServicePass;

/// Registered with the engine by `crate::registry`.
pub static PASS: ServicePass = ServicePass;

impl FilePass for ServicePass {
    fn applies(&self, ctx: &FileCtx) -> bool {
        ctx.facts.get::<NestFacts>().is_some_and(|n| !n.injectables.is_empty())
    }

    fn run(&self, rerun: &Rerun, base: &FileCtx) -> Vec<(RawFinding, Tag)> {
        conditional(rerun, base).into_iter().map(|(f, when)| (f, Box::new(when) as Tag)).collect()
    }

    fn store(&self, facts: &mut FileFacts, found: Vec<(Finding, Tag, Option<usize>)>) {
        let nest = facts.get_or_insert_with(NestFacts::default);
        for (finding, tag, suppressed_by) in found {
            let Ok(when) = tag.downcast::<Vec<Cond>>() else { continue };
            nest.conditional.push(Conditional { when: *when, finding, suppressed_by });
        }
    }
}

/// Conditional findings of a file with NestJS `@Injectable()` classes:
/// what the rules that asked about request handlers report when the
/// service methods are handlers too (each with the methods it depends
/// on), and what the rules that asked about request data report when,
/// in turn, the j-th parameter of every service method carries request
/// data (each with the method and parameter). Phase 2 keeps those whose
/// methods a controller reaches ([`super::services::resolve`]).
///
/// A rule that did not read the handlers in the normal run follows the
/// same path whatever they are, so only the rules that did run again;
/// likewise for request data between the handler pass and the taint
/// passes.
fn conditional(rerun: &Rerun, base: &FileCtx) -> Vec<(RawFinding, Vec<Cond>)> {
    let enabled = rerun.enabled();
    let readers = base.handler_readers.borrow().clone();
    if readers.is_empty() {
        return Vec::new();
    }
    let root = base.tree.root_node();
    let src: &str = &base.src.text;
    let services = service_methods(root, src);
    if services.is_empty() {
        return Vec::new();
    }
    let index = base.call_index();
    let closures: Vec<Handlers> = services.iter().map(|s| index.closure(root, src, s.node)).collect();
    let mut handlers = base.handlers().clone();
    for c in &closures {
        for r in &c.ranges {
            if !handlers.ranges.contains(r) {
                handlers.ranges.push(*r);
            }
        }
    }
    type Id = (usize, usize, usize, String, Option<Severity>);
    let id = |f: &RawFinding| -> Id { (f.rule, f.at.0, f.at.1, f.message.clone(), f.severity) };
    let mut known: std::collections::HashSet<Id> = base.findings.iter().map(id).collect();
    let chain_of = |f: &RawFinding| -> Vec<tree_sitter::Node> {
        // The finding's node if it is a function, then its enclosing ones.
        root.descendant_for_byte_range(f.at.0, f.at.1)
            .map(|n| {
                let own = Some(n).filter(|n| is_function_kind(n.ty()));
                own.into_iter().chain(base.enclosing_functions(n)).collect()
            })
            .unwrap_or_default()
    };
    let mut out: Vec<(RawFinding, Vec<Cond>)> = Vec::new();

    let run: Vec<bool> = (0..enabled.len()).map(|i| enabled[i] && readers.contains(&i)).collect();
    let (found, taint_readers) = rerun.run(base, &run, handlers.clone());
    for f in found {
        if !known.insert(id(&f)) {
            continue;
        }
        let chain = chain_of(&f);
        let when: Vec<Cond> = services
            .iter()
            .zip(&closures)
            .filter(|(_, c)| chain.iter().any(|n| c.is_handler(*n)))
            .map(|(s, _)| Cond { class: s.class.clone(), method: s.method.clone(), param: None })
            .collect();
        if !when.is_empty() {
            out.push((f, when));
        }
    }
    if taint_readers.is_empty() {
        return out;
    }
    let run: Vec<bool> = (0..enabled.len()).map(|i| enabled[i] && taint_readers.contains(&i)).collect();
    let max_params = services.iter().map(|s| s.params).max().unwrap_or(0).min(8);
    let first_taint = out.len();
    for j in 0..max_params {
        let mut h = handlers.clone();
        for s in services.iter().filter(|s| s.params > j) {
            h.tainted_params.push(((s.node.start_byte(), s.node.end_byte()), j));
        }
        let (found, _) = rerun.run(base, &run, h);
        for f in found {
            let chain = chain_of(&f);
            let when: Vec<Cond> = services
                .iter()
                .filter(|s| s.params > j && chain.contains(&s.node))
                .map(|s| Cond { class: s.class.clone(), method: s.method.clone(), param: Some(j as u32) })
                .collect();
            if when.is_empty() {
                continue;
            }
            let fid = id(&f);
            if let Some(prev) = out[first_taint..].iter_mut().find(|(p, _)| id(p) == fid) {
                prev.1.extend(when);
            } else if known.insert(fid) {
                out.push((f, when));
            }
        }
    }
    out
}
