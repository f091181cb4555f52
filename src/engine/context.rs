//! What a rule sees of one file while it runs: the source, the tree, the
//! ancestors of the node being visited, lazily computed semantics (bindings,
//! request handlers, taint), the facts it may record for the project phase,
//! and the sink for its findings.

use crate::engine::facts::FileFacts;
use crate::finding::{Confidence, Fix, Location, Role, Severity};
use crate::parse::{Lang, Source};
use crate::semantics::{self, Bindings, Handlers, Taint};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use tree_sitter::{Node, Tree};

/// A finding as a rule reports it, before the engine attaches the rule's
/// metadata. `At` is where it starts: byte offsets in the current file for
/// file rules, a `Location` for project rules.
#[derive(Debug, Clone)]
pub struct Pending<At> {
    pub rule: usize,
    pub at: At,
    pub message: String,
    pub severity: Option<Severity>,
    /// Overrides the rule's confidence (an unknown value instead of request
    /// data).
    pub confidence: Option<Confidence>,
    pub related: Vec<Location>,
    pub fix: Option<Fix>,
    /// Project symbols that void the finding when a file provides one.
    pub unless: Vec<String>,
}

impl<At> Pending<At> {
    pub fn new(rule: usize, at: At, message: String) -> Self {
        Pending {
            rule,
            at,
            message,
            severity: None,
            confidence: None,
            related: Vec::new(),
            fix: None,
            unless: Vec::new(),
        }
    }
    pub fn severity(&mut self, s: Severity) -> &mut Self {
        self.severity = Some(s);
        self
    }
    pub fn confidence(&mut self, c: Confidence) -> &mut Self {
        self.confidence = Some(c);
        self
    }
    /// The finding does not hold if some file of the project provides
    /// `symbol` (`FileFacts::provides`): a guard defined in another module.
    pub fn unless(&mut self, symbol: String) -> &mut Self {
        self.unless.push(symbol);
        self
    }
    pub fn related(&mut self, loc: Location) -> &mut Self {
        self.related.push(loc);
        self
    }
    pub fn fix(&mut self, fix: Fix) -> &mut Self {
        self.fix = Some(fix);
        self
    }
}

/// A file rule's finding, in byte offsets of the current file.
pub type RawFinding = Pending<(usize, usize)>;

pub struct FileCtx<'a> {
    pub rel: &'a str,
    pub lang: Lang,
    /// The file's code role (what the fact extractors may count).
    pub role: Role,
    pub src: &'a Source,
    pub tree: &'a Tree,
    /// Ancestors of the node being dispatched, outermost first.
    pub ancestors: Vec<Node<'a>>,
    pub facts: FileFacts,
    pub(crate) current_rule: usize,
    pub(crate) findings: Vec<RawFinding>,
    bindings: OnceCell<Bindings>,
    handlers: OnceCell<Handlers>,
    /// JavaScript: the functions calls can be followed to (built with the
    /// handlers when they are computed first).
    call_index: OnceCell<semantics::js::CallIndex>,
    functions: semantics::functions::FnIndex<'a>,
    /// The tree flattened for fast traversals, registered for
    /// [`semantics::descendants`] while this context lives.
    flat: Option<crate::parse::flat::Installed<'a>>,
    taint: RefCell<HashMap<usize, std::rc::Rc<Taint>>>,
    /// Qualified names already computed, by node id: several rules (and
    /// the facts extractor) ask it of every call's callee.
    qualified: RefCell<HashMap<usize, Option<Box<str>>, foldhash::fast::FixedState>>,
    /// Per-file indexes a rule builds once and reuses for every node it is
    /// called on (plain data: byte ranges, names).
    pub memo: crate::engine::project::Memo,
    /// Rules (indices) that asked which functions are request handlers, and
    /// those that asked what carries request data: only their results can
    /// change when the handler set does (see `Engine::conditional`).
    pub(crate) handler_readers: RefCell<std::collections::BTreeSet<usize>>,
    pub(crate) taint_readers: RefCell<std::collections::BTreeSet<usize>>,
}

impl<'a> FileCtx<'a> {
    pub fn new(rel: &'a str, lang: Lang, src: &'a Source, tree: &'a Tree) -> FileCtx<'a> {
        let flat = crate::parse::flat::Flat::build(tree.root_node()).map(crate::parse::flat::Installed::new);
        let functions = semantics::functions::FnIndex::build(lang, tree.root_node());
        FileCtx {
            rel,
            lang,
            role: Role::App,
            src,
            tree,
            ancestors: Vec::new(),
            facts: FileFacts::default(),
            current_rule: usize::MAX,
            findings: Vec::new(),
            bindings: OnceCell::new(),
            handlers: OnceCell::new(),
            call_index: OnceCell::new(),
            functions,
            flat,
            taint: RefCell::new(HashMap::new()),
            qualified: RefCell::default(),
            memo: Default::default(),
            handler_readers: RefCell::default(),
            taint_readers: RefCell::default(),
        }
    }

    /// A context whose request handlers are `handlers` instead of those the
    /// file itself shows (for the engine's conditional passes).
    pub(crate) fn with_handlers(self, handlers: Handlers) -> FileCtx<'a> {
        let _ = self.handlers.set(handlers);
        self
    }

