"""Child-level events on the audit page: the program admin sees that they happened, never which child, episode,
session, measure or alert; the CAC's own admins see them in full. The list of child-level actions is complete."""

import ast
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client

from haven.accounts.models import User
from haven.audit import services as audit
from haven.audit.labels import ACTION_LABELS, CHILD_LEVEL_ACTIONS, CHILD_RECORD_KEYS, is_child_level
from haven.audit.models import AuditEntry
from haven.care import services as care
from haven.care.models import CriticalAlert, Episode, Session
from haven.care.tests import factories as care_factories
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.tests.factories import enroll, make_cohort, make_program

from .test_log import rows

HAVEN = Path(__file__).resolve().parents[2]


class Care:
    def __init__(self, episode: Episode, session_id: int, assessment_id: int, alert_id: int) -> None:
        self.episode, self.session_id, self.assessment_id, self.alert_id = episode, session_id, assessment_id, alert_id


@pytest.fixture
def people(
    national: Organization,
    cac: Organization,
    other_cac: Organization,
    provider: Organization,
    make_member: Callable[..., User],
) -> dict[str, User]:
    return {
        "program_admin": make_member(Role.PROGRAM_ADMIN, national, full_name="Pat Program"),
        "cac_admin": make_member(Role.ORG_ADMIN, cac, full_name="Casey Director"),
        "other_admin": make_member(Role.ORG_ADMIN, other_cac, full_name="Olive Other"),
        "trainer": make_member(Role.TRAINER, provider, full_name="Tess Trainer"),
    }


@pytest.fixture
def program(national: Organization) -> Program:
    return make_program(national)


@pytest.fixture
def care_records(
    program: Program,
    cac: Organization,
    people: dict[str, User],
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> Care:
    """A child's episode with a session, a measure with a critical answer, and the usual reads and writes on it."""
    cohort = make_cohort(program=program, actor=people["program_admin"], trainers=[people["trainer"]])
    clinician = make_member(Role.CLINICIAN, cac, full_name="Cleo Clinician")
    colleague = make_member(Role.CLINICIAN, cac, full_name="Kim Colleague")
    for person in (clinician, colleague):
        enroll(program=program, cac=cac, clinician=person, actor=people["program_admin"], cohort=cohort)
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    care_factories.sessions(episode, clinician, 2)
    assessment = care.assessment_record(
        actor=clinician,
        episode=episode,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=7),
        responses={str(n): 1 for n in range(1, 10)},
    )
    alert = CriticalAlert.objects.in_org(cac).get(assessment=assessment)
    care.alert_acknowledge(actor=clinician, alert=alert, follow_up=["safety_plan"])
    first, second = Session.objects.in_org(cac).filter(episode=episode).order_by("held_on")
    care.session_delete(actor=clinician, session=second)
    care.episode_handover(actor=people["cac_admin"], episode=episode, to_clinician=colleague)
    # Reads through the pages: the caseload (child.list) and the episode (child.view).
    client = signed_in(colleague)
    assert client.get("/care/").status_code == 200
    assert client.get(f"/care/episodes/{episode.pk}/").status_code == 200
    return Care(episode, first.pk, assessment.pk, alert.pk)


def by_action(response: object) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    for row in rows(response):
        found.setdefault(row[3], []).append(row)
    return found


