"""The demo: embedded SQLite under var/, keys created on first run, served on loopback.

DEBUG stays off, as in a deployment: Django's technical error pages list every URL pattern and setting, and the
demo is there to be tried by people who should see Haven's own 404 and 500 pages. `make demo` serves static files
with `runserver --insecure`. Whatever the demo does differently says so with HAVEN_DEMO.
"""

from haven.keys import load_key, load_old_keys

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = False
HAVEN_DEMO = True
# Generated people share a published password and seeded second factors: only the demo, tests and benchmarks.
HAVEN_ALLOW_DEMO_DATA = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = load_key("secret", base_dir=BASE_DIR, create=True)
# Signed with an older secret (sessions, signed values) still verifies: keys_rotate secret keeps it here.
SECRET_KEY_FALLBACKS = load_old_keys("secret", base_dir=BASE_DIR)
HAVEN_HMAC_KEY = load_key("hmac", base_dir=BASE_DIR, create=True)
# The pseudonym key's older keys: inner layers of every child's case key after a rotation (decision 0048).
HAVEN_HMAC_KEYS_OLD = load_old_keys("hmac", base_dir=BASE_DIR)
HAVEN_AUDIT_KEY = load_key("audit", base_dir=BASE_DIR, create=True)
HAVEN_AUDIT_KEYS_OLD = load_old_keys("audit", base_dir=BASE_DIR)
# The second factors' secrets are sealed under this key (accounts.second_factor), never in the database.
HAVEN_OTP_KEY = load_key("otp", base_dir=BASE_DIR, create=True)
HAVEN_OTP_KEYS_OLD = load_old_keys("otp", base_dir=BASE_DIR)
# Static files straight from the apps' static folders (no collectstatic): whitenoise reads them at start.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
