//! `django/csrf-exempt`: `@csrf_exempt` (or `method_decorator(csrf_exempt,
//! name="dispatch")`) on a view that accepts state-changing methods.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::Confidence;
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "django/csrf-exempt"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["served"]
confidence = "high"
prefilter = ["csrf_exempt"]
summary = "@csrf_exempt on a view that accepts POST/PUT/PATCH/DELETE"

[docs]
what = """
Flags `@csrf_exempt` (`django.views.decorators.csrf.csrf_exempt`, also imported under another name
or used as `csrf.csrf_exempt`) on a view that handles unsafe methods, and
`@method_decorator(csrf_exempt, name="dispatch")` on a class-based view that does. A function view
is taken to accept POST unless it is restricted to safe methods (`@require_GET`, `@require_safe`,
`@require_http_methods(["GET", "HEAD"])`) or starts by rejecting every other method
(`if request.method != "GET": return HttpResponseNotAllowed(...)`). A class-based view accepts
unsafe methods when it defines `post`/`put`/`patch`/`delete` (itself or through a base class of the
same file) or derives from a Django editing view (`CreateView`, `UpdateView`, `DeleteView`,
`FormView`, `LoginView`, ...). DRF views are left alone: DRF already exempts them from the
middleware and `SessionAuthentication` enforces CSRF itself, so the decorator changes nothing there.
Endpoints that another server calls (webhooks, OAuth/SAML/OpenID callbacks, payment notifications,
git smart HTTP) and views that authenticate the request themselves (an HMAC or signature check, an
`Authorization` header or token, a session handed over by its key in the body as cross-domain
logins do) are not flagged: a forged cross-site request carries no credential they accept. A view
that uses nothing of the logged-in user's session is reported at low confidence, and so is a view
that accepts PUT, PATCH or DELETE but not POST: a cross-site page can send those only after a CORS
preflight, so the exemption matters only where the CORS policy admits other origins with
credentials. The finding starts on the decorator line.
"""
why = """
CSRF protection is what stops another site from making a logged-in user's browser submit a form
to yours: the browser attaches the session cookie to any cross-site POST. An exempt view that
changes state (places an order, changes an email address, deletes data) can be driven by any page
the user visits. Exemptions are usually added to make an API client or a webhook work and then
outlive the reason.
"""
example = '''
@csrf_exempt
def update_cart(request):
    cart = Cart.objects.get(user=request.user)
    cart.add(request.POST["product_id"])
'''
fix = '''
Remove the decorator and send the CSRF token: `{% csrf_token %}` in forms, the `X-CSRFToken`
header from JavaScript (read it from the `csrftoken` cookie). For an API used with token or
JWT authentication, write it with Django REST framework and its authentication classes instead of
exempting a session view. A webhook that must be exempt should not rely on the session at all:
verify the sender's signature (e.g. `stripe.Webhook.construct_event`) and restrict it to POST.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/csrf/",
  "https://docs.djangoproject.com/en/stable/howto/csrf/",
  "https://www.django-rest-framework.org/topics/ajax-csrf-cors/",
  "https://cwe.mitre.org/data/definitions/352.html",
]
guidance = ["G11"]

[[examples]]
invalid = '''
from django.views.decorators.csrf import csrf_exempt

@csrf_exempt
def update_cart(request):
    request.session["cart"] = request.POST["items"]
'''
valid = '''
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

@csrf_exempt
@require_GET
def stock_level(request, sku):
    return JsonResponse({"sku": sku})
'''

[[examples]]
invalid = '''
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators import csrf

@method_decorator(csrf.csrf_exempt, name="dispatch")
class OrderView(View):
    def post(self, request):
        return create_order(request)
'''
valid = '''
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

@method_decorator(csrf_exempt, name="dispatch")
class HelpView(TemplateView):
    template_name = "help.html"
'''

[[examples]]
invalid = '''
from django.views.decorators.csrf import csrf_exempt as no_csrf
from django.views.generic.edit import CreateView

