"""Settings shared by every environment. Environment files override what differs."""

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from haven.keys import key_dir

BASE_DIR = Path(__file__).resolve().parents[3]
SRC_DIR = BASE_DIR / "src"
VAR_DIR = Path(os.environ.get("HAVEN_VAR_DIR", BASE_DIR / "var"))

DEBUG = False
# The demo (settings/demo.py) says so here, never through DEBUG: e.g. it shows an invitation's link, as it sends no
# real mail.
HAVEN_DEMO = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks_db",
    "ninja",  # the JSON API's library; its app ships the documentation's files (no CDN)
    "haven.core",
    "haven.organizations",
    "haven.accounts",
    "haven.audit",
    "haven.programs",
    "haven.training",
    "haven.care",
    "haven.learning",
    "haven.safeguarding",
    "haven.awareness",
    "haven.reporting",
    "haven.evaluation",
    "haven.grants",
    "haven.shell",
    "haven.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files, answered before any other middleware runs (no session, no database): see STORAGES.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "haven.core.middleware.ResponseHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "haven.audit.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "haven.accounts.middleware.KnownBrowserMiddleware",
    "haven.accounts.middleware.SessionLifetimeMiddleware",
    "haven.organizations.middleware.ActiveMembershipMiddleware",
    "haven.accounts.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "haven.urls"
WSGI_APPLICATION = "haven.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "haven.shell.context_processors.shell",
            ],
        },
    },
]


