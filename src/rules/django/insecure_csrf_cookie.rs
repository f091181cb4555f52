//! `django/insecure-csrf-cookie`: CsrfViewMiddleware is installed, the token
//! lives in a cookie, and that cookie is not Secure (security.W016).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{is_falsy, Reporter, SettingsIndex, State, CSRF_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/insecure-csrf-cookie"
languages = ["python"]
severity = "warning"
category = "security"
confidence = "high"
summary = "CSRF cookie without the Secure flag (CSRF_COOKIE_SECURE)"

[docs]
what = """
In a production settings module that installs Django's `CsrfViewMiddleware` (by its exact path) and keeps the token in a
cookie (`CSRF_USE_SESSIONS` not `True`), flags `CSRF_COOKIE_SECURE` when it is absent (at the
`MIDDLEWARE` assignment the chain resolves to) or a literal false value (at its assignment).
Values read from the environment or set under a condition are not judged; development settings
modules are not evaluated. This is Django's deploy check security.W016.
"""
why = """
A CSRF cookie sent over plain HTTP can be read by a network attacker, and on a shared parent
domain an attacker who can write cookies over HTTP can plant a token of their choosing; either
way the token no longer proves that a form came from your site.
"""
example = '''
MIDDLEWARE = [..., "django.middleware.csrf.CsrfViewMiddleware", ...]
CSRF_COOKIE_SECURE = False
'''
fix = '''
    CSRF_COOKIE_SECURE = True

or keep the token in the session instead of a cookie with `CSRF_USE_SESSIONS = True`.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/settings/#csrf-cookie-secure",
  "https://docs.djangoproject.com/en/stable/ref/csrf/",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
CSRF_COOKIE_SECURE = False
'''
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
CSRF_COOKIE_SECURE = True
'''

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
'''
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
CSRF_USE_SESSIONS = True
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    let index = SettingsIndex::shared(ctx);
    let mut r = Reporter::new(&index);
    for eff in index.production_settings() {
        if eff.has_exact_middleware(CSRF_MIDDLEWARE) != Some(true) {
            continue;
        }
        match eff.state("CSRF_USE_SESSIONS") {
            State::Absent => {}
            State::Literal(v, _) if is_falsy(v) => {}
            _ => continue,
        }
        r.require_on(
            &eff,
            "CSRF_COOKIE_SECURE",
            "the CSRF cookie is also sent over plain HTTP",
            "set CSRF_COOKIE_SECURE = True",
        );
    }
    r.finish(out);
}
