import os

from .base import *  # noqa: F403
from .base import env

# ok: django/debug-enabled
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# ok: django/hardcoded-secret-key
SECRET_KEY = env("DJANGO_SECRET_KEY")
# ok: django/allowed-hosts-wildcard
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"])

# Deployment flags are per environment; literal fallbacks behind env reads are not judged.
# ok: django/ssl-redirect-off
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# ok: django/hsts-not-set
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
# ok: django/insecure-session-cookie
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=True)
# ok: django/insecure-csrf-cookie
CSRF_COOKIE_SECURE = os.environ.get("DJANGO_CSRF_COOKIE_SECURE", "true").lower() == "true"
