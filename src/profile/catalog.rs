//! The libraries that tell what an application does, by ecosystem: which
//! are web frameworks, and which signal a kind of workload (real-time,
//! background jobs, ML/data, ORMs, security middleware, servers, HTTP
//! clients, auth, payments). Package names as registries spell them (npm
//! names, PyPI names normalised per PEP 503); Python import names map to
//! them through `python_dist_of_import`.

/// What a library signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LibKind {
    Framework,
    Realtime,
    Jobs,
    MlData,
    Orm,
    Security,
    Server,
    HttpClient,
    Auth,
    Payments,
    /// Image or compression work done on the main thread (Node).
    CpuLib,
}

impl LibKind {
    pub fn key(self) -> &'static str {
        match self {
            LibKind::Framework => "framework",
            LibKind::Realtime => "realtime",
            LibKind::Jobs => "jobs",
            LibKind::MlData => "ml_data",
            LibKind::Orm => "orm",
            LibKind::Security => "security",
            LibKind::Server => "server",
            LibKind::HttpClient => "http_client",
            LibKind::Auth => "auth",
            LibKind::Payments => "payments",
            LibKind::CpuLib => "cpu",
        }
    }
}

/// npm packages that make a package.json an application: web and
/// real-time server frameworks, with the name the profile shows.
pub const NODE_FRAMEWORKS: &[(&str, &str)] = &[
    ("@nestjs/core", "nestjs"),
    ("next", "next.js"),
    ("fastify", "fastify"),
    ("koa", "koa"),
    ("express", "express"),
    ("@hapi/hapi", "hapi"),
    ("hapi", "hapi"),
    ("restify", "restify"),
    ("hono", "hono"),
    ("@adonisjs/core", "adonisjs"),
    ("sails", "sails"),
    ("@feathersjs/feathers", "feathers"),
    ("@loopback/core", "loopback"),
    ("loopback", "loopback"),
    ("polka", "polka"),
    ("micro", "micro"),
    ("socket.io", "socket.io"),
];

/// Python web frameworks, by PyPI name. Django applications are the ones
/// stackfit judges; the others are profiled so a hybrid repository shows
/// every part.
pub const PYTHON_FRAMEWORKS: &[(&str, &str)] =
    &[("django", "django"), ("fastapi", "fastapi"), ("flask", "flask"), ("starlette", "starlette")];

