"""Two server processes on one SQLite database: a workforce write through one is seen through the other at once.

Each gunicorn process keeps its own in-memory cache of the figures; what makes the second one answer the new figure
is what the write kept in the database (the kept path and the workforce version), in the write's transaction.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from haven.core.tests.test_serve import REPO, _free_port

# Run in a process of its own against the servers' database (``python -c``): a program whose one clinician has
# attended nine consultation calls over six months, so that only the online course is missing to be trained,
# and a key of the national office that reads the figures and pushes course completions.
WORLD = """
import json
from datetime import timedelta
import django
django.setup()
from haven.accounts.tests.factories import UserFactory
from haven.api import keys
from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory
from haven.training import services
from haven.training.tests.factories import calls_of, enroll, make_cohort, make_program

national = NationalOfficeFactory(name="National Children's Alliance")
cac = CacFactory(name="Franklin County CAC", parent__parent=national, parent__name="Ohio Chapter")
admin = UserFactory()
Membership.objects.create(user=admin, organization=national, role=Role.PROGRAM_ADMIN)
clinician = UserFactory()
Membership.objects.create(user=clinician, organization=cac, role=Role.CLINICIAN)
program = make_program(national)
cohort = make_cohort(program=program, actor=admin, trainers=[])
person = enroll(program=program, cac=cac, clinician=clinician, actor=admin, cohort=cohort)
calls = calls_of(cohort)
for call in calls[:9]:
    services.attendance_record(actor=admin, call=call, present_ids={person.pk})
services.attendance_record(actor=admin, call=calls[11], present_ids=set())
membership = Membership.objects.in_org(national).get(user=admin)
_key, secret = keys.key_create(
    membership=membership, label="Course provider", scopes=[keys.FIGURES_READ, keys.TRAINING_WRITE]
)
print(json.dumps({"secret": secret, "program": program.pk, "email": clinician.email,
                  "course_on": (cohort.live_training_on - timedelta(days=3)).isoformat()}))
"""


def _request(url: str, secret: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=data,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _serve(stack: ExitStack, env: dict[str, str]) -> str:
    """A gunicorn of one worker on a port of its own; its address once it answers."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env={**env, "HAVEN_BIND": f"127.0.0.1:{port}", "HAVEN_WORKERS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def stop() -> None:
        server.terminate()
        server.wait(timeout=40)

    stack.callback(stop)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/health/", timeout=5).close()  # noqa: S310 - loopback
            return base
        except urllib.error.HTTPError:
            return base  # 503 (no task worker here) is an answer
        except OSError:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)


def _figures(base: str, secret: str, program: int) -> dict[str, Any]:
    status, body = _request(f"{base}/api/v1/figures/program?program={program}", secret)
    assert status == 200, body
    return dict(body["workforce"])


def _servers(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, Any]]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "haven.settings.test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'two.sqlite3'}",
        "HAVEN_AUDIT_CHECKPOINTS": str(tmp_path / "checkpoints.jsonl"),
        "PYTHONPATH": str(REPO / "src"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=env, check=True, timeout=300
    )
    made = subprocess.run(
        [sys.executable, "-c", WORLD], cwd=REPO, env=env, check=True, timeout=300, capture_output=True, text=True
    )
    world = json.loads(made.stdout.strip().splitlines()[-1])
    with ExitStack() as stack:
        yield _serve(stack, env), _serve(stack, env), world


def test_a_workforce_write_through_one_server_is_seen_through_the_other_at_once(tmp_path: Path) -> None:
    for first, second, world in _servers(tmp_path):
        secret, program = world["secret"], world["program"]
        # Both processes read the figures, and each caches them in its own memory.
        for base in (first, second, first, second):
            assert (_figures(base, secret, program)["placed"], _figures(base, secret, program)["trained"]) == (1, 0)
        # The online course's completion, pushed through the first server, makes the clinician trained ...
        status, body = _request(
            f"{first}/api/v1/training/completions",
            secret,
            {
                "program": program,
                "completions": [
                    {"id": "c-1", "email": world["email"], "course": "tf-cbtweb", "completed_on": world["course_on"]}
                ],
            },
        )
        assert (status, body["created"]) == (200, 1), body
        # ... and the second server, whose cache held the figures from before, says so at once.
        assert _figures(second, secret, program)["trained"] == 1
        assert _figures(first, secret, program)["trained"] == 1
