"""The test suite: fast hashing, SQLite by default, PostgreSQL when DATABASE_URL says so."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SECRET_KEY = "test-only-secret-key-not-for-any-deployment-0123456789abcdefghij"  # noqa: S105
SECRET_KEY_FALLBACKS: list[str] = []
HAVEN_HMAC_KEY = "test-only-hmac-key"
HAVEN_HMAC_KEYS_OLD: list[str] = []
HAVEN_AUDIT_KEY = "test-only-audit-key"
HAVEN_AUDIT_KEYS_OLD: list[str] = []
HAVEN_OTP_KEY = "test-only-otp-key"
HAVEN_OTP_KEYS_OLD: list[str] = []
# No checkpoints scheduled by audit.record: the tests that want them take them, into a file of their own.
HAVEN_AUDIT_CHECKPOINT_EVERY = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HAVEN_ALLOW_AUDIT_FLUSH = True
HAVEN_ALLOW_DEMO_DATA = True
# The replica of the reporting reads, as a mirror of the test database: a test turns the router on
# (core/tests/test_routers.py) and sees which connection each read went to.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
DATABASE_ROUTERS = ["haven.core.routers.PrimaryOnlyRouter"]
# Tasks run inline, inside enqueue(), so a test sees their effects at once. The immediate backend keeps no results
# (get_result is not supported): a task's outcome belongs in our own models. To exercise the database backend
# itself: TASKS from base, a transactional test, and `call_command("db_worker", "--batch", "--no-reload")`.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
# Static files straight from the apps' static folders, as in the demo (a test of the production storage collects
# them into a folder of its own).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Evaluation packages written by the tests: a folder of the machine's temporary space, never var/.
HAVEN_EXPORT_DIR = Path(tempfile.gettempdir()) / "haven-test-exports"