def test_the_program_admin_sees_child_level_events_without_their_ids(
    care_records: Care, people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    shown = by_action(signed_in(people["program_admin"]).get("/audit/", {"action": ""}))
    # (what, who, record, details) as the program admin reads them: the kind of record, counts, no id.
    assert [row[2:6] for row in shown["Child records listed"]] == [
        ["Kim Colleague", "Child records listed", "—", "children: 1; episodes: 1"]
    ]
    assert [row[2:6] for row in shown["Child record opened"]] == [
        ["Kim Colleague", "Child record opened", "Episode", "—"]
    ]
    assert [row[2:6] for row in shown["Measure recorded"]] == [
        ["Cleo Clinician", "Measure recorded", "Measure", "alerts: 1"]
    ]
    assert [row[2:6] for row in shown["Critical answer acknowledged"]] == [
        ["Cleo Clinician", "Critical answer acknowledged", "Critical answer", "follow_up: 1"]
    ]
    assert [row[4:6] for row in shown["Session recorded"]] == [["Session", "—"], ["Session", "—"]]
    assert [row[4:6] for row in shown["Session deleted"]] == [["Session", "—"]]
    assert [row[4:6] for row in shown["Episode handed over"]] == [["Episode", "—"]]
    assert [row[4:6] for row in shown["Episode opened"]] == [["Episode", "—"]]
    assert [row[4:6] for row in shown["Child registered"]] == [["Child", "—"]]
    # Whatever the words, no row of a child-level event names a record: no id as its record, counts as details.
    child_level = {str(ACTION_LABELS[action]) for action in CHILD_LEVEL_ACTIONS}
    for row in (row for label, found in shown.items() if label in child_level for row in found):
        assert not any(char.isdigit() for char in row[4]), row
        assert row[6] == "Franklin County CAC", row
        details = dict(pair.split(": ") for pair in row[5].split("; ")) if row[5] != "—" else {}
        assert not details.keys() & {"child", "episode", "session", "assessment", "alert", "clinician"}, row
        assert all(value.isdigit() for value in details.values()), row


def test_the_cacs_admin_sees_its_child_level_events_in_full(
    care_records: Care, people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    shown = by_action(signed_in(people["cac_admin"]).get("/audit/"))
    episode = care_records.episode
    # Each record by its kind and, where it has one, its name: an episode by its child's code.
    assert [row[4:6] for row in shown["Child records listed"]] == [
        ["—", f"children: {episode.child_id}; episodes: {episode.pk}"]
    ]
    assert [row[4:6] for row in shown["Child record opened"]] == [
        [f"Episode “{episode.child.display_code}”", f"child: {episode.child_id}"]
    ]
    assert [row[4:6] for row in shown["Measure recorded"]] == [
        [f"Measure no. {care_records.assessment_id}", f"alerts: 1; episode: {episode.pk}; instrument: phq_a"]
    ]
    assert [row[4:6] for row in shown["Critical answer acknowledged"]] == [
        [f"Critical answer no. {care_records.alert_id}", f"episode: {episode.pk}; follow_up: safety_plan"]
    ]
    assert shown["Session recorded"][-1][4:6] == [f"Session no. {care_records.session_id}", f"episode: {episode.pk}"]


def test_another_cacs_admin_sees_none_of_them(
    care_records: Care, people: dict[str, User], signed_in: Callable[[User], Client]
) -> None:
    shown = by_action(signed_in(people["other_admin"]).get("/audit/"))
    assert not {str(ACTION_LABELS[action]) for action in CHILD_LEVEL_ACTIONS} & shown.keys()


def test_every_event_on_a_care_record_is_in_the_list(care_records: Care) -> None:
    care_types = {model._meta.label_lower for model in apps.get_app_config("care").get_models()}
    recorded = AuditEntry.objects.dangerously_unscoped().values_list("action", "target_type", "detail")
    about_care = {action for action, target_type, detail in recorded if target_type in care_types}
    assert about_care  # the fixture made some
    assert about_care <= CHILD_LEVEL_ACTIONS
    for action, target_type, detail in recorded:
        assert is_child_level(action, target_type, detail) == (action in CHILD_LEVEL_ACTIONS), action


def _recorded_actions() -> list[tuple[Path, str, ast.Call]]:
    """Every ``audit.record(action=...)`` in the source, with each action it can record."""
    found = []
    for path in HAVEN.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record"):
                continue
            action = next((kw.value for kw in node.keywords if kw.arg == "action"), None)
            if action is None:
                continue
            values = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
            for value in values:
                assert isinstance(value, ast.Constant), f"{path}: an action should be written out, to be found"
                found.append((path, value.value, node))
    return found


def _about_care(path: Path, call: ast.Call) -> bool:
    """Written by the care app, or naming a care record as its target type or in its detail."""
    if path.relative_to(HAVEN).parts[0] == "care":
        return True
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg == "target_type" and isinstance(value, ast.Constant) and str(value.value).startswith("care."):
            return True
        if keyword.arg == "detail" and isinstance(value, ast.Dict):
            keys = {key.value for key in value.keys if isinstance(key, ast.Constant)}
            if keys & CHILD_RECORD_KEYS:
                return True
    return False


def test_every_action_about_a_care_record_in_the_code_is_in_the_list() -> None:
    found = _recorded_actions()
    assert len(found) > 40
    missing = sorted({action for path, action, call in found if _about_care(path, call)} - CHILD_LEVEL_ACTIONS)
    assert not missing, f"Add these child-level actions to CHILD_LEVEL_ACTIONS in audit/labels.py: {missing}"


def test_every_action_in_the_code_has_a_label() -> None:
    missing = sorted({action for _path, action, _call in _recorded_actions()} - ACTION_LABELS.keys())
    assert not missing, f"Add a label to ACTION_LABELS in audit/labels.py: {missing}"


def test_a_system_action_names_haven_as_its_actor(people: dict[str, User], signed_in: Callable[[User], Client]) -> None:
    audit.record(actor=None, action="certification.reminders", detail={"sent": 2})
    audit.record(actor=None, action="auth.sign_in_failed", detail={"known_user": False})
    found = rows(signed_in(people["program_admin"]).get("/audit/"))
    assert [row[2:4] for row in found] == [["unknown", "Failed sign-in"], ["Haven (system)", "Renewal reminders sent"]]
