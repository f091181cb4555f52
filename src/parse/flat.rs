//! A file's syntax tree flattened in pre-order, built once per file.
//!
//! Rules and fact extractors each traverse the tree (a dozen times per
//! JavaScript file); with a tree cursor, its moves were a third of the time
//! the rules took (`ts_tree_cursor_goto_*` at the top of the profile). Over
//! the flat array a traversal is a loop over a slice, and skipping a
//! subtree is a jump to its end.
//!
//! [`crate::parse::descendants`] and [`super::Syntax::up`] take any
//! node, not a context, so the array of the file being analysed is registered per thread while its `FileCtx`
//! lives (see [`Installed`]). A node of another tree (or of no registered
//! file) is walked with a cursor as before: the array is only ever used for
//! nodes it holds.
//!

use super::syntax::Table;
use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicUsize, Ordering};
use tree_sitter::Node;

/// Nodes of all the flat trees alive at once, across threads. The array
/// costs 47 bytes a node; a 3.5 MB bundle has about 1.4 million nodes. A
/// file that would exceed the budget is walked with a cursor instead: same
/// results, but every walk pays tree-sitter's cursor moves and a cache miss
/// per node. At 1 << 20 nodes the multi-MB bundles of ghost (all files)
/// missed the budget and the run took 40 s; at 1 << 22 it takes 21-25 s
/// with the same peak (289 MB, the bundles' own trees dominate).
/// Ordinary files (thousands of nodes) never come near it.
const BUDGET_NODES: usize = 1 << 22;

static NODES_IN_USE: AtomicUsize = AtomicUsize::new(0);

pub struct Flat<'t> {
    /// Every node (named or not), in pre-order.
    nodes: Vec<Node<'t>>,
    /// Start byte of each node: non-decreasing in pre-order, so a node is
    /// found by binary search. Kept apart from the nodes because every
    /// traversal and parent look-up searches it (reading it through
    /// `Node::start_byte`, a call into C per probe, cost the rules ~20%).
    starts: Vec<u32>,
    /// For each node, the index just past its subtree.
    ends: Vec<u32>,
    /// For each node, its parent's index (`u32::MAX` for the root).
    parents: Vec<u32>,
    /// Kind id of each node, read while the walk has the node at hand: a
    /// later `kind_id()` call reads the node's subtree again, a cache miss
    /// per node on large trees (a fifth of the rules' time on bundles).
    kinds: Vec<u16>,
    /// Whether each node is named: walks skip anonymous ones.
    named: Vec<bool>,
    /// The field id under which each node hangs from its parent, as the
    /// cursor names it (0: none), so [`Flat::field`] answers
    /// `child_by_field_id` by scanning the children here instead of asking
    /// tree-sitter (which re-iterates the parent's children, computing
    /// positions and aliases, ~400 instructions a call). Empty when the
    /// grammar's table says not to keep them.
    fields: Vec<u16>,
    /// Kind names and field ids of the tree's grammar.
    table: Option<&'static Table>,
    /// Nodes counted against the budget while this tree lives.
    reserved: usize,
}

