//! `fit/django-realtime-on-wsgi`: real-time features of a Django
//! application (event streams, long polling, frequent client polling,
//! websocket clients and libraries) served by a synchronous WSGI
//! deployment without Channels/ASGI.

use super::{applications, relate};
use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::profile::signals::SignalKind;
use crate::profile::{Application, Site, Stack};

const DOC: &str = r#####"
id = "fit/django-realtime-on-wsgi"
languages = ["python"]
severity = "warning"
category = "fit"
confidence = "medium"
summary = "Real-time features served by a synchronous WSGI deployment without Channels/ASGI"

[docs]
what = """
Flags a Django application that has real-time features and is served by a synchronous WSGI
server, with no Channels and no ASGI server:

- real-time features: server-sent event streams (`StreamingHttpResponse` with
  `text/event-stream`), long-polling views (a loop that sleeps until there is news), client code
  shipped by the application that opens websockets or event streams (`new WebSocket(...)`,
  `new EventSource(...)`), client code polling the server every 15 seconds or more often
  (`setInterval(() => fetch(...), 2000)`), views or routes named for polling (`/api/poll/`,
  `poll_messages`; not the tutorial's `polls`), websocket libraries among the dependencies;
- WSGI: a start command in a Procfile, Dockerfile, compose file or package.json script that runs
  gunicorn with sync or thread workers, uWSGI, waitress or mod_wsgi; or, with no start command, a
  uWSGI configuration or a WSGI server among the dependencies and no ASGI server.

It fires on one event stream, long-polling view, websocket client or websocket library, or on two
polling signals (one polling client alone is common and harmless). Green-thread workers (gevent,
eventlet) and an unknown serving model never fire. The finding points at the Django line of the
requirements; the real-time sites and the server command are related locations.
"""
why = """
A WSGI worker serves one request at a time. An event stream or a long poll holds its worker for as
long as the client stays connected, so a handful of open pages exhausts a gunicorn pool and every
other request queues; frequent polling multiplies requests that mostly answer "nothing new". The
guidance calls a real-time feature served by a synchronous WSGI deployment a misfit (G6): Django
is synchronous by default (G5), and its real-time path is Channels on ASGI with a channel layer
such as Redis, or a Node gateway in front of Django for the sockets (G1, G7).
"""
example = '''
# Procfile
web: gunicorn chat.wsgi --workers 4

# chat/views.py
def events(request):
    return StreamingHttpResponse(stream(request.user), content_type="text/event-stream")
'''
fix = '''
Serve the application with an ASGI server and move the real-time part to Channels (websocket
consumers and a channel layer), or to async views that stream; keep the rest unchanged:

    # Procfile
    web: daphne chat.asgi:application --port $PORT
    # or: gunicorn chat.asgi:application -k uvicorn.workers.UvicornWorker

Alternatively put the sockets in a small Node gateway and keep Django as the data layer (G7).
'''
references = [
  "https://channels.readthedocs.io/en/latest/",
  "https://docs.djangoproject.com/en/stable/howto/deployment/asgi/",
  "https://docs.djangoproject.com/en/stable/ref/request-response/#streaminghttpresponse-objects",
]
guidance = ["G6", "G5", "G7"]

[[examples]]
path = "requirements.txt"
invalid = '''
Django==5.2.4
gunicorn==23.0.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chat.settings')\n", "chat/settings.py" = "INSTALLED_APPS = ['django.contrib.auth', 'rooms']\n", "Procfile" = "web: gunicorn chat.wsgi --workers 4\n", "rooms/views.py" = "from django.http import StreamingHttpResponse\n\ndef events(request):\n    return StreamingHttpResponse(stream(request.user), content_type='text/event-stream')\n" }

[[examples]]
path = "requirements.txt"
valid = '''
Django==5.2.4
channels==4.2.0
daphne==4.1.2
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chat.settings')\n", "chat/settings.py" = "INSTALLED_APPS = ['daphne', 'channels', 'rooms']\nASGI_APPLICATION = 'chat.asgi.application'\n", "Procfile" = "web: daphne chat.asgi:application\n", "rooms/views.py" = "from django.http import StreamingHttpResponse\n\nasync def events(request):\n    return StreamingHttpResponse(stream(request.user), content_type='text/event-stream')\n" }

