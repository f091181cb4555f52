//! `django/open-redirect`: `redirect()`/`HttpResponseRedirect()` to a URL
//! taken from the request, with no `url_has_allowed_host_and_scheme` check
//! in the function.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::shorten;
use crate::parse::Syntax;
use crate::semantics::{descendants, python};
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/open-redirect"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["injection", "request-data"]
confidence = "medium"
prefilter = ["redirect", "Redirect"]
summary = "redirect() to a URL taken from the request without url_has_allowed_host_and_scheme"

[docs]
what = """
Flags `django.shortcuts.redirect()`, `HttpResponseRedirect()` and `HttpResponsePermanentRedirect()`
whose target carries request data (`request.GET["next"]`, `request.POST.get("next")`,
`request.META["HTTP_REFERER"]`, URL kwargs, ...) when the function never calls
`url_has_allowed_host_and_scheme()` (or the older `is_safe_url()`). A target that starts with a
fixed path (`f"/orders/{pk}/"`), a fixed `https://host/` prefix, `request.path` or a `reverse()`
call (or a project wrapper named `*_reverse`) cannot leave the site and is not flagged, nor is
`redirect("app:view", pk=pk)`, which reverses a named URL. Request data that only lands after the
`?` (`url = reverse(...)`, then `url += "?" + request.GET.urlencode()`, or
`"%s?next=%s" % (base, quote(path))`) cannot change the destination either. A project function
that wraps the check (`def is_safe_next(u, request): return url_has_allowed_host_and_scheme(u,
...)`), in any module, guards its argument like the check itself when the view tests it.
"""
why = """
A login or language-switch view that redirects to `?next=` as given will send users anywhere:
`/login/?next=https://evil.example/login` shows your login page, then forwards the freshly
authenticated user to a look-alike that asks for the password again or for payment details.
The link itself points at your domain, so users and mail filters trust it.
"""
example = '''
def set_language(request):
    request.session["lang"] = request.POST["lang"]
    return redirect(request.POST.get("next", "/"))
'''
fix = '''
Check the target against your own hosts and fall back to a fixed page:

    from django.utils.http import url_has_allowed_host_and_scheme

    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return redirect(next_url)
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/utils/#django.utils.http.url_has_allowed_host_and_scheme",
  "https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html",
  "https://cwe.mitre.org/data/definitions/601.html",
]
guidance = ["G12"]

[[examples]]
invalid = '''
from django.shortcuts import redirect

def after_login(request):
    return redirect(request.GET.get("next", "/"))
'''
valid = '''
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

def after_login(request):
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
'''

[[examples]]
invalid = '''
from django.http import HttpResponseRedirect

def back(request):
    referer = request.META.get("HTTP_REFERER")
    return HttpResponseRedirect(referer)
'''
valid = '''
from django.http import HttpResponseRedirect
from django.shortcuts import redirect

def order_done(request, pk):
    if request.GET.get("print"):
        return HttpResponseRedirect(f"/orders/{pk}/print/")
    return redirect("shop:order-detail", pk=pk)
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, kinds: &["call"], node: Some(check), ..CodeRule::EMPTY };

const REDIRECTS: &[&str] = &[
    "django.shortcuts.redirect",
    "django.http.HttpResponseRedirect",
    "django.http.HttpResponsePermanentRedirect",
    "django.http.response.HttpResponseRedirect",
    "django.http.response.HttpResponsePermanentRedirect",
];
const CHECKS: &[&str] = &["url_has_allowed_host_and_scheme", "is_safe_url"];

