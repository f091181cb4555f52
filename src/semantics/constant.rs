//! Constants (SPEC "Constants, unknown values and sanitizers"): values fixed
//! when the code is written, which no injection finding is ever about. A
//! literal; a name bound only to constants (in the function, an enclosing
//! one, or at module level; a loop variable over a constant collection); a
//! string built only from constants (template literal, f-string, `+`, `%`,
//! `.format`, `.join`); a conditional whose branches are constants; a
//! number; ORM table and column names.

use super::{descendants, enclosing_function, python, text};
use crate::parse::{Lang, Syntax};
use tree_sitter::Node;

/// Is `n` a constant of its language?
pub fn is_constant(lang: Lang, n: Node, src: &str) -> bool {
    match lang {
        Lang::Python => python::string_parts(n, src, &|_| false).parts.is_empty(),
        _ => js_constant(n, src, 0),
    }
}

const JS_NUMERIC_CALLS: &[&str] = &[
    "parseInt",
    "parseFloat",
    "Number",
    "Number.parseInt",
    "Number.parseFloat",
    "Math.floor",
    "Math.round",
    "Math.ceil",
    "Math.trunc",
    "Math.max",
    "Math.min",
];

/// Methods that turn a constant receiver into a constant.
const JS_PURE_METHODS: &[&str] = &["join", "toUpperCase", "toLowerCase", "trim", "toString", "replace", "concat"];

