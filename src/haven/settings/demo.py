"""The demo: embedded SQLite under var/, keys created on first run, served on loopback."""

from haven.keys import load_key, load_old_keys

from .base import *  # noqa: F403
from .base import BASE_DIR

DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = load_key("secret", base_dir=BASE_DIR, create=True)
HAVEN_HMAC_KEY = load_key("hmac", base_dir=BASE_DIR, create=True)
HAVEN_AUDIT_KEY = load_key("audit", base_dir=BASE_DIR, create=True)
HAVEN_AUDIT_KEYS_OLD = load_old_keys("audit", base_dir=BASE_DIR)