[[examples]]
path = "requirements.txt"
valid = '''
Django==5.2.4
gunicorn==23.0.0
'''
files = { "manage.py" = "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.settings')\n", "shop/settings.py" = "INSTALLED_APPS = ['catalog']\n", "Procfile" = "web: gunicorn shop.wsgi\n", "static/js/stock.js" = "setInterval(() => fetch('/api/stock').then(render), 60000);\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

/// Client polling counts when it is at least this frequent (or its interval
/// cannot be read).
const POLL_MS: u64 = 15_000;

/// Dependencies that bring websockets or event streams to Django.
const REALTIME_LIBS: &[&str] =
    &["django-eventstream", "django-sse", "django-websocket-redis", "websockets", "python-socketio"];

fn frequent(s: &Site) -> bool {
    let digits: String =
        s.detail.split("every ").nth(1).unwrap_or("").chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse::<u64>().map(|ms| ms <= POLL_MS).unwrap_or(true)
}

fn uses_channels(app: &Application) -> bool {
    app.has_lib("channels")
        || app.count(SignalKind::WebsocketHandler) > 0
        || app.sites(SignalKind::AsgiEntry).iter().any(|s| s.detail.contains("Channels"))
        || app.sites(SignalKind::Setting).iter().any(|s| s.detail == "ASGI_APPLICATION" || s.detail == "CHANNEL_LAYERS")
}

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    for app in applications(ctx).iter().filter(|a| a.stack == Stack::Django) {
        if app.serving_model() != "wsgi" || uses_channels(app) {
            continue;
        }
        let sse = app.sites(SignalKind::Sse);
        let long_poll = app.sites(SignalKind::LongPoll);
        let push = app.sites(SignalKind::PushClient);
        let poll_clients: Vec<Site> =
            app.sites(SignalKind::PollClient).iter().filter(|s| frequent(s)).cloned().collect();
        let poll_views = app.sites(SignalKind::PollView);
        let libs: Vec<&str> = REALTIME_LIBS.iter().copied().filter(|l| app.has_lib(l)).collect();
        let strong = sse.len() + long_poll.len() + push.len() + libs.len();
        let weak = poll_clients.len() + poll_views.len();
        if strong == 0 && weak < 2 {
            continue;
        }
        let mut parts = Vec::new();
        for (n, one, many) in [
            (sse.len(), "event stream", "event streams"),
            (long_poll.len(), "long-polling view", "long-polling views"),
            (push.len(), "websocket/event-stream client", "websocket/event-stream clients"),
            (poll_clients.len(), "frequent polling client", "frequent polling clients"),
            (poll_views.len(), "polling endpoint", "polling endpoints"),
        ] {
            if n > 0 {
                parts.push(super::count(n, one, many));
            }
        }
        if !libs.is_empty() {
            parts.push(format!("websocket libraries {}", libs.join(", ")));
        }
        let message = format!(
            "{}: real-time features ({}) are served by a synchronous WSGI deployment ({}); each open stream or \
             waiting poll holds a worker. The guidance puts real-time Django on Channels/ASGI (G6), or the real-time \
             part in a Node gateway (G7)",
            app.name,
            parts.join(", "),
            app.serving.evidence
        );
        let f = out.report(app.dep_location("django"), message);
        let server: Vec<Site> = app
            .serving
            .commands
            .iter()
            .filter_map(|c| c.loc.clone())
            .take(1)
            .map(|loc| Site { loc, detail: String::new(), handler: 0 })
            .collect();
        relate(f, &[sse, long_poll, push, &poll_clients, poll_views], 4);
        relate(f, &[&server], 1);
    }
}
