//! `fit/profile`: one note per application with its stack, version,
//! serving model and workload mix; the evidence is the profile itself.

use super::applications;
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::Stack;

const DOC: &str = r#####"
id = "fit/profile"
languages = ["python", "js"]
severity = "note"
category = "fit"
confidence = "high"
summary = "Summary of each application: stack, version, serving model, workload mix"

[docs]
what = """
Reports one note per application found in the repository: its stack and framework with the
version its manifests or lock files give, how it is served (WSGI or ASGI for Django, the Node
start command), and its workload mix in percent, computed from counted signals: routes and
views, websocket and event-stream endpoints, polling, ORM models and admin registrations,
background job definitions, ML/data imports, CPU-heavy sites in request handlers. The note points
at the line of the manifest that declares the framework; its related locations are examples of the
strongest signals. `stackfit fit` prints the whole profile, `--format json` carries it under
`profile` and SARIF under `runs[0].properties.stackfit.profile`.

An application is a package.json with a server framework dependency (Express, Fastify, Koa,
NestJS, Next.js, socket.io, ...), a Django project (manage.py, a settings module, wsgi.py or
asgi.py), or a Python manifest naming FastAPI or Flask. Each is named by its folder; every source
file belongs to the application with the deepest root above it. Manifests under test, fixture,
example and documentation folders are not applications.
"""
why = """
The other fit rules judge an application against the guidance for its stack; this note is the
evidence they start from, and what a reader of an unfamiliar repository wants first: what is this,
what does it mostly do, and how is it run. A repository can hold several applications, e.g. a
Node gateway beside a Django service (G7); each is profiled and judged in its own role.
"""
example = '''
gateway/package.json   express ^4.21 + socket.io   -> Node.js gateway, real-time 60%, API 40%
service/requirements.txt   Django==5.2.4, gunicorn  -> Django service, data/CRUD/admin 70%, API 30%
'''
fix = '''
Nothing to fix: the note is informational. Ignore it with `ignore = ["fit/profile"]` if you only
want the fit findings that give advice; the profile stays in the JSON and SARIF reports as long as
any fit rule is enabled.
'''
references = [
  "https://docs.djangoproject.com/en/stable/howto/deployment/",
  "https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",
]
guidance = ["G1", "G3", "G7"]

[[examples]]
path = "package.json"
invalid = '''
{
  "name": "api",
  "scripts": { "start": "node app.js" },
  "dependencies": { "express": "^4.21.2" }
}
'''
valid = '''
{
  "name": "left-pad-ng",
  "main": "index.js",
  "devDependencies": { "express": "^4.21.2" }
}
'''
files = { "app.js" = "const express = require('express');\nconst app = express();\napp.get('/health', (req, res) => res.send('ok'));\napp.listen(3000);\n" }

[[examples]]
path = "requirements.txt"
invalid = '''
Django==5.2.4
gunicorn==23.0.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n", "shop/settings.py" = "INSTALLED_APPS = ['django.contrib.admin', 'catalog']\n", "catalog/models.py" = "from django.db import models\n\nclass Product(models.Model):\n    name = models.CharField(max_length=100)\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let hybrid = ctx.extra::<crate::profile::Profile>().is_some_and(|p| p.hybrid);
    for app in applications(ctx) {
        let version = match (&app.framework_version, app.version_pinned) {
            (Some(v), true) => format!(" {v}"),
            (Some(v), false) => format!(" ≥{v}"),
            _ => String::new(),
        };
        let mix = if app.workload.is_empty() {
            "no workload signals found".to_string()
        } else {
            app.workload.iter().map(|s| format!("{} {}%", s.label, s.percent)).collect::<Vec<_>>().join(", ")
        };
        let served = match (app.stack, app.serving.model.as_str()) {
            (Stack::Node, _) => match app.serving.commands.first() {
                Some(c) => format!("started by {} ({})", c.server, c.origin),
                None => "no start command found".into(),
            },
            (_, "unknown") => "serving model unknown: no server command or server dependency found".into(),
            (_, m) => format!(
                "served by {} ({})",
                m.to_uppercase().replace("-ASYNC-WORKERS", " with green-thread workers"),
                app.serving.evidence
            ),
        };
        let role = if hybrid { "; one part of a hybrid repository, judged in its own role (G7)" } else { "" };
        let message = format!(
            "{}: {} application on {}{version}; workload: {mix}; {served}{role}",
            app.name,
            app.stack.label(),
            app.framework
        );
        let f = out.report(app.anchor.clone(), message);
        for s in app.signals.iter().take(5) {
            if let Some(site) = app.sites(s.kind).first() {
                let mut loc = site.loc.clone();
                loc.message = Some(format!("{} ({} in all): {}", s.label, s.count, site.detail));
                f.related(loc);
            }
        }
    }
}
