"""The integration guide's example script (docs/examples/send_sessions.py) maps the sample export to the batches it
would send, without a network: whole cases per batch, the export's own ids, and a document the API's description
accepts for ``POST /api/v1/care/batch``."""

import csv
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema_rs
import pytest

from haven.api.main import api

EXAMPLES = Path(__file__).resolve().parents[4] / "docs" / "examples"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("send_sessions", EXAMPLES / "send_sessions.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows() -> list[dict[str, str]]:
    with (EXAMPLES / "sessions_export.csv").open(newline="", encoding="utf-8-sig") as export:
        return list(csv.DictReader(export))


def test_the_sample_export_maps_to_one_batch_of_whole_cases() -> None:
    rows = _rows()
    (batch,) = list(_script().build_batches(rows))

    cases = sorted({row["Case ID"] for row in rows})
    assert [child["id"] for child in batch["children"]] == cases
    assert [episode["id"] for episode in batch["episodes"]] == [f"episode:{case}" for case in cases]
    assert [session["id"] for session in batch["sessions"]] == [row["Service ID"] for row in rows]
    assert batch["assessments"] == []
    episode_ids = {episode["id"] for episode in batch["episodes"]}
    assert all(session["episode"] in episode_ids for session in batch["sessions"])

    first = batch["children"][0]
    assert first == {
        "id": "C-1001",
        "case_number": "2026-0412",
        "age_at_referral": 9,
        "gender": "girl",
        "race_ethnicity": "hispanic",
        "trauma_types": ["sexual_abuse"],
        "referred_on": "2026-09-02",
    }
    conjoint = next(session for session in batch["sessions"] if session["id"] == "S-50003")
    assert conjoint["kind"] == "conjoint"
    assert conjoint["components"] == ["r", "a"]
    assert conjoint["caregiver_present"] is True
    assert conjoint["modality"] == "telehealth"
    unknown = batch["children"][2]
    assert (unknown["gender"], unknown["race_ethnicity"]) == ("not_recorded", "not_recorded")


def test_a_case_never_splits_across_batches() -> None:
    batches = list(_script().build_batches(_rows(), per_batch=3))
    assert [len(batch["sessions"]) for batch in batches] == [3, 3]  # 3 sessions, then 2 + 1: cases stay whole
    for batch in batches:
        children = {child["id"] for child in batch["children"]}
        assert {session["episode"].removeprefix("episode:") for session in batch["sessions"]} == children


def _batch_request_schema() -> dict[str, Any] | None:
    description = json.loads(json.dumps(api.get_openapi_schema()))
    operation = description["paths"].get("/api/v1/care/batch", {}).get("post")
    if operation is None:
        return None
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    return {**body, "components": description["components"]}


def test_the_batches_are_documents_the_api_describes() -> None:
    schema = _batch_request_schema()
    if schema is None:
        pytest.skip("POST /api/v1/care/batch is not in this build's description")
    validator = jsonschema_rs.validator_for(schema)
    for batch in _script().build_batches(_rows()):
        errors = [f"{list(error.instance_path)}: {error.message}" for error in validator.iter_errors(batch)]
        assert errors == []