fn check(call: Node, ctx: &mut FileCtx) {
    let Some(f) = call.field("function") else { return };
    if !matches!(f.ty(), "identifier" | "attribute") {
        return;
    }
    let Some(q) = ctx.qualified_name(f) else { return };
    if !REDIRECTS.contains(&q.as_str()) {
        return;
    }
    let target = python::positional_args(call).first().copied().or_else(|| {
        python::keyword_args(&ctx.src.text, call)
            .into_iter()
            .find(|(k, _)| k == "to" || k == "redirect_to")
            .map(|(_, v)| v)
    });
    let Some(target) = target else { return };
    let Some(func) = ctx.enclosing_function(call) else { return };
    // URL kwargs are path segments the URL pattern matched: a redirect
    // built from them stays on the site. Only query, form, header and
    // cookie data count here.
    let taint = python::taint_with(func, &ctx.src.text, false);
    if !python::expr_tainted(target, &ctx.src.text, &taint) || fixed_destination(target, ctx, 0) {
        return;
    }
    // Request data only after the `?` (a `next=` parameter, the query
    // string carried over) cannot change where the browser goes.
    if !destination_tainted(target, ctx, &taint, 0).0 {
        return;
    }
    let mut checked = false;
    descendants(func, |d| {
        if d.ty() == "call" {
            let name = d.field("function").map(|f| ctx.text(f)).unwrap_or("");
            if CHECKS.iter().any(|c| name == *c || name.ends_with(&format!(".{c}"))) {
                checked = true;
            }
        }
        !checked
    });
    if checked {
        return;
    }
    // Calls in conditions of the function may be a project's wrapper of the
    // check, here or in another module: the finding holds unless one is.
    let mut conditions = Vec::new();
    descendants(func, |d| {
        if matches!(
            d.ty(),
            "if_statement"
                | "elif_clause"
                | "while_statement"
                | "assert_statement"
                | "conditional_expression"
                | "boolean_operator"
                | "not_operator"
        ) {
            let cond = d.field("condition").unwrap_or(d);
            descendants(cond, |c| {
                if c.ty() == "call" {
                    if let Some(f) = c.field("function") {
                        let name = ctx.text(f);
                        let last = name.rsplit('.').next().unwrap_or(name);
                        if !last.is_empty() && !conditions.iter().any(|s: &String| s == last) {
                            conditions.push(last.to_string());
                        }
                    }
                }
                true
            });
        }
        true
    });
    let callee = ctx.text(f).to_string();
    let message = format!(
        "{callee}() sends the user to `{}`, which comes from the request: anyone can craft a link on this site that \
         forwards to their own; check it with url_has_allowed_host_and_scheme() first",
        shorten(ctx.text(target))
    );
    let r = ctx.report(call, message);
    for name in conditions {
        r.unless(format!("{GUARD_SYMBOL}{name}"));
    }
}

/// `FileFacts::provides` prefix of a Python function wrapping a redirect check.
const GUARD_SYMBOL: &str = "guard:python-redirect:";

/// Fact extractor: the file's functions that wrap a redirect check.
pub fn extract_guards(ctx: &mut FileCtx) {
    let wrappers = python::guard_wrappers(ctx.tree.root_node(), &ctx.src.text, CHECKS);
    ctx.facts.provides.extend(wrappers.into_iter().map(|w| format!("{GUARD_SYMBOL}{w}")));
}

/// A piece of a URL as the code builds it: literal text or a value.
enum Piece<'t> {
    Lit(String),
    Expr(Node<'t>),
}

/// Does request data reach the part of the URL `n` before its `?` or `#`
/// (where it could change the host)? Also returns whether `n` itself
/// reached a `?`, after which the rest of an enclosing URL is query.
/// A name is followed to each value it may hold (`url = reverse(...)` then
/// `url += "?" + query`), each value a URL of its own.
fn destination_tainted(n: Node, ctx: &FileCtx, taint: &crate::semantics::Taint, depth: u32) -> (bool, bool) {
    let src = &ctx.src.text;
    let mut pieces = Vec::new();
    url_pieces(n, ctx, &mut pieces, 0);
    for p in pieces {
        match p {
            Piece::Lit(t) if t.contains(['?', '#']) => return (false, true),
            Piece::Lit(_) => {}
            Piece::Expr(e) if fixed_destination(e, ctx, 0) || !python::expr_tainted(e, src, taint) => {}
            Piece::Expr(e) => {
                let values = (e.ty() == "identifier" && depth < 4).then(|| python::assignments(e, src)).flatten();
                let Some(values) = values.filter(|v| !v.is_empty()) else { return (true, false) };
                // Each plain assignment starts a value; augmented ones append.
                let mut ended = true;
                for (i, (v, aug)) in values.iter().enumerate() {
                    if *aug {
                        continue;
                    }
                    let (t, e1) = destination_tainted(*v, ctx, taint, depth + 1);
                    if t {
                        return (true, false);
                    }
                    let mut e = e1;
                    for (a, _) in values[i + 1..].iter().take_while(|(_, aug)| *aug) {
                        if e {
                            break;
                        }
                        let (t, e2) = destination_tainted(*a, ctx, taint, depth + 1);
                        if t {
                            return (true, false);
                        }
                        e = e2;
                    }
                    ended &= e;
                }
                if ended {
                    return (false, true);
                }
            }
        }
    }
    (false, false)
}