impl<'t> Flat<'t> {
    /// Flattens the tree under `root`; `None` when it is too large.
    pub fn build(root: Node<'t>) -> Option<Flat<'t>> {
        let count = root.descendant_count();
        let reserved = NODES_IN_USE.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
            (used + count <= BUDGET_NODES).then_some(used + count)
        });
        if reserved.is_err() {
            return None;
        }
        let mut flat = Flat {
            nodes: Vec::with_capacity(count),
            starts: Vec::with_capacity(count),
            ends: Vec::with_capacity(count),
            parents: Vec::with_capacity(count),
            kinds: Vec::with_capacity(count),
            named: Vec::with_capacity(count),
            fields: Vec::new(),
            table: super::syntax::table_of(&root),
            reserved: count,
        };
        let record_fields = flat.table.is_some_and(|t| t.flat_fields);
        if record_fields {
            flat.fields.reserve_exact(count);
            flat.push_by_cursor(root);
        } else {
            flat.push_by_index(root);
        }
        // Every node, or (counts and moves disagreeing, which tree-sitter
        // does not do) no flat tree: walks use the cursor.
        (flat.nodes.len() == count).then_some(flat)
    }

    /// Appends the node's row (its end is set by the caller's walk).
    #[inline(always)]
    fn push(&mut self, n: Node<'t>, parent: u32, end: u32) {
        self.parents.push(parent);
        self.nodes.push(n);
        self.starts.push(n.start_byte() as u32);
        self.kinds.push(n.kind_id());
        self.named.push(n.is_named());
        self.ends.push(end);
    }

    /// Every node under `root` with one cursor, keeping field ids. The
    /// cursor moves only where a node is: a node's child count (kept by its
    /// subtree) says whether to descend and how many siblings follow. A
    /// cursor move that fails is the expensive kind (it climbs through the
    /// hidden nodes above to look for a sibling), and asking for the first
    /// child of a leaf is wasted.
    fn push_by_cursor(&mut self, root: Node<'t>) {
        // Open nodes: (index, siblings after it).
        let mut open: Vec<(u32, u32)> = Vec::new();
        // Siblings after the current node.
        let mut after = 0u32;
        let mut cursor = root.walk();
        loop {
            let index = self.nodes.len() as u32;
            let n = cursor.node();
            // The end is set when the walk leaves the node.
            self.push(n, open.last().map_or(u32::MAX, |o| o.0), 0);
            self.fields.push(cursor.field_id().map_or(0, |f| f.get()));
            let children = n.child_count();
            if children > 0 && cursor.goto_first_child() {
                open.push((index, after));
                after = children - 1;
                continue;
            }
            self.ends[index as usize] = self.nodes.len() as u32;
            loop {
                if after > 0 && cursor.goto_next_sibling() {
                    after -= 1;
                    break;
                }
                // Leaving the innermost open node.
                let Some((i, siblings)) = open.pop() else { return };
                self.ends[i as usize] = self.nodes.len() as u32;
                after = siblings;
                cursor.goto_parent();
            }
        }
    }

    /// Every node under `root`, depth first from a stack, without field
    /// ids. A node's few children are asked for by index: tree-sitter
    /// counts from the first child each time, which for up to four children
    /// costs less than the cursor's sibling moves (each re-derives the
    /// parent's child iterator and descends through hidden nodes: ~600
    /// instructions). Longer child lists use a cursor reset to the parent.
    /// Subtree ends come from the descendant count each subtree keeps.
    /// (With field ids to keep, asking each child's field by index costs
    /// more than the single cursor walk saves.)
    fn push_by_index(&mut self, root: Node<'t>) {
        const BY_INDEX: u32 = 4;
        let mut stack: Vec<(Node<'t>, u32)> = vec![(root, u32::MAX)];
        let mut cursor = root.walk();
        while let Some((n, parent)) = stack.pop() {
            let index = self.nodes.len() as u32;
            self.push(n, parent, index + n.descendant_count() as u32);
            let children = n.child_count();
            if children == 0 {
                continue;
            }
            let first = stack.len();
            if children <= BY_INDEX {
                stack.extend((0..children).filter_map(|i| n.child(i)).map(|c| (c, index)));
            } else {
                cursor.reset(n);
                if cursor.goto_first_child() {
                    loop {
                        stack.push((cursor.node(), index));
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                }
            }
            stack[first..].reverse();
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every node in pre-order, with its kind id and the index just past
    /// its subtree. Each node's kind is remembered as it is handed out (see
    /// [`seen_kind`]).
    pub fn entries(&self) -> impl Iterator<Item = (Node<'t>, u16, usize)> + '_ {
        (0..self.nodes.len()).map(|j| {
            self.see(WALKED, j);
            (self.nodes[j], self.kinds[j], self.ends[j] as usize)
        })
    }

    /// Remembers node `j` and its kind name for [`seen_kind`] (nothing for
    /// a kind outside the grammar's table, such as `ERROR`: `ty` asks the
    /// node).
    #[inline]
    fn see(&self, slot: usize, j: usize) {
        let name = self.table.and_then(|t| t.kinds.get(self.kinds[j] as usize));
        remember(slot, Seen { node: self.nodes[j].into_raw(), name: name.copied(), index: j as u32 });
    }

    /// The index of `node`, if it is a node of this tree.
    fn index_of(&self, node: Node) -> Option<usize> {
        // Most questions are about the node a walk handed out last, or a
        // field child just found.
        if let Some(seen) = recall(&node) {
            let j = seen.index as usize;
            if self.nodes.get(j) == Some(&node) {
                return Some(j);
            }
        }
        // A node's start byte is held in the node itself (no call into C).
        let s = node.into_raw().context[0];
        let first = self.starts.partition_point(|&b| b < s);
        let same_start = self.starts[first..].iter().take_while(|&&b| b == s).count();
        self.nodes[first..first + same_start].iter().position(|n| *n == node).map(|k| first + k)
    }

    /// Visits `node` and its named descendants in pre-order (as
    /// [`crate::parse::descendants`]), not descending into nodes for
    /// which `visit` is false. False when `node` is not of this tree
    /// (nothing visited).
    pub fn visit<'n>(&self, node: Node<'n>, visit: &mut impl FnMut(Node<'n>) -> bool) -> bool
    where
        't: 'n,
    {
        let Some(i) = self.index_of(node) else { return false };
        let end = self.ends[i] as usize;
        let mut j = i;
        while j < end {
            if j > i && !self.named[j] {
                j += 1;
                continue;
            }
            self.see(WALKED, j);
            j = if visit(self.nodes[j]) { j + 1 } else { self.ends[j] as usize };
        }
        true
    }

    /// The first child of `node` in field `name`, as
    /// `Node::child_by_field_name`: `Some(None)` when it has none, `None`
    /// when `node` is not of this tree (or the tree keeps no field ids).
    fn field<'n>(&self, node: Node<'n>, name: &str) -> Option<Option<Node<'n>>>
    where
        't: 'n,
    {
        if self.fields.is_empty() {
            return None;
        }
        let i = self.index_of(node)?;
        let Some(id) = self.table.and_then(|t| t.field_id(name)) else { return Some(None) };
        let end = self.ends[i] as usize;
        let mut j = i + 1;
        while j < end {
            if self.fields[j] == id {
                self.see(FOUND, j);
                return Some(Some(self.nodes[j]));
            }
            j = self.ends[j] as usize;
        }
        Some(None)
    }

    /// The parent of `node`: `Some(None)` for the root, `None` when `node`
    /// is not of this tree.
    fn parent<'n>(&self, node: Node<'n>) -> Option<Option<Node<'n>>>
    where
        't: 'n,
    {
        let i = self.index_of(node)?;
        Some(self.parents.get(i).and_then(|&p| self.nodes.get(p as usize)).copied())
    }
}

impl Drop for Flat<'_> {
    fn drop(&mut self) {
        NODES_IN_USE.fetch_sub(self.reserved, Ordering::AcqRel);
        // The remembered node may be of this tree, whose memory is about to
        // be reused.
        forget();
    }
}

/// The node a flat walk (or field look-up) on this thread handed out last.
#[derive(Clone, Copy)]
struct Seen {
    node: tree_sitter::ffi::TSNode,
    /// Its kind name (`None` outside the grammar's table, such as `ERROR`).
    name: Option<&'static str>,
    /// Its index in the flat tree that handed it out.
    index: u32,
}

thread_local! {
    /// The node a flat walk on this thread handed out last ([`WALKED`]) and
    /// the field child a look-up found last ([`FOUND`]): a visitor asks
    /// about the node it was given, then about its field children.
    static SEEN: [Cell<Option<Seen>>; 2] = const { [const { Cell::new(None) }, const { Cell::new(None) }] };
}

const WALKED: usize = 0;
const FOUND: usize = 1;

#[inline]
fn remember(slot: usize, seen: Seen) {
    SEEN.with(|s| s[slot].set(Some(seen)));
}

/// The remembered entry for `node`.
#[inline]
fn recall(node: &Node) -> Option<Seen> {
    let raw = node.into_raw();
    SEEN.with(|s| {
        s[WALKED]
            .get()
            .filter(|seen| same_node(&seen.node, &raw))
            .or_else(|| s[FOUND].get().filter(|seen| same_node(&seen.node, &raw)))
    })
}

/// Forgets every remembered node (their tree is going away).
fn forget() {
    let _ = SEEN.try_with(|s| s.iter().for_each(|c| c.set(None)));
}

/// Same subtree, position, alias and tree.
#[inline]
fn same_node(a: &tree_sitter::ffi::TSNode, b: &tree_sitter::ffi::TSNode) -> bool {
    a.id == b.id && a.tree == b.tree && a.context == b.context
}

/// The kind of `node` when it is the node a flat walk on this thread handed
/// out last: no read of the node's subtree.
#[inline]
pub fn seen_kind(node: &Node) -> Option<&'static str> {
    recall(node)?.name
}

thread_local! {
    /// The flat trees of the files being analysed on this thread, innermost
    /// last, as type-erased pointers (see [`Installed`]).
    static CURRENT: RefCell<Vec<*const Flat<'static>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps a file's flat tree registered for [`with_current`] on this thread
/// while it lives; dropping it unregisters the tree (in any order).
pub struct Installed<'t> {
    flat: Box<Flat<'t>>,
}

impl<'t> Installed<'t> {
    pub fn new(flat: Flat<'t>) -> Installed<'t> {
        let flat = Box::new(flat);
        let ptr = (&*flat as *const Flat<'t>).cast::<Flat<'static>>();
        CURRENT.with(|c| c.borrow_mut().push(ptr));
        Installed { flat }
    }

    pub fn flat(&self) -> &Flat<'t> {
        &self.flat
    }
}

impl Drop for Installed<'_> {
    fn drop(&mut self) {
        let ptr = (&*self.flat as *const Flat<'_>).cast::<Flat<'static>>();
        let _ = CURRENT.try_with(|c| c.borrow_mut().retain(|p| *p != ptr));
    }
}

/// The first answer `f` gives from the flat trees registered on this
/// thread, innermost first.
fn find_in_current<'n, R>(mut f: impl FnMut(&Flat<'n>) -> Option<R>) -> Option<R> {
    // The registry is not borrowed while `f` runs: a visitor may analyse
    // another file (and register its tree) in turn.
    let count = CURRENT.with(|c| c.borrow().len());
    for k in (0..count).rev() {
        let Some(ptr) = CURRENT.with(|c| c.borrow().get(k).copied()) else { continue };
        // SAFETY: a pointer is registered only while its `Installed` (which
        // owns the boxed `Flat`, so it never moves) is alive, and removed
        // when it drops; a tree registered while `f` runs is a different
        // one. The lifetime was erased for the registry; `f` hands out
        // nodes only once it found its node (which lives for 'n) in the
        // tree, so they are nodes of the same tree and live as long.
        let flat: &Flat<'n> = unsafe { &*ptr.cast::<Flat<'n>>() };
        if let Some(r) = f(flat) {
            return Some(r);
        }
    }
    None
}

