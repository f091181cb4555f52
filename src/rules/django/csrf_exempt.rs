//! `django/csrf-exempt`: `@csrf_exempt` (or `method_decorator(csrf_exempt,
//! name="dispatch")`) on a view that accepts state-changing methods.

use crate::engine::context::FileCtx;
use crate::engine::rule::CodeRule;
use crate::finding::Confidence;
use crate::model::django::views::{
    allowed_methods, is_drf_class, is_drf_function, rejects_unsafe_methods, unsafe_handler, SAFE_METHODS,
};
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

fn check_class(decorator: Node, class: Node, ctx: &mut FileCtx) {
    if is_drf_class(class, ctx) {
        return;
    }
    let Some(why) = unsafe_handler(class, ctx) else {
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
