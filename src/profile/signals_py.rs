//! Workload signals of a Python file: Django views, URL patterns, models,
//! admin registrations, Channels consumers, event streams and long polling,
//! background tasks (with the features that make them more than
//! fire-and-forget), ML/data imports and their use in views, outbound HTTP
//! in views, and the wiring that tells WSGI from ASGI.

use super::catalog;
use super::signals::{handler_line, head_span, is_poll_name, mentions_auth, FitFacts, SignalKind as K};
use crate::engine::context::FileCtx;
use crate::parse::Syntax;
use crate::semantics::python::{is_view, keyword_args, string_value};
use crate::semantics::{descendants, text};
use tree_sitter::Node;

const HTTP_VERBS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options", "request"];
const CONSUMER_BASES: &[&str] = &[
    "WebsocketConsumer",
    "AsyncWebsocketConsumer",
    "JsonWebsocketConsumer",
    "AsyncJsonWebsocketConsumer",
    "AsyncConsumer",
    "SyncConsumer",
];
/// Task decorator options Django's tasks framework has no equivalent for.
const COMPLEX_TASK_OPTIONS: &[&str] = &[
    "bind",
    "autoretry_for",
    "max_retries",
    "retry_backoff",
    "retry_kwargs",
    "default_retry_delay",
    "rate_limit",
    "time_limit",
    "soft_time_limit",
    "acks_late",
    "base",
    "retry_jitter",
];
const VIEW_DECORATORS: &[&str] = &[
    "login_required",
    "require_POST",
    "require_GET",
    "require_safe",
    "require_http_methods",
    "api_view",
    "csrf_exempt",
    "staff_member_required",
    "permission_required",
    "cache_page",
    "never_cache",
];
const SETTINGS_OF_INTEREST: &[&str] =
    &["ASGI_APPLICATION", "WSGI_APPLICATION", "CHANNEL_LAYERS", "TASKS", "CELERY_BEAT_SCHEDULE"];

struct Py<'a, 'c> {
    ctx: &'c FileCtx<'a>,
    src: &'a str,
    celery: bool,
    is_models: bool,
    /// The file mentions `text/event-stream` somewhere: only then can a
    /// string literal be that content type.
    event_stream: bool,
}

impl<'a> Py<'a, '_> {
    fn t(&self, n: Node) -> &'a str {
        text(n, self.src)
    }
    fn q(&self, n: Node) -> String {
        self.ctx.qualified_name(n).unwrap_or_default()
    }
}

pub fn extract(ctx: &FileCtx, facts: &mut FitFacts) {
    let src = ctx.src.text.as_str();
    let root = ctx.tree.root_node();
    let imports_celery = ctx.bindings().imports.values().any(|q| q.starts_with("celery") || q.contains(".tasks"));
    let is_models = ctx.rel.ends_with("models.py") || ctx.rel.contains("/models/");
    let event_stream = src.contains("text/event-stream");
    let py = Py { ctx, src, celery: imports_celery || ctx.rel.ends_with("tasks.py"), is_models, event_stream };
    descendants(root, |n| {
        match n.ty() {
            "import_statement" | "import_from_statement" => {
                import(&py, facts, n);
                return false;
            }
            "class_definition" => class(&py, facts, n),
            "decorated_definition" => decorated(&py, facts, n),
            "function_definition" => function(&py, facts, n),
            "call" => call(&py, facts, n),
            "assignment" | "augmented_assignment" => assignment(&py, facts, n),
            "string" if py.event_stream && string_value(src, n).is_some_and(|s| s.trim() == "text/event-stream") => {
                facts.add(K::Sse, head_span(ctx, n), "text/event-stream response", handler_line(ctx, n));
            }
            "while_statement" => long_poll(&py, facts, n),
            _ => {}
        }
        true
    });
}

fn import(py: &Py, facts: &mut FitFacts, n: Node) {
    let mut modules = Vec::new();
    if n.ty() == "import_from_statement" {
        if let Some(m) = n.field("module_name") {
            let t = py.t(m);
            if !t.starts_with('.') {
                modules.push(t.to_string());
            }
        }
    } else {
        let mut c = n.walk();
        for child in n.named_children(&mut c) {
            let name = match child.ty() {
                "dotted_name" => Some(child),
                "aliased_import" => child.field("name"),
                _ => None,
            };
            modules.extend(name.map(|x| py.t(x).to_string()));
        }
    }
    for m in modules {
        let top = m.split('.').next().unwrap_or(&m).to_string();
        facts.import(top.clone(), head_span(py.ctx, n));
        if catalog::is_python_ml_module(&top) {
            facts.add(K::MlImport, head_span(py.ctx, n), catalog::python_dist_of_import(&top), handler_line(py.ctx, n));
        }
    }
}