/// The pieces of the URL `n` builds, in order: f-strings, `+`, and `%` and
/// `.format` over a literal template. Names stay values (see
/// [`destination_tainted`]).
fn url_pieces<'t>(n: Node<'t>, ctx: &FileCtx<'t>, out: &mut Vec<Piece<'t>>, depth: u32) {
    let src = &ctx.src.text;
    if depth > 6 {
        out.push(Piece::Expr(n));
        return;
    }
    match n.ty() {
        "string" => {
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                match ch.ty() {
                    "string_content" | "escape_sequence" => out.push(Piece::Lit(ctx.text(ch).to_string())),
                    "interpolation" => {
                        if let Some(e) = ch.named_child(0) {
                            url_pieces(e, ctx, out, depth + 1);
                        }
                    }
                    _ => {}
                }
            }
        }
        "parenthesized_expression" => {
            if let Some(i) = n.named_child(0) {
                url_pieces(i, ctx, out, depth + 1)
            }
        }
        "binary_operator" if n.field("operator").is_some_and(|o| ctx.text(o) == "+") => {
            for side in [n.field("left"), n.field("right")].into_iter().flatten() {
                url_pieces(side, ctx, out, depth + 1);
            }
        }
        // `"%s?next=%s" % (base, nxt)`: the template's text between the
        // conversions, with the values in order.
        "binary_operator" if n.field("operator").is_some_and(|o| ctx.text(o) == "%") => {
            let (Some(l), Some(r)) = (n.field("left"), n.field("right")) else { return };
            let Some(template) = python::string_value(src, l) else {
                out.push(Piece::Expr(n));
                return;
            };
            let args: Vec<Node> = match r.ty() {
                "tuple" => {
                    let mut c = r.walk();
                    r.named_children(&mut c).filter(|a| a.ty() != "comment").collect()
                }
                _ => vec![r],
            };
            interleave(&template, '%', &args, out);
        }
        // `"{}?next={}".format(base, nxt)`: positional fields in order.
        "call"
            if n.field("function").is_some_and(|f| {
                f.ty() == "attribute" && f.field("attribute").is_some_and(|a| ctx.text(a) == "format")
            }) =>
        {
            let recv = n.field("function").and_then(|f| f.field("object"));
            match recv.and_then(|r| python::string_value(src, r)) {
                Some(template) => interleave(&template, '{', &python::positional_args(n), out),
                None => out.push(Piece::Expr(n)),
            }
        }
        _ => out.push(Piece::Expr(n)),
    }
}

/// Splits a `%` or `{}` template at its conversions and puts the values
/// between the pieces of text, in order.
fn interleave<'t>(template: &str, open: char, args: &[Node<'t>], out: &mut Vec<Piece<'t>>) {
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find(open) {
        let after = &rest[i + 1..];
        // `%%` and `{{` are literal.
        if after.starts_with(open) {
            out.push(Piece::Lit(rest[..i + 1].to_string()));
            rest = &after[1..];
            continue;
        }
        out.push(Piece::Lit(rest[..i].to_string()));
        let end = if open == '{' {
            after.find('}').map(|j| j + 1)
        } else {
            after.find(|c: char| c.is_ascii_alphabetic()).map(|j| j + 1)
        };
        match args.next() {
            Some(a) => out.push(Piece::Expr(*a)),
            None => return,
        }
        rest = &after[end.unwrap_or(after.len())..];
    }
    out.push(Piece::Lit(rest.to_string()));
}