const NODE_LIBS: &[(&str, LibKind)] = &[
    // real-time
    ("socket.io", LibKind::Realtime),
    ("ws", LibKind::Realtime),
    ("@nestjs/websockets", LibKind::Realtime),
    ("@nestjs/platform-socket.io", LibKind::Realtime),
    ("@nestjs/platform-ws", LibKind::Realtime),
    ("express-ws", LibKind::Realtime),
    ("@fastify/websocket", LibKind::Realtime),
    ("uWebSockets.js", LibKind::Realtime),
    ("sockjs", LibKind::Realtime),
    ("faye-websocket", LibKind::Realtime),
    ("@socket.io/redis-adapter", LibKind::Realtime),
    ("graphql-ws", LibKind::Realtime),
    ("graphql-subscriptions", LibKind::Realtime),
    ("better-sse", LibKind::Realtime),
    ("mqtt", LibKind::Realtime),
    // background jobs
    ("bullmq", LibKind::Jobs),
    ("bull", LibKind::Jobs),
    ("bee-queue", LibKind::Jobs),
    ("agenda", LibKind::Jobs),
    ("@nestjs/bull", LibKind::Jobs),
    ("@nestjs/bullmq", LibKind::Jobs),
    ("@nestjs/schedule", LibKind::Jobs),
    ("node-cron", LibKind::Jobs),
    ("cron", LibKind::Jobs),
    ("node-schedule", LibKind::Jobs),
    ("kue", LibKind::Jobs),
    ("graphile-worker", LibKind::Jobs),
    ("pg-boss", LibKind::Jobs),
    // ML / data
    ("@tensorflow/tfjs-node", LibKind::MlData),
    ("@tensorflow/tfjs-node-gpu", LibKind::MlData),
    ("@tensorflow/tfjs", LibKind::MlData),
    ("onnxruntime-node", LibKind::MlData),
    ("danfojs-node", LibKind::MlData),
    ("danfojs", LibKind::MlData),
    ("brain.js", LibKind::MlData),
    ("ml5", LibKind::MlData),
    ("@xenova/transformers", LibKind::MlData),
    ("@huggingface/transformers", LibKind::MlData),
    ("natural", LibKind::MlData),
    ("ml-regression", LibKind::MlData),
    ("ml-matrix", LibKind::MlData),
    ("synaptic", LibKind::MlData),
    // ORMs and databases
    ("@prisma/client", LibKind::Orm),
    ("prisma", LibKind::Orm),
    ("sequelize", LibKind::Orm),
    ("mongoose", LibKind::Orm),
    ("typeorm", LibKind::Orm),
    ("knex", LibKind::Orm),
    ("objection", LibKind::Orm),
    ("@mikro-orm/core", LibKind::Orm),
    ("drizzle-orm", LibKind::Orm),
    ("bookshelf", LibKind::Orm),
    ("pg", LibKind::Orm),
    ("mysql", LibKind::Orm),
    ("mysql2", LibKind::Orm),
    ("mongodb", LibKind::Orm),
    ("sqlite3", LibKind::Orm),
    ("better-sqlite3", LibKind::Orm),
    // security middleware
    ("helmet", LibKind::Security),
    ("@fastify/helmet", LibKind::Security),
    ("koa-helmet", LibKind::Security),
    ("express-rate-limit", LibKind::Security),
    ("rate-limiter-flexible", LibKind::Security),
    ("express-slow-down", LibKind::Security),
    ("express-brute", LibKind::Security),
    ("@fastify/rate-limit", LibKind::Security),
    ("@nestjs/throttler", LibKind::Security),
    ("koa-ratelimit", LibKind::Security),
    ("csrf-csrf", LibKind::Security),
    ("csrf-sync", LibKind::Security),
    ("lusca", LibKind::Security),
    ("csurf", LibKind::Security),
    ("@fastify/csrf-protection", LibKind::Security),
    ("koa-csrf", LibKind::Security),
    ("cors", LibKind::Security),
    ("hpp", LibKind::Security),
    // process managers and servers
    ("pm2", LibKind::Server),
    ("forever", LibKind::Server),
    // HTTP clients
    ("axios", LibKind::HttpClient),
    ("node-fetch", LibKind::HttpClient),
    ("got", LibKind::HttpClient),
    ("undici", LibKind::HttpClient),
    ("superagent", LibKind::HttpClient),
    ("request", LibKind::HttpClient),
    ("ky", LibKind::HttpClient),
    ("cross-fetch", LibKind::HttpClient),
    // auth and sessions
    ("passport", LibKind::Auth),
    ("passport-local", LibKind::Auth),
    ("passport-jwt", LibKind::Auth),
    ("jsonwebtoken", LibKind::Auth),
    ("jose", LibKind::Auth),
    ("express-session", LibKind::Auth),
    ("cookie-session", LibKind::Auth),
    ("koa-session", LibKind::Auth),
    ("@fastify/session", LibKind::Auth),
    ("@fastify/secure-session", LibKind::Auth),
    ("@fastify/jwt", LibKind::Auth),
    ("express-jwt", LibKind::Auth),
    ("bcrypt", LibKind::Auth),
    ("bcryptjs", LibKind::Auth),
    ("argon2", LibKind::Auth),
    ("@nestjs/passport", LibKind::Auth),
    ("@nestjs/jwt", LibKind::Auth),
    ("next-auth", LibKind::Auth),
    ("@auth/core", LibKind::Auth),
    ("lucia", LibKind::Auth),
    // payments
    ("stripe", LibKind::Payments),
    ("@paypal/checkout-server-sdk", LibKind::Payments),
    ("@paypal/paypal-server-sdk", LibKind::Payments),
    ("paypal-rest-sdk", LibKind::Payments),
    ("braintree", LibKind::Payments),
    ("razorpay", LibKind::Payments),
    ("@adyen/api-library", LibKind::Payments),
    ("square", LibKind::Payments),
    // main-thread CPU work
    ("jimp", LibKind::CpuLib),
    ("pngjs", LibKind::CpuLib),
    ("image-js", LibKind::CpuLib),
    ("canvas", LibKind::CpuLib),
    ("pdfkit", LibKind::CpuLib),
];

