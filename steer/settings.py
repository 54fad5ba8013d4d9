"""Settings for steer.

Everything that differs between machines comes from the environment:
STEER_DEBUG, STEER_SECRET_KEY, STEER_ALLOWED_HOSTS, STEER_DEMO, DATABASE_URL, STEER_VAR_DIR,
STEER_HTTPS, STEER_CLIENT_IP_HEADER (docs/security.md).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STEER_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    # A key kept in var/ (never in the repository) so that sessions survive restarts.
    if key := os.environ.get("STEER_SECRET_KEY"):
        return key
    path = VAR_DIR / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("STEER_DEBUG")
# Demo mode: the demo loader runs and the demo accounts may sign in. Off by default.
DEMO_MODE = _flag("STEER_DEMO")
ALLOWED_HOSTS = os.environ.get("STEER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "steer.core",
    "steer.units",
    "steer.programmes",
    "steer.accounts",
    "steer.notifications",
    "steer.reporting",
    "steer.assessment",
    "steer.steering",
    "steer.ranking",
    "steer.documents",
    "steer.api",
    "steer.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
]

# Background work (documents): kept in the database, run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "steer.core.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "steer.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "steer.core.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "steer.core.middleware.ControlCharacterMiddleware",
]

ROOT_URLCONF = "steer.urls"
WSGI_APPLICATION = "steer.wsgi.application"

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
                "steer.programmes.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("STEER_SQLITE_PATH", str(VAR_DIR / "steer.sqlite3")),
            # Kept open between requests with a 32 MB page cache, as PostgreSQL's are: a new
            # connection each request starts with an empty cache and read a dashboard's figures
            # from the file again (15.6 against 10.4 ms for the overview's query at 10 M values).
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
                # at the start of a transaction so two writers queue instead of failing midway.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["steer.accounts.backends.SteerBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # The similarity above misses bancd12345 for bancd, and looks at no full_name.
    {"NAME": "steer.accounts.validators.OwnNameValidator"},
    {
        "NAME": "steer.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "steer" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Grouping is applied where numbers are shown (the num filter), never to years or codes.
USE_THOUSAND_SEPARATOR = False
NUMBER_GROUPING = 3  # Django's Vietnamese formats do not set it

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps, so no collectstatic step is needed to run.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = VAR_DIR / "media"

# -- security (docs/security.md) ---------------------------------------------------------------

# A session ends 8 hours after signing in, or after 60 minutes without a request
# (steer.core.middleware.SessionExpiryMiddleware), whichever comes first.
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_IDLE_TIMEOUT = 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind nginx with TLS (STEER_HTTPS=1): cookies only over HTTPS, plain HTTP redirected, and
# browsers told to use HTTPS for a year. nginx must set X-Forwarded-Proto.
HTTPS = _flag("STEER_HTTPS")
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the load balancer's check may come over HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The header nginx puts the client's address in (e.g. X-Real-IP), for the sign-in throttle.
# Empty: REMOTE_ADDR. Set it only behind a proxy that overwrites the header, or anyone can forge it.
CLIENT_IP_HEADER = os.environ.get("STEER_CLIENT_IP_HEADER", "")

# Sign-in throttle (steer.accounts.throttle): failures only, kept in the database since the app
# runs as several processes.
SIGNIN_FAILURES_PER_USERNAME = 5
SIGNIN_FAILURES_PER_ADDRESS = 30
SIGNIN_WINDOW = 15 * 60
SIGNIN_LOCK = 15 * 60

# Everything the pages load comes from the app itself (no CDN: government intranets have no
# internet); the few inline scripts carry the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# Days as Vietnamese write them (the browser's date picker posts ISO). Not the default's
# month-first forms: 05/06/2025 is 5 June here.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y"]