/// Does the URL start with something that pins the destination to this
/// site (a path like `/orders/`, a `reverse()` call) or a fixed host?
fn fixed_destination(n: Node, ctx: &FileCtx, depth: u32) -> bool {
    if depth > 4 {
        return false;
    }
    let fixed_prefix = |s: &str| {
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some('/'), Some(c)) => c != '/' && c != '\\',
            _ => {
                let lower = s.to_ascii_lowercase();
                ["https://", "http://"]
                    .iter()
                    .any(|p| lower.strip_prefix(p).is_some_and(|rest| rest.find('/').is_some_and(|i| i > 0)))
            }
        }
    };
    match n.ty() {
        "string" => {
            // The literal text before the first interpolation, or a fixed
            // value interpolated first (`f"{reverse('x')}?q={q}"`).
            let mut prefix = String::new();
            let mut c = n.walk();
            for ch in n.children(&mut c) {
                match ch.ty() {
                    // Up to a `%s` or `{}` a template leaves open.
                    "string_content" | "escape_sequence" => {
                        let t = ctx.text(ch);
                        match t.find(['{', '%']) {
                            Some(i) => {
                                prefix.push_str(&t[..i]);
                                break;
                            }
                            None => prefix.push_str(t),
                        }
                    }
                    "interpolation" => {
                        if prefix.is_empty() {
                            return ch.named_child(0).is_some_and(|e| fixed_destination(e, ctx, depth + 1));
                        }
                        break;
                    }
                    _ => {}
                }
            }
            fixed_prefix(&prefix)
        }
        "binary_operator" => n.field("left").is_some_and(|l| fixed_destination(l, ctx, depth + 1)),
        "identifier" => python::assigned_values(n, &ctx.src.text)
            .is_some_and(|vs| !vs.is_empty() && vs.iter().all(|v| fixed_destination(*v, ctx, depth + 1))),
        // The path this view was reached under.
        "attribute" => matches!(ctx.text(n), "request.path" | "request.path_info" | "self.request.path"),
        "parenthesized_expression" => n.named_child(0).is_some_and(|i| fixed_destination(i, ctx, depth + 1)),
        "call" => {
            let Some(f) = n.field("function") else { return false };
            let name = match f.ty() {
                "attribute" => f.field("attribute").map(|a| ctx.text(a)).unwrap_or(""),
                _ => ctx.text(f),
            };
            match name {
                "reverse" | "reverse_lazy" | "resolve_url" | "get_absolute_url" | "get_full_path" => true,
                // A project's wrapper of reverse (`admin_reverse`, `reverse_with_query`).
                n if n.ends_with("_reverse") || n.starts_with("reverse_") => true,
                // `request.path.replace("/talks/", "/submissions/")`: still a path of this site.
                "replace" => f.field("object").is_some_and(|o| fixed_destination(o, ctx, depth + 1)),
                // `obj.get_translate_url()`: a model's own URL.
                n if n.starts_with("get_") && n.ends_with("_url") && f.ty() == "attribute" => true,
                "format" => {
                    let Some(recv) = f.field("object") else { return false };
                    if fixed_destination(recv, ctx, depth + 1) {
                        return true;
                    }
                    // `"{}?{}".format(reverse(...), query)`
                    let starts_with_field = python::string_value(&ctx.src.text, recv)
                        .is_some_and(|t| t.starts_with("{}") || t.starts_with("{0}"));
                    starts_with_field
                        && python::positional_args(n).first().is_some_and(|a| fixed_destination(*a, ctx, depth + 1))
                }
                _ => false,
            }
        }
        _ => false,
    }
}
