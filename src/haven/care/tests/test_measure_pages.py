"""The measure pages as a clinician reads them: the PHQ-A's supplementary questions on the form and in the stored
answers, a critical alert that names its question, an instrument without a published cut-off, and the threshold of
recovery named wherever recovery is shown."""

from collections.abc import Callable
from datetime import timedelta

from django.test import Client

from haven.accounts.models import User
from haven.care import services
from haven.care.models import Assessment, CriticalAlert, Episode, EpisodeStatus
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training.tests.pages import facts, table, tables, text

from .factories import completed_case, register, sessions

NINE_ITEMS = {f"item_{n}": "1" for n in range(1, 9)} | {"item_9": "0"}


def _form(episode: Episode, **answers: str) -> dict[str, str]:
    day = episode.referred_on + timedelta(days=7)
    return {"instrument": "phq_a", "timepoint": "baseline", "administered_on": day.isoformat(), **answers}


def test_the_phq_a_form_asks_the_supplementary_questions_and_keeps_the_answers(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    teen = register(cac=cac, program=program, clinician=clinician, case_number="S-1", age=15)
    client = signed_in(clinician)
    form = text(client.get(f"/care/episodes/{teen.pk}/measures/new/?instrument=phq_a"))
    assert "Supplementary questions (not part of the total)" in form
    for label in (
        "Supplementary question 1: Depressed or irritable most days over the past year (0 no, 1 yes)",
        "Supplementary question 2: How hard these problems made daily life (0–3)",
        "Supplementary question 3: Serious thoughts of ending their life in the past month (0 no, 1 yes)",
        "Supplementary question 4: Ever attempted suicide (0 no, 1 yes)",
    ):
        assert label in form

    answers = NINE_ITEMS | {"item_s1": "1", "item_s2": "2", "item_s3": "1", "item_s4": "0"}
    response = client.post(f"/care/episodes/{teen.pk}/measures/new/", _form(teen, **answers))
    assert response.status_code == 302
    stored = Assessment.objects.in_org(cac).get()
    assert stored.responses == {**{str(n): 1 for n in range(1, 9)}, "9": 0, "s1": 1, "s2": 2, "s3": 1, "s4": 0}
    assert (stored.total, stored.score["critical"]) == (8, ["s3"])

    # The alert names the question, on the alert, in the list and on the episode.
    alert = CriticalAlert.objects.in_org(cac).get()
    assert (alert.assessment_id, alert.item, alert.answer) == (stored.pk, "s3", 1)
    question = "Supplementary question 3: Serious thoughts of ending their life in the past month"
    page = text(client.get(f"/care/alerts/{alert.pk}/"))
    assert f"the child answered “Yes (1)” to {question}." in page
    assert f"“Yes (1)” to {question}, on" in text(client.get("/care/alerts/"))
    assert f"“Yes (1)” to {question}." in text(client.get(f"/care/episodes/{teen.pk}/"))
    answers_table = table(client.get(f"/care/measures/{stored.pk}/"))
    assert [question, "1"] in [[row[0].replace(" critical", ""), row[1]] for row in answers_table]


def test_an_item_9_alert_names_thoughts_of_self_harm(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    teen = register(cac=cac, program=program, clinician=clinician, case_number="S-2", age=14)
    client = signed_in(clinician)
    response = client.post(f"/care/episodes/{teen.pk}/measures/new/", _form(teen, **(NINE_ITEMS | {"item_9": "2"})))
    assert response.status_code == 302
    alert = CriticalAlert.objects.in_org(cac).get()
    page = text(client.get(f"/care/alerts/{alert.pk}/"))
    assert "the child answered “More than half the days (2)” to Item 9: Thoughts of self-harm." in page


def test_a_measure_without_a_published_cutoff_says_so(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    child = register(cac=cac, program=program, clinician=clinician, case_number="S-3", age=10)
    day = child.referred_on + timedelta(days=7)
    parent = services.assessment_record(
        actor=clinician,
        episode=child,
        instrument_code="smfq_parent",
        timepoint="baseline",
        administered_on=day,
        responses={str(n): 2 for n in range(1, 14)},
    )
    assert (parent.total, parent.above_cutoff, parent.score["band"]) == (26, None, None)
    client = signed_in(clinician)
    shown = facts(client.get(f"/care/measures/{parent.pk}/"))
    assert shown["Cut-off"] == "No published cut-off"
    assert shown["Band"] == "—"
    assert shown["Recovery judged against"] == "none: no published cut-off"
    page = text(client.get(f"/care/children/{child.child_id}/"))
    assert "SMFQ (parent report) No published cut-off: no line is drawn, and recovery is not judged." in page

    cats = completed_case(cac=cac, program=program, clinician=clinician, case_number="S-4")
    assessment = Assessment.objects.in_org(cac).filter(episode=cats).first()
    assert assessment is not None
    assert facts(client.get(f"/care/measures/{assessment.pk}/"))["Recovery judged against"] == (
        "the published cut-off (21)"
    )
    page = text(client.get(f"/care/children/{cats.child_id}/"))
    assert "Cut-off: 21, the dashed line; the shaded area, 21 and above, is the clinical range." in page
    assert "Recovered means reliably improved and below the published cut-off (21)" in page


def test_the_outcomes_table_names_the_threshold_and_judges_no_recovery_without_one(
    cac: Organization,
    program: Program,
    clinician: User,
    cac_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    for n, (pre, post) in enumerate([(26, 2), (24, 4), (20, 20)]):
        child = register(cac=cac, program=program, clinician=clinician, case_number=f"P-{n}", age=10)
        sessions(child, clinician, 2)
        for timepoint, total, day in (("baseline", pre, 7), ("post", post, 14)):
            services.assessment_record(
                actor=clinician,
                episode=child,
                instrument_code="smfq_parent",
                timepoint=timepoint,
                administered_on=child.referred_on + timedelta(days=day),
                responses={str(i): min(2, max(0, total - 2 * (i - 1))) for i in range(1, 14)},
            )
        child.refresh_from_db()
        services.episode_close(
            actor=clinician, episode=child, status=EpisodeStatus.COMPLETED, closed_on=child.last_session_on
        )
    completed_case(cac=cac, program=program, clinician=clinician, case_number="C-1")
    response = signed_in(cac_admin).get("/reporting/outcomes/")
    header, *body = next(rows for rows in tables(response) if rows and rows[0][0] == "Questionnaire")
    shares = {row[0]: row for row in body}
    assert shares["SMFQ (parent report)"][header.index("Recovered")] == "—"
    header, *body = next(rows for rows in tables(response) if rows and rows[0][0] == "Measure")
    rows = {row[0]: row for row in body}
    threshold = header.index("Recovery threshold")
    assert rows["SMFQ (parent report)"][threshold] == "none: no published cut-off"
    assert rows["CATS 7-17 (self-report)"][threshold] == "the published cut-off (21)"
    reliability = header.index("Reliability used")
    assert rows["SMFQ (parent report)"][reliability] == "0.87 (internal consistency)"