fn bases(py: &Py, class: Node) -> Vec<String> {
    let Some(sup) = class.field("superclasses") else { return Vec::new() };
    let mut c = sup.walk();
    let v = sup.named_children(&mut c).filter(|b| b.ty() != "keyword_argument").map(|b| py.t(b).to_string()).collect();
    v
}

fn class(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    let name = n.field("name").map(|x| py.t(x)).unwrap_or("");
    let bases = bases(py, n);
    let at = head_span(ctx, n);
    let last = |b: &String| b.rsplit('.').next().unwrap_or(b).to_string();
    if bases.iter().any(|b| CONSUMER_BASES.contains(&last(b).as_str())) {
        facts.add(K::WebsocketHandler, at, format!("Channels consumer {name}"), 0);
        return;
    }
    let model_base = |b: &String| {
        b == "models.Model"
            || b == "Model" && ctx.bindings().imports.get("Model").is_some_and(|q| q.starts_with("django.db.models"))
            || (py.is_models
                && (b.ends_with("Model") || b.ends_with("AbstractUser") || b.ends_with("AbstractBaseUser")))
    };
    if name != "Meta"
        && bases.iter().any(model_base)
        && !bases.iter().any(|b| b.contains("Admin") || b.contains("Form"))
    {
        facts.add(K::Model, at, name, 0);
        return;
    }
    if let Some(root) = graphql_root(py, n, name, &bases) {
        graphql_fields(py, facts, n, root);
        return;
    }
    let view_base = |b: &String| {
        let l = last(b);
        (l.ends_with("View") || l.ends_with("ViewSet") || l == "APIView") && !l.ends_with("Mixin")
    };
    if !name.ends_with("Mixin") && bases.iter().any(view_base) {
        facts.add(K::View, at, name, 0);
        if is_poll_name(name) {
            facts.add(K::PollView, at, name, 0);
        }
    }
}

/// The root type a class defines fields of, when it is one: a graphene
/// `ObjectType` (or `graphene.Mutation` container) or a `@strawberry.type`
/// named for a schema root (`Query`, `UserQueries`, `Mutation`,
/// `Subscription`). Plain object types describe data, not operations.
fn graphql_root(py: &Py, class: Node, name: &str, bases: &[String]) -> Option<&'static str> {
    let root = if name.contains("Subscription") {
        "Subscription"
    } else if name.contains("Mutation") {
        "Mutation"
    } else if name.contains("Quer") {
        "Query"
    } else {
        return None;
    };
    let imports = &py.ctx.bindings().imports;
    let graphene = bases.iter().any(|b| {
        b == "graphene.ObjectType"
            || (b == "ObjectType" && imports.get("ObjectType").is_some_and(|q| q.starts_with("graphene")))
    });
    let strawberry = class.up().filter(|d| d.ty() == "decorated_definition").is_some_and(|d| {
        decorators(py, d).iter().any(|(_, q)| q == "strawberry.type" || q.starts_with("strawberry_django.type"))
    });
    (graphene || strawberry).then_some(root)
}

/// The operations of a root type: class-level fields (`users =
/// graphene.List(User)`, `create_user = CreateUser.Field()`, strawberry's
/// `users: list[User] = strawberry.field(resolver=...)`) and strawberry
/// methods decorated as fields or mutations.
fn graphql_fields(py: &Py, facts: &mut FitFacts, class: Node, root: &str) {
    let Some(body) = class.field("body") else { return };
    let mut c = body.walk();
    for stmt in body.named_children(&mut c) {
        let field = match stmt.ty() {
            "expression_statement" => stmt.named_child(0).filter(|a| a.ty() == "assignment").and_then(|a| {
                let left = a.field("left").filter(|l| l.ty() == "identifier")?;
                let value_is_call = a.field("right").is_some_and(|r| r.ty() == "call");
                // `Meta`-like settings are lower case too, but never calls or annotations.
                (value_is_call || a.field("type").is_some()).then_some(left)
            }),
            "decorated_definition" => {
                let def = stmt.field("definition").filter(|d| d.ty() == "function_definition");
                let is_field = decorators(py, stmt).iter().any(|(_, q)| {
                    q.starts_with("strawberry.") && ["field", "mutation", "subscription"].iter().any(|k| q.ends_with(k))
                });
                def.filter(|_| is_field).and_then(|d| d.field("name"))
            }
            _ => None,
        };
        let Some(field) = field else { continue };
        let name = py.t(field);
        if name.starts_with('_') {
            continue;
        }
        facts.graphql_field(head_span(py.ctx, stmt), root, name);
    }
}

