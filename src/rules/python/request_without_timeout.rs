//! `python/request-without-timeout`: `requests` calls without `timeout=`
//! (and `httpx` calls) in a view or a background task.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::parse::Syntax;
use crate::semantics::{descendants, python};
use tree_sitter::Node;

const DOC: &str = r#####"
id = "python/request-without-timeout"
languages = ["python"]
severity = "warning"
category = "concurrency"
confidence = "high"
prefilter = ["requests", "httpx"]
summary = "Outbound HTTP call without a timeout in a view or task"

[docs]
what = """
Inside a Django view (a function or method taking `request`) or a background task (`@shared_task`,
`@app.task`, `@task`, `@actor`, `@job`, `@periodic_task`, `@db_task`), flags `requests.get/post/
put/patch/delete/head/options/request` and the same methods on a `requests.Session()` created in
the function, when they pass no `timeout=` (or `timeout=None`); likewise `httpx.get/post/...` and
calls on an `httpx.Client()` created in the function. A client created with an explicit
`timeout=` (other than `None`) covers its calls. httpx does apply a 5-second default, but an
explicit timeout states the budget the view can afford (and `requests` has none at all). Calls that
forward `**kwargs` may carry a timeout and are not flagged.
"""
why = """
`requests` waits forever by default. When the upstream API hangs (a full connection pool, a
firewall dropping packets), the worker process or thread serving the view hangs with it; a few
such requests occupy every worker and the whole site stops answering. In a task the worker slot
is lost until someone restarts it.
"""
example = '''
def checkout(request):
    r = requests.post("https://payments.example.com/charge", json=payload)
'''
fix = '''
Always pass a timeout (connect, read), and handle `requests.Timeout`:

    r = requests.post(url, json=payload, timeout=(3.05, 10))
'''
references = [
  "https://requests.readthedocs.io/en/latest/user/advanced/#timeouts",
  "https://www.python-httpx.org/advanced/timeouts/",
  "https://docs.astral.sh/ruff/rules/request-without-timeout/",
]
guidance = ["G5"]

[[examples]]
invalid = '''
import requests

def checkout(request):
    r = requests.post("https://payments.example.com/charge", json={"amount": 10})
    return JsonResponse(r.json())
'''
valid = '''
import requests

def checkout(request):
    r = requests.post("https://payments.example.com/charge", json={"amount": 10}, timeout=10)
    return JsonResponse(r.json())
'''

[[examples]]
invalid = '''
import requests
from celery import shared_task

@shared_task
def sync_stock():
    session = requests.Session()
    return session.get("https://erp.example.com/stock").json()
'''
valid = '''
import httpx
from celery import shared_task

@shared_task
def sync_stock():
    with httpx.Client(timeout=10) as client:
        return client.get("https://erp.example.com/stock").json()
'''