class SignupView(CreateView):
    model = User

    @no_csrf
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)
'''
valid = '''
def csrf_exempt(view):
    return view

@csrf_exempt
def update_cart(request):
    request.session["cart"] = request.POST["items"]
'''

[[examples]]
valid = '''
from django.views.decorators.csrf import csrf_exempt

@csrf_exempt
def ping(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse("pong")
'''
invalid = '''
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

@csrf_exempt
@require_http_methods(["GET", "POST"])
def search(request):
    return run_search(request)
'''

# PATCH and DELETE from another site need a CORS preflight first: reported at
# low confidence (shown with --min-confidence low). The same view with post()
# is a hole at the rule's own confidence.
[[examples]]
invalid = '''
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views import View
from django.views.decorators.csrf import csrf_exempt

class SlotUpdate(LoginRequiredMixin, View):
    @csrf_exempt
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def patch(self, request, pk):
        return move_slot(request.user, pk, json.loads(request.body))

    def delete(self, request, pk):
        return remove_slot(request.user, pk)
'''
[[examples]]
invalid = '''
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views import View
from django.views.decorators.csrf import csrf_exempt

class SlotUpdate(LoginRequiredMixin, View):
    @csrf_exempt
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, pk):
        return move_slot(request.user, pk, request.POST)

    def delete(self, request, pk):
        return remove_slot(request.user, pk)
