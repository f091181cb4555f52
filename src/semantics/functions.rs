//! Which function encloses a node, without walking parents.
//!
//! tree-sitter's `Node::parent` searches down from the root, so walking
//! from a node to its enclosing function costs O(depth²); on deeply nested
//! code (bundles, generated parsers) that dominated whole runs. The index
//! lists a file's functions once, in document order, each with its own
//! enclosing function; a query is a binary search plus a short walk up that
//! chain.

use super::is_function;
use crate::parse::Lang;
use crate::parse::Syntax;
use tree_sitter::Node;

const NONE: u32 = u32::MAX;

pub struct FnIndex<'t> {
    /// Functions in pre-order (so by non-decreasing start byte), each with
    /// the index of its enclosing function or `NONE`.
    fns: Vec<(Node<'t>, u32)>,
    lang: Lang,
}

impl<'t> FnIndex<'t> {
    /// Indexes the functions under `root` in one pre-order traversal
    /// (over the file's flat tree when it has one). A function's parent is
    /// the innermost function still open whose byte range contains it.
    pub fn build(lang: Lang, root: Node<'t>) -> FnIndex<'t> {
        let mut fns: Vec<(Node<'t>, u32)> = Vec::new();
        // Functions whose subtree the walk is in, innermost last.
        let mut open: Vec<u32> = Vec::new();
        super::descendants(root, |node| {
            if is_function(lang, node) {
                while let Some(&o) = open.last() {
                    let f = fns[o as usize].0;
                    if f.start_byte() <= node.start_byte() && node.end_byte() <= f.end_byte() {
                        break;
                    }
                    open.pop();
                }
                fns.push((node, open.last().copied().unwrap_or(NONE)));
                open.push((fns.len() - 1) as u32);
            }
            true
        });
        FnIndex { fns, lang }
    }

    /// The innermost function strictly enclosing `node` (never `node`
    /// itself), like walking `parent()` until a function.
    pub fn enclosing(&self, node: Node<'t>) -> Option<Node<'t>> {
        self.enclosing_index(node).map(|i| self.fns[i].0)
    }

    /// Enclosing functions of `node`, innermost first.
    pub fn chain(&self, node: Node<'t>) -> impl Iterator<Item = Node<'t>> + '_ {
        let mut cur = self.enclosing_index(node);
        std::iter::from_fn(move || {
            let i = cur?;
            let (f, parent) = self.fns[i];
            cur = (parent != NONE).then_some(parent as usize);
            Some(f)
        })
    }

    fn enclosing_index(&self, node: Node<'t>) -> Option<usize> {
        let (s, e) = (node.start_byte(), node.end_byte());
        let last = self.fns.partition_point(|(f, _)| f.start_byte() <= s);
        let mut cur = last.checked_sub(1);
        while let Some(i) = cur {
            let (f, parent) = self.fns[i];
            if f.id() != node.id() && f.start_byte() <= s && e <= f.end_byte() {
                if f.start_byte() == s && f.end_byte() == e {
                    // Same range (an expression statement wrapping a
                    // function): ancestry decides, the slow way.
                    return self.enclosing_slow(node);
                }
                return Some(i);
            }
            cur = (parent != NONE).then_some(parent as usize);
        }
        None
    }

    fn enclosing_slow(&self, node: Node<'t>) -> Option<usize> {
        let mut p = node.up();
        while let Some(n) = p {
            if is_function(self.lang, n) {
                let first = self.fns.partition_point(|(f, _)| f.start_byte() < n.start_byte());
                return self.fns[first..].iter().position(|(f, _)| f.id() == n.id()).map(|k| first + k);
            }
            p = n.up();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantics::enclosing_function;

    fn check(lang: Lang, code: &str) {
        let tree = crate::parse::parse(lang, code, std::time::Duration::from_secs(5)).unwrap();
        let root = tree.root_node();
        let index = FnIndex::build(lang, root);
        let installed = crate::parse::flat::Installed::new(crate::parse::flat::Flat::build(root).unwrap());
        let via_flat = FnIndex::build(lang, root);
        drop(installed);
        assert_eq!(
            via_flat.fns.iter().map(|(f, p)| (f.id(), *p)).collect::<Vec<_>>(),
            index.fns.iter().map(|(f, p)| (f.id(), *p)).collect::<Vec<_>>()
        );
        let mut count = 0;
        crate::semantics::descendants(root, |n| {
            let expected = enclosing_function(lang, n);
            assert_eq!(
                index.enclosing(n).map(|f| f.id()),
                expected.map(|f| f.id()),
                "{} at {}",
                n.ty(),
                n.start_byte()
            );
            let mut chain = Vec::new();
            let mut p = expected;
            while let Some(f) = p {
                chain.push(f.id());
                p = enclosing_function(lang, f);
            }
            assert_eq!(index.chain(n).map(|f| f.id()).collect::<Vec<_>>(), chain);
            count += 1;
            true
        });
        assert!(count > 10);
    }

    #[test]
    fn agrees_with_walking_parents_in_javascript() {
        check(
            Lang::JavaScript,
            "function a(x) { const b = () => { return function c() { return x => x + 1 } }; }\n\
             x => y => z\n\
             class K { m() { [1].map(function (v) { return v }) } get p() { return 1 } }\n\
             const o = { f() {}, g: async () => { await h() } };\n\
             function* gen() { yield () => 1 }\n\
             (function () {})();\n",
        );
    }

    #[test]
    fn agrees_with_walking_parents_in_python() {
        check(
            Lang::Python,
            "def a(x):\n    def b():\n        return lambda y: y\n    return b\n\nclass K:\n    def m(self):\n        f = lambda: [lambda q: q for _ in x]\n",
        );
    }

    #[test]
    fn agrees_on_broken_code() {
        check(Lang::TypeScript, "function a( { const b = () => { if ( } ; function c<T>(x: T) { return () => x }");
    }
}
