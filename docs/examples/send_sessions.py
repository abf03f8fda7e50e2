#!/usr/bin/env python3
"""Send a CAC case system's session export to Haven's API (``POST /api/v1/care/batch``).

The export is a CSV with one row per session, each row carrying its child and episode (the columns of
``sessions_export.csv``, in the style of an NCAtrak services report). The script maps the rows to Haven's records,
keyed by the export's own ids, and sends them in batches of whole cases; Haven answers each record it refused with
what is wrong, which the script prints. Sending the same export again is safe: records already sent are unchanged.

    HAVEN_API_KEY=hvn_... python3 send_sessions.py sessions_export.csv [--url http://127.0.0.1:8000] [--dry-run]

Standard library only (csv, json, urllib), so it runs wherever Python 3.10+ does.
"""

import argparse
import csv
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

SESSIONS_PER_BATCH = 1_000

GENDERS = {"female": "girl", "girl": "girl", "male": "boy", "boy": "boy", "other": "another"}
RACES = {
    "american indian or alaska native": "american_indian",
    "asian": "asian",
    "black or african american": "black",
    "hispanic or latino": "hispanic",
    "native hawaiian or other pacific islander": "pacific_islander",
    "white": "white",
    "two or more": "multiple",
    "multiracial": "multiple",
}
TRAUMAS = {
    "sexual abuse": "sexual_abuse",
    "physical abuse": "physical_abuse",
    "neglect": "neglect",
    "witness to domestic violence": "domestic_violence",
    "community violence": "community_violence",
    "traumatic loss": "traumatic_loss",
    "exploitation": "exploitation",
    "trafficking": "exploitation",
}
SESSION_KINDS = {"individual - child": "child", "caregiver": "caregiver", "conjoint": "conjoint"}
COMPONENTS = {"P": "p", "R": "r", "A": "a", "C": "c", "T": "t", "I": "i", "CJ": "cj", "E": "e"}
MODELS = {"tf-cbt": "tf-cbt"}


def _yes(value: str) -> bool:
    return value.strip().upper() in {"Y", "YES", "TRUE", "1"}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def child_of(row: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row["Case ID"],
        "case_number": row["Case Number"],
        "age_at_referral": int(row["Child Age"]),
        "gender": GENDERS.get(row["Child Gender"].strip().lower(), "not_recorded"),
        "race_ethnicity": RACES.get(row["Race/Ethnicity"].strip().lower(), "not_recorded"),
        "trauma_types": [TRAUMAS.get(kind.lower(), "other") for kind in _split(row["Abuse Types"])],
        "referred_on": row["Referral Date"],
    }


def episode_of(row: dict[str, str]) -> dict[str, Any]:
    # The export has one treatment episode per case: its id is the case's, marked as an episode's.
    return {
        "id": f"episode:{row['Case ID']}",
        "case_number": row["Case Number"],
        "treatment_model": MODELS.get(row["Treatment Model"].strip().lower(), row["Treatment Model"].strip().lower()),
        "clinician": row["Clinician Email"].strip(),
        "referred_on": row["Referral Date"],
    }


def session_of(row: dict[str, str]) -> dict[str, Any]:
    return {
        "id": row["Service ID"],
        "episode": f"episode:{row['Case ID']}",
        "clinician": row["Clinician Email"].strip(),
        "held_on": row["Service Date"],
        "minutes": int(row["Duration (min)"]),
        "kind": SESSION_KINDS.get(row["Session Type"].strip().lower(), row["Session Type"].strip().lower()),
        "components": [COMPONENTS.get(code.upper(), code.lower()) for code in _split(row["TF-CBT Components"])],
        "caregiver_present": _yes(row["Caregiver Present"]),
        "modality": "telehealth" if _yes(row["Telehealth"]) else "in_person",
    }


def build_batches(rows: Iterable[dict[str, str]], per_batch: int = SESSIONS_PER_BATCH) -> Iterator[dict[str, Any]]:
    """The export's rows as batches of whole cases: each case's child, episode and sessions travel together (a new
    child needs its first episode in the same batch), and a batch holds about ``per_batch`` sessions."""
    cases: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        cases.setdefault(row["Case ID"], []).append(row)
    batch: dict[str, list[dict[str, Any]]] = {"children": [], "episodes": [], "sessions": [], "assessments": []}
    for case_rows in cases.values():
        if batch["sessions"] and len(batch["sessions"]) + len(case_rows) > per_batch:
            yield batch
            batch = {"children": [], "episodes": [], "sessions": [], "assessments": []}
        batch["children"].append(child_of(case_rows[0]))
        batch["episodes"].append(episode_of(case_rows[0]))
        batch["sessions"].extend(session_of(row) for row in case_rows)
    if batch["sessions"]:
        yield batch


def send(url: str, key: str, batch: dict[str, Any]) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise SystemExit(f"Haven's address must be http(s): {url}")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        f"{url.rstrip('/')}/api/v1/care/batch",
        data=json.dumps(batch).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (checked above)
            return json.load(response)
    except urllib.error.HTTPError as error:  # 401, 403, 422, 429: the whole batch was refused
        raise SystemExit(f"Haven refused the batch ({error.code}): {error.read().decode(errors='replace')}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the CSV export, one row per session")
    parser.add_argument("--url", default=os.environ.get("HAVEN_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--dry-run", action="store_true", help="print the batches instead of sending them")
    args = parser.parse_args(argv)
    with open(args.export, newline="", encoding="utf-8-sig") as export:
        batches = list(build_batches(csv.DictReader(export)))
    if args.dry_run:
        print(json.dumps(batches, indent=2))
        return 0
    key = os.environ.get("HAVEN_API_KEY")
    if not key:
        raise SystemExit("Set HAVEN_API_KEY to your CAC's API key (hvn_...).")
    refused = 0
    for number, batch in enumerate(batches, start=1):
        answer = send(args.url, key, batch)
        created, unchanged = answer["created"], answer["unchanged"]
        print(f"Batch {number}: created {created}, already there {unchanged}, refused {len(answer['errors'])}")
        for error in answer["errors"]:
            refused += 1
            for field, messages in error["errors"].items():
                print(f"  {error['kind']} {error['id']}: {field}: {' '.join(messages)}")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
