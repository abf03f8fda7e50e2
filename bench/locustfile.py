"""The users of the load test (``bench/load.py`` runs it: read its docstring). Locust loads this file in its own
process; the people to play (their session cookies, episodes and a measure each can record) come from the JSON
file named by ``LOAD_PEOPLE``, written by ``bench/load.py`` from the database the server runs on.

Clinicians record sessions and measures and read their caseload; program admins read the dashboards; funders read
theirs and download the quarter's table. ``LOAD_MIX=writers`` keeps the clinicians only.
"""

import itertools
import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, task

PEOPLE: dict[str, list[dict[str, Any]]] = json.loads(open(os.environ["LOAD_PEOPLE"]).read())  # noqa: SIM115
WRITERS_ONLY = os.environ.get("LOAD_MIX") == "writers"
# Seconds a user waits between two actions, at random between the two bounds (``LOAD_THINK``, "1,3" by default:
# faster than a person reads a page; "5,15" is closer to people at work).
THINK = tuple(float(bound) for bound in os.environ.get("LOAD_THINK", "1,3").split(","))
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RANDOM = random.Random()  # which episode and answers: not a secret  # noqa: S311


def _yesterday() -> str:
    """A day that is past in every time zone the server may keep (a session may not be dated in the future)."""
    return (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


_turns = {role: itertools.cycle(people) for role, people in PEOPLE.items() if people}


class _Person(HttpUser):
    abstract = True
    role = ""
    wait_time = between(*THINK)

    def on_start(self) -> None:
        self.me = next(_turns[self.role])
        self.client.cookies.set(self.me["cookie_name"], self.me["session"])

    def token(self, url: str, name: str) -> str:
        page = self.client.get(url, name=name)
        found = TOKEN.search(page.text)
        return found.group(1) if found else ""


class Clinician(_Person):
    role = "clinicians"
    weight = 6

    @task(3)
    def caseload(self) -> None:
        self.client.get("/care/", name="caseload")

    @task(2)
    def record_session(self) -> None:
        episode = RANDOM.choice(self.me["episodes"])
        url = f"/care/episodes/{episode['id']}/"
        token = self.token(url, "episode")
        form = {
            "csrfmiddlewaretoken": token,
            "held_on": _yesterday(),
            "minutes": "60",
            "kind": RANDOM.choice(("child", "caregiver", "conjoint")),
            "modality": "in_person",
        }
        with self.client.post(f"{url}sessions/", data=form, name="record a session", catch_response=True) as answer:
            if answer.status_code not in (200, 302):
                answer.failure(f"{answer.status_code}")

    @task(1)
    def record_measure(self) -> None:
        episode = RANDOM.choice(self.me["episodes"])
        url = f"/care/episodes/{episode['id']}/measures/new/?instrument={episode['instrument']}"
        token = self.token(url, "measure form")
        form = {
            "csrfmiddlewaretoken": token,
            "instrument": episode["instrument"],
            "timepoint": "periodic",
            "administered_on": _yesterday(),
            **{f"item_{key}": str(RANDOM.randint(low, high)) for key, low, high in episode["items"]},
        }
        path = f"/care/episodes/{episode['id']}/measures/new/"
        with self.client.post(path, data=form, name="record a measure", catch_response=True) as answer:
            if answer.status_code not in (200, 302):
                answer.failure(f"{answer.status_code}")


class ProgramAdmin(_Person):
    role = "admins"
    weight = 0 if WRITERS_ONLY else 2

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/reporting/", name="program dashboard")

    @task(1)
    def workforce(self) -> None:
        self.client.get("/training/", name="workforce")


class Funder(_Person):
    role = "funders"
    weight = 0 if WRITERS_ONLY else 1

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/reporting/funder/", name="funder dashboard")

    @task(1)
    def download(self) -> None:
        self.client.get("/reporting/funder/export.csv", name="funder download")