def database_from_url(url: str, *, var_dir: Path) -> dict[str, object]:
    """``sqlite:///path`` (relative paths under var/) or ``postgres://user:pass@host:port/name``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        raw = unquote(parsed.path.removeprefix("/")) or "haven.sqlite3"
        path = Path(raw) if raw.startswith("/") else var_dir / raw
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "OPTIONS": {
                # IMMEDIATE: a transaction takes the write lock when it starts, so a read-then-write (the audit
                # chain's head) cannot interleave with another writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                # A page cache of 64 MiB (the default is 2): a bulk write (a staff table of 20,000 rows, seven indexes)
                # otherwise spills pages to the file before its commit.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA cache_size=-65536;"
                ),
            },
            "TEST": {"NAME": var_dir / f"test-{path.stem}.sqlite3"},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.removeprefix("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": 60,
        }
    raise ValueError(f"Unsupported database URL scheme: {parsed.scheme!r}")


DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "sqlite:///haven.sqlite3"), var_dir=VAR_DIR)}
# A PostgreSQL replica for the reporting reads that may lag by seconds (haven.core.routers, docs/scaling.md).
if os.environ.get("HAVEN_REPLICA_URL"):
    DATABASES["replica"] = database_from_url(os.environ["HAVEN_REPLICA_URL"], var_dir=VAR_DIR)
    DATABASE_ROUTERS = ["haven.core.routers.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "shell:home"

# Sessions: 30 minutes idle (the cookie age, renewed on every request), 12 hours absolute (our middleware).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
HAVEN_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60

# Sign-in lockout: this many failures for one (e-mail, IP) pair within the window lock that pair out.
HAVEN_LOCKOUT_FAILURES = 5
HAVEN_LOCKOUT_WINDOW_SECONDS = 15 * 60
HAVEN_LOCKOUT_SECONDS = 15 * 60
# Account slowdown: past this many failures on one e-mail from any address (none for this long resets the count),
# each attempt from a browser the account never signed in from waits 1 minute, then 2, 4... at most 15.
HAVEN_SLOWDOWN_FAILURES = 20
HAVEN_SLOWDOWN_WINDOW_SECONDS = 60 * 60
HAVEN_SLOWDOWN_SECONDS = 60
HAVEN_SLOWDOWN_MAX_SECONDS = 15 * 60
# A browser where someone fully signed in keeps a random token for a year, so a slowdown does not hold them back.
HAVEN_KNOWN_BROWSER_COOKIE = "haven_browser"
HAVEN_KNOWN_BROWSER_SECONDS = 365 * 24 * 60 * 60
HAVEN_KNOWN_BROWSERS_PER_USER = 10
# Number of reverse proxies in front of the app whose X-Forwarded-For entries are trusted (0: use REMOTE_ADDR).
HAVEN_TRUSTED_PROXIES = int(os.environ.get("HAVEN_TRUSTED_PROXIES", "0"))

OTP_TOTP_ISSUER = "Haven"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [SRC_DIR / "haven" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT: Path | None = VAR_DIR / "static"


def asset_storage(environ: dict[str, str]) -> dict[str, Any]:
    """Where the assets under creative review are kept (safeguarding): never under the web root, read only through
    the view that checks access. The file system under var/assets by default; an S3-compatible store when
    HAVEN_ASSET_BUCKET is set (with HAVEN_ASSET_ENDPOINT for a store other than AWS, and the usual AWS_* keys)."""
    bucket = environ.get("HAVEN_ASSET_BUCKET", "")
    if not bucket:
        location = environ.get("HAVEN_ASSET_DIR") or str(VAR_DIR / "assets")
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "location": environ.get("HAVEN_ASSET_PREFIX", "assets"),
    }
    if environ.get("HAVEN_ASSET_ENDPOINT"):
        options["endpoint_url"] = environ["HAVEN_ASSET_ENDPOINT"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": VAR_DIR / "files"}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "assets": asset_storage(dict(os.environ)),
}

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

MAILERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = "Haven <no-reply@haven.invalid>"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
# Production (settings/production.py) logs JSON lines, each with its request's id, and one line per request.

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Uploads stay in memory and are never written to disk (imports read them and let them go). A larger upload is
# not received at all: the form then asks for a file of at most this size (core.forms.table_file_field).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# An import's confirmation carries its signed rows back, only the columns it uses: 50,000 rows (the reader's limit)
# take about 3 MB. A larger request is refused with a 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# One file of a creative submission (safeguarding): a video may be large. Its upload view alone streams the request
# to a temporary file (never into memory); the other views keep the 20 MB in-memory limit above.
HAVEN_ASSET_MAX_BYTES = int(os.environ.get("HAVEN_ASSET_MAX_BYTES", str(500 * 1024 * 1024)))

# Background work (report PDFs, imports, forecasts): Django's tasks framework, queued in the database by
# django-tasks-db and run by `manage.py db_worker` (`make worker`). A task is enqueued in the caller's transaction,
# so it exists only if that transaction commits. Its arguments are stored as plain JSON in an unscoped table:
# pass ids, never child-level values.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# The audit log's signed checkpoints (decision 0012): a file outside the database, by default beside the keys. A
# checkpoint is taken on demand (`manage.py audit_checkpoint`), by a timer in production, and scheduled by
# `audit.record` at most once per this many seconds (0: never).
HAVEN_AUDIT_CHECKPOINTS = Path(
    os.environ.get("HAVEN_AUDIT_CHECKPOINTS") or key_dir(BASE_DIR) / "audit-checkpoints.jsonl"
)
HAVEN_AUDIT_CHECKPOINT_EVERY = int(os.environ.get("HAVEN_AUDIT_CHECKPOINT_EVERY", "300"))

# Per-process memory cache: cached figures are keyed by their program's write token (training.version), so
# every process sees a change as soon as it is committed, whatever the cache backend.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "TIMEOUT": 6 * 60 * 60}}

# The JSON API (haven.api): requests a key may make in a clock minute before it is answered 429.
HAVEN_API_RATE_PER_MINUTE = 600

# GET /health/ (shell.health): answered 503 when the task worker's last heartbeat, the oldest task waiting to run, or
# the oldest audit entry no checkpoint covers yet is older than this (seconds).
HAVEN_HEALTH_WORKER_MAX_SECONDS = int(os.environ.get("HAVEN_HEALTH_WORKER_MAX_SECONDS", "300"))
HAVEN_HEALTH_QUEUE_MAX_SECONDS = int(os.environ.get("HAVEN_HEALTH_QUEUE_MAX_SECONDS", "600"))
HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS = int(os.environ.get("HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS", "3600"))
# How often the task worker writes its heartbeat (`manage.py task_worker`), seconds.
HAVEN_WORKER_HEARTBEAT_SECONDS = 60

# Evaluation exports (haven.evaluation): packages are kept here, outside every served path, until they are
# downloaded and their window ends (days after the build), or their data-use agreement expires; then deleted.
HAVEN_EXPORT_DIR = Path(os.environ.get("HAVEN_EXPORT_DIR") or VAR_DIR / "exports")
HAVEN_EXPORT_DAYS = int(os.environ.get("HAVEN_EXPORT_DAYS", "7"))
