"""Production: every secret from the environment or a key file, HTTPS only, __Host- cookies."""

import os

from haven.keys import load_key, load_old_keys

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
ALLOWED_HOSTS = [host for host in os.environ.get("HAVEN_ALLOWED_HOSTS", "").split(",") if host]
SECRET_KEY = load_key("secret", base_dir=BASE_DIR)
# Signed with an older secret (sessions, signed values) still verifies: keys_rotate secret keeps it here.
SECRET_KEY_FALLBACKS = load_old_keys("secret", base_dir=BASE_DIR)
HAVEN_HMAC_KEY = load_key("hmac", base_dir=BASE_DIR)
# The pseudonym key's older keys: inner layers of every child's case key after a rotation (decision 0048).
HAVEN_HMAC_KEYS_OLD = load_old_keys("hmac", base_dir=BASE_DIR)
# Authenticates the audit log's entries and checkpoints; older keys still verify what they authenticated.
HAVEN_AUDIT_KEY = load_key("audit", base_dir=BASE_DIR)
HAVEN_AUDIT_KEYS_OLD = load_old_keys("audit", base_dir=BASE_DIR)
# The second factors' secrets are sealed under this key (accounts.second_factor), never in the database.
HAVEN_OTP_KEY = load_key("otp", base_dir=BASE_DIR)
HAVEN_OTP_KEYS_OLD = load_old_keys("otp", base_dir=BASE_DIR)

# Local HTTP (`make serve`): HAVEN_SSL_REDIRECT=0 keeps plain http on loopback. A deployment leaves it on.
SECURE_SSL_REDIRECT = os.environ.get("HAVEN_SSL_REDIRECT", "1") != "0"
# The health check answers on plain HTTP too, so a probe on the host can reach gunicorn without TLS.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if os.environ.get("HAVEN_BEHIND_PROXY") else None
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

# __Host- cookies: Secure, no Domain, Path=/ — they cannot be set or overwritten by a sibling subdomain.
SESSION_COOKIE_NAME = "__Host-sessionid"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_PATH = "/"
CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_PATH = "/"
HAVEN_KNOWN_BROWSER_COOKIE = "__Host-haven_browser"
LANGUAGE_COOKIE_SECURE = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": os.environ.get("HAVEN_SMTP_HOST", "localhost"),
            "port": int(os.environ.get("HAVEN_SMTP_PORT", "587")),
            "username": os.environ.get("HAVEN_SMTP_USER", ""),
            "password": os.environ.get("HAVEN_SMTP_PASSWORD", ""),
            "use_tls": True,
        },
    }
}

# Static files: collected (`manage.py collectstatic`) with content-hashed names and compressed copies, served by
# whitenoise with a year-long cache (a changed file gets a new name).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# JSON lines on stderr, each with its request's id; one line per request from haven.requests (the access log).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "haven.audit.middleware.RequestIdFilter"}},
    "formatters": {"json": {"()": "haven.core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HAVEN_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
