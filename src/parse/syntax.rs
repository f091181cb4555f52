//! Node kinds and fields without string work per call.
//!
//! `Node::kind()` turns the grammar's C string into `&str` (strlen and a
//! UTF-8 check) on every call, and `Node::child_by_field_name` compares the
//! name with every field name of the grammar (strncmp in a loop). Rules ask
//! both millions of times per repository: together they were a fifth of
//! the rules' time. [`Syntax::ty`] and [`Syntax::field`] answer the same
//! from tables built once per grammar: node kinds indexed by kind id, field
//! names hashed.

use super::{Lang, ALL_LANGS};
use std::collections::HashMap;
use std::sync::OnceLock;
use tree_sitter::Node;

pub(super) struct Table {
    /// The grammar (`TSLanguage` pointer) the table describes.
    language: usize,
    /// Kind name per kind id.
    pub(super) kinds: Vec<&'static str>,
    /// Field id by field name: hashing the short name costs less than the
    /// string comparisons of a binary search (which were a twentieth of a
    /// Node scan's instructions).
    fields: HashMap<&'static str, u16, foldhash::fast::FixedState>,
    /// Whether flat trees of this grammar keep each node's field id (see
    /// `flat::Flat::fields`). Worth it where rules ask many fields per
    /// node: on ghost's JavaScript 1.6 look-ups a node, each ~400
    /// instructions in tree-sitter against ~130 to record a field id; on
    /// Django's Python 0.35, where recording costs more than it saves.
    pub(super) flat_fields: bool,
}

fn tables() -> &'static [Table] {
    static TABLES: OnceLock<Vec<Table>> = OnceLock::new();
    TABLES.get_or_init(|| ALL_LANGS.iter().map(|l| build(*l)).collect())
}

fn build(lang: Lang) -> Table {
    let language = lang.ts_language();
    // The names live in the grammar's static data; leaking copies once per
    // grammar gives them the 'static lifetime the API does not state.
    let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
    let kinds = (0..language.node_kind_count() as u16)
        .map(|id| language.node_kind_for_id(id).map(leak).unwrap_or(""))
        .collect();
    let fields = (1..=language.field_count() as u16)
        .filter_map(|id| language.field_name_for_id(id).map(|n| (leak(n), id)))
        .collect();
    Table { language: language.into_raw() as usize, kinds, fields, flat_fields: lang != Lang::Python }
}

impl Table {
    /// The field id of `name` (`None` for a field the grammar lacks).
    #[inline]
    pub(super) fn field_id(&self, name: &str) -> Option<u16> {
        self.fields.get(name).copied()
    }
}

pub(super) fn table_of(node: &Node) -> Option<&'static Table> {
    // SAFETY: `node` is a valid node of a live tree; this reads the tree's
    // language pointer, which is only compared, never dereferenced here.
    let language = unsafe { tree_sitter::ffi::ts_node_language(node.into_raw()) } as usize;
    tables().iter().find(|t| t.language == language)
}

/// Fast equivalents of `Node::kind` and `Node::child_by_field_name`.
pub trait Syntax<'t> {
    /// The node's kind, as `Node::kind()` names it.
    fn ty(&self) -> &'t str;
    /// The first child in field `name`, as `Node::child_by_field_name`.
    fn field(&self, name: &str) -> Option<Node<'t>>;
    /// The parent, as `Node::parent` (which searches down from the root),
    /// from the flattened tree of the file being analysed when it has one.
    fn up(&self) -> Option<Node<'t>>;
}

impl<'t> Syntax<'t> for Node<'t> {
    #[inline]
    fn ty(&self) -> &'t str {
        if let Some(k) = super::flat::seen_kind(self) {
            return k;
        }
        if let Some(t) = table_of(self) {
            if let Some(k) = t.kinds.get(self.kind_id() as usize) {
                return k;
            }
        }
        self.kind()
    }

    #[inline]
    fn field(&self, name: &str) -> Option<Node<'t>> {
        if let Some(child) = super::flat::field_of(*self, name) {
            return child;
        }
        match table_of(self) {
            Some(t) => t.field_id(name).and_then(|id| self.child_by_field_id(id)),
            None => self.child_by_field_name(name),
        }
    }

    #[inline]
    fn up(&self) -> Option<Node<'t>> {
        match super::flat::parent_of(*self) {
            Some(p) => p,
            None => self.parent(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of a sample in each grammar: the same kind and the same
    /// field children as the string-based calls.
    #[test]
    fn agrees_with_the_string_based_calls() {
        let samples = [
            (Lang::Python, "import os\n@app.get('/x')\ndef f(a, *b, **c):\n    match a:\n        case [1, *r]: return (x := r)\n    return f'{a!r}' if a else lambda: None\n"),
            (Lang::JavaScript, "const a = require('x'); app.get('/u', async (req, res) => { for (const k of req.body) { res.send(`<p>${k}</p>`); } }); class C extends D { #p = 1; static m() { return <div a={1}>t</div> } }"),
            (Lang::TypeScript, "import { A } from './a'; @Injectable() export class S<T extends object> { constructor(private readonly r: Repo<T>) {} async f(x?: number): Promise<void> { const y = x as unknown as T; } } enum E { A = 1 }"),
            (Lang::Tsx, "export default function P({ a }: { a: string }) { return <ul>{[1].map((i) => <li key={i}>{a}</li>)}</ul>; }"),
        ];
        for (lang, code) in samples {
            let tree = crate::parse::parse(lang, code, std::time::Duration::from_secs(5)).unwrap();
            let language = lang.ts_language();
            let names: Vec<&str> =
                (1..=language.field_count() as u16).filter_map(|id| language.field_name_for_id(id)).collect();
            // Without a flat tree (tables), then with one (field ids kept by
            // the walk for the grammars that keep them).
            for flat in [false, true] {
                let _installed = flat.then(|| {
                    super::super::flat::Installed::new(super::super::flat::Flat::build(tree.root_node()).unwrap())
                });
                let mut count = 0;
                crate::parse::descendants(tree.root_node(), |n| {
                    assert_eq!(n.ty(), n.kind(), "{lang:?}");
                    for name in names.iter().chain(&["no_such_field"]) {
                        let expected = n.child_by_field_name(name);
                        assert_eq!(n.field(name), expected, "{lang:?} {} .{name} (flat: {flat})", n.kind());
                        // The child found is remembered; asking it again
                        // about its kind and fields agrees too.
                        if let Some(child) = expected {
                            assert_eq!(child.ty(), child.kind());
                            assert_eq!(n.field(name), expected);
                        }
                    }
                    count += 1;
                    true
                });
                assert!(count > 40, "{lang:?}");
            }
        }
    }
}
