"""
Settings of a blog deployed straight from `startproject` output: one file, every value a
literal, the same file on the laptop and on the server.
"""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# expect: django/hardcoded-secret-key
SECRET_KEY = "django-insecure-7w$4f!r2u^x0k9#q@m8z&b3n5c1v6t_l)p(o*e-i+y"

# expect: django/debug-enabled
DEBUG = True

# expect: django/allowed-hosts-wildcard
ALLOWED_HOSTS = ["blog.example.com", "*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "blog",
]

# Someone removed the CSRF and clickjacking middleware "because the JS client broke".
# expect: django/missing-csrf-middleware, django/missing-clickjacking-middleware, django/hsts-not-set, django/insecure-session-cookie, django/missing-csp
# ok: django/missing-security-middleware, django/insecure-csrf-cookie
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "mysite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# expect: django/ssl-redirect-off
SECURE_SSL_REDIRECT = False
# expect: django/insecure-session-cookie
SESSION_COOKIE_HTTPONLY = False
