"""The production server (issue 17, item 3): the health check, the request id in JSON logs, static files through
whitenoise, and gunicorn itself serving them."""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.db.utils import OperationalError
from django.templatetags.static import static
from django.test import Client, override_settings
from django.utils import timezone

from haven.audit import services as audit
from haven.audit.middleware import RequestIdFilter
from haven.core.logs import JsonFormatter
from haven.shell import health

REPO = Path(__file__).resolve().parents[4]
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "keys" / "audit-checkpoints.jsonl"
    settings.HAVEN_AUDIT_CHECKPOINTS = path
    return path


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The health check reads the clock this many seconds from now (time passes; nothing else changes)."""
    now = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr(health.timezone, "now", lambda: now)


def _worker_beats(settings: Any) -> None:
    """A task worker starts (`task_worker`) and runs what is due: the first beat, made due at once as if its minute
    had passed, which schedules the next a minute ahead (not run by this batch)."""
    from django_tasks_db.models import DBTaskResult

    from haven.core.tasks import heartbeat_schedule

    settings.TASKS = DATABASE_BACKEND
    settings.HAVEN_WORKER_HEARTBEAT_SECONDS = 0
    heartbeat_schedule()  # the first beat, due now
    settings.HAVEN_WORKER_HEARTBEAT_SECONDS = 60
    call_command("task_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").exists()


def _get_health(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
def test_health_is_200_when_the_database_answers_a_worker_beats_and_the_log_is_checkpointed(
    client: Client, settings: Any
) -> None:
    _worker_beats(settings)
    audit.record(actor=None, action="audit.checkpoint")
    audit.checkpoint_write()
    status, body = _get_health(client)
    assert (status, body["status"], body["failing"]) == (200, "ok", [])
    assert body["database"] == {"ok": True}
    assert body["worker"]["ok"] and body["worker"]["heartbeat_age_s"] is not None
    assert body["audit_checkpoint"]["uncovered_age_s"] is None
    # Nothing but flags and ages: no person, no child, no organization.
    assert set(body) == {"status", "failing", "database", "worker", "audit_checkpoint"}


@pytest.mark.django_db(transaction=True)
def test_health_is_503_naming_the_worker_without_a_heartbeat_or_with_an_old_one(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, body = _get_health(client)
    assert (status, body["failing"]) == (503, ["worker"])
    assert body["worker"]["heartbeat_age_s"] is None

    _worker_beats(settings)
    assert _get_health(client)[0] == 200
    _later(monkeypatch, settings.HAVEN_HEALTH_WORKER_MAX_SECONDS + 1)
    status, body = _get_health(client)
    assert (status, body["failing"]) == (503, ["worker"])


@pytest.mark.django_db(transaction=True)
def test_health_is_503_naming_the_worker_when_a_due_task_waits_too_long(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from haven.audit.tasks import checkpoint_audit_log

    _worker_beats(settings)
    checkpoint_audit_log.enqueue()  # due now; no worker takes it
    assert _get_health(client)[0] == 200
    _later(monkeypatch, settings.HAVEN_HEALTH_QUEUE_MAX_SECONDS + 1)
    settings.HAVEN_HEALTH_WORKER_MAX_SECONDS = settings.HAVEN_HEALTH_QUEUE_MAX_SECONDS + 60  # the beat is still fresh
    status, body = _get_health(client)
    assert (status, body["failing"]) == (503, ["worker"])
    assert body["worker"]["oldest_waiting_s"] > settings.HAVEN_HEALTH_QUEUE_MAX_SECONDS


@pytest.mark.django_db(transaction=True)
def test_health_is_503_naming_the_audit_checkpoint_when_an_entry_stays_uncovered(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch, checkpoint_file: Path
) -> None:
    _worker_beats(settings)
    audit.checkpoint_write()
    audit.record(actor=None, action="audit.checkpoint")  # written after the checkpoint
    # The worker's limits past the clock's jump: only the checkpoint's lag is tested here.
    settings.HAVEN_HEALTH_WORKER_MAX_SECONDS = settings.HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS + 120
    settings.HAVEN_HEALTH_QUEUE_MAX_SECONDS = settings.HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS + 120
    assert _get_health(client)[0] == 200  # not old yet
    _later(monkeypatch, settings.HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS + 1)
    status, body = _get_health(client)
    assert (status, body["failing"]) == (503, ["audit_checkpoint"])
    assert body["audit_checkpoint"]["uncovered_age_s"] > settings.HAVEN_HEALTH_CHECKPOINT_MAX_SECONDS

    # A checkpoint file whose last line is not a signed checkpoint fails too, named by its error's class only.
    with checkpoint_file.open("a") as handle:
        handle.write('{"n": 99}\n')
    status, body = _get_health(client)
    assert body["audit_checkpoint"] == {"ok": False, "error": "CheckpointFileError"}
    assert str(checkpoint_file) not in json.dumps(body)


@pytest.mark.django_db
def test_health_is_503_naming_the_database_when_it_does_not_answer(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: db.internal port 5432")

    monkeypatch.setattr(connection, "cursor", refuse)
    monkeypatch.setattr(health, "connection", connection)
    body = health.health()
    assert body["status"] == "failing" and "database" in body["failing"]
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert "db.internal" not in json.dumps(body)


# -- The request id and the JSON log ---------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The request log as production writes it: JSON lines with the request id filter, captured."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("haven.requests")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_well_formed_request_id_is_kept_and_logged_with_the_request(client: Client, json_log: io.StringIO) -> None:
    given = "0123456789abcdef0123456789abcdef"
    response = client.get("/account/sign-in/?next=/care/&email=someone@example.org", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] == given
    (line,) = _lines(json_log)
    assert line["request_id"] == given
    assert (line["method"], line["path"], line["status"], line["user_id"]) == ("GET", "/account/sign-in/", 200, None)
    assert line["duration_ms"] >= 0
    # Never the query string.
    assert "someone" not in json_log.getvalue() and "next=" not in json_log.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("given", ["short", "x" * 33, "has space in it", "abc\u00e9defgh", "a/b/c/d/e/f/g"])
def test_a_malformed_request_id_is_replaced(client: Client, json_log: io.StringIO, given: str) -> None:
    response = client.get("/account/sign-in/", headers={"X-Request-ID": given})
    made = response["X-Request-ID"]
    assert made != given and len(made) == 32
    assert _lines(json_log)[0]["request_id"] == made


def test_a_signed_in_request_is_logged_with_the_users_id_only(
    signed_in: Any, make_member: Any, cac: Any, json_log: io.StringIO
) -> None:
    user = make_member("clinician", cac)
    client = signed_in(user)
    json_log.truncate(0)
    json_log.seek(0)
    client.get("/care/")
    line = _lines(json_log)[-1]
    assert (line["path"], line["user_id"]) == ("/care/", user.pk)
    assert user.email not in json_log.getvalue()


# -- Static files ------------------------------------------------------------------------------------------------


VENDORED = ["vendor/htmx.min.js", "vendor/chart.umd.min.js", "ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css"]


@pytest.mark.django_db
def test_static_files_are_served_by_whitenoise_with_debug_off(client: Client) -> None:
    assert not django_settings.DEBUG
    response = client.get("/static/vendor/htmx.min.js")
    assert response.status_code == 200
    assert type(response).__module__.startswith("whitenoise")
    assert b"htmx" in b"".join(response.streaming_content)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The production storage: collectstatic (once for the module) into a folder of its own, hashed and compressed
    names, served by whitenoise from there."""
    root = tmp_path_factory.mktemp("static")
    storages = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages, WHITENOISE_USE_FINDERS=False):
        call_command("collectstatic", "--no-input", verbosity=0)
        yield root


