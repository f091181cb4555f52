//! `django/missing-csrf-middleware`: a production settings chain whose
//! `MIDDLEWARE` does not list `CsrfViewMiddleware` (security.W003).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{missing_middleware, CSRF_MIDDLEWARE, SESSION_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/missing-csrf-middleware"
languages = ["python"]
severity = "error"
category = "security"
confidence = "high"
summary = "CsrfViewMiddleware missing from MIDDLEWARE in production settings"

[docs]
what = """
Flags a production settings module whose resolved `MIDDLEWARE` certainly does not contain
`django.middleware.csrf.CsrfViewMiddleware` (nor a project class named like it). The finding
points at the `MIDDLEWARE` assignment the chain resolves to and names the chain. Lists extended
under a condition or from the environment are not judged; development settings modules are not
evaluated. A chain whose `MIDDLEWARE` certainly lacks `SessionMiddleware` is not flagged: with no
session cookie, nothing authenticates a forged request (a token-only API). This is Django's deploy
check security.W003.
"""
why = """
The middleware is Django's protection against cross-site request forgery: without it, any page a
logged-in user visits can make their browser submit forms to your site with their session
cookie, and every POST view is exposed, including the admin. Decorating single views with
`@csrf_protect` is easy to forget on the next view.
"""
example = '''
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
'''
fix = '''
Add it after SessionMiddleware and before any middleware that assumes the request is safe:

    "django.middleware.csrf.CsrfViewMiddleware",

An API that authenticates with tokens only (no session cookie) is not exposed to CSRF; DRF
exempts its views and enforces CSRF itself for `SessionAuthentication`.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/csrf/",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
  "https://cwe.mitre.org/data/definitions/352.html",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
]
'''
valid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
'''

[[examples]]
path = "proj/settings.py"
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = BASE_MIDDLEWARE + ["django.middleware.security.SecurityMiddleware"]
'''

[[examples]]
path = "proj/settings.py"
valid = '''
INSTALLED_APPS = ["rest_framework", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
REST_FRAMEWORK = {"DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"]}
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    missing_middleware(
        ctx,
        out,
        CSRF_MIDDLEWARE,
        "no cross-site request forgery protection, so any site can submit forms as a logged-in user",
        // Without sessions no cookie carries a login: a token-only API (or a
        // site without logins) has nothing for a forged request to ride on.
        |_, eff| eff.has_middleware(SESSION_MIDDLEWARE) == Some(false),
    );
}
