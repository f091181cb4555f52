//! `django/ssl-redirect-off`: SecurityMiddleware is installed but
//! `SECURE_SSL_REDIRECT` is unset or false (security.W008).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{Reporter, SettingsIndex, SECURITY_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/ssl-redirect-off"
languages = ["python"]
severity = "note"
category = "security"
confidence = "high"
summary = "SECURE_SSL_REDIRECT is not True: plain-HTTP requests are served"

[docs]
what = """
In a production settings module that installs Django's `SecurityMiddleware` (by its exact path, as Django's check does), flags `SECURE_SSL_REDIRECT`
when it is absent (at the `MIDDLEWARE` assignment the chain resolves to) or a literal false value
(at its assignment). Values read from the environment or set under a condition are not judged,
and development settings modules are not evaluated. This is Django's deploy check
security.W008.
"""
why = """
Without the redirect, a request that arrives over plain HTTP is answered over plain HTTP: session
cookies without the Secure flag, form posts and pages travel unencrypted and can be read or
altered on the network. If TLS is terminated by a load balancer that already redirects, the note
is still worth settling in the settings (see the fix), because the next deployment may not have
that proxy.
"""
example = '''
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", ...]
SECURE_SSL_REDIRECT = False
'''
fix = '''
    SECURE_SSL_REDIRECT = True
    # behind a proxy that terminates TLS, tell Django how to recognise HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

If the proxy redirects for you, make that explicit with an environment-driven value
(`SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)`).
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#secure-ssl-redirect",
  "https://docs.djangoproject.com/en/stable/ref/middleware/#ssl-redirect",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_SSL_REDIRECT = False
'''
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_SSL_REDIRECT = True
'''

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
'''
valid = '''
import os
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
SECURE_SSL_REDIRECT = os.environ.get("SSL_REDIRECT", "1") == "1"
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        if eff.has_exact_middleware(SECURITY_MIDDLEWARE) != Some(true) {
            continue;
        }
        r.require_on(
            &eff,
            "SECURE_SSL_REDIRECT",
            "requests over plain HTTP are served unencrypted instead of redirected to HTTPS",
            "set SECURE_SSL_REDIRECT = True",
        );
    }
    r.finish(out);
}
