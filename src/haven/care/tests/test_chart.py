"""The child's chart as a clinician reads it: each measure over time against its cut-off, and at every measure after
the baseline the reliable change against it and its category, in a table the server always renders (the version
without JavaScript and for screen readers) and in the JSON the chart is drawn from."""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import services
from haven.care.models import Episode
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training.tests.pages import table, text

from .factories import measure, register, sessions

# The program's CATS 7-17 baseline scores: the child's own 40, and at another CAC 14 children at 30, 14 at 50 and
# one at 40. Mean 40; squared deviations 28 x 100 = 2,800; / 29 = 96.55; SD 9.826.
# S_diff = sqrt(2) x 9.826 x sqrt(1 - .88) = 1.41421 x 9.826 x 0.34641 = 4.8137.
# The child: 40, then 31 (RC -9 / 4.8137 = -1.87: no reliable change), 25 (-15 / 4.8137 = -3.12: reliably improved,
# still at or above the cut-off 21), 20 (-20 / 4.8137 = -4.15: recovered), 51 (+11 / 4.8137 = +2.29: reliably
# deteriorated).
OTHERS = [30] * 14 + [50] * 14 + [40]
SCORES = [("baseline", 40), ("periodic", 31), ("periodic", 25), ("post", 20), ("follow_up", 51)]


def _program_baselines(program: Program, cac: Organization, clinician: User, totals: list[int]) -> None:
    for n, total in enumerate(totals):
        other = register(cac=cac, program=program, clinician=clinician, case_number=f"B-{n}")
        measure(other, clinician, timepoint="baseline", on=other.referred_on + timedelta(days=3), total=total)


def _child(program: Program, cac: Organization, clinician: User, scores: list[tuple[str, int]]) -> Episode:
    episode = register(cac=cac, program=program, clinician=clinician, case_number="CHART")
    sessions(episode, clinician, 1)
    day = episode.referred_on
    for week, (timepoint, total) in enumerate(scores):
        if timepoint == "follow_up":  # after the episode closed on the day of the post measure
            episode.refresh_from_db()
            services.episode_close(actor=clinician, episode=episode, status="completed", closed_on=day)
        day = episode.referred_on + timedelta(days=7 + 14 * week)
        measure(episode, clinician, timepoint=timepoint, on=day, total=total)
    return episode