/// The decorators of a decorated definition, as (expression, name) where
/// name is the qualified name of the decorator or of the call's function.
fn decorators<'t>(py: &Py, n: Node<'t>) -> Vec<(Node<'t>, String)> {
    let mut out = Vec::new();
    let mut c = n.walk();
    for d in n.named_children(&mut c).filter(|d| d.ty() == "decorator") {
        let Some(expr) = d.named_child(0) else { continue };
        let target = if expr.ty() == "call" { expr.field("function").unwrap_or(expr) } else { expr };
        let q = py.q(target);
        let name = if q.is_empty() { py.t(target).to_string() } else { q };
        out.push((expr, name));
    }
    out
}

fn decorated(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    let def = n.field("definition");
    let def_name = def.and_then(|d| d.field("name")).map(|x| py.t(x)).unwrap_or("");
    for (expr, name) in decorators(py, n) {
        let at = head_span(ctx, expr);
        let last = name.rsplit('.').next().unwrap_or(&name);
        // ariadne: `query = QueryType()` then `@query.field("users")`.
        if let Some((obj, "field" | "source")) = name.rsplit_once('.') {
            let made = |ty: &str| py.src.contains(&format!("{obj} = {ty}("));
            let root = if made("QueryType") || made("ObjectType(\"Query\"") {
                Some("query")
            } else if made("MutationType") || made("ObjectType(\"Mutation\"") {
                Some("mutation")
            } else if made("SubscriptionType") {
                Some("subscription")
            } else {
                None
            };
            if let Some(root) = root.filter(|_| py.ctx.bindings().imports.values().any(|q| q.starts_with("ariadne"))) {
                let field = expr
                    .field("arguments")
                    .and_then(|a| a.named_child(0))
                    .and_then(|a| string_value(py.src, a))
                    .unwrap_or_else(|| def_name.to_string());
                let kind = if root == "subscription" { K::GraphqlSubscription } else { K::GraphqlOperation };
                facts.add(kind, at, format!("{root} {field}"), 0);
                continue;
            }
        }
        if name == "django.contrib.admin.register" || name.ends_with("admin.register") {
            facts.add(K::Admin, at, def_name, 0);
            continue;
        }
        let system = if name.starts_with("celery") || name.ends_with("shared_task") {
            Some("celery")
        } else if name.starts_with("django.tasks") || name.starts_with("django_tasks") {
            Some("django-tasks")
        } else if name.starts_with("dramatiq") {
            Some("dramatiq")
        } else if name.starts_with("huey") {
            Some("huey")
        } else if name.starts_with("django_rq") || name.starts_with("rq.") {
            Some("rq")
        } else if name.starts_with("background_task") {
            Some("django-background-tasks")
        } else if last == "task" && name.contains('.') && py.celery {
            // `@app.task` on a Celery application instance.
            Some("celery")
        } else {
            None
        };
        let Some(system) = system else { continue };
        if !matches!(
            last,
            "task" | "shared_task" | "actor" | "job" | "db_task" | "periodic_task" | "db_periodic_task" | "background"
        ) {
            continue;
        }
        facts.add(K::JobDef, at, format!("{system} task {def_name}"), 0);
        if last.contains("periodic") {
            facts.add(K::JobComplex, at, format!("periodic task {def_name}"), 0);
        }
        if expr.ty() == "call" {
            for (k, _) in keyword_args(py.src, expr) {
                if COMPLEX_TASK_OPTIONS.contains(&k.as_str()) {
                    facts.add(K::JobComplex, at, format!("task option {k}= on {def_name}"), 0);
                }
            }
        }
    }
}

