//! `fit/django-sync-io-bound`: many Django views call other services over
//! HTTP synchronously while the application is served synchronously.

use super::{applications, count, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::signals::SignalKind;
use crate::profile::{Application, Stack};
use std::collections::BTreeSet;

const DOC: &str = r#####"
id = "fit/django-sync-io-bound"
languages = ["python"]
severity = "note"
category = "fit"
confidence = "medium"
summary = "Many Django views make outbound HTTP calls synchronously under WSGI"

[docs]
what = """
Notes a Django application where many views call other services over HTTP synchronously
(`requests.get/post/...`, `httpx.get/...`, `httpx.Client`, `urllib.request.urlopen`,
`http.client`) while the application is served synchronously: by a WSGI server (gunicorn sync or
thread workers, uWSGI, waitress, mod_wsgi) or with no ASGI server found. "Many" means at least
three views, and either a quarter of all views or ten views or more. Green-thread workers
(gevent, eventlet) and ASGI deployments do not fire. The finding points at the Django line of the
requirements; the calls are related locations.
"""
why = """
Under WSGI a worker waits, doing nothing, for as long as the remote service takes to answer; a few
slow upstream calls occupy the whole worker pool and requests queue behind them. Django is
synchronous by default, and under heavy concurrent I/O that is the bottleneck (G5). Async views on
an ASGI server let one process wait on many calls at once; an I/O-bound gateway in Node in front
of Django is the other shape the guidance describes (G1, G7).
"""
example = '''
def quote(request):
    rates = requests.get(RATES_URL, timeout=5).json()        # the worker waits here
    stock = requests.get(STOCK_URL, timeout=5).json()        # and here
    return JsonResponse(price(rates, stock))
'''
fix = '''
Make the I/O-bound views async and serve the application with ASGI:

    async def quote(request):
        async with httpx.AsyncClient(timeout=5) as client:
            rates, stock = await asyncio.gather(client.get(RATES_URL), client.get(STOCK_URL))
        return JsonResponse(price(rates.json(), stock.json()))

    # Procfile
    web: gunicorn shop.asgi:application -k uvicorn.workers.UvicornWorker

Until then, give every call a timeout (`python/request-without-timeout`).
'''
references = [
  "https://docs.djangoproject.com/en/stable/topics/async/",
  "https://www.python-httpx.org/async/",
]
guidance = ["G5", "G1", "G7"]

[[examples]]
path = "requirements.txt"
invalid = '''
Django==5.2.4
gunicorn==23.0.0
requests==2.32.3
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n", "shop/settings.py" = "INSTALLED_APPS = ['quotes']\n", "Procfile" = "web: gunicorn shop.wsgi\n", "quotes/views.py" = "import requests\nfrom django.http import JsonResponse\n\ndef rates(request):\n    return JsonResponse(requests.get('https://rates.example.com', timeout=5).json())\n\ndef stock(request):\n    return JsonResponse(requests.get('https://stock.example.com', timeout=5).json())\n\ndef weather(request):\n    return JsonResponse(requests.get('https://weather.example.com', timeout=5).json())\n\ndef home(request):\n    return JsonResponse({})\n" }

[[examples]]
path = "requirements.txt"
valid = '''
Django==5.2.4
uvicorn==0.34.0
httpx==0.28.1
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n", "shop/settings.py" = "INSTALLED_APPS = ['quotes']\n", "Procfile" = "web: uvicorn shop.asgi:application\n", "quotes/views.py" = "import httpx\nfrom django.http import JsonResponse\n\nasync def rates(request):\n    async with httpx.AsyncClient(timeout=5) as c:\n        return JsonResponse((await c.get('https://rates.example.com')).json())\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

const MIN_VIEWS: usize = 3;

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Django) {
        if !matches!(app.serving_model(), "wsgi" | "unknown") {
            continue;
        }
        let calls = app.sites(SignalKind::OutboundHttp);
        let views: BTreeSet<(&str, u32)> = calls.iter().map(|s| (s.loc.path.as_str(), s.handler)).collect();
        let total = app.count(SignalKind::View).max(views.len());
        let n = views.len();
        if n < MIN_VIEWS || !(n * 4 >= total || n >= 10) {
            continue;
        }
        let served = if app.serving_model() == "wsgi" {
            format!("under WSGI ({})", app.serving.evidence)
        } else {
            "with no ASGI server found".to_string()
        };
        let message = format!(
            "{}: {} of {} views make outbound HTTP calls synchronously ({}: {}) {served}; each call holds a worker \
             while it waits. Async views on ASGI, or an I/O gateway in front, let one process wait on many calls (G5)",
            app.name,
            n,
            total,
            count(calls.len(), "call", "calls"),
            Application::breakdown(calls),
        );
        let f = out.report(app.dep_location("django"), message);
        relate(f, &[calls], 5);
    }
}