def chart_data(response: Any, code: str) -> dict[str, Any]:
    """The JSON a chart is drawn from (Django's json_script)."""
    found = re.search(
        rf'<script id="trajectory-{code}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert found, f"no chart data for {code}"
    return json.loads(found.group(1))


def test_each_measure_after_the_baseline_shows_its_reliable_change_and_category(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    clinician: User,
    other_clinician: User,
    signed_in: Callable[[User], Client],
) -> None:
    _program_baselines(program, other_cac, other_clinician, OTHERS)
    episode = _child(program, cac, clinician, SCORES)
    response = signed_in(clinician).get(f"/care/children/{episode.child_id}/")

    header, *rows = table(response)
    assert header == [
        "Date",
        "Timepoint",
        "Score",
        "Band",
        "Change from baseline",
        "Reliable change index",
        "Category",
    ]
    assert [row[1:] for row in rows] == [
        ["Baseline", "40", "Probable PTSD", "—", "—", "Baseline: at or above the threshold, so recovery can be judged"],
        ["Periodic", "31", "Probable PTSD", "-9", "-1.87", "No reliable change"],
        ["Periodic", "25", "Probable PTSD", "-15", "-3.12", "Reliably improved"],
        ["Post-treatment", "20", "Moderate", "-20", "-4.15", "Recovered: below the published cut-off (21)"],
        ["Follow-up", "51", "Probable PTSD", "+11", "+2.29", "Reliably deteriorated"],
    ]
    page = text(response)
    assert "Cut-off: 21, the dashed line; the shaded area, 21 and above, is the clinical range." in page
    assert (
        "Reliable change uses the program's baseline SD, 9.83 (from 30 baseline scores), and a reliability of 0.88 "
        "(internal consistency)." in page
    )
    assert (
        "Recovered means reliably improved and below the published cut-off (21), from at or above it at baseline."
        in page
    )

    data = chart_data(response, "cats_7_17_self")
    assert (data["cutoff"], data["minimum"], data["maximum"]) == (21, 0, 60)
    [series] = data["series"]
    assert [point["score"] for point in series["points"]] == [40, 31, 25, 20, 51]
    assert [point["category"] for point in series["points"]] == [
        None,
        "unchanged",
        "improved",
        "recovered",
        "deteriorated",
    ]
    assert [point["category_label"] for point in series["points"]][3] == "Recovered: below the published cut-off (21)"

    # Opening the child is one audited read of that child.
    views = AuditEntry.objects.dangerously_unscoped().filter(action="child.view", target_id=str(episode.child_id))
    assert views.count() == 1


def test_a_child_below_the_cutoff_at_baseline_is_not_judged_for_recovery(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    clinician: User,
    other_clinician: User,
    signed_in: Callable[[User], Client],
) -> None:
    _program_baselines(program, other_cac, other_clinician, OTHERS)
    # Baseline 18 (below 21), then 3: SD 10.5 over the 30 baseline scores, S_diff 5.2, RC -15 / 5.2 = -2.9.
    episode = _child(program, cac, clinician, [("baseline", 18), ("post", 3)])
    _header, baseline, post = table(signed_in(clinician).get(f"/care/children/{episode.child_id}/"))
    assert baseline[-1] == "Baseline: below the threshold, so recovery is not judged"
    assert post[-1] == "Reliably improved"


def test_too_few_baseline_scores_in_the_program_judges_nothing_and_says_why(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    episode = _child(program, cac, clinician, [("baseline", 40), ("post", 10)])
    response = signed_in(clinician).get(f"/care/children/{episode.child_id}/")
    _header, _baseline, post = table(response)
    assert post[4:] == ["-30", "—", "Not judged: too few baseline scores in the program to estimate the SD"]
    assert (
        "No change is judged yet: the program has 1 baseline score of this measure, and 30 are needed to estimate "
        "its SD." in text(response)
    )
    assert [p["category"] for p in chart_data(response, "cats_7_17_self")["series"][0]["points"]] == [None, None]


def test_no_published_cutoff_and_no_reliability_are_said_not_guessed(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    young = register(cac=cac, program=program, clinician=clinician, case_number="YOUNG", age=5)
    sessions(young, clinician, 1)
    for week, (timepoint, per_item) in enumerate([("baseline", 3), ("post", 0)]):
        day = young.referred_on + timedelta(days=7 + 14 * week)
        for code, answers in (
            ("cats_3_6_caregiver", {"t1": 1, **{str(n): per_item for n in range(1, 17)}}),
            ("smfq_parent", {str(n): min(2, per_item) for n in range(1, 14)}),
        ):
            services.assessment_record(
                actor=clinician,
                episode=young,
                instrument_code=code,
                timepoint=timepoint,
                administered_on=day,
                responses=answers,
            )
    response = signed_in(clinician).get(f"/care/children/{young.child_id}/")
    page = text(response)

    assert "Cut-off: 15, the dashed line; the shaded area, 15 and above, is the clinical range." in page
    assert (
        "No change is judged: no reliability coefficient is published for this version, so no change can be called "
        "reliable." in page
    )
    cats = table(response, labelledby="trajectory-title-cats_3_6_caregiver")
    assert cats[2][4:] == ["-48", "—", "Not judged: no reliability coefficient is published for this version"]
    assert chart_data(response, "cats_3_6_caregiver")["cutoff"] == 15

    assert "No published cut-off: no line is drawn, and recovery is not judged." in page
    smfq = table(response, labelledby="trajectory-title-smfq_parent")
    assert smfq[1][-1] == "Baseline"
    assert smfq[2][-1] == "Not judged: too few baseline scores in the program to estimate the SD"
    data = chart_data(response, "smfq_parent")
    assert (data["cutoff"], data["maximum"]) == (None, 26)
