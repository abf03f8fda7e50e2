"""Haven under load (issue 17, item 4): locust, headless, on loopback, bounded in users and time, against gunicorn
with WORKERS processes and a task worker.

    .venv/bin/python bench/load.py                          (SQLite: SCALE=program USERS=100 SECONDS=60 WORKERS=4)
    LOAD_MIX=writers USERS=20 .venv/bin/python bench/load.py       (20 clinicians writing at once)
    make load [DB=postgres] [SCALE=...] [USERS=...] [LOAD_MIX=writers] [LOAD_THINK=5,15]
    SCALE=national bash bench/postgres.sh .venv/bin/python bench/load.py    (or: make load DB=postgres)

The bench's database of the scale (made by ``make bench``) is copied first (SQLite's online backup, or
PostgreSQL's ``CREATE DATABASE ... TEMPLATE``), so the writes of the load never reach it. The people to play are
taken from the copy: clinicians with open episodes (each with a measure their child's age allows), the program
admin, the funder, signed in as the sign-in flow would (second factor included), their session cookies handed to
locust. An untimed run of WARMUP seconds (30) comes first: the server processes fill their caches and the users
ramp up. Prints locust's figures per request and one JSON line: `load_p95_ms`, `load_requests`, `load_failures`,
`load_locked` (the server's "database is locked" errors), and the run's settings.

The generator queues every creative file it made for OCR (thousands at national scale, a second or more of
Tesseract each on both cores). A deployment reads a file as it comes, a few a day; a backlog read during the run
would take half the machine from the users. So the copy's waiting OCR tasks are set aside before the run
(`ocr_set_aside` in the JSON): the worker runs what the load itself queues.
"""

import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))
CLINICIANS = 60  # people played by the clinicians' users (several users may play one)
EPISODES = 5  # open episodes each may write to


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _copy_database(scale: str) -> str:
    """The URL of a fresh copy of the bench's database of ``scale``."""
    postgres = os.environ.get("BENCH_DATABASE_URL")
    if postgres:
        import psycopg

        base, _, source = postgres.rpartition("/")
        target = f"{source}_load"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{target}"')
            db.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        return f"{base}/{target}"
    source_path = ROOT / "var" / f"bench-{scale}.sqlite3"
    if not source_path.exists():
        sys.exit(f"var/{source_path.name} is missing: run `make bench SCALE={scale}` first (it generates it).")
    target_path = ROOT / "var" / f"load-{scale}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source_path) as source_db, sqlite3.connect(target_path) as target_db:
        source_db.backup(target_db)
    return f"sqlite:///{target_path.name}"


