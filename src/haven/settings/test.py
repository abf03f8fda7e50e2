"""The test suite: fast hashing, SQLite by default, PostgreSQL when DATABASE_URL says so."""

from .base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789abcdefghij"  # noqa: S105
HAVEN_HMAC_KEY = "test-only-hmac-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HAVEN_ALLOW_AUDIT_FLUSH = True
HAVEN_ALLOW_DEMO_DATA = True