fn strip(mut n: Node) -> Node {
    while matches!(
        n.ty(),
        "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion"
    ) {
        match n.named_child(0) {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

fn js_constant(n: Node, src: &str, depth: u32) -> bool {
    if depth > 6 {
        return false;
    }
    let n = strip(n);
    match n.ty() {
        "string" | "number" | "true" | "false" | "null" | "undefined" | "regex" => true,
        "template_string" => {
            let mut c = n.walk();
            let r = n
                .named_children(&mut c)
                .filter(|s| s.ty() == "template_substitution")
                .all(|s| s.named_child(0).is_some_and(|e| js_constant(e, src, depth + 1)));
            r
        }
        "binary_expression" => {
            n.field("left").is_some_and(|l| js_constant(l, src, depth + 1))
                && n.field("right").is_some_and(|r| js_constant(r, src, depth + 1))
        }
        // `a ? "x" : "y"`: whichever branch is taken, a constant.
        "ternary_expression" => {
            n.field("consequence").is_some_and(|c| js_constant(c, src, depth + 1))
                && n.field("alternative").is_some_and(|a| js_constant(a, src, depth + 1))
        }
        "array" => {
            let mut c = n.walk();
            let r = n.named_children(&mut c).all(|e| e.ty() == "comment" || js_constant(e, src, depth + 1));
            r
        }
        "call_expression" => {
            let Some(f) = n.field("function") else { return false };
            if JS_NUMERIC_CALLS.contains(&text(f, src)) {
                return true;
            }
            // `["a", "b"].join(", ")`, `PREFIX.toUpperCase()`.
            if f.ty() == "member_expression" {
                let prop = f.field("property").map(|p| text(p, src)).unwrap_or("");
                let args_constant = n.field("arguments").is_some_and(|a| {
                    let mut c = a.walk();
                    let r = a.named_children(&mut c).all(|e| js_constant(e, src, depth + 1));
                    r
                });
                return JS_PURE_METHODS.contains(&prop)
                    && args_constant
                    && f.field("object").is_some_and(|o| js_constant(o, src, depth + 1));
            }
            false
        }
        // Set by the operator, not a user: `process.env.X`, `process.argv[2]`.
        "member_expression" | "subscript_expression"
            if ["process.env", "process.argv"].iter().any(|p| text(n, src).starts_with(p)) =>
        {
            true
        }
        // `TABLES.users` where `const TABLES = { users: "users" }`.
        "member_expression" => {
            let (Some(obj), Some(prop)) = (n.field("object"), n.field("property")) else { return false };
            if obj.ty() != "identifier" {
                return false;
            }
            let prop = text(prop, src);
            js_bound_values(obj, src).is_some_and(|vals| {
                !vals.is_empty()
                    && vals.iter().all(|v| {
                        let v = strip(*v);
                        v.ty() == "object"
                            && object_values(v, src, prop).is_some_and(|pv| js_constant(pv, src, depth + 1))
                    })
            })
        }
        "identifier" => js_bound_values(n, src)
            .is_some_and(|vals| !vals.is_empty() && vals.iter().all(|v| js_constant(*v, src, depth + 1))),
        _ => false,
    }
}

/// The value of key `prop` of an object literal whose values are all plain
/// pairs (no spreads, no methods), if it has it.
fn object_values<'t>(obj: Node<'t>, src: &str, prop: &str) -> Option<Node<'t>> {
    let mut c = obj.walk();
    let mut found = None;
    for pair in obj.named_children(&mut c) {
        match pair.ty() {
            "pair" => {
                let key = pair.field("key").map(|k| text(k, src).trim_matches(|q| q == '"' || q == '\'')).unwrap_or("");
                if key == prop {
                    found = pair.field("value");
                }
            }
            "comment" => {}
            _ => return None,
        }
    }
    found
}

/// The values a JavaScript name is bound to where it is used: its
/// declarations in the innermost function (or module) that declares it,
/// and for a `for (const x of [...])` loop variable, the items of a
/// constant array. `None` when the name is also assigned elsewhere, or
/// bound some other way (a parameter, a destructuring, an import).
fn js_bound_values<'t>(n: Node<'t>, src: &str) -> Option<Vec<Node<'t>>> {
    let name = text(n, src);
    let mut scope = enclosing_function(Lang::JavaScript, n);
    loop {
        let root = match scope {
            Some(s) => s,
            None => {
                let mut r = n;
                while let Some(p) = r.up() {
                    r = p;
                }
                r
            }
        };
        let mut values = Vec::new();
        let mut other = false;
        let mut declared = false;
        descendants(root, |d| {
            match d.ty() {
                "variable_declarator" => {
                    if let Some(t) = d.field("name") {
                        if t.ty() == "identifier" && text(t, src) == name {
                            declared = true;
                            match d.field("value") {
                                Some(v) => values.push(v),
                                None => other = true,
                            }
                        } else if t.ty() != "identifier" && mentions_word(text(t, src), name) {
                            declared = true;
                            other = true;
                        }
                    }
                }
                "assignment_expression" | "augmented_assignment_expression"
                    if d.field("left").is_some_and(|x| text(x, src) == name) =>
                {
                    other = true
                }
                "for_in_statement" if d.field("left").is_some_and(|l| text(l, src) == name) => {
                    declared = true;
                    let of = d.child_by_field_name("operator").map(|o| text(o, src)) == Some("of")
                        || text(d, src).contains(" of ");
                    match d.field("right").map(strip) {
                        Some(arr) if of && arr.ty() == "array" => {
                            let mut c = arr.walk();
                            values.extend(arr.named_children(&mut c).filter(|e| e.ty() != "comment"));
                        }
                        _ => other = true,
                    }
                }
                "formal_parameters" | "required_parameter" | "optional_parameter"
                    if mentions_word(text(d, src), name) =>
                {
                    declared = true;
                    other = true;
                    return false;
                }
                _ => {}
            }
            true
        });
        if declared {
            return if other { None } else { Some(values) };
        }
        scope = enclosing_function(Lang::JavaScript, scope?);
    }
}

