"""Settings shared by every environment. Secrets and hosts come from the environment."""
from pathlib import Path

import environ
from django.utils.csp import CSP

env = environ.Env()
BASE_DIR = Path(__file__).resolve().parent.parent.parent

# ok: django/hardcoded-secret-key
SECRET_KEY = env("DJANGO_SECRET_KEY")
# ok: django/debug-enabled
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# ok: django/allowed-hosts-wildcard
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["store.example.com"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "store",
]

# ok: django/missing-security-middleware, django/missing-csrf-middleware, django/missing-clickjacking-middleware, django/missing-csp, django/hsts-not-set, django/ssl-redirect-off, django/insecure-session-cookie, django/insecure-csrf-cookie, drf/default-allow-any
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "frame-ancestors": [CSP.NONE],
}

# ok: drf/default-allow-any
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
DATABASES = {"default": env.db("DATABASE_URL", default="postgres:///store")}

# ok: django/ssl-redirect-off
SECURE_SSL_REDIRECT = True
# ok: django/hsts-not-set
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ok: django/insecure-session-cookie
SESSION_COOKIE_SECURE = True
# ok: django/insecure-csrf-cookie
CSRF_COOKIE_SECURE = True

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