def _people() -> dict[str, list[dict[str, Any]]]:
    """Who the users play, signed in on the copy."""
    from django.conf import settings
    from django.test import Client

    from haven.accounts.models import User
    from haven.care import selectors as care_selectors
    from haven.care.models import Episode, EpisodeStatus
    from haven.conftest import sign_in_client

    def cookie(user: User) -> dict[str, Any]:
        client = sign_in_client(Client(HTTP_HOST="127.0.0.1"), user)
        return {
            "cookie_name": settings.SESSION_COOKIE_NAME,
            "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }

    open_episodes = (
        Episode.objects.dangerously_unscoped()
        .filter(status=EpisodeStatus.OPEN, clinician__is_active=True)
        .select_related("child", "clinician")
        .order_by("clinician_id", "id")
    )
    by_clinician: dict[int, list[Episode]] = {}
    for episode in open_episodes.iterator(2000):
        mine = by_clinician.setdefault(episode.clinician_id, [])
        if len(mine) < EPISODES:
            mine.append(episode)
        if len(by_clinician) > CLINICIANS:
            break
    clinicians = []
    for episodes in list(by_clinician.values())[:CLINICIANS]:
        described = []
        for episode in episodes:
            instrument = care_selectors.instruments_for(episode.child)[0]
            items = [(item.key, item.minimum, item.maximum) for item in instrument.items]
            described.append({"id": episode.pk, "instrument": instrument.code, "items": items})
        clinicians.append({**cookie(episodes[0].clinician), "episodes": described})
    admins = [cookie(User.objects.get(email="program.admin@haven.example"))]
    funders = [cookie(User.objects.get(email="funder@haven.example"))]
    return {"clinicians": clinicians, "admins": admins, "funders": funders}


def _set_aside_ocr_backlog() -> int:
    """Delete, in the copy, the OCR tasks the generator queued and no worker ran yet; how many."""
    from django_tasks_db.models import DBTaskResult

    from haven.safeguarding import tasks

    waiting = DBTaskResult.objects.filter(task_path=tasks.read_asset.module_path, status="READY")
    return waiting.delete()[0]


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (loopback, our own server)
                return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"The server did not answer at {url} within {seconds:.0f} s.")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    scale = os.environ.get("SCALE", "program")
    users = int(os.environ.get("USERS", "100"))
    seconds = int(os.environ.get("SECONDS", "60"))
    workers = int(os.environ.get("WORKERS", "4"))
    mix = os.environ.get("LOAD_MIX", "mixed")
    think = os.environ.get("LOAD_THINK", "1,3")  # seconds between a user's actions (bench/locustfile.py)
    warmup = int(os.environ.get("WARMUP", "30"))
    url = _copy_database(scale)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "haven.settings.demo"),
        "PYTHONPATH": str(ROOT / "src"),
    }
    os.environ.update({key: env[key] for key in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")})
    import django

    django.setup()
    people = _people()
    set_aside = _set_aside_ocr_backlog()
    from django.db import connection

    vendor = connection.vendor
    connection.close()
    out = ROOT / "var" / "load"
    out.mkdir(parents=True, exist_ok=True)
    (out / "people.json").write_text(json.dumps(people))
    port = _free_port()
    server_log = (out / "server.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 (our own executables)
        [
            str(BIN / "gunicorn"),
            "haven.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "10",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(  # noqa: S603
        [str(BIN / "python"), "manage.py", "task_worker", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
    )
    try:
        from django.conf import settings
        from django.shortcuts import resolve_url

        _wait_for(f"http://127.0.0.1:{port}{resolve_url(settings.LOGIN_URL)}", 60)
        spawn = max(1, users // 10)
        options = [
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(spawn),
            "--host",
            f"http://127.0.0.1:{port}",
        ]
        options += ["--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]

        def locust(run_seconds: int, name: str) -> None:
            subprocess.run(  # noqa: S603
                [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), *options]
                + ["--run-time", f"{run_seconds}s", "--csv", str(out / name)],
                cwd=ROOT,
                env={**env, "LOAD_PEOPLE": str(out / "people.json"), "LOAD_MIX": mix, "LOAD_THINK": think},
                check=False,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        # Untimed first: each server process fills its caches (figures are cached per process, under versions
        # kept in the database) and the users ramp up; then the measured run.
        locust(warmup, "warmup")
        locust(seconds, "run")
    finally:
        _stop(server)
        _stop(worker)
        server_log.close()
    rows = list(csv.DictReader((out / "run_stats.csv").open()))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    locked = (out / "server.log").read_text(errors="replace").count("database is locked")
    print(f"{'request':<28}{'count':>8}{'failures':>10}{'median ms':>11}{'p95 ms':>9}")
    for row in rows:
        print(f"{row['Name']:<28}{row['Request Count']:>8}{row['Failure Count']:>10}{row['50%']:>11}{row['95%']:>9}")
    print(
        json.dumps(
            {
                "load_p95_ms": float(total["95%"]),
                "load_median_ms": float(total["50%"]),
                "load_requests": int(total["Request Count"]),
                "load_failures": int(total["Failure Count"]),
                "load_locked": locked,
                "load_rps": round(float(total["Requests/s"]), 1),
                "engine": vendor,
                "scale": scale,
                "users": users,
                "mix": mix,
                "think_seconds": think,
                "workers": workers,
                "seconds": seconds,
                "warmup_seconds": warmup,
                "load_avg": round(os.getloadavg()[0], 2),
                "ocr_set_aside": set_aside,
            }
        )
    )


if __name__ == "__main__":
    main()
