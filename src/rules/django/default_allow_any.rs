//! `drf/default-allow-any`: Django REST framework left at its default
//! permission (AllowAny) in production settings, or a view that sets
//! `permission_classes = [AllowAny]` while accepting unsafe methods.

use crate::engine::context::FileCtx;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{Issue, Reporter, SettingsIndex, State, Value};
use crate::parse::Syntax;
use crate::semantics::python;
use tree_sitter::Node;

const DOC: &str = r#####"
id = "drf/default-allow-any"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["served"]
confidence = "medium"
prefilter = ["AllowAny"]
summary = "DRF default permission is AllowAny, or a view allows anyone to write"

[docs]
what = """
Two checks. In the production settings of a project that uses Django REST framework
(`rest_framework` in `INSTALLED_APPS`), flags a `REST_FRAMEWORK` dict without
`DEFAULT_PERMISSION_CLASSES` (at the `REST_FRAMEWORK` assignment), one that sets it to `AllowAny`
only, and a missing `REST_FRAMEWORK` altogether (at the `MIDDLEWARE` assignment, like the other
settings rules). In views, flags `permission_classes = [AllowAny]` (or
`@permission_classes([AllowAny])`) on a view that accepts unsafe methods: a `ModelViewSet`, a
create/update/destroy generic view or mixin, a view defining `post`/`put`/`patch`/`delete`/
`create`/`update`/`destroy`, an `@action(methods=["post"])`, or `@api_view(["POST"])`. Views
whose names say they must be open (login, signup/register, token, password reset, webhooks and
service hooks, OAuth callbacks, health) are left alone. Settings read from the environment or built by code are not judged.
"""
why = """
DRF's built-in default for `DEFAULT_PERMISSION_CLASSES` is `AllowAny`: every view that does not
set its own `permission_classes` is open to anonymous users, including the ones added next month.
Writing endpoints that allow anyone let unauthenticated clients create, change or delete data.
"""
example = '''
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
}
'''
fix = '''
Deny by default and open views explicitly:

    REST_FRAMEWORK = {
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    }

For a view that must accept anonymous reads, use `IsAuthenticatedOrReadOnly` rather than
`AllowAny`.
'''
references = [
  "https://www.django-rest-framework.org/api-guide/permissions/#setting-the-permission-policy",
  "https://www.django-rest-framework.org/api-guide/settings/#default_permission_classes",
  "https://owasp.org/API-Security/editions/2023/en/0xa5-broken-function-level-authorization/",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["rest_framework", "api"]
REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination"}
'''
valid = '''
INSTALLED_APPS = ["rest_framework", "api"]
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
'''

[[examples]]
path = "api/views.py"
invalid = '''
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

class OrderViewSet(viewsets.ModelViewSet):
    permission_classes = [AllowAny]
'''
valid = '''
from rest_framework import generics
from rest_framework.permissions import AllowAny

class ProductList(generics.ListAPIView):
    permission_classes = [AllowAny]

class RegisterView(generics.CreateAPIView):
    permission_classes = (AllowAny,)
'''

[[examples]]
path = "api/views.py"
invalid = '''
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

@api_view(["GET", "POST"])
@permission_classes([AllowAny])
def comments(request):
    return Response([])
'''
valid = '''
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

@api_view(["GET"])
@permission_classes([AllowAny])
def comments(request):
    return Response([])
'''
"#####;

pub const RULE: CodeRule = CodeRule {
    doc: DOC,
    kinds: &["class_definition", "decorated_definition"],
    node: Some(check_view),
    project: Some(check_settings),
    ..CodeRule::EMPTY
};

const ALLOW_ANY: &str = "rest_framework.permissions.AllowAny";

fn check_settings(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        if eff.has_app("rest_framework") != Some(true) {
            continue;
        }
        match eff.state("REST_FRAMEWORK") {
            State::Absent => {
                let message = format!(
                    "rest_framework is installed but REST_FRAMEWORK is not set (production settings {}): \
                     DEFAULT_PERMISSION_CLASSES defaults to AllowAny, so every API view without its own \
                     permission_classes is open to anyone; set it to IsAuthenticated",
                    index.root_chain(&eff)
                );
                r.add(Issue { site: eff.absent_site(&index), message, severity: None, confidence: None });
            }
            _ => {
                let Some(s) = eff.get("REST_FRAMEWORK") else { continue };
                let Some(d) = s.certain().and_then(Value::as_dict) else { continue };
                let problem = match d.get("DEFAULT_PERMISSION_CLASSES") {
                    None => "has no DEFAULT_PERMISSION_CLASSES, so DRF falls back to AllowAny",
                    Some(v) => match v.as_str_list() {
                        Some(l) if !l.is_empty() && l.iter().all(|c| *c == ALLOW_ANY) => {
                            "sets DEFAULT_PERMISSION_CLASSES to AllowAny"
                        }
                        _ => continue,
                    },
                };
                let message = format!(
                    "REST_FRAMEWORK {problem} (production settings {}): every API view without its own \
                     permission_classes is open to anyone; set it to IsAuthenticated",
                    index.chain(&s.site)
                );
                r.add(Issue { site: s.site.clone(), message, severity: None, confidence: None });
            }
        }
    }
    r.finish(out);
}

const UNSAFE_BASES: &[&str] = &[
    "ModelViewSet",
    "CreateAPIView",
    "ListCreateAPIView",
    "RetrieveUpdateAPIView",
    "RetrieveUpdateDestroyAPIView",
    "UpdateAPIView",
    "DestroyAPIView",
    "RetrieveDestroyAPIView",
    "CreateModelMixin",
    "UpdateModelMixin",
    "DestroyModelMixin",
];
const DRF_VIEWS: &[&str] = &[
    "APIView",
    "GenericAPIView",
    "ViewSet",
    "GenericViewSet",
    "ViewSetMixin",
    "ReadOnlyModelViewSet",
    "ListAPIView",
    "RetrieveAPIView",
    "ListModelMixin",
    "RetrieveModelMixin",
];
const UNSAFE_METHODS: &[&str] = &["post", "put", "patch", "delete", "create", "update", "partial_update", "destroy"];
/// Endpoints that must accept anonymous writes by their nature.
const OPEN_BY_NATURE: &[&str] = &[
    "login", "logout", "signup", "sign_up", "register", "token", "password", "hook", "callback", "activate", "verif",
    "health",
];

fn open_by_nature(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    OPEN_BY_NATURE.iter().any(|w| l.contains(w))
}

/// Is every item of `[AllowAny]` / `(AllowAny,)` the DRF AllowAny?
fn only_allow_any(list: Node, ctx: &FileCtx) -> bool {
    if !matches!(list.ty(), "list" | "tuple") {
        return false;
    }
    let mut c = list.walk();
    let items: Vec<Node> = list.named_children(&mut c).filter(|n| n.ty() != "comment").collect();
    !items.is_empty()
        && items.iter().all(|i| {
            matches!(i.ty(), "identifier" | "attribute") && ctx.qualified_name(*i).is_some_and(|q| q == ALLOW_ANY)
        })
}

fn check_view(node: Node, ctx: &mut FileCtx) {
    if !ctx.src.text.contains("rest_framework") {
        return;
    }
    match node.ty() {
        "class_definition" => check_class(node, ctx),
        _ => check_function(node, ctx),
    }
}

fn check_class(class: Node, ctx: &mut FileCtx) {
    let name = class.field("name").map(|n| ctx.text(n)).unwrap_or("");
    if open_by_nature(name) {
        return;
    }
    let bases: Vec<String> = class
        .field("superclasses")
        .map(|s| {
            let mut c = s.walk();
            s.named_children(&mut c).map(|b| ctx.text(b).rsplit('.').next().unwrap_or("").to_string()).collect()
        })
        .unwrap_or_default();
    let unsafe_base = bases.iter().any(|b| UNSAFE_BASES.contains(&b.as_str()));
    if !unsafe_base && !bases.iter().any(|b| DRF_VIEWS.contains(&b.as_str())) {
        return;
    }
    let Some(body) = class.field("body") else { return };
    let mut assignment = None;
    let mut unsafe_method = unsafe_base;
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        let def = if stmt.ty() == "decorated_definition" { stmt.field("definition") } else { Some(stmt) };
        match def.map(|d| d.ty()) {
            Some("function_definition") => {
                let d = def.unwrap();
                let fname = d.field("name").map(|n| ctx.text(n)).unwrap_or("");
                if UNSAFE_METHODS.contains(&fname) || (stmt.ty() == "decorated_definition" && unsafe_action(stmt, ctx))
                {
                    unsafe_method = true;
                }
            }
            Some("expression_statement") => {
                let Some(a) = stmt.named_child(0).filter(|a| a.ty() == "assignment") else { continue };
                let left = a.field("left").map(|l| ctx.text(l)).unwrap_or("");
                if left == "permission_classes" && a.field("right").is_some_and(|r| only_allow_any(r, ctx)) {
                    assignment = Some(a);
                }
                if left == "http_method_names" {
                    // Restricted to safe methods: nothing to write through.
                    let text = ctx.text(a).to_ascii_lowercase();
                    if !UNSAFE_METHODS[..4]
                        .iter()
                        .any(|m| text.contains(&format!("\"{m}\"")) || text.contains(&format!("'{m}'")))
                    {
                        return;
                    }
                }
            }
            _ => {}
        }
    }
    let (Some(a), true) = (assignment, unsafe_method) else { return };
    let message = format!(
        "{name} sets permission_classes = [AllowAny] and accepts writes (create/update/delete): anyone, logged in \
         or not, can change data through it; use IsAuthenticated or IsAuthenticatedOrReadOnly"
    );
    ctx.report(a, message);
}

/// `@action(detail=True, methods=["post"])`
fn unsafe_action(decorated: Node, ctx: &FileCtx) -> bool {
    let mut c = decorated.walk();
    let r = decorated.named_children(&mut c).filter(|d| d.ty() == "decorator").any(|d| {
        let t = ctx.text(d).to_ascii_lowercase();
        t.contains("action(")
            && ["post", "put", "patch", "delete"]
                .iter()
                .any(|m| t.contains(&format!("\"{m}\"")) || t.contains(&format!("'{m}'")))
    });
    r
}

fn check_function(decorated: Node, ctx: &mut FileCtx) {
    let Some(def) = decorated.field("definition").filter(|d| d.ty() == "function_definition") else {
        return;
    };
    let name = def.field("name").map(|n| ctx.text(n)).unwrap_or("");
    if open_by_nature(name) {
        return;
    }
    let mut unsafe_api = false;
    let mut perm = None;
    let mut c = decorated.walk();
    for d in decorated.named_children(&mut c).filter(|d| d.ty() == "decorator") {
        let Some(call) = d.named_child(0).filter(|n| n.ty() == "call") else { continue };
        let Some(f) = call.field("function") else { continue };
        let q = ctx.qualified_name(f).unwrap_or_default();
        let first = python::positional_args(call).first().copied();
        match q.as_str() {
            "rest_framework.decorators.api_view" => {
                let methods = first.map(|m| ctx.text(m).to_ascii_uppercase()).unwrap_or_default();
                unsafe_api = ["POST", "PUT", "PATCH", "DELETE"].iter().any(|m| methods.contains(m));
            }
            "rest_framework.decorators.permission_classes" if first.is_some_and(|l| only_allow_any(l, ctx)) => {
                perm = Some(d);
            }
            _ => {}
        }
    }
    let (Some(d), true) = (perm, unsafe_api) else { return };
    let message = format!(
        "{name} allows anyone (AllowAny) and accepts POST/PUT/PATCH/DELETE: anonymous clients can change data \
         through it; use IsAuthenticated or IsAuthenticatedOrReadOnly"
    );
    ctx.report(d, message);
}
