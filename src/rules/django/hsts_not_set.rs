//! `django/hsts-not-set`: SecurityMiddleware is installed but
//! `SECURE_HSTS_SECONDS` is unset or zero (security.W004), or HSTS is on
//! without `includeSubDomains` / `preload` (W005 / W021).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{is_falsy, show, Issue, Reporter, SettingsIndex, State, SECURITY_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/hsts-not-set"
languages = ["python"]
severity = "note"
category = "security"
tags = ["deployment"]
confidence = "high"
summary = "HTTP Strict Transport Security not enabled (SECURE_HSTS_SECONDS unset or 0)"

[docs]
what = """
In a production settings module that installs Django's `SecurityMiddleware` (by its exact path, as Django's check does), flags `SECURE_HSTS_SECONDS`
when it is absent (at the `MIDDLEWARE` assignment the chain resolves to) or a literal `0`/`None`
(at its assignment): Django's security.W004. When HSTS is on, a second note says that
`SECURE_HSTS_INCLUDE_SUBDOMAINS` (W005) and `SECURE_HSTS_PRELOAD` (W021) are not set. Values read
from the environment or set under a condition are not judged, and development settings modules
are not evaluated. Without SecurityMiddleware the settings do nothing;
`django/missing-security-middleware` reports that instead.
Not flagged when a web-server or proxy config the repository ships (nginx `add_header`, Apache
`Header set`, Caddy `header`) sets Strict-Transport-Security.
"""
why = """
Without the Strict-Transport-Security header a browser that types `example.com` or follows an
`http://` link makes a first plain-HTTP request, which anyone on the network can intercept and
redirect (SSL stripping) before your HTTPS redirect ever runs. HSTS tells the browser to use
HTTPS only for the given time. `includeSubDomains` closes the same hole on subdomains (and
cookie injection from them); `preload` protects even the very first visit once the domain is on
the browsers' preload list.
"""
example = '''
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", ...]
SECURE_SSL_REDIRECT = True
# no SECURE_HSTS_SECONDS
'''
fix = '''
Start with a short duration, check that every subdomain serves HTTPS, then raise it:

    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True   # only once you intend to submit the domain to hstspreload.org

If TLS ends at a proxy or CDN that already sends the header, read the value from the environment
or set it to what the proxy sends so the intent is visible in the settings.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/middleware/#http-strict-transport-security",
  "https://docs.djangoproject.com/en/stable/ref/settings/#secure-hsts-seconds",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
  "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_SSL_REDIRECT = True
'''
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
'''

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_HSTS_SECONDS = 0
'''
valid = '''
import environ
env = environ.Env()
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
'''

[[examples]]
path = "proj/settings.py"
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "shop.middleware.SecurityMiddleware"]
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        if ctx.proxy_sets("strict-transport-security", &index.modules[eff.root].file.rel).is_some() {
            continue;
        }
        if eff.has_exact_middleware(SECURITY_MIDDLEWARE) != Some(true) {
            continue;
        }
        let reported = r.require_on(
            &eff,
            "SECURE_HSTS_SECONDS",
            "no Strict-Transport-Security header, so a first plain-HTTP request can be intercepted and downgraded",
            "set it, e.g. to 31536000",
        );
        let seconds = match eff.state("SECURE_HSTS_SECONDS") {
            State::Literal(_, s) if !reported => s,
            _ => continue,
        };
        // HSTS is on: W005 / W021 for what it does not cover.
        let mut missing_at_seconds = Vec::new();
        for (name, what) in [
            ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "includeSubDomains (subdomains stay open to downgrades)"),
            ("SECURE_HSTS_PRELOAD", "preload (the first visit stays unprotected)"),
        ] {
            match eff.state(name) {
                State::Absent => missing_at_seconds.push(what),
                State::Literal(v, s) if is_falsy(v) => {
                    let message = format!(
                        "{name} = {} (production settings {}): HSTS is sent without {what}",
                        show(v),
                        index.chain(&s.site)
                    );
                    r.add(Issue { site: s.site.clone(), message, severity: None, confidence: None });
                }
                _ => {}
            }
        }
        if !missing_at_seconds.is_empty() {
            let message = format!(
                "HSTS is on but sent without {} (production settings {}); set {}",
                missing_at_seconds.join(" and without "),
                index.chain(&seconds.site),
                if missing_at_seconds.len() == 2 {
                    "SECURE_HSTS_INCLUDE_SUBDOMAINS = True and, once you mean to, SECURE_HSTS_PRELOAD = True"
                } else if missing_at_seconds[0].starts_with("include") {
                    "SECURE_HSTS_INCLUDE_SUBDOMAINS = True"
                } else {
                    "SECURE_HSTS_PRELOAD = True once you mean to submit the domain to the preload list"
                }
            );
            r.add(Issue { site: seconds.site.clone(), message, severity: None, confidence: None });
        }
    }
    r.finish(out);
}
