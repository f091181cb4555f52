//! `django/open-redirect`: `redirect()`/`HttpResponseRedirect()` to a URL
//! taken from the request, with no `url_has_allowed_host_and_scheme` check
//! in the function.

use crate::engine::context::FileCtx;
use crate::engine::declarative::shorten;
use crate::engine::rule::CodeRule;
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
fixed path (`f"/orders/{pk}/"`), a fixed `https://host/` prefix or a `reverse()` call cannot leave
the site and is not flagged, nor is `redirect("app:view", pk=pk)`, which reverses a named URL.
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
    let callee = ctx.text(f).to_string();
    let message = format!(
        "{callee}() sends the user to `{}`, which comes from the request: anyone can craft a link on this site that \
         forwards to their own; check it with url_has_allowed_host_and_scheme() first",
        shorten(ctx.text(target))
    );
    ctx.report(call, message);
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
                    "string_content" | "escape_sequence" => prefix.push_str(ctx.text(ch)),
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
