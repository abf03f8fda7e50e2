"""The retention policy applied (care.retention, decision 0047): children past the program's window lose what links
them to the CAC's case, nothing inside the window is touched, a dry run writes nothing, a second run does nothing,
and the program's figures (dashboard, funder report, served cells, the verify commands) are the same after."""

from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import retention
from haven.care.identity import case_key
from haven.care.models import Assessment, Child, Episode, Session
from haven.organizations.models import Organization
from haven.programs.models import Program, RetentionPolicy
from haven.reporting import figures, kept, served, tables
from haven.reporting.models import ReleasedQuarter

from .builders import treat, weekly


def _child_rows() -> list[tuple[Any, ...]]:
    """Every care row the policy may touch, as stored."""
    return [
        *Child.objects.dangerously_unscoped()
        .order_by("pk")
        .values_list("pk", "case_key", "display_code", "referred_on", "registered_at"),
        *Episode.objects.dangerously_unscoped()
        .order_by("pk")
        .values_list("pk", "referred_on", "first_session_on", "closed_on", "opened_at"),
        *Session.objects.dangerously_unscoped().order_by("pk").values_list("pk", "held_on", "recorded_at"),
        *Assessment.objects.dangerously_unscoped().order_by("pk").values_list("pk", "administered_on", "recorded_at"),
    ]


def _figures(program: Program) -> dict[str, Any]:
    """The program's figures recomputed from the raw rows: the kept cells and the served rows rebuilt, every
    release forgotten, then the dashboard's and the funder's figures read."""
    kept.refresh_all(program)
    served.rebuild(program)
    ReleasedQuarter.objects.of_program(program).delete()
    today = timezone.now().date()
    last = tables.last_closed_quarter(program, today)
    assert last is not None
    return {
        "cells": kept.compute(program),
        "served": served.recompute(program),
        "care": figures.care(program, figures.Filters(), today),
        "totals": figures.care_totals(program, figures.Filters()),
        "funder": tables.flat_rows(tables.funder_report(program, last), lambda value, column: value),
    }


def _verify() -> None:
    for command in ("reporting_verify", "served_verify"):
        call_command(command, stdout=StringIO(), stderr=StringIO())  # raises CommandError on any difference


@pytest.fixture
def treated(
    funded: Program, cac: Organization, other_cac: Organization, clinician: User, other_clinician: User
) -> Program:
    """A small program's worth of children at two CACs: completed with measures, ended early, still open."""
    start = funded.starts_on + timedelta(days=40)
    for n in range(14):
        here = n % 3 != 0
        days = weekly(start + timedelta(days=9 * n), 3 + n % 5, every=6 + n % 4)
        treat(
            cac=cac if here else other_cac,
            program=funded,
            clinician=clinician if here else other_clinician,
            case_number=f"C-{n}",
            referred_on=start + timedelta(days=9 * n - 5 - n % 11),
            sessions=days,
            caregiver_last=n % 2 == 0,
            close=("completed", "ended", "")[n % 3],
            measures=(40 - n, 20 + n % 7) if n % 3 == 0 else None,
            age=3 + n,
            gender=("girl", "boy")[n % 2],
        )
    return funded


def _policy(program: Program, years: int = 1) -> RetentionPolicy:
    return RetentionPolicy.objects.create(
        organization_id=program.organization_id, program=program, deidentify_after_years=years
    )


def _past(program: Program, years: int = 1) -> date:
    return program.ends_on + timedelta(days=366 * years + 1)


@pytest.mark.django_db
def test_the_figures_are_the_same_after_the_policy_is_applied(treated: Program) -> None:
    before = _figures(treated)
    _verify()
    _policy(treated)
    done = retention.apply(retention.plan(_past(treated)))
    assert done.totals()["children"] == Child.objects.dangerously_unscoped().count() == 14
    _verify()
    assert _figures(treated) == before
    _verify()