const PYTHON_LIBS: &[(&str, LibKind)] = &[
    ("djangorestframework", LibKind::Framework),
    ("django-ninja", LibKind::Framework),
    // real-time
    ("channels", LibKind::Realtime),
    ("channels-redis", LibKind::Realtime),
    ("daphne", LibKind::Realtime),
    ("django-eventstream", LibKind::Realtime),
    ("django-sse", LibKind::Realtime),
    ("django-websocket-redis", LibKind::Realtime),
    ("websockets", LibKind::Realtime),
    ("python-socketio", LibKind::Realtime),
    ("sse-starlette", LibKind::Realtime),
    // background jobs
    ("celery", LibKind::Jobs),
    ("django-celery-beat", LibKind::Jobs),
    ("django-celery-results", LibKind::Jobs),
    ("rq", LibKind::Jobs),
    ("django-rq", LibKind::Jobs),
    ("rq-scheduler", LibKind::Jobs),
    ("dramatiq", LibKind::Jobs),
    ("django-dramatiq", LibKind::Jobs),
    ("huey", LibKind::Jobs),
    ("django-q", LibKind::Jobs),
    ("django-q2", LibKind::Jobs),
    ("django-background-tasks", LibKind::Jobs),
    ("django-tasks", LibKind::Jobs),
    ("apscheduler", LibKind::Jobs),
    ("arq", LibKind::Jobs),
    // ML / data
    ("numpy", LibKind::MlData),
    ("pandas", LibKind::MlData),
    ("scipy", LibKind::MlData),
    ("scikit-learn", LibKind::MlData),
    ("torch", LibKind::MlData),
    ("tensorflow", LibKind::MlData),
    ("keras", LibKind::MlData),
    ("transformers", LibKind::MlData),
    ("sentence-transformers", LibKind::MlData),
    ("xgboost", LibKind::MlData),
    ("lightgbm", LibKind::MlData),
    ("catboost", LibKind::MlData),
    ("statsmodels", LibKind::MlData),
    ("onnxruntime", LibKind::MlData),
    ("opencv-python", LibKind::MlData),
    ("opencv-python-headless", LibKind::MlData),
    ("spacy", LibKind::MlData),
    ("nltk", LibKind::MlData),
    ("polars", LibKind::MlData),
    ("pyarrow", LibKind::MlData),
    ("jax", LibKind::MlData),
    // ORMs and databases
    ("psycopg", LibKind::Orm),
    ("psycopg2", LibKind::Orm),
    ("psycopg2-binary", LibKind::Orm),
    ("mysqlclient", LibKind::Orm),
    ("sqlalchemy", LibKind::Orm),
    ("pymongo", LibKind::Orm),
    ("django-redis", LibKind::Orm),
    // security
    ("django-csp", LibKind::Security),
    ("django-axes", LibKind::Security),
    ("django-ratelimit", LibKind::Security),
    ("django-cors-headers", LibKind::Security),
    ("django-otp", LibKind::Security),
    // servers
    ("gunicorn", LibKind::Server),
    ("uvicorn", LibKind::Server),
    ("hypercorn", LibKind::Server),
    ("uwsgi", LibKind::Server),
    ("waitress", LibKind::Server),
    ("mod-wsgi", LibKind::Server),
    ("granian", LibKind::Server),
    ("gevent", LibKind::Server),
    ("eventlet", LibKind::Server),
    // HTTP clients
    ("requests", LibKind::HttpClient),
    ("httpx", LibKind::HttpClient),
    ("aiohttp", LibKind::HttpClient),
    ("urllib3", LibKind::HttpClient),
    // auth
    ("django-allauth", LibKind::Auth),
    ("djangorestframework-simplejwt", LibKind::Auth),
    ("pyjwt", LibKind::Auth),
    // payments
    ("stripe", LibKind::Payments),
    ("braintree", LibKind::Payments),
    ("paypalrestsdk", LibKind::Payments),
    ("dj-stripe", LibKind::Payments),
];