fn function(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    if !is_view(n, py.src) {
        return;
    }
    // Module-level view functions; methods are counted through their class.
    let in_class = {
        let mut cur = n.up();
        let mut found = false;
        while let Some(p) = cur {
            if p.ty() == "class_definition" {
                found = true;
                break;
            }
            if p.ty() == "function_definition" {
                break;
            }
            cur = p.up();
        }
        found
    };
    let name = n.field("name").map(|x| py.t(x)).unwrap_or("");
    let at = head_span(ctx, n);
    // A function taking `request` is a view where views live, or when a
    // view decorator says so (helpers and middleware take requests too).
    let file = ctx.rel.rsplit('/').next().unwrap_or(ctx.rel);
    let view_module = file.contains("view") || file.starts_with("api") || ctx.rel.contains("/views/");
    let decorated = n.up().filter(|p| p.ty() == "decorated_definition").is_some_and(|p| {
        let t = py.t(p);
        VIEW_DECORATORS.iter().any(|d| t.contains(d))
    });
    if !in_class && !view_module && !decorated {
        return;
    }
    if crate::semantics::is_async(n) {
        facts.add(K::AsyncView, at, name, 0);
    }
    if in_class {
        return;
    }
    facts.add(K::View, at, name, 0);
    if is_poll_name(name) {
        facts.add(K::PollView, at, name, 0);
    }
}

fn call(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    let Some(func) = n.field("function") else { return };
    let q = py.q(func);
    let ft = py.t(func);
    let method = ft.rsplit('.').next().unwrap_or(ft);
    // Most calls add nothing: the span and the arguments are looked at
    // only when they do.
    let at = || head_span(ctx, n);
    let first_str = || nth_positional(n, 0).and_then(|a| string_value(py.src, a));

    match q.as_str() {
        "django.urls.path" | "django.urls.re_path" | "django.conf.urls.url" => {
            let at = at();
            let route = first_str().unwrap_or_default();
            facts.add(K::Route, at, format!("/{route}"), 0);
            if is_poll_name(&route) {
                facts.add(K::PollView, at, format!("/{route}"), 0);
            }
            if mentions_auth(&route) {
                facts.add(K::AuthRoute, at, format!("/{route}"), 0);
            }
            return;
        }
        "django.core.wsgi.get_wsgi_application" => return facts.add(K::WsgiEntry, at(), "get_wsgi_application()", 0),
        "django.core.asgi.get_asgi_application" => return facts.add(K::AsgiEntry, at(), "get_asgi_application()", 0),
        "channels.routing.ProtocolTypeRouter" => {
            return facts.add(K::AsgiEntry, at(), "Channels ProtocolTypeRouter", 0)
        }
        "django.contrib.admin.site.register" => return facts.add(K::Admin, at(), "admin.site.register", 0),
        "celery.chain"
        | "celery.group"
        | "celery.chord"
        | "celery.signature"
        | "celery.canvas.chain"
        | "celery.canvas.group"
        | "celery.canvas.chord" => return facts.add(K::JobComplex, at(), format!("canvas {}", method), 0),
        "celery.schedules.crontab" | "celery.result.AsyncResult" => {
            return facts.add(K::JobComplex, at(), q.rsplit('.').next().unwrap_or(&q).to_string(), 0)
        }
        _ => {}
    }
    if ft == "admin.site.register" {
        return facts.add(K::Admin, at(), "admin.site.register", 0);
    }
    if method == "register" && ft.ends_with("router.register") {
        if let Some(first) = first_str() {
            return facts.add(K::Route, at(), format!("router {first}"), 0);
        }
    }
    if method == "setdefault" && first_str().as_deref() == Some("DJANGO_SETTINGS_MODULE") {
        if let Some(v) = nth_positional(n, 1).and_then(|a| string_value(py.src, a)) {
            return facts.add(K::SettingsRef, at(), v, 0);
        }
    }
    if py.celery && matches!(method, "s" | "si") && ft.contains('.') {
        return facts.add(K::JobComplex, at(), format!("canvas signature .{method}()"), 0);
    }
    if matches!(method, "delay" | "apply_async" | "enqueue") && ft.contains('.') {
        let at = at();
        facts.add(K::JobEnqueue, at, ft, 0);
        if method == "apply_async" {
            for (k, _) in keyword_args(py.src, n) {
                if matches!(k.as_str(), "link" | "link_error" | "chain") {
                    facts.add(K::JobComplex, at, format!("apply_async({k}=)"), 0);
                }
            }
        }
        return;
    }
    if method == "get" && ft.ends_with(".AsyncResult") {
        return facts.add(K::JobComplex, at(), "waits for a task result", 0);
    }

    // What follows counts only in request handlers: which function handles
    // requests is asked only about calls that would count.
    let streaming = q == "django.http.StreamingHttpResponse";
    let (module, member) = q.rsplit_once('.').unwrap_or(("", ""));
    let outbound = (matches!(module, "requests" | "httpx") && HTTP_VERBS.contains(&member))
        || q == "urllib.request.urlopen"
        || q.starts_with("http.client.HTTP")
        || q == "urllib3.request"
        || (matches!(module, "requests.Session" | "httpx.Client") && HTTP_VERBS.contains(&member));
    let top = q.split('.').next().unwrap_or("");
    let ml = !top.is_empty() && catalog::is_python_ml_module(top);
    if !streaming && !outbound && !ml {
        return;
    }
    let hl = handler_line(ctx, n);
    if hl == 0 {
        return;
    }
    let at = at();
    if streaming {
        let event_stream = keyword_args(py.src, n)
            .iter()
            .any(|(k, v)| k == "content_type" && string_value(py.src, *v).is_some_and(|s| s.contains("event-stream")));
        if event_stream {
            return facts.add(K::Sse, at, "StreamingHttpResponse(text/event-stream)", hl);
        }
    }
    if outbound {
        facts.add(K::OutboundHttp, at, q.clone(), hl);
    }
    if ml {
        facts.add(K::MlInHandler, at, q.clone(), hl);
    }
}

