"""Outcome figures follow each instrument's evidence: recovery is judged only against a published threshold, and
reliable change only with a published reliability. An instrument without one shows no figure (a dash), never 0%,
on the program staff's dashboard and in the funder's released tables."""

from collections.abc import Callable
from datetime import date, timedelta

from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.care import services
from haven.care.models import EpisodeStatus, TreatmentModel
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.reporting import figures, tables
from haven.training.tests.pages import tables as page_tables

# Baseline and post totals: reliable improvements, one with no reliable change, one worse.
PAIRS = [(20, 2)] * 8 + [(24, 4)] * 4 + [(12, 12), (4, 20)]


def _smfq_parent(total: int) -> dict[str, int | None]:
    return {str(n): min(2, max(0, total - 2 * (n - 1))) for n in range(1, 14)}


def _cats_3_6(total: int) -> dict[str, int | None]:
    answers: dict[str, int | None] = {f"t{n}": int(n == 1) for n in range(1, 16)}
    answers.update({str(n): min(3, max(0, total - 3 * (n - 1))) for n in range(1, 17)})
    answers.update({f"i{n}": 0 for n in range(1, 6)})
    return answers


def _treat(program: Program, cac: Organization, clinician: User, code: str, age: int, closed_on: date) -> None:
    """One completed episode per pair of ``PAIRS``, measured with ``code`` 20 days apart."""
    answers = _smfq_parent if code == "smfq_parent" else _cats_3_6
    for n, (pre, post) in enumerate(PAIRS):
        episode = services.child_register(
            actor=clinician,
            cac=cac,
            program=program,
            case_number=f"{code}-{n}",
            clinician=clinician,
            treatment_model=TreatmentModel.objects.get(code="tf-cbt"),
            age_at_referral=age,
            gender="girl",
            race_ethnicity="not_recorded",
            trauma_types=["sexual_abuse"],
            referred_on=closed_on - timedelta(days=30),
        )
        services.session_record(
            actor=clinician,
            episode=episode,
            held_on=closed_on,
            minutes=60,
            kind="child",
            components=[],
            caregiver_present=False,
            modality="in_person",
        )
        for timepoint, total, day in (("baseline", pre, 20), ("post", post, 0)):
            services.assessment_record(
                actor=clinician,
                episode=episode,
                instrument_code=code,
                timepoint=timepoint,
                administered_on=closed_on - timedelta(days=day),
                responses=answers(total),
            )
        episode.refresh_from_db()
        services.episode_close(
            actor=clinician,
            episode=episode,
            status=EpisodeStatus.COMPLETED,
            closed_on=closed_on,
        )


def test_recovery_and_reliable_change_are_shown_only_where_the_evidence_allows(
    funded: Program,
    cac: Organization,
    clinician: User,
    program_admin: User,
    signed_in: Callable[[User], Client],
) -> None:
    quarter = tables.last_closed_quarter(funded, timezone.now().date())
    assert quarter is not None
    closed_on = tables.quarter_end(quarter) - timedelta(days=20)
    _treat(funded, cac, clinician, "smfq_parent", 10, closed_on)
    _treat(funded, cac, clinician, "cats_3_6_caregiver", 5, closed_on)

    outcomes = {item.code: item for item in figures.care(funded, figures.Filters()).outcomes}
    parent, young = outcomes["smfq_parent"], outcomes["cats_3_6_caregiver"]
    # SMFQ parent: reliable change with its own published alpha, but no threshold, so no recovery.
    assert parent.outcome.counts is not None and parent.outcome.n == 14
    assert (parent.outcome.recovered, parent.outcome.eligible_for_recovery, parent.criterion) == (None, 0, "none")
    # CATS 3-6: its cut-off 15 is published, its reliability is not: no change is judged reliable.
    assert (young.outcome.counts, young.outcome.recovered, young.criterion) == (None, None, "cutoff")
    assert young.outcome.eligible_for_recovery == 12  # baselines of 20 and 24, at or above 15

    report = tables.funder_report(funded, quarter)
    rows = {str(label): values for label, values in report.table("outcomes").rows}
    # Children measured, recovered, reliably improved, no reliable change, reliably deteriorated, recovery rate.
    n, recovered, *_judged, recovery = rows["SMFQ (parent report)"]
    assert (n, recovered, recovery) == (14, None, None)
    assert rows["CATS 3-6 (caregiver report)"] == [14, None, None, None, None, None]
    # Not withheld as small counts (the SMFQ parent's are protected as such): not figures at all.
    hidden = report.protected.hidden
    assert ("outcome", "smfq_parent", "improved") not in hidden
    assert {("outcome", "smfq_parent", "recovered"), ("outcome", "smfq_parent", "eligible")} <= hidden
    assert {("outcome", "cats_3_6_caregiver", c) for c in ("improved", "unchanged", "deteriorated")} <= hidden

    response = signed_in(program_admin).get("/reporting/", {"program": funded.pk})
    header, *body = next(rows for rows in page_tables(response) if rows and rows[0][0] == "Questionnaire")
    shown = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert shown["SMFQ (parent report)"]["Recovered"] == "—"
    # Recovery is not judged: the other three categories share the children measured.
    judged = ("Reliably improved", "No reliable change", "Reliably deteriorated")
    assert sum(int(shown["SMFQ (parent report)"][column].rstrip("%")) for column in judged) == 100
    assert shown["SMFQ (parent report)"]["Recovery threshold"] == "none: no published cut-off"
    assert shown["CATS 3-6 (caregiver report)"]["Reliably improved"] == "—"
    assert shown["CATS 3-6 (caregiver report)"]["Recovery threshold"] == "the published cut-off (15)"