pub fn node_lib(name: &str) -> Option<LibKind> {
    NODE_LIBS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

pub fn python_lib(name: &str) -> Option<LibKind> {
    PYTHON_LIBS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// npm package of an import specifier: `@scope/pkg/sub` → `@scope/pkg`,
/// `lodash/fp` → `lodash`; relative paths and builtins (`node:fs`) → None.
pub fn npm_package_of(spec: &str) -> Option<&str> {
    if spec.starts_with('.') || spec.starts_with('/') || spec.starts_with("node:") || spec.is_empty() {
        return None;
    }
    let mut parts = spec.split('/');
    let first = parts.next()?;
    if first.starts_with('@') {
        Some(&spec[..first.len() + 1 + parts.next()?.len()])
    } else {
        Some(first)
    }
}

/// PyPI distribution of a Python import's top-level module, where they
/// differ (`sklearn` → `scikit-learn`); otherwise the module itself.
pub fn python_dist_of_import(module: &str) -> String {
    dist_spelling(module).to_ascii_lowercase().replace('_', "-")
}

/// The distribution of a module's top-level package as spelled before
/// normalisation (see [`python_dist_of_import`]).
fn dist_spelling(module: &str) -> &str {
    let top = module.split('.').next().unwrap_or(module);
    match top {
        "sklearn" => "scikit-learn",
        "cv2" => "opencv-python",
        "rest_framework" => "djangorestframework",
        "django_celery_beat" => "django-celery-beat",
        "django_rq" => "django-rq",
        "django_eventstream" => "django-eventstream",
        "socketio" => "python-socketio",
        "jwt" => "pyjwt",
        "yaml" => "pyyaml",
        "PIL" => "pillow",
        "sentence_transformers" => "sentence-transformers",
        other => other,
    }
}

/// Python modules whose import means ML or data-science work.
pub fn is_python_ml_module(module: &str) -> bool {
    // `python_lib(&python_dist_of_import(module))` without building the
    // name: the fit signals ask about every call of a Python file.
    let dist = dist_spelling(module);
    let normalised = |b: u8| if b == b'_' { b'-' } else { b.to_ascii_lowercase() };
    let same = |n: &str| n.len() == dist.len() && n.bytes().zip(dist.bytes()).all(|(a, b)| a == normalised(b));
    PYTHON_LIBS.iter().find(|(n, _)| same(n)).map(|(_, k)| *k) == Some(LibKind::MlData)
}

/// npm packages whose import means ML work in the process.
pub fn is_node_ml_package(pkg: &str) -> bool {
    node_lib(pkg) == Some(LibKind::MlData)
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become `-`.
pub fn normalise_python_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !dash {
                out.push('-');
            }
            dash = true;
        } else {
            out.push(c.to_ascii_lowercase());
            dash = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_specifiers() {
        assert_eq!(npm_package_of("@tensorflow/tfjs-node/dist/x"), Some("@tensorflow/tfjs-node"));
        assert_eq!(npm_package_of("lodash/fp"), Some("lodash"));
        assert_eq!(npm_package_of("./routes"), None);
        assert_eq!(npm_package_of("node:fs"), None);
        assert_eq!(python_dist_of_import("sklearn.linear_model"), "scikit-learn");
        assert!(is_python_ml_module("numpy"));
        // The same answer as normalising the name first.
        let mut names: Vec<String> = PYTHON_LIBS.iter().map(|(n, _)| n.to_string()).collect();
        names.extend(PYTHON_LIBS.iter().map(|(n, _)| n.replace('-', "_").to_ascii_uppercase()));
        names.extend(["sklearn.x", "cv2", "PIL", "Torch.nn", "", "a_b-c", "naïve"].map(String::from));
        for n in names {
            assert_eq!(is_python_ml_module(&n), python_lib(&python_dist_of_import(&n)) == Some(LibKind::MlData), "{n}");
        }
        assert!(!is_python_ml_module("json"));
        assert_eq!(normalise_python_name("Django_Celery.Beat"), "django-celery-beat");
    }
}