'''
"#####;

pub const RULE: CodeRule =
    CodeRule { doc: DOC, kinds: &["decorator"], gate: None, node: Some(check), ..CodeRule::EMPTY };

const CSRF_EXEMPT: &str = "django.views.decorators.csrf.csrf_exempt";
const METHOD_DECORATOR: &str = "django.utils.decorators.method_decorator";
const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "TRACE"];
const UNSAFE_HANDLERS: &[&str] = &["post", "put", "patch", "delete"];

/// Django class-based views that handle POST (or DELETE) themselves.
const EDITING_VIEWS: &[(&str, &str)] = &[
    ("CreateView", "post"),
    ("UpdateView", "post"),
    ("DeleteView", "post"),
    ("FormView", "post"),
    ("BaseCreateView", "post"),
    ("BaseUpdateView", "post"),
    ("BaseDeleteView", "post"),
    ("BaseFormView", "post"),
    ("ProcessFormView", "post"),
    ("DeletionMixin", "delete"),
    ("LoginView", "post"),
    ("LogoutView", "post"),
    ("PasswordChangeView", "post"),
    ("PasswordResetView", "post"),
    ("PasswordResetConfirmView", "post"),
];

/// How a decorator exempts its target.
enum Exemption {
    /// `@csrf_exempt`
    Direct,
    /// `@method_decorator(csrf_exempt[, name="..."])`
    Method { name: Option<String> },
}

fn check(decorator: Node, ctx: &mut FileCtx) {
    let Some(expr) = decorator.named_children(&mut decorator.walk()).find(|n| n.ty() != "comment") else {
        return;
    };
    let Some(exemption) = exemption(expr, ctx) else {
        return;
    };
    let Some(decorated) = decorator.up().filter(|p| p.ty() == "decorated_definition") else {
        return;
    };
    let Some(def) = decorated.field("definition") else {
        return;
    };
    match def.ty() {
        "function_definition" => {
            let name = def.field("name").map(|n| ctx.text(n)).unwrap_or("");
            if let Some(class) = enclosing_class(decorated) {
                // Only an exempt `dispatch` reaches the view function Django
                // checks; an exempt `post` changes nothing.
                if name == "dispatch" {
                    check_class(decorator, class, ctx);
                }
            } else {
                check_function(decorator, decorated, def, ctx);
            }
        }
        "class_definition" => {
            if let Exemption::Method { name: Some(n) } = exemption {
                if n == "dispatch" {
                    check_class(decorator, def, ctx);
                }
            }
        }
        _ => {}
    }
}

fn is_csrf_exempt(n: Node, ctx: &FileCtx) -> bool {
    matches!(n.ty(), "identifier" | "attribute") && ctx.qualified_name(n).as_deref() == Some(CSRF_EXEMPT)
}

fn exemption(expr: Node, ctx: &FileCtx) -> Option<Exemption> {
    if is_csrf_exempt(expr, ctx) {
        return Some(Exemption::Direct);
    }
    if expr.ty() != "call" {
        return None;
    }
    let func = expr.field("function")?;
    if ctx.qualified_name(func).as_deref() != Some(METHOD_DECORATOR) {
        return None;
    }
    let args = expr.field("arguments")?;
    let mut c = args.walk();
    let mut exempt = false;
    let mut name = None;
    for a in args.named_children(&mut c) {
        match a.ty() {
            "keyword_argument" => {
                let key = a.field("name").map(|k| ctx.text(k));
                if key == Some("name") {
                    name = a.field("value").and_then(|v| python::string_value(&ctx.src.text, v));
                }
            }
            "list" | "tuple" => {
                let mut c2 = a.walk();
                exempt |= a.named_children(&mut c2).any(|d| is_csrf_exempt(d, ctx));
            }
            _ => exempt |= is_csrf_exempt(a, ctx),
        }
    }
    exempt.then_some(Exemption::Method { name })
}

/// The class whose body directly holds `decorated`.
fn enclosing_class(decorated: Node) -> Option<Node> {
    let block = decorated.up().filter(|b| b.ty() == "block")?;
    block.up().filter(|c| c.ty() == "class_definition")
}

/// The last segment of a decorator's qualified name, when the decorator is
/// imported (not a local look-alike), with the decorator's call node if any.
fn decorator_name<'t>(expr: Node<'t>, ctx: &FileCtx) -> Option<(String, String, Option<Node<'t>>)> {
    let (target, call) = if expr.ty() == "call" { (expr.field("function")?, Some(expr)) } else { (expr, None) };
    let q = ctx.qualified_name(target)?;
    if q.starts_with("builtins.") {
        return None;
    }
    let last = q.rsplit('.').next().unwrap_or("").to_string();
    Some((q, last, call))
}

/// Methods a view is restricted to by its decorators: `Some(methods)`,
/// `Some(["*"])` when no restriction, `None` when a restriction we cannot read.
fn allowed_methods(decorated: Node, ctx: &FileCtx) -> Option<Vec<String>> {
    let mut allowed: Option<Vec<String>> = Some(vec!["*".into()]);
    let mut c = decorated.walk();
    for d in decorated.named_children(&mut c).filter(|d| d.ty() == "decorator") {
        let Some(expr) = d.named_children(&mut d.walk()).find(|n| n.ty() != "comment") else {
            continue;
        };
        let Some((_, last, call)) = decorator_name(expr, ctx) else {
            continue;
        };
        let methods: Option<Vec<String>> = match (last.as_str(), call) {
            ("require_GET", None) => Some(vec!["GET".into()]),
            ("require_safe", None) => Some(vec!["GET".into(), "HEAD".into()]),
            ("require_POST", None) => Some(vec!["POST".into()]),
            ("require_http_methods", Some(call)) => {
                let list =
                    call.field("arguments").and_then(|a| a.named_children(&mut a.walk()).find(|n| n.ty() != "comment"));
                match list {
                    Some(l) if matches!(l.ty(), "list" | "tuple" | "set") => {
                        let items: Option<Vec<String>> = l
                            .named_children(&mut l.walk())
                            .filter(|n| n.ty() != "comment")
                            .map(|n| python::string_value(&ctx.src.text, n).map(|s| s.to_ascii_uppercase()))
                            .collect();
                        Some(items?)
                    }
                    _ => return None,
                }
            }
            _ => continue,
        };
        allowed = methods;
    }
    allowed
}

/// Is `decorated` a DRF function view (`@api_view`)?
fn is_drf_function(decorated: Node, ctx: &FileCtx) -> bool {
    let mut c = decorated.walk();
    let r = decorated.named_children(&mut c).filter(|d| d.ty() == "decorator").any(|d| {
        d.named_children(&mut d.walk())
            .find(|n| n.ty() != "comment")
            .and_then(|e| decorator_name(e, ctx))
            .is_some_and(|(q, _, _)| q.starts_with("rest_framework."))
    });
    r
}

/// `if request.method != "GET": return ...` (or `not in ("GET", "HEAD")`,
/// raising instead of returning) at the top of the body: the view rejects
/// every unsafe method before doing anything.
fn rejects_unsafe_methods(def: Node, ctx: &FileCtx) -> bool {
    let Some(body) = def.field("body") else {
        return false;
    };
    let mut c = body.walk();
    let r = body.named_children(&mut c).take(3).any(|stmt| {
        if stmt.ty() != "if_statement" {
            return false;
        }
        let Some(cond) = stmt.field("condition") else {
            return false;
        };
        let guard = stmt.field("consequence").is_some_and(|b| {
            b.named_children(&mut b.walk())
                .last()
                .is_some_and(|s| matches!(s.ty(), "return_statement" | "raise_statement"))
        });
        guard && rejects_unsafe(cond, ctx)
    });
    r
}

fn rejects_unsafe(cond: Node, ctx: &FileCtx) -> bool {
    if cond.ty() != "comparison_operator" {
        return false;
    }
    let mut c = cond.walk();
    let kids: Vec<Node> = cond.children(&mut c).collect();
    if kids.len() != 3 && kids.len() != 4 {
        return false;
    }
    let left = kids[0];
    let right = kids[kids.len() - 1];
    let op: String = kids[1..kids.len() - 1].iter().map(|k| ctx.text(*k)).collect::<Vec<_>>().join(" ");
    if !matches!(ctx.text(left), "request.method" | "self.request.method") {
        return false;
    }
    let safe = |n: Node| {
        python::string_value(&ctx.src.text, n).is_some_and(|s| SAFE_METHODS.contains(&s.to_ascii_uppercase().as_str()))
    };
    match op.as_str() {
        "!=" => safe(right),
        "not in" => {
            matches!(right.ty(), "tuple" | "list" | "set")
                && right.named_children(&mut right.walk()).filter(|n| n.ty() != "comment").all(safe)
        }
        _ => false,
    }
}

fn check_function(decorator: Node, decorated: Node, def: Node, ctx: &mut FileCtx) {
    if is_drf_function(decorated, ctx) {
        return;
    }
    let Some(allowed) = allowed_methods(decorated, ctx) else {
        return;
    };
    let name = def.field("name").map(|n| ctx.text(n)).unwrap_or("view");
    let accepts = if allowed.iter().any(|m| m == "*") {
        if rejects_unsafe_methods(def, ctx) {
            return;
        }
        "accepts POST (no method restriction)".to_string()
    } else {
        let unsafe_methods: Vec<&str> =
            allowed.iter().map(String::as_str).filter(|m| !SAFE_METHODS.contains(m)).collect();
        if unsafe_methods.is_empty() {
            return;
        }
        format!("accepts {}", unsafe_methods.join("/"))
    };
    let Some(confidence) = needs_csrf(decorated, name, ctx) else { return };
    let preflighted = !accepts.contains("POST");
    let message =
        format!("'{name}' is exempt from CSRF protection (@csrf_exempt) and {accepts}: {}", consequence(preflighted));
    ctx.report(decorator, message).confidence = if preflighted { Some(Confidence::Low) } else { confidence };
}

/// What the exemption exposes. A cross-site page can send a logged-in
/// user's cookies with a form or a simple request: GET, HEAD or POST. PUT,
/// PATCH and DELETE need a CORS preflight first, which the browser only
/// passes when the site's CORS policy lets the other origin send
/// credentialed requests: for a view that accepts only those, the
/// exemption is a hole only together with such a policy.
fn consequence(preflighted: bool) -> &'static str {
    if preflighted {
        "other sites can send PUT/PATCH/DELETE only after a CORS preflight, so this is exploitable only where the CORS policy admits other origins with credentials; keep the CSRF check so that stays true"
    } else {
        "any site can make a logged-in user's browser submit to it"
    }
}

/// Names of endpoints that other servers call (webhooks, OAuth/SAML/OpenID
/// callbacks, payment notifications, git smart HTTP): the sender cannot
/// hold a CSRF token, and they authenticate it some other way.
const MACHINE_ENDPOINTS: &[&str] = &[
    "webhook",
    "callback",
    "oauth",
    "saml",
    "openid",
    "acs",
    "ipn",
    "sso",
    "upload_pack",
    "receive_pack",
    "info_refs",
];
/// What a view (or a decorator of it) checks when it authenticates the
/// request by itself rather than by the session cookie.
const OWN_AUTH: &[&str] = &[
    "compare_digest",
    "constant_time_compare",
    "hmac",
    "signature",
    "HTTP_AUTHORIZATION",
    "Authorization",
    "construct_event",
    "verify_",
    "jwt.decode",
    "token",
    // A session handed over by its key in the request (a cross-domain
    // login handoff): the key is the credential, not the cookie.
    "SessionStore(request.",
];
/// Decorator name parts of non-session authentication.
const AUTH_DECORATORS: &[&str] = &["auth", "token", "signature", "signed", "api_key", "apikey", "hmac", "basic"];
/// Decorators that require a session login: those keep the exemption a hole.
const SESSION_DECORATORS: &[&str] =
    &["login_required", "permission_required", "user_passes_test", "staff_member_required"];

/// Does exempting `decorated` (the decorated definition of `name`) matter?
/// `None` when the endpoint is called by another server or authenticates
/// the request itself (a signature, a token, an Authorization header): a
/// forged cross-site request carries no credential it accepts. Otherwise
/// the confidence: low when nothing in the view uses the session's
/// identity (the forged request can do no more than its sender could),
/// else the rule's own.
fn needs_csrf(decorated: Node, name: &str, ctx: &FileCtx) -> Option<Option<Confidence>> {
    let lower = name.to_ascii_lowercase();
    if MACHINE_ENDPOINTS.iter().any(|m| lower.contains(m)) {
        return None;
    }
    let text = ctx.text(decorated);
    let mut c = decorated.walk();
    let decorators: Vec<String> = decorated
        .named_children(&mut c)
        .filter(|d| d.ty() == "decorator")
        .map(|d| ctx.text(d).to_ascii_lowercase())
        .collect();
    let session_decorated = decorators.iter().any(|d| SESSION_DECORATORS.iter().any(|s| d.contains(s)));
    let own_auth_decorator = decorators
        .iter()
        .filter(|d| !d.contains("csrf") && !SESSION_DECORATORS.iter().any(|s| d.contains(s)))
        .any(|d| AUTH_DECORATORS.iter().any(|a| d.contains(a)));
    if own_auth_decorator || (!session_decorated && OWN_AUTH.iter().any(|a| text.contains(a))) {
        return None;
    }
    let ambient = session_decorated
        || ["request.user", "request.session", "has_perm", "is_authenticated", "LoginRequired", "PermissionRequired"]
            .iter()
            .any(|u| text.contains(u));
    Some((!ambient).then_some(Confidence::Low))
}

/// Why the class accepts unsafe methods, if it does: "defines post()",
/// "inherits post() from CreateView".
fn unsafe_handler(class: Node, ctx: &FileCtx, depth: u32) -> Option<String> {
    if depth > 5 {
        return None;
    }
    let body = class.field("body")?;
    let mut c = body.walk();
    let mut safe_only = false;
    let mut defined = Vec::new();
    for stmt in body.named_children(&mut c) {
        let def = if stmt.ty() == "decorated_definition" { stmt.field("definition") } else { Some(stmt) };
        let Some(def) = def else { continue };
        match def.ty() {
            "function_definition" => {
                let n = def.field("name").map(|n| ctx.text(n)).unwrap_or("");
                if UNSAFE_HANDLERS.contains(&n) {
                    defined.push(n);
                }
            }
            "expression_statement" => {
                // http_method_names = ["get", "head"]
                let Some(a) = def.named_child(0).filter(|a| a.ty() == "assignment") else {
                    continue;
                };
                let is_names = a.field("left").is_some_and(|l| ctx.text(l) == "http_method_names");
                if let (true, Some(r)) = (is_names, a.field("right")) {
                    if matches!(r.ty(), "list" | "tuple") {
                        let names: Option<Vec<String>> = r
                            .named_children(&mut r.walk())
                            .filter(|n| n.ty() != "comment")
                            .map(|n| python::string_value(&ctx.src.text, n))
                            .collect();
                        safe_only = names.is_some_and(|ns| {
                            ns.iter().all(|m| SAFE_METHODS.contains(&m.to_ascii_uppercase().as_str()))
                        });
                    }
                }
            }
            _ => {}
        }
    }
    if safe_only {
        return None;
    }
    if !defined.is_empty() {
        let list: Vec<String> = defined.iter().map(|d| format!("{d}()")).collect();
        return Some(format!("defines {}", list.join(", ")));
    }
    for base in bases(class) {
        let last = match base.ty() {
            "identifier" => ctx.text(base),
            "attribute" => base.field("attribute").map(|a| ctx.text(a)).unwrap_or(""),
            _ => continue,
        };
        if let Some((_, method)) = EDITING_VIEWS.iter().find(|(n, _)| *n == last) {
            return Some(format!("inherits {method}() from {last}"));
        }
        if base.ty() == "identifier" {
            if let Some(local) = local_class(class, last, ctx).filter(|l| *l != class) {
                if let Some(why) = unsafe_handler(local, ctx, depth + 1) {
                    return Some(if why.starts_with("inherits") {
                        why
                    } else {
                        format!("inherits from {last}, which {why}")
                    });
                }
            }
        }
    }
    None
}

fn bases(class: Node) -> Vec<Node> {
    let Some(args) = class.field("superclasses") else {
        return Vec::new();
    };
    let mut c = args.walk();
    let out = args.named_children(&mut c).filter(|n| matches!(n.ty(), "identifier" | "attribute")).collect();
    out
}

/// A class named `name` defined at the top level of the file holding `near`.
fn local_class<'t>(near: Node<'t>, name: &str, ctx: &FileCtx) -> Option<Node<'t>> {
    let mut root = near;
    while let Some(p) = root.up() {
        root = p;
    }
    let mut c = root.walk();
    let found = root
        .named_children(&mut c)
        .filter_map(|stmt| if stmt.ty() == "decorated_definition" { stmt.field("definition") } else { Some(stmt) })
        .find(|d| d.ty() == "class_definition" && d.field("name").is_some_and(|n| ctx.text(n) == name));
    found
}

/// Is the class a DRF view (already CSRF-exempt; SessionAuthentication
/// enforces CSRF itself)?
fn is_drf_class(class: Node, ctx: &FileCtx) -> bool {
    bases(class).into_iter().any(|b| {
        ctx.qualified_name(b).is_some_and(|q| q.starts_with("rest_framework."))
            || ctx.text(b).ends_with("APIView")
            || ctx.text(b).ends_with("ViewSet")
    })
}

fn check_class(decorator: Node, class: Node, ctx: &mut FileCtx) {
    if is_drf_class(class, ctx) {
        return;
    }
    let Some(why) = unsafe_handler(class, ctx, 0) else {
        return;
    };
    let name = class.field("name").map(|n| ctx.text(n)).unwrap_or("view");
    let decorated = class.up().filter(|p| p.ty() == "decorated_definition").unwrap_or(class);
    let Some(confidence) = needs_csrf(decorated, name, ctx) else { return };
    let preflighted = !why.contains("post()");
    let message = format!(
        "'{name}' is exempt from CSRF protection (csrf_exempt on dispatch()) and {why}: {}",
        consequence(preflighted)
    );
    ctx.report(decorator, message).confidence = if preflighted { Some(Confidence::Low) } else { confidence };
}
