//! `django/insecure-session-cookie`: sessions are used and the session
//! cookie is not Secure (security.W010-W012) or not HttpOnly (W013-W015).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{is_falsy, show, Issue, Reporter, SettingsIndex, State, SESSION_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/insecure-session-cookie"
languages = ["python"]
severity = "warning"
category = "security"
confidence = "high"
summary = "Session cookie without the Secure flag (SESSION_COOKIE_SECURE) or with HttpOnly turned off"

[docs]
what = """
In a production settings module whose `MIDDLEWARE` installs Django's
`django.contrib.sessions.middleware.SessionMiddleware` (the code that writes the cookie from these
settings; a project's own session middleware may set the flags itself, so it is not judged), flags `SESSION_COOKIE_SECURE` when it
is absent (at the `MIDDLEWARE` assignment the chain resolves to) or a literal false value (at its
assignment), and a literal `SESSION_COOKIE_HTTPONLY = False`. Values read from the environment or
set under a condition are not judged; development settings modules are not evaluated. These are
Django's deploy checks security.W010-W012 and W013-W015.
"""
why = """
Without the Secure flag the browser also sends the session cookie over plain HTTP: one request
to `http://` (a link, a downgraded connection on public Wi-Fi) hands the session to whoever is
listening, who is then logged in as the user. Without HttpOnly any script injected into a page
can read the cookie and send it elsewhere, turning an XSS into an account takeover.
"""
example = '''
INSTALLED_APPS = [..., "django.contrib.sessions", ...]
SESSION_COOKIE_SECURE = False
'''
fix = '''
    SESSION_COOKIE_SECURE = True
    # SESSION_COOKIE_HTTPONLY defaults to True: remove any line setting it to False.

Local development over plain HTTP can turn it off in a development settings module.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#session-cookie-secure",
  "https://docs.djangoproject.com/en/stable/ref/settings/#session-cookie-httponly",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
  "https://cwe.mitre.org/data/definitions/614.html",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_COOKIE_SECURE = False
'''
valid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_COOKIE_SECURE = True
'''

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = False
'''
valid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = ["shop.middleware.DomainSessionMiddleware"]
'''

[[examples]]
path = "proj/settings/local.py"
valid = '''
from .base import *
SESSION_COOKIE_SECURE = False
'''
files = { "proj/settings/base.py" = "INSTALLED_APPS = ['django.contrib.sessions']\nSESSION_COOKIE_SECURE = True\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        // Django's SessionMiddleware writes the cookie from these settings; a
        // project's own session middleware may set the flags itself.
        if eff.has_exact_middleware(SESSION_MIDDLEWARE) != Some(true) {
            continue;
        }
        r.require_on(
            &eff,
            "SESSION_COOKIE_SECURE",
            "the session cookie is also sent over plain HTTP, where anyone on the network can take over the session",
            "set SESSION_COOKIE_SECURE = True",
        );
        if let State::Literal(v, s) = eff.state("SESSION_COOKIE_HTTPONLY") {
            if is_falsy(v) {
                let message = format!(
                    "SESSION_COOKIE_HTTPONLY = {} (production settings {}): scripts can read the session cookie, so any \
                     XSS becomes an account takeover; remove the line (the default is True)",
                    show(v),
                    index.chain(&s.site)
                );
                r.add(Issue { site: s.site.clone(), message, severity: None, confidence: None });
            }
        }
    }
    r.finish(out);
}
