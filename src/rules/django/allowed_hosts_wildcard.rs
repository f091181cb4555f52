//! `django/allowed-hosts-wildcard`: `"*"` in the `ALLOWED_HOSTS` a
//! production settings module ends up with.

use crate::engine::context::FileCtx;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{Edit, Issue, Reporter, SettingsIndex, StmtKind, Value};
use crate::parse::Syntax;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/allowed-hosts-wildcard"
languages = ["python"]
severity = "warning"
category = "security"
confidence = "high"
summary = "ALLOWED_HOSTS accepts any host (\"*\") in production settings"

[docs]
what = """
Flags a literal `"*"` in the `ALLOWED_HOSTS` a production settings module ends up with, at the
assignment (or the `.append("*")`/`+= ["*"]` that adds it) and naming the chain. Subdomain
patterns such as `".example.com"` are fine. Lists read from the environment, or extended under a
condition (`if DEBUG: ALLOWED_HOSTS += ["*"]`), are not judged; development settings modules are
not evaluated. Not flagged when a middleware of the project in `MIDDLEWARE` raises
`DisallowedHost` itself (multi-tenant sites that check the Host header against their own list of
domains). Django's own check (security.W020) only catches the empty list.
"""
why = """
`ALLOWED_HOSTS` is Django's defence against Host header attacks: with `"*"` the application
trusts whatever `Host` the client sends, and builds absolute URLs from it in password-reset
emails (a poisoned reset link sends the token to the attacker), redirects and cache keys. A
proxy that filters hosts in front of Django helps only as long as nobody reaches Django without
it.
"""
example = '''
ALLOWED_HOSTS = ["*"]
'''
fix = '''
List the names the site is served under, from the environment if they differ per deployment:

    ALLOWED_HOSTS = os.environ["DJANGO_ALLOWED_HOSTS"].split(",")

Health checks that reach the container by IP can be answered by a small middleware before
`CommonMiddleware`, or by adding the pod IP at startup.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#allowed-hosts",
  "https://docs.djangoproject.com/en/stable/topics/security/#host-headers-virtual-hosting",
  "https://cwe.mitre.org/data/definitions/644.html",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
ALLOWED_HOSTS = ["*"]
'''
valid = '''
INSTALLED_APPS = ["shop"]
ALLOWED_HOSTS = ["shop.example.com", ".example.com"]
'''

[[examples]]
path = "proj/settings/production.py"
invalid = '''
from .base import *
ALLOWED_HOSTS.append("*")
'''
valid = '''
from .base import *
import os
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "*").split(",")
'''
files = { "proj/settings/base.py" = "INSTALLED_APPS = ['shop']\nALLOWED_HOSTS = []\n", "proj/settings/dev.py" = "from .base import *\nALLOWED_HOSTS = ['*']\n" }

[[examples]]
path = "proj/settings.py"
valid = '''
INSTALLED_APPS = ["shop"]
DEBUG = False
ALLOWED_HOSTS = ["shop.example.com"]
if DEBUG:
    ALLOWED_HOSTS += ["*"]
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn has_star(v: &Value) -> bool {
    match v {
        Value::Str(s) => s == "*",
        Value::List(l) => l.iter().any(has_star),
        _ => false,
    }
}

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    let validators: Vec<&str> =
        ctx.files.iter().flat_map(|f| f.facts.provides.iter()).filter_map(|p| p.strip_prefix(HOST_VALIDATOR)).collect();
    for eff in index.production_settings() {
        let Some(s) = eff.get("ALLOWED_HOSTS") else { continue };
        let Some(list) = s.certain().and_then(Value::as_list) else { continue };
        if !list.iter().any(has_star) {
            continue;
        }
        // A project middleware that rejects unknown hosts (it raises
        // DisallowedHost) does what ALLOWED_HOSTS would.
        if validators.iter().any(|v| eff.has_middleware(v) == Some(true)) {
            continue;
        }
        // The statement that put "*" there: the assignment, else the edit.
        let adds_star = |site| match index.statement(site).map(|st| &st.kind) {
            Some(StmtKind::Assign { value, .. }) => has_star(value),
            Some(StmtKind::Edit {
                edit: Edit::Append(v) | Edit::Extend(v) | Edit::Insert { value: v, .. }, ..
            }) => has_star(v),
            _ => false,
        };
        let site =
            if adds_star(&s.site) { &s.site } else { s.edits.iter().rev().find(|e| adds_star(e)).unwrap_or(&s.site) };
        let message = format!(
            "ALLOWED_HOSTS accepts any host (\"*\") in production settings ({}): Django trusts whatever Host header the \
             client sends, e.g. in password-reset links; list the real host names",
            index.chain(site)
        );
        r.add(Issue { site: site.clone(), message, severity: None, confidence: None });
    }
    r.finish(out);
}

/// `FileFacts::provides` prefix of a top-level class or function that
/// raises `DisallowedHost`: `django:host-validator:<name>`.
const HOST_VALIDATOR: &str = "django:host-validator:";

/// Fact extractor: the top-level classes and functions of the file whose
/// code raises `DisallowedHost` (middleware validating the Host header).
pub fn extract_host_validators(ctx: &mut FileCtx) {
    let root = ctx.tree.root_node();
    let mut c = root.walk();
    let defs: Vec<Node> = root
        .named_children(&mut c)
        .filter_map(|n| if n.ty() == "decorated_definition" { n.field("definition") } else { Some(n) })
        .filter(|n| matches!(n.ty(), "class_definition" | "function_definition"))
        .collect();
    for d in defs {
        let mut raises = false;
        crate::semantics::descendants(d, |n| {
            if n.ty() == "raise_statement" && ctx.text(n).contains("DisallowedHost") {
                raises = true;
            }
            !raises
        });
        if raises {
            if let Some(name) = d.field("name").map(|n| ctx.text(n).to_string()) {
                ctx.facts.provides.push(format!("{HOST_VALIDATOR}{name}"));
            }
        }
    }
}
