"""Django settings for Guanxi, read from the environment.

Every setting that differs between a laptop and a cluster comes from an environment
variable (see README.md, "Configuration"). With nothing set, Guanxi runs on the embedded
default: SQLite for data and for the task queue, under GUANXI_DATA_DIR.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean value of an environment variable ("1", "true", "yes", "on")."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Return a comma-separated environment variable as a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("GUANXI_DATA_DIR", PROJECT_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
TESTING = env_bool("GUANXI_TESTING", False)
# A deployment on a database server is "production": it must bring its own secret and is
# assumed to sit behind HTTPS. The embedded default (SQLite) is a single-machine install.
PRODUCTION = (
    not DEBUG and not TESTING and not os.environ.get("DATABASE_URL", "sqlite").startswith("sqlite")
)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in production.")
    # The embedded default keeps a generated secret beside its data, so sessions survive
    # restarts without anyone having to invent a key.
    secret_file = DATA_DIR / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)
    SECRET_KEY = secret_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if not DEBUG else "*")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "ninja",
    "guanxi.core",
    "guanxi.web",
    "guanxi.api",
    "guanxi.customers",
    "guanxi.activities",
    "guanxi.dataio",
    "guanxi.service",
    "guanxi.sales",
    "guanxi.workflow",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "guanxi.core.middleware.HtmxMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guanxi.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "guanxi.urls"
ASGI_APPLICATION = "guanxi.asgi.application"
WSGI_APPLICATION = "guanxi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guanxi.web.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'guanxi.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else 600
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the worker write while the web process reads; IMMEDIATE avoids
        # "database is locked" upgrades from read to write inside a transaction.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            " PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "guanxi_language"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing root
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REDIS_URL = os.environ.get("REDIS_URL", "")
# Loyalty points: may a redemption take a balance below zero (else only levels that allow it).
POINTS_ALLOW_NEGATIVE = env_bool("GUANXI_POINTS_ALLOW_NEGATIVE", False)

HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", TESTING)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "guanxi",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "guanxi",
        "filename": str(DATA_DIR / "tasks.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

EMAIL_URL = os.environ.get("EMAIL_URL", "")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "guanxi@localhost")
if EMAIL_URL:
    _email = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_USE_SSL = _email.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# SMS: the backend (console://, file:///dir, aliyun://KEY_ID:SECRET@host?sign_name=...) and
# the secret part of the webhook URLs the provider pushes delivery reports and replies to.
SMS_URL = os.environ.get("SMS_URL", "console://")
SMS_WEBHOOK_TOKEN = os.environ.get("SMS_WEBHOOK_TOKEN", "")
if not SMS_WEBHOOK_TOKEN:
    token_file = DATA_DIR / "sms_webhook_token"
    if not token_file.exists():
        token_file.write_text(secrets.token_urlsafe(24))
        token_file.chmod(0o600)
    SMS_WEBHOOK_TOKEN = token_file.read_text().strip()

# Secure defaults whenever DEBUG is off and the site is served over HTTPS.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and env_bool("GUANXI_HTTPS", PRODUCTION):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

GUANXI_DEFAULT_REGION = os.environ.get("GUANXI_DEFAULT_REGION", "CN")
GUANXI_DEFAULT_CURRENCY = os.environ.get("GUANXI_DEFAULT_CURRENCY", "CNY")
# A deal moved to a lost stage must say why (赢单/输单原因); set to false to make it optional.
GUANXI_LOST_REASON_REQUIRED = env_bool("GUANXI_LOST_REASON_REQUIRED", True)
# Web-to-lead submissions accepted from one visitor address a minute (spam protection).
GUANXI_LEAD_FORM_RATE_PER_MINUTE = int(os.environ.get("GUANXI_LEAD_FORM_RATE_PER_MINUTE", "5"))
# A telesales callback is kept when the entry is called within this many minutes of its time.
GUANXI_CALLBACK_KEPT_MINUTES = int(os.environ.get("GUANXI_CALLBACK_KEPT_MINUTES", "30"))
GUANXI_LIST_COUNT_CAP = int(os.environ.get("GUANXI_LIST_COUNT_CAP", "10000"))
# Largest spreadsheet accepted by the import screen and API; `guanxi import` has no limit.
GUANXI_IMPORT_MAX_UPLOAD_MB = int(os.environ.get("GUANXI_IMPORT_MAX_UPLOAD_MB", "40"))
# Where users reach Guanxi: links in emails (notifications, digests) start with it.
GUANXI_BASE_URL = os.environ.get("GUANXI_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# How often an open page asks for the bell's unread count.
GUANXI_NOTIFICATION_POLL_SECONDS = int(os.environ.get("GUANXI_NOTIFICATION_POLL_SECONDS", "30"))
# Bulk sends are spread out to at most this many messages a minute per channel (0: no limit),
# so that the SMTP relay or SMS provider does not refuse or flag the sender.
GUANXI_EMAIL_RATE = int(os.environ.get("GUANXI_EMAIL_RATE", "600"))
GUANXI_SMS_RATE = int(os.environ.get("GUANXI_SMS_RATE", "300"))
GUANXI_MAIL_MAX_ATTACHMENT_MB = int(os.environ.get("GUANXI_MAIL_MAX_ATTACHMENT_MB", "25"))
# Extra certificate authorities (PEM) trusted for IMAP over SSL, e.g. a company mail server.
GUANXI_MAIL_CA_FILE = os.environ.get("GUANXI_MAIL_CA_FILE", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"huey": {"level": "WARNING"}},
}