fn mentions_word(haystack: &str, word: &str) -> bool {
    haystack.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '$').any(|w| w == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(code: &str, needle: &str) -> bool {
        let tree = crate::parse::parse(Lang::JavaScript, code, std::time::Duration::from_secs(5)).unwrap();
        let at = code.rfind(needle).unwrap();
        let node = tree.root_node().named_descendant_for_byte_range(at, at + needle.len()).unwrap();
        is_constant(Lang::JavaScript, node, code)
    }

    fn py(code: &str, needle: &str) -> bool {
        let tree = crate::parse::parse(Lang::Python, code, std::time::Duration::from_secs(5)).unwrap();
        let at = code.rfind(needle).unwrap();
        let node = tree.root_node().named_descendant_for_byte_range(at, at + needle.len()).unwrap();
        is_constant(Lang::Python, node, code)
    }

    #[test]
    fn javascript_constants() {
        assert!(js("const T = 'users';\nf(`SELECT * FROM ${T}`);\n", "`SELECT * FROM ${T}`"));
        assert!(js(
            "function g(a) { const col = a ? 'name' : 'email'; return q(`ORDER BY ${col}`); }\n",
            "`ORDER BY ${col}`"
        ));
        assert!(js(
            "const TABLES = { users: 'app_users' };\nq(`DELETE FROM ${TABLES.users}`);\n",
            "`DELETE FROM ${TABLES.users}`"
        ));
        assert!(js("for (const t of ['a', 'b']) { q(`TRUNCATE ${t}`); }\n", "`TRUNCATE ${t}`"));
        assert!(js("const cols = ['id', 'name'].join(', ');\nq('SELECT ' + cols);\n", "'SELECT ' + cols"));
        assert!(js("const n = parseInt(x, 10);\nq(`LIMIT ${n}`);\n", "`LIMIT ${n}`"));
        assert!(js("q(`CREATE DATABASE ${process.env.DB_NAME}`);\n", "`CREATE DATABASE ${process.env.DB_NAME}`"));
        // Not constants: a parameter, a reassigned name, a loop over data,
        // an object with a spread.
        assert!(!js("function g(name) { return q(`WHERE n = '${name}'`); }\n", "`WHERE n = '${name}'`"));
        assert!(!js("let t = 'a';\nt = input;\nq(`FROM ${t}`);\n", "`FROM ${t}`"));
        assert!(!js("for (const t of tables) { q(`TRUNCATE ${t}`); }\n", "`TRUNCATE ${t}`"));
        assert!(!js("const T = { ...opts, a: 'x' };\nq(`FROM ${T.a}`);\n", "`FROM ${T.a}`"));
        assert!(!js(
            "function g(a) { const col = a ? 'name' : a.b; return q(`ORDER BY ${col}`); }\n",
            "`ORDER BY ${col}`"
        ));
    }

    #[test]
    fn python_constants() {
        assert!(py(
            "TABLE = 'shop_order'\ndef f(c):\n    c.execute(f'SELECT * FROM {TABLE}')\n",
            "f'SELECT * FROM {TABLE}'"
        ));
        assert!(py(
            "def f(c, desc):\n    d = 'DESC' if desc else 'ASC'\n    c.execute('SELECT 1 ORDER BY id ' + d)\n",
            "'SELECT 1 ORDER BY id ' + d"
        ));
        assert!(py("def f(c):\n    for t in ('a', 'b'):\n        c.execute('TRUNCATE %s' % t)\n", "'TRUNCATE %s' % t"));
        assert!(py(
            "def f(c, m):\n    t = m._meta.db_table\n    c.execute(f'SELECT * FROM {t}')\n",
            "f'SELECT * FROM {t}'"
        ));
        assert!(py(
            "import sys\ntable = sys.argv[1]\ndef f(c):\n    c.execute(f'TRUNCATE {table}')\n",
            "f'TRUNCATE {table}'"
        ));
        assert!(py(
            "def f(c):\n    c.execute('SET search_path TO %s' % settings.DB_SCHEMA)\n",
            "'SET search_path TO %s' % settings.DB_SCHEMA"
        ));
        assert!(py("class Report:\n    TABLE = 'stats_daily'\n    def run(self, c):\n        c.execute('DELETE FROM %s' % self.TABLE)\n", "'DELETE FROM %s' % self.TABLE"));
        assert!(py(
            "BASE = 'SELECT id FROM t'\nQ = BASE + ' WHERE x = 1'\ndef f(c):\n    c.execute(Q + ' LIMIT 5')\n",
            "Q + ' LIMIT 5'"
        ));
        assert!(!py("class Report:\n    TABLE = 't'\n    def run(self, c, t):\n        self.TABLE = t\n        c.execute('DELETE FROM %s' % self.TABLE)\n", "'DELETE FROM %s' % self.TABLE"));
        assert!(!py(
            "def f(c, name):\n    c.execute(f'SELECT * FROM x WHERE n = {name}')\n",
            "f'SELECT * FROM x WHERE n = {name}'"
        ));
        assert!(!py(
            "def f(c, rows):\n    for t in rows:\n        c.execute('TRUNCATE %s' % t)\n",
            "'TRUNCATE %s' % t"
        ));
    }
}