/// The parent of `node` from the registered flat tree that holds it (`None`
/// when none does): `Node::parent` searches down from the root.
pub fn parent_of<'n>(node: Node<'n>) -> Option<Option<Node<'n>>> {
    find_in_current(|flat| flat.parent(node))
}

/// The first child of `node` in field `name` from the registered flat tree
/// that holds it (`None` when none does).
pub fn field_of<'n>(node: Node<'n>, name: &str) -> Option<Option<Node<'n>>> {
    find_in_current(|flat| flat.field(node, name))
}

/// Visits the subtree of `node` through the registered flat tree that holds
/// it; false when none does.
pub fn with_current<'n>(node: Node<'n>, visit: &mut impl FnMut(Node<'n>) -> bool) -> bool {
    find_in_current(|flat| flat.visit(node, visit).then_some(())).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Lang;
    use crate::parse::Syntax;

    /// Pre-order ids under `node` by recursion over children: every node, or
    /// (`named_only`) `node` and its named descendants.
    fn walk_with_cursor<'t>(node: Node<'t>, skip: &dyn Fn(Node) -> bool, named_only: bool) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if !named_only || n == node || n.is_named() {
                out.push(n.id());
                if skip(n) {
                    continue;
                }
            }
            let mut c = n.walk();
            let children: Vec<Node> = n.children(&mut c).collect();
            stack.extend(children.into_iter().rev());
        }
        out
    }

    /// The flat walk visits what a walk over the children visits (named
    /// nodes below the start), in the same order, from any node, skipping
    /// the same subtrees, and so does the cursor walk used without a flat
    /// tree; nodes of another tree are left to the cursor.
    #[test]
    fn visits_like_a_cursor_walk_from_any_node() {
        let code = "function f(a) { if (a) { return [1, 2, g(a)]; } const h = () => ({ x: `t${a}` }); }\nclass C { m() { return this.x } }\n";
        let tree = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let other = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let root = tree.root_node();
        let installed = Installed::new(Flat::build(root).unwrap());
        assert_eq!(installed.flat().len(), root.descendant_count());
        let skip = |n: Node| n.ty() == "arrow_function" || n.ty() == "array";
        let mut starts = Vec::new();
        crate::parse::descendants(root, |n| {
            starts.push(n);
            true
        });
        let named = walk_with_cursor(root, &|_| false, true);
        assert_eq!(starts.iter().map(|n| n.id()).collect::<Vec<_>>(), named);
        assert!(named.len() * 3 < root.descendant_count() * 2, "anonymous nodes are left out");
        // Start nodes: every named node, and anonymous ones too.
        let mut anonymous = Vec::new();
        crate::parse::descendants(root, |n| {
            let mut c = n.walk();
            anonymous.extend(n.children(&mut c).filter(|k| !k.is_named()));
            true
        });
        let mut by_flat = Vec::new();
        for n in starts.iter().chain(&anonymous).copied() {
            assert_eq!(parent_of(n), Some(n.parent()), "parent of {} at {}", n.ty(), n.start_byte());
            let mut got = Vec::new();
            assert!(with_current(n, &mut |m| {
                got.push(m.id());
                !skip(m)
            }));
            assert_eq!(got, walk_with_cursor(n, &skip, true), "from {} at {}", n.ty(), n.start_byte());
            by_flat.push(got);
        }
        assert!(!with_current(other.root_node(), &mut |_| true), "a node of another tree");
        drop(installed);
        assert!(!with_current(root, &mut |_| true), "unregistered when dropped");
        // Without the flat tree, descendants walks with a cursor: same visits.
        for (n, expected) in starts.iter().chain(&anonymous).zip(&by_flat) {
            let mut got = Vec::new();
            crate::parse::descendants(*n, |m| {
                got.push(m.id());
                !skip(m)
            });
            assert_eq!(&got, expected, "cursor walk from {} at {}", n.ty(), n.start_byte());
        }
    }

    /// Kinds answered from the flat walk are the nodes' own, for the node
    /// handed out and for the nodes a visitor reaches from it; none is
    /// remembered once the tree is gone.
    #[test]
    fn kinds_from_the_walk_are_the_nodes_kinds() {
        let code = "const a = <div b={c}>{[1].map((x) => x?.y ?? `t${x}`)}</div>; class D { #p = 1; get q() { return this.#p } }";
        let tree = crate::parse::parse(Lang::Tsx, code, std::time::Duration::from_secs(5)).unwrap();
        let installed = Installed::new(Flat::build(tree.root_node()).unwrap());
        let mut seen = 0;
        crate::parse::descendants(tree.root_node(), |n| {
            assert_eq!(seen_kind(&n), Some(n.kind()));
            assert_eq!(n.ty(), n.kind());
            let mut c = n.walk();
            for child in n.children(&mut c) {
                assert_ne!(seen_kind(&child), Some(""), "{}", child.kind());
                assert_eq!(child.ty(), child.kind());
            }
            if let Some(p) = n.up() {
                assert_eq!(p.ty(), p.kind());
            }
            seen += 1;
            true
        });
        assert_eq!(seen, walk_with_cursor(tree.root_node(), &|_| false, true).len());
        let entries: Vec<(Node, u16)> = installed.flat().entries().map(|(n, k, _)| (n, k)).collect();
        assert!(entries.iter().all(|(n, k)| n.kind_id() == *k));
        let last = entries.last().unwrap().0;
        assert!(seen_kind(&last).is_some());
        drop(installed);
        assert_eq!(seen_kind(&last), None, "forgotten with the tree");
    }

    /// Nodes of kinds outside the grammar's table (`ERROR`) keep their own
    /// kind through a flat walk.
    #[test]
    fn error_nodes_keep_their_kind() {
        let code = "function f( { return [1, 2; }\nconst = ;";
        let tree = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let _installed = Installed::new(Flat::build(tree.root_node()).unwrap());
        let mut errors = 0;
        crate::parse::descendants(tree.root_node(), |n| {
            assert_eq!(n.ty(), n.kind());
            errors += usize::from(n.is_error());
            true
        });
        assert!(errors > 0);
    }

    /// Every node of trees with hidden, aliased and extra nodes (comments),
    /// in each grammar, in the order and with the subtrees a cursor walk
    /// gives.
    #[test]
    fn every_grammar_flattens_completely() {
        let samples = [
            (Lang::Python, "@d(1)\nclass A(B, metaclass=M):  # c\n    x: int = 1\n    def f(self, *a, **k):\n        match a:\n            case [1, *r] if r: return (y := r)\n        return [i async for i in k] if a else f'{a!r:>{w}}'\n"),
            (Lang::JavaScript, "// c\nexport default async function* g(a = 1, ...b) { for await (const x of b) yield <A.B c={`${x}`} {...a}>t</A.B>; } label: for (;;) break label;"),
            (Lang::TypeScript, "namespace N { export abstract class C<T extends keyof U = any> implements I { declare readonly p?: T; abstract m(): void; } } type F = (a: string) => a is 'x'; enum E { A = 1 << 2 }"),
            (Lang::Tsx, "const C = <T,>(p: { a: T }) => <>{/* c */}<div {...p} key={1 as number}>{p.a satisfies T}</div></>;"),
        ];
        for (lang, code) in samples {
            let tree = crate::parse::parse(lang, code, std::time::Duration::from_secs(5)).unwrap();
            let root = tree.root_node();
            let flat = Flat::build(root).expect("flattened");
            assert_eq!(flat.len(), root.descendant_count(), "{lang:?}");
            let order: Vec<usize> = flat.nodes.iter().map(|n| n.id()).collect();
            assert_eq!(order, walk_with_cursor(root, &|_| false, false), "{lang:?}");
            for (j, n) in flat.nodes.iter().enumerate() {
                let end = flat.ends[j] as usize;
                assert_eq!(end - j, n.descendant_count(), "{lang:?} subtree of {}", n.kind());
                let parent = flat.parents.get(j).and_then(|&p| flat.nodes.get(p as usize)).copied();
                assert_eq!(parent, n.parent(), "{lang:?} parent of {}", n.kind());
            }
        }
    }

    #[test]
    fn registrations_end_in_any_order() {
        let code = "a(b(c));";
        let t1 = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let t2 = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let i1 = Installed::new(Flat::build(t1.root_node()).unwrap());
        let i2 = Installed::new(Flat::build(t2.root_node()).unwrap());
        drop(i1);
        assert!(!with_current(t1.root_node(), &mut |_| true));
        assert!(with_current(t2.root_node(), &mut |_| true));
        drop(i2);
        assert!(!with_current(t2.root_node(), &mut |_| true));
    }
}