@pytest.mark.django_db
@pytest.mark.parametrize("name", VENDORED)
def test_collected_vendored_assets_are_served_with_a_year_long_cache(collected: Path, name: str) -> None:
    url = static(name)
    assert url != f"/static/{name}"  # a content-hashed name
    response = Client().get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "immutable", "max-age=315360000"} <= cache_control
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs before whitenoise
    assert response.get("Content-Encoding") == "gzip"


@pytest.mark.django_db
def test_pages_keep_their_security_headers_with_whitenoise(collected: Path) -> None:
    response = Client().get("/account/sign-in/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}
    assert static("vendor/htmx.min.js").encode() in response.content


# -- gunicorn itself ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_gunicorn_serves_the_health_check_and_static_files(tmp_path: Path) -> None:
    """gunicorn with the repository's gunicorn.conf.py, 2 workers, the test settings and a migrated SQLite database
    of its own, on loopback: /health/ answers JSON, a vendored file is served."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "HAVEN_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints.jsonl"),
        "HAVEN_BIND": f"127.0.0.1:{port}",
        "HAVEN_WORKERS": "2",
        "PYTHONPATH": str(REPO / "src"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=env, check=True, timeout=300
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, headers = _get(f"{base}/health/")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        result = json.loads(body)
        assert result["database"] == {"ok": True}
        # No task worker runs here: the check says so.
        assert (status, result["failing"]) == (503, ["worker"])
        assert "X-Request-ID" in headers
        status, body, headers = _get(f"{base}/static/vendor/htmx.min.js")
        assert status == 200 and b"htmx" in body
    finally:
        server.terminate()
        server.wait(timeout=40)
    assert server.returncode == 0
