"""The care batch's rate through the API (issue 16, item 7: 5,000 sessions at 20,000 records a second or more, with
their refreshes).

    .venv/bin/python bench/api_batch.py          (SESSIONS=5000 EPISODES=500 RUNS=5 by default)

On its own SQLite database (`var/bench-api.sqlite3`, migrated when missing): a national office with its program, a
CAC with 10 clinicians placed in a cohort, and a care:write key of the CAC. Each run, rolled back after: one
untimed batch of EPISODES children with their episodes, then the timed one: SESSIONS sessions spread over those
episodes, posted as JSON through Django's test client and every middleware (the key checked, the rate counted,
the document validated, the records checked and written, the episodes, children served and the figure cells
refreshed, the audit entry written). Then the same batch again (everything unchanged). Prints the medians of
RUNS runs after one untimed run, then one JSON line with `api_batch_records_per_s` (the creating batch).
"""

import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CLINICIANS = 10


class _Rollback(Exception):
    pass


def _check(condition: bool, problem: Any) -> None:
    if not condition:
        sys.exit(f"The batch did not do its work: {problem!r}")


def _batches(episodes: int, sessions: int, today: Any) -> tuple[str, str]:
    emails = [f"clinician{n}@cac.example" for n in range(CLINICIANS)]
    referred = (today - timedelta(days=400)).isoformat()
    first = {
        "children": [
            {
                "id": f"child-{n}",
                "case_number": f"NCA-{n:06d}",
                "age_at_referral": 6 + n % 12,
                "gender": ("girl", "boy")[n % 2],
                "trauma_types": ["sexual_abuse"],
                "referred_on": referred,
            }
            for n in range(episodes)
        ],
        "episodes": [
            {
                "id": f"episode-{n}",
                "case_number": f"NCA-{n:06d}",
                "treatment_model": "tf-cbt",
                "clinician": emails[n % CLINICIANS],
                "referred_on": referred,
            }
            for n in range(episodes)
        ],
    }
    second = {
        "sessions": [
            {
                "id": f"session-{n}",
                "episode": f"episode-{n % episodes}",
                "clinician": emails[(n % episodes) % CLINICIANS],
                "held_on": (today - timedelta(days=390 - n // episodes)).isoformat(),
                "minutes": 60,
                "kind": ("child", "caregiver", "conjoint")[n % 3],
                "components": ["p", "r", "a", "c", "t", "i", "cj", "e"][: 1 + (n // episodes) % 8],
                "caregiver_present": n % 3 != 0,
            }
            for n in range(sessions)
        ]
    }
    return json.dumps(first), json.dumps(second)


def main() -> None:
    sessions = int(os.environ.get("SESSIONS", "5000"))
    episodes = int(os.environ.get("EPISODES", "500"))
    runs = int(os.environ.get("RUNS", "5"))
    os.environ["DATABASE_URL"] = "sqlite:///bench-api.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from haven.accounts.models import User
    from haven.api import keys
    from haven.care.models import Session
    from haven.organizations.models import Membership, Organization
    from haven.organizations.roles import OrganizationKind, Role
    from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory
    from haven.training.tests.factories import enroll, make_cohort, make_program

    call_command("migrate", verbosity=0)
    today = timezone.now().date()
    first, second = _batches(episodes, sessions, today)

    def member(role: str, organization: Organization, email: str) -> User:
        user = User.objects.create_user(email=email, full_name=email.split("@")[0])
        Membership.objects.create(user=user, organization=organization, role=role)
        return user

    created: list[float] = []
    again: list[float] = []
    for run in range(runs + 1):
        try:
            with transaction.atomic():
                national = NationalOfficeFactory()
                cac = CacFactory(parent__parent=national)
                provider = OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER)
                program = make_program(national)
                admin = member(Role.PROGRAM_ADMIN, national, "admin@national.example")
                cohort = make_cohort(
                    program=program, actor=admin, trainers=[member(Role.TRAINER, provider, "t@provider.example")]
                )
                for n in range(CLINICIANS):
                    user = member(Role.CLINICIAN, cac, f"clinician{n}@cac.example")
                    enroll(program=program, cac=cac, clinician=user, actor=admin, cohort=cohort)
                cac_admin = member(Role.ORG_ADMIN, cac, "director@cac.example")
                _key, secret = keys.key_create(
                    membership=Membership.objects.in_org(cac).get(user=cac_admin),
                    label="Case system",
                    scopes=[keys.CARE_WRITE],
                )
                client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
                response = client.post("/api/v1/care/batch", first, content_type="application/json")
                _check(response.status_code == 200 and not response.json()["errors"], response.content[:500])
                profile = cProfile.Profile() if os.environ.get("PROFILE") else None
                start = time.perf_counter()
                if profile:
                    profile.enable()
                response = client.post("/api/v1/care/batch", second, content_type="application/json")
                took = time.perf_counter() - start
                if profile:
                    profile.disable()
                    pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
                body = response.json()
                _check(response.status_code == 200 and body["created"]["sessions"] == sessions, body["errors"][:3])
                _check(Session.objects.in_org(cac).count() == sessions, "sessions missing")
                start = time.perf_counter()
                response = client.post("/api/v1/care/batch", second, content_type="application/json")
                took_again = time.perf_counter() - start
                _check(response.json()["unchanged"]["sessions"] == sessions, "the second send changed something")
                if run:
                    created.append(took)
                    again.append(took_again)
                raise _Rollback
        except _Rollback:
            pass
    median, median_again = statistics.median(created), statistics.median(again)
    load = os.getloadavg()[0]
    print(f"{sessions} sessions over {episodes} episodes, median of {runs} runs, load average {load:.2f}")
    print(f"{'batch':<34}{'seconds':>9}{'records/s':>12}")
    print(f"{'new sessions (created)':<34}{median:>9.3f}{sessions / median:>12,.0f}")
    print(f"{'the same batch again (unchanged)':<34}{median_again:>9.3f}{sessions / median_again:>12,.0f}")
    print(
        json.dumps(
            {
                "api_batch_records_per_s": round(sessions / median),
                "api_batch_again_records_per_s": round(sessions / median_again),
                "seconds": round(median, 3),
                "load": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