@pytest.mark.django_db
def test_children_past_the_window_are_no_longer_linked_to_their_case(treated: Program, cac: Organization) -> None:
    _policy(treated)
    linked = Child.objects.in_org(cac).get(case_key=case_key(cac.pk, "C-1"))
    old_code = linked.display_code
    referred = Episode.objects.in_org(cac).get(child=linked).referred_on
    retention.apply(retention.plan(_past(treated)))

    child = Child.objects.in_org(cac).get(pk=linked.pk)
    assert not Child.objects.in_org(cac).filter(case_key=case_key(cac.pk, "C-1")).exists()
    assert child.case_key.startswith(retention.UNLINKED_PREFIX) and child.display_code != old_code
    keys = list(Child.objects.dangerously_unscoped().values_list("case_key", flat=True))
    assert len(set(keys)) == len(keys)
    assert child.referred_on.day == 1 and child.registered_at.day == 1
    assert all(at.day == 1 for at in Session.objects.in_org(cac).values_list("recorded_at", flat=True))
    # The dates of care the figures count by stay as they were.
    assert Episode.objects.in_org(cac).get(child=child).referred_on == referred
    entries = AuditEntry.objects.dangerously_unscoped().filter(action="retention.apply")
    assert sorted(e.organization_id for e in entries) == sorted(
        set(Child.objects.dangerously_unscoped().values_list("organization_id", flat=True))
    )
    assert all(set(e.detail) <= {"count", "rows", "programs", "via"} for e in entries)


@pytest.mark.django_db
def test_nothing_inside_the_window_is_touched(treated: Program) -> None:
    _policy(treated, years=3)
    rows = _child_rows()
    on_the_last_day = retention.deidentify_on(treated, 3) - timedelta(days=1)
    assert retention.plan(on_the_last_day).is_empty
    assert not retention.plan(on_the_last_day + timedelta(days=1)).is_empty
    retention.apply(retention.plan(on_the_last_day))
    assert _child_rows() == rows
    assert not AuditEntry.objects.dangerously_unscoped().filter(action="retention.apply").exists()


@pytest.mark.django_db
def test_without_a_policy_nothing_is_touched(treated: Program) -> None:
    rows = _child_rows()
    assert retention.plan(_past(treated, years=30)).is_empty
    assert _child_rows() == rows


@pytest.mark.django_db
def test_a_child_also_treated_in_a_program_inside_its_window_is_not_touched(
    treated: Program, national: Organization, cac: Organization
) -> None:
    _policy(treated)
    later = Program.objects.create(
        organization=national, name="Later", starts_on=treated.ends_on, ends_on=treated.ends_on + timedelta(days=900)
    )
    _policy(later, years=5)
    child = Child.objects.in_org(cac).get(case_key=case_key(cac.pk, "C-1"))
    episode = Episode.objects.in_org(cac).get(child=child)
    Episode.objects.in_org(cac).filter(pk=episode.pk).update(program=later)
    retention.apply(retention.plan(_past(treated)))
    assert Child.objects.in_org(cac).get(pk=child.pk).case_key == child.case_key
    assert Child.objects.in_org(cac).exclude(pk=child.pk).filter(case_key__startswith="r:").exists()


@pytest.mark.django_db
def test_the_dry_run_writes_nothing_and_says_what_it_would_do(
    treated: Program, monkeypatch: pytest.MonkeyPatch, cac: Organization
) -> None:
    _policy(treated)
    monkeypatch.setattr(timezone, "localdate", lambda: _past(treated))
    rows, entries = _child_rows(), AuditEntry.objects.dangerously_unscoped().count()
    out = StringIO()
    call_command("retention_apply", "--dry-run", stdout=out)
    assert _child_rows() == rows and AuditEntry.objects.dangerously_unscoped().count() == entries
    text = out.getvalue()
    children_here = Child.objects.in_org(cac).count()
    assert f"{cac.name} (#{cac.pk}): {children_here} children" in text
    assert "14 children would be de-identified" in text

    call_command("retention_apply", stdout=StringIO())
    assert _child_rows() != rows
    assert AuditEntry.objects.dangerously_unscoped().filter(action="retention.apply").count() == 2
    applied = _child_rows()
    again = StringIO()
    call_command("retention_apply", stdout=again)
    assert "Nothing to de-identify." in again.getvalue()
    assert _child_rows() == applied
    assert AuditEntry.objects.dangerously_unscoped().filter(action="retention.apply").count() == 2


@pytest.mark.django_db
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(years=st.integers(min_value=1, max_value=4), days_after=st.integers(min_value=-800, max_value=800))
def test_applying_twice_is_applying_once_and_only_past_the_window(
    treated: Program, years: int, days_after: int
) -> None:
    RetentionPolicy.objects.dangerously_unscoped().filter(program=treated).delete()
    _policy(treated, years=years)
    today = treated.ends_on + timedelta(days=365 * years + days_after)
    due = today >= retention.deidentify_on(treated, years)
    rows = _child_rows()
    retention.apply(retention.plan(today))
    once = _child_rows()
    retention.apply(retention.plan(today))
    assert _child_rows() == once
    if not due:
        assert once == rows
    else:
        assert not Child.objects.dangerously_unscoped().exclude(case_key__startswith="r:").exists()