/// The `k`-th positional argument of a call (as
/// [`crate::semantics::python::positional_args`] lists them).
fn nth_positional(call: Node, k: usize) -> Option<Node> {
    let args = call.field("arguments")?;
    let mut c = args.walk();
    let found = args
        .named_children(&mut c)
        .filter(|a| !matches!(a.ty(), "comment" | "keyword_argument" | "dictionary_splat"))
        .nth(k);
    found
}

fn assignment(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    let (Some(left), Some(right)) = (n.field("left"), n.field("right")) else { return };
    let name = py.t(left);
    let at = || head_span(ctx, n);
    if name == "INSTALLED_APPS" {
        let at = at();
        if n.ty() == "assignment" {
            facts.add(K::SettingsModule, at, "INSTALLED_APPS", 0);
        }
        descendants(right, |c| {
            if let Some(s) = (c.ty() == "string").then(|| string_value(py.src, c)).flatten() {
                facts.add(K::InstalledApp, head_span(ctx, c), s, 0);
                return false;
            }
            true
        });
    } else if SETTINGS_OF_INTEREST.contains(&name) || name.ends_with("beat_schedule") {
        let at = at();
        let detail = if name.ends_with("beat_schedule") { "CELERY_BEAT_SCHEDULE" } else { name };
        facts.add(K::Setting, at, detail, 0);
        if detail == "CELERY_BEAT_SCHEDULE" {
            facts.add(K::JobComplex, at, "periodic schedule (beat)", 0);
        }
    } else if name == "worker_class" || name == "GUNICORN_WORKER_CLASS" {
        if let Some(v) = string_value(py.src, right) {
            facts.add(K::Setting, at(), format!("worker_class={v}"), 0);
        }
    }
}

/// `while ...:` with a sleep inside, in a view: the view holds its worker
/// until there is news (long polling).
fn long_poll(py: &Py, facts: &mut FitFacts, n: Node) {
    let ctx = py.ctx;
    let hl = handler_line(ctx, n);
    if hl == 0 {
        return;
    }
    // A generator that sleeps between yields is a stream, counted as such.
    if let Some(func) = ctx.enclosing_function(n) {
        let mut generator = false;
        descendants(func, |c| {
            generator |= c.ty() == "yield";
            !generator && (c.id() == func.id() || c.ty() != "function_definition")
        });
        if generator {
            return;
        }
    }
    let mut sleeps = false;
    descendants(n, |c| {
        if c.ty() == "call" {
            if let Some(f) = c.field("function") {
                let q = py.q(f);
                if matches!(q.as_str(), "time.sleep" | "asyncio.sleep" | "gevent.sleep") {
                    sleeps = true;
                }
            }
        }
        !sleeps
    });
    if sleeps {
        facts.add(K::LongPoll, head_span(ctx, n), "loop that sleeps until there is news", hl);
    }
}
