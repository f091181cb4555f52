//! `django/missing-clickjacking-middleware`: a production settings chain
//! whose `MIDDLEWARE` does not list `XFrameOptionsMiddleware` (security.W002).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{missing_middleware, CLICKJACKING_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/missing-clickjacking-middleware"
languages = ["python"]
severity = "warning"
category = "security"
tags = ["deployment"]
confidence = "high"
summary = "XFrameOptionsMiddleware missing from MIDDLEWARE in production settings"

[docs]
what = """
Flags a production settings module whose resolved `MIDDLEWARE` certainly does not contain
`django.middleware.clickjacking.XFrameOptionsMiddleware` (nor a project class named like it).
The finding points at the `MIDDLEWARE` assignment the chain resolves to and names the chain.
Lists extended under a condition or from the environment are not judged; development settings
modules are not evaluated. This is Django's deploy check security.W002.
Not flagged when a web-server or proxy config the repository ships sets X-Frame-Options.
"""
why = """
Without the `X-Frame-Options` header any site can load your pages in an invisible frame and
trick a logged-in user into clicking buttons on them (clickjacking): confirming a payment,
changing an email address, granting access. The middleware sends `X-Frame-Options: DENY` by
default; views that must be framed can opt out with `@xframe_options_exempt`.
"""
example = '''
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
'''
fix = '''
Add it to the list (its position does not matter much; Django's template puts it last):

    "django.middleware.clickjacking.XFrameOptionsMiddleware",

A Content-Security-Policy with `frame-ancestors` is the modern equivalent; keep the header for
older browsers.
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/clickjacking/",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
  "https://cwe.mitre.org/data/definitions/1021.html",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
'''
valid = '''
INSTALLED_APPS = ["shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
'''

[[examples]]
path = "proj/settings/dev.py"
valid = '''
from .base import *
MIDDLEWARE = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
'''
files = { "proj/settings/base.py" = "INSTALLED_APPS = ['shop']\nMIDDLEWARE = ['django.middleware.clickjacking.XFrameOptionsMiddleware']\n" }
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    missing_middleware(
        ctx,
        out,
        CLICKJACKING_MIDDLEWARE,
        "no X-Frame-Options header, so any site can frame these pages and trick users into clicks (clickjacking)",
        |index, eff| ctx.proxy_sets("x-frame-options", &index.modules[eff.root].file.rel).is_some(),
    );
}