    fn note_read(&self, set: &RefCell<std::collections::BTreeSet<usize>>) {
        if self.current_rule != usize::MAX {
            set.borrow_mut().insert(self.current_rule);
        }
    }

    pub fn text(&self, node: Node) -> &'a str {
        semantics::text(node, &self.src.text)
    }

    /// Reports a finding of the running rule on `node`.
    pub fn report(&mut self, node: Node, message: impl Into<String>) -> &mut RawFinding {
        self.report_range(node.start_byte(), node.end_byte(), message)
    }

    pub fn report_range(&mut self, start: usize, end: usize, message: impl Into<String>) -> &mut RawFinding {
        self.findings.push(Pending::new(self.current_rule, (start, end), message.into()));
        self.findings.last_mut().unwrap()
    }

    /// A location in this file, for related locations and facts.
    pub fn location(&self, node: Node, message: Option<String>) -> Location {
        Location { path: self.rel.to_string(), span: self.src.span(node.start_byte(), node.end_byte()), message }
    }

    /// Import bindings and locally defined names of this file.
    pub fn bindings(&self) -> &Bindings {
        self.bindings.get_or_init(|| semantics::bindings(self.lang, self.tree.root_node(), &self.src.text))
    }

    /// The functions of this file, to find a node's enclosing function
    /// quickly (see [`semantics::functions`]).
    pub fn functions(&self) -> &semantics::functions::FnIndex<'a> {
        &self.functions
    }

    /// The innermost function enclosing `node`.
    pub fn enclosing_function(&self, node: Node<'a>) -> Option<Node<'a>> {
        self.functions.enclosing(node)
    }

    /// The functions enclosing `node`, innermost first.
    pub fn enclosing_functions(&self, node: Node<'a>) -> impl Iterator<Item = Node<'a>> + '_ {
        self.functions.chain(node)
    }

    /// The flattened tree, out of the context while the engine's dispatch
    /// loop iterates it (it stays registered for traversals meanwhile).
    pub(crate) fn take_flat(&mut self) -> Option<crate::parse::flat::Installed<'a>> {
        self.flat.take()
    }

    pub(crate) fn put_flat(&mut self, flat: crate::parse::flat::Installed<'a>) {
        self.flat = Some(flat);
    }

    /// Functions of this file that serve requests.
    pub fn handlers(&self) -> &Handlers {
        self.note_read(&self.handler_readers);
        self.handlers.get_or_init(|| {
            if self.lang.is_js_family() {
                let (h, calls) = semantics::js::handlers_and_calls(self.tree.root_node(), &self.src.text, self.rel);
                let _ = self.call_index.set(calls);
                return h;
            }
            semantics::handlers(self.lang, self.tree.root_node(), &self.src.text, self.rel)
        })
    }

    /// JavaScript: the functions of this file that calls can be followed
    /// to (see [`semantics::js::CallIndex`]).
    pub fn call_index(&self) -> &semantics::js::CallIndex {
        self.call_index.get_or_init(|| semantics::js::CallIndex::new(self.tree.root_node(), &self.src.text))
    }

    /// Names carrying request data inside `func` (a function node).
    /// Cached per analysis scope (and per function asked about), so the
    /// closures of one handler share a single analysis.
    pub fn taint_of(&self, func: Node) -> std::rc::Rc<Taint> {
        self.note_read(&self.handler_readers);
        self.note_read(&self.taint_readers);
        if let Some(t) = self.taint.borrow().get(&func.start_byte()) {
            return t.clone();
        }
        let scope = semantics::taint_scope(&self.functions, self.lang, func, &self.src.text, self.handlers());
        let cached = self.taint.borrow().get(&scope.start_byte()).cloned();
        let t = match cached {
            Some(t) => t,
            None => {
                let t = std::rc::Rc::new(semantics::taint(
                    &self.functions,
                    self.lang,
                    scope,
                    &self.src.text,
                    self.handlers(),
                ));
                self.taint.borrow_mut().insert(scope.start_byte(), t.clone());
                t
            }
        };
        self.taint.borrow_mut().insert(func.start_byte(), t.clone());
        t
    }

    /// Does `expr` carry request data (in its enclosing function)?
    pub fn is_request_data(&self, expr: Node) -> bool {
        let Some(func) = self.enclosing_function(expr) else {
            return false;
        };
        let taint = self.taint_of(func);
        semantics::expr_tainted(self.lang, expr, &self.src.text, &taint)
    }

    /// The fully qualified name `expr` refers to (`subprocess.run`,
    /// `builtins.eval`, `vm.runInNewContext`), resolving imports and aliases;
    /// `None` for locally defined or unresolvable names.
    pub fn qualified_name(&self, expr: Node) -> Option<String> {
        if let Some(q) = self.qualified.borrow().get(&expr.id()) {
            return q.as_deref().map(str::to_string);
        }
        let q = semantics::qualified_name(self.lang, expr, &self.src.text, self.bindings());
        self.qualified.borrow_mut().insert(expr.id(), q.as_deref().map(Box::from));
        q
    }
}
