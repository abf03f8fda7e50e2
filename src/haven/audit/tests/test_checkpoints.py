"""Checkpoints of the audit log: on demand, on the schedule ``audit.record`` keeps, from several processes at once."""

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

import haven
from haven.audit import checkpoints, services
from haven.audit.chain import GENESIS_HASH
from haven.audit.keyring import keyring
from haven.audit.models import AuditEntry


def record_n(count: int) -> None:
    for n in range(count):
        services.record(actor=None, action="auth.sign_in_failed", detail={"n": n})


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def file_checkpoints(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_checkpoint_records_itself_in_the_log_and_covers_that_entry(checkpoint_file: Path, db: None) -> None:
    record_n(3)
    assert run("audit_checkpoint") == f"Checkpoint 1 covers #4, written to {checkpoint_file}.\n"
    entry = AuditEntry.objects.dangerously_unscoped().get(seq=4)
    assert (entry.action, entry.detail, entry.actor_id, entry.organization_id) == (
        "audit.checkpoint",
        {"checkpoint": 1},
        None,
        None,
    )
    keys = keyring()
    [line] = file_checkpoints(checkpoint_file)
    assert {name: line[name] for name in ("n", "seq", "hash", "key_id", "prev")} == {
        "n": 1,
        "seq": 4,
        "hash": entry.hash,
        "key_id": keys.current_id,
        "prev": GENESIS_HASH,
    }
    assert checkpoints.signed(checkpoints.parse(json.dumps(line)), keys.keys)
    # Kept beside the keys: readable by their owner only.
    assert (checkpoint_file.stat().st_mode & 0o777, checkpoint_file.parent.stat().st_mode & 0o777) == (0o600, 0o700)

    record_n(2)
    assert run("audit_checkpoint") == f"Checkpoint 2 covers #7, written to {checkpoint_file}.\n"
    first, second = file_checkpoints(checkpoint_file)
    assert (second["n"], second["seq"], second["prev"]) == (2, 7, first["sig"])
    assert run("audit_verify").splitlines() == [
        "Audit log intact: 7 entries, #1 to #7.",
        f"Authenticated: 7 with key {keys.current_id}.",
        f"Checkpoint 2 of {second['at']} covers #7; 0 entries written since.",
    ]
    record_n(3)
    assert run("audit_verify").splitlines()[2] == f"Checkpoint 2 of {second['at']} covers #7; 3 entries written since."


def test_if_new_takes_a_checkpoint_only_when_the_log_moved_on(checkpoint_file: Path, db: None) -> None:
    assert run("audit_checkpoint", "--if-new") == "Nothing new since the last checkpoint.\n"
    record_n(1)
    assert run("audit_checkpoint", "--if-new").startswith("Checkpoint 1 covers #2,")
    assert run("audit_checkpoint", "--if-new") == "Nothing new since the last checkpoint.\n"
    record_n(1)
    assert run("audit_checkpoint", "--if-new").startswith("Checkpoint 2 covers #4,")
    assert [line["seq"] for line in file_checkpoints(checkpoint_file)] == [2, 4]


def test_no_checkpoint_is_appended_to_a_file_whose_last_line_the_key_never_wrote(
    checkpoint_file: Path, db: None
) -> None:
    record_n(1)
    run("audit_checkpoint")
    line = file_checkpoints(checkpoint_file)[0] | {"seq": 99}
    with checkpoint_file.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    with pytest.raises(CommandError) as refused:
        run("audit_checkpoint")
    assert str(refused.value) == f"The last line of {checkpoint_file} is not a valid checkpoint: run audit_verify."
    assert AuditEntry.objects.dangerously_unscoped().count() == 2
    assert len(file_checkpoints(checkpoint_file)) == 2


def test_record_schedules_a_checkpoint_at_most_once_per_interval(
    checkpoint_file: Path, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any], db: None
) -> None:
    settings.HAVEN_AUDIT_CHECKPOINT_EVERY = 300
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            record_n(1)
    # The first commit enqueued the task (run inline in tests); the next two fell within the interval.
    assert [(line["n"], line["seq"]) for line in file_checkpoints(checkpoint_file)] == [(1, 2)]
    cache.delete(services._CHECKPOINT_SCHEDULED)  # the interval has passed
    with django_capture_on_commit_callbacks(execute=True):
        record_n(1)
    assert [(line["n"], line["seq"]) for line in file_checkpoints(checkpoint_file)] == [(1, 2), (2, 6)]
    assert AuditEntry.objects.dangerously_unscoped().order_by("seq").values_list("action", flat=True)[5] == (
        "audit.checkpoint"
    )


def test_no_checkpoint_is_scheduled_when_the_interval_is_zero(
    checkpoint_file: Path, settings: Any, django_capture_on_commit_callbacks: Callable[..., Any], db: None
) -> None:
    settings.HAVEN_AUDIT_CHECKPOINT_EVERY = 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record_n(2)
    assert (callbacks, checkpoint_file.exists()) == ([], False)


def test_a_checkpoint_that_cannot_be_taken_never_fails_the_write_it_follows(
    checkpoint_file: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    db: None,
) -> None:
    settings.HAVEN_AUDIT_CHECKPOINT_EVERY = 300
    checkpoint_file.parent.mkdir(parents=True)
    checkpoint_file.write_text("not a checkpoint\n")
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        record_n(1)
    assert AuditEntry.objects.dangerously_unscoped().count() == 1
    assert "is not a valid checkpoint" in caplog.text
    assert checkpoint_file.read_text() == "not a checkpoint\n"


@pytest.mark.django_db(transaction=True)
def test_several_processes_take_checkpoints_at_once_without_breaking_the_file(
    tmp_path: Path, checkpoint_file: Path
) -> None:
    writers, rounds = 3, 8
    src = Path(haven.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")])),
        "HAVEN_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
        "HAVEN_TEST_READY_PREFIX": str(tmp_path / "ready-"),
        "HAVEN_TEST_START_FILE": str(tmp_path / "start"),
        "HAVEN_AUDIT_CHECKPOINTS": str(checkpoint_file),
    }
    command = [sys.executable, "-m", "haven.audit.tests.concurrent_writer"]
    processes = [
        subprocess.Popen(
            [*command, str(writer), str(rounds), "checkpoint"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for writer in range(writers)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("ready-*"))) < writers and time.monotonic() < deadline:
            if any(process.poll() is not None for process in processes):
                break
            time.sleep(0.01)
        (tmp_path / "start").touch()
        outcomes = [process.communicate(timeout=180) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err.decode()

    lines = file_checkpoints(checkpoint_file)
    assert [line["n"] for line in lines] == list(range(1, writers * rounds + 1))
    check = checkpoints.check_lines(checkpoint_file.read_text().splitlines(), keyring().keys)
    assert (len(check.valid), check.notes) == (writers * rounds, [])
    # Each checkpoint covers the entry that recorded it.
    recorded = dict(
        AuditEntry.objects.dangerously_unscoped()
        .filter(action="audit.checkpoint")
        .values_list("detail__checkpoint", "seq")
    )
    assert {line["n"]: line["seq"] for line in lines} == recorded
    assert run("audit_verify").startswith(f"Audit log intact: {2 * writers * rounds} entries,")
