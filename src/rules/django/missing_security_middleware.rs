//! `django/missing-security-middleware`: a production settings chain whose
//! `MIDDLEWARE` does not list `SecurityMiddleware` (Django's security.W001).

use crate::engine::project::{ProjectCtx, ProjectOut};
use crate::engine::rule::CodeRule;
use crate::model::django::settings::{missing_middleware, SECURITY_MIDDLEWARE};

const DOC: &str = r#####"
id = "django/missing-security-middleware"
languages = ["python"]
severity = "warning"
category = "security"
confidence = "high"
summary = "SecurityMiddleware missing from MIDDLEWARE in production settings"

[docs]
what = """
Flags a production settings module whose resolved `MIDDLEWARE` (after `from .base import *`,
`MIDDLEWARE += [...]`, `.insert`, `.append`, `.remove`) certainly does not contain
`django.middleware.security.SecurityMiddleware`, nor a project class named like it (a subclass
such as `StrictSecurityMiddleware`). The finding points at the `MIDDLEWARE` assignment the chain
resolves to and names the chain. A list with items added under a condition or from the
environment is not judged; development settings modules are not evaluated. This is Django's
deploy check security.W001.
"""
why = """
SecurityMiddleware is what turns the `SECURE_*` settings into behaviour: the HTTPS redirect
(`SECURE_SSL_REDIRECT`), the Strict-Transport-Security header (`SECURE_HSTS_SECONDS`),
`X-Content-Type-Options: nosniff`, the Referrer-Policy and Cross-Origin-Opener-Policy headers.
Without it those settings are silently ignored, whatever they say.
"""
example = '''
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
'''
fix = '''
Put it first in the list:

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        ...
    ]
'''
references = [
  "https://docs.djangoproject.com/en/stable/ref/middleware/#module-django.middleware.security",
  "https://docs.djangoproject.com/en/stable/ref/checks/#security",
  "https://docs.djangoproject.com/en/stable/howto/deployment/checklist/",
]
guidance = ["G11"]

[[examples]]
path = "proj/settings.py"
invalid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
'''
valid = '''
INSTALLED_APPS = ["django.contrib.sessions", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
]
'''

[[examples]]
path = "proj/settings/production.py"
invalid = '''
from .base import *
MIDDLEWARE.remove("django.middleware.security.SecurityMiddleware")
'''
valid = '''
from .base import *
MIDDLEWARE.insert(0, "django.middleware.security.SecurityMiddleware")
'''
files = { "proj/settings/base.py" = "INSTALLED_APPS = ['shop']\nMIDDLEWARE = ['django.middleware.security.SecurityMiddleware', 'django.middleware.common.CommonMiddleware']\n", "proj/settings/dev.py" = "from .base import *\nMIDDLEWARE = []\n" }

[[examples]]
path = "proj/settings.py"
valid = '''
import os
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
if os.environ.get("HTTPS"):
    MIDDLEWARE.insert(0, "django.middleware.security.SecurityMiddleware")
'''
"#####;

pub const RULE: CodeRule = CodeRule { doc: DOC, project: Some(check), ..CodeRule::EMPTY };

fn check(ctx: &ProjectCtx, out: &mut ProjectOut) {
    missing_middleware(
        ctx,
        out,
        SECURITY_MIDDLEWARE,
        "the SECURE_* settings (HTTPS redirect, HSTS, nosniff, Referrer-Policy) have no effect without it",
        |_, _| false,
    );
}