[[examples]]
invalid = '''
import httpx

def proxy(request):
    with httpx.Client(timeout=None) as client:
        return client.get("https://slow.example.com")
'''
valid = '''
import requests

def fetch_all(urls):
    return [requests.get(u) for u in urls]
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

const VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options", "request"];
const TASK_DECORATORS: &[&str] =
    &["shared_task", "task", "actor", "job", "periodic_task", "db_task", "db_periodic_task", "background"];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    if f.ty() != "attribute" {
        return;
    }
    let method = f.field("attribute").map(|a| ctx.text(a)).unwrap_or("");
    if !VERBS.contains(&method) {
        return;
    }
    let Some(recv) = f.field("object") else { return };
    let library = match ctx.qualified_name(recv).as_deref() {
        Some("requests") => "requests",
        Some("httpx") => "httpx",
        _ => match client_of(recv, ctx) {
            Some(l) => l,
            None => return,
        },
    };
    if !in_view_or_task(call, ctx) {
        return;
    }
    let args = call.field("arguments");
    if args.is_some_and(|a| {
        let mut c = a.walk();
        let r = a.named_children(&mut c).any(|n| n.ty() == "dictionary_splat");
        r
    }) {
        return;
    }
    let timeout = python::keyword_args(&ctx.src.text, call).into_iter().find(|(k, _)| k == "timeout").map(|(_, v)| v);
    let explicit_none = timeout.is_some_and(|t| t.ty() == "none");
    let flagged = match library {
        // A client configured with a timeout covers calls that pass none.
        "httpx-client-set" => explicit_none,
        _ => timeout.is_none() || explicit_none,
    };
    if !flagged {
        return;
    }
    let lib = if library.starts_with("httpx") { "httpx" } else { library };
    let message = if explicit_none {
        format!("{lib} call with timeout=None waits forever for a slow upstream, holding this worker; pass a timeout")
    } else {
        format!(
            "{lib} call without timeout= waits forever for a slow upstream, holding this worker; pass a timeout \
             (e.g. timeout=10)"
        )
    };
    let r = ctx.report(call, message);
    if lib == "requests" && !explicit_none {
        r.unless(DEFAULT_TIMEOUT.to_string());
    }
}

/// `FileFacts::provides` symbol of a project that gives every `requests`
/// call a default timeout by patching the transport (`HTTPAdapter.send =
/// send_with_timeout`, usually from an `AppConfig.ready()`).
const DEFAULT_TIMEOUT: &str = "python:requests-default-timeout";

/// Fact extractor: does the file patch `requests`' transport or session
/// methods (where a default timeout is set for every call)?
pub fn extract_default_timeout(ctx: &mut FileCtx) {
    let mut patched = false;
    descendants(ctx.tree.root_node(), |d| {
        if d.ty() == "assignment" {
            let left = d.field("left").map(|l| ctx.text(l)).unwrap_or("");
            patched |= ["HTTPAdapter.send", "Session.request", "Session.send"].iter().any(|m| left.ends_with(m));
        }
        !patched
    });
    if patched {
        ctx.facts.provides.push(DEFAULT_TIMEOUT.to_string());
    }
}

/// `s` bound in the function to `requests.Session()` (→ "requests") or to
/// `httpx.Client(...)` (→ "httpx-client-set" when created with a timeout
/// other than `None`, else "httpx"), by assignment or `with ... as s`.
fn client_of(recv: Node, ctx: &FileCtx) -> Option<&'static str> {
    if recv.ty() != "identifier" {
        return None;
    }
    let name = ctx.text(recv);
    let func = ctx.enclosing_function(recv)?;
    let mut found = None;
    descendants(func, |d| {
        let (target, value) = match d.ty() {
            "assignment" => (d.field("left"), d.field("right")),
            "as_pattern" => (d.field("alias"), d.named_child(0)),
            _ => (None, None),
        };
        if let (Some(t), Some(v)) = (target, value) {
            if ctx.text(t) == name && v.ty() == "call" {
                let q = v.field("function").and_then(|f| ctx.qualified_name(f));
                found = match q.as_deref() {
                    Some("requests.Session" | "requests.session") => Some("requests"),
                    Some("httpx.Client") => {
                        let set = python::keyword_args(&ctx.src.text, v)
                            .iter()
                            .any(|(k, v)| k == "timeout" && v.ty() != "none");
                        Some(if set { "httpx-client-set" } else { "httpx" })
                    }
                    _ => found,
                };
            }
        }
        true
    });
    found
}

/// Is the call inside a view or a background task (at any nesting level)?
fn in_view_or_task(call: Node, ctx: &FileCtx) -> bool {
    let src = &ctx.src.text;
    let mut cur = ctx.enclosing_function(call);
    while let Some(f) = cur {
        if python::is_view(f, src) {
            return true;
        }
        if let Some(dec) = f.up().filter(|p| p.ty() == "decorated_definition") {
            let mut c = dec.walk();
            let is_task = dec.named_children(&mut c).filter(|d| d.ty() == "decorator").any(|d| {
                let t = ctx.text(d).trim_start_matches('@');
                let callee = t.split('(').next().unwrap_or(t).trim();
                let last = callee.rsplit('.').next().unwrap_or(callee);
                TASK_DECORATORS.contains(&last)
            });
            if is_task {
                return true;
            }
        }
        cur = ctx.enclosing_function(f);
    }
    false
}
