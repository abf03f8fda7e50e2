"""The kept workforce paths (``training.kept``) always equal every path derived again from the records.

A stateful property test drives random sequences of workforce writes through the real services (nominations,
placements, calls, milestones, withdrawals, transfers, cohorts' changes, closed days) and cases completing and
reopening through care, and compares after every step; the figures read from the kept rows equal those counted
over a fresh derivation; ``training_verify`` passes on such a database and catches a tampered row; the readers'
queries do not grow with the enrollments.
"""

import contextlib
import itertools
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from haven.accounts.models import User
from haven.care import services as care_services
from haven.care.models import Episode, EpisodeStatus
from haven.care.tests.factories import completed_case
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.reporting import figures
from haven.training import dashboard, funnel, kept, selectors, services, version
from haven.training.models import Cohort, Enrollment, KeptPath, Placement

from .factories import calls_of, enroll, make_cohort, make_program, nominate, today


def _derived(program: Program) -> list[funnel.Clinician]:
    """Every clinician's place derived from scratch, as the figures counted them before paths were kept."""
    paths = selectors.program_paths(Enrollment.objects.of_program(program), program)
    return sorted((funnel.clinician_of(p) for p in paths), key=repr)


def _check(program: Program) -> None:
    assert kept.differences(program) == []
    assert sorted(funnel.kept_clinicians(program, today()), key=repr) == _derived(program)


def _attempt(write: Callable[[], object]) -> None:
    """A write the services may refuse (a full cohort, a step not met yet): refused, it changes nothing."""
    with contextlib.suppress(ValidationError):
        write()


def test_kept_paths_equal_a_derivation_after_any_sequence_of_workforce_and_care_writes(
    program: Program,
    program_admin: User,
    trainer: User,
    cac: Organization,
    other_cac: Organization,
    make_member: Callable[..., User],
) -> None:
    """Each run inside a savepoint rolled back at its end: every run starts from the same program."""
    machine = _writes(lambda: program, program_admin, trainer, [cac, other_cac], make_member, committed=False)
    run_state_machine_as_test(machine, settings=settings(max_examples=10, stateful_step_count=14, deadline=None))


def test_the_paths_a_process_holds_follow_every_committed_write(
    transactional_db: None,
    national: Organization,
    program_admin: User,
    trainer: User,
    cac: Organization,
    other_cac: Organization,
    make_member: Callable[..., User],
) -> None:
    """The same writes, each committed (as a server's are), each run on a program of its own: after every write the
    paths this process holds, read again only where the write stamped them, equal a derivation from the records."""
    runs = itertools.count(1)

    def make() -> Program:
        program = make_program(national)
        program.name = f"Partnership, run {next(runs)}"
        program.save(update_fields=["name"])
        return program

    machine = _writes(make, program_admin, trainer, [cac, other_cac], make_member, committed=True)
    run_state_machine_as_test(machine, settings=settings(max_examples=6, stateful_step_count=12, deadline=None))


def _writes(
    make: Callable[[], Program],
    program_admin: User,
    trainer: User,
    cacs: list[Organization],
    make_member: Callable[..., User],
    *,
    committed: bool,
) -> type[RuleBasedStateMachine]:
    """A state machine of random workforce and care writes through the real services, checking after each that the
    kept paths equal a derivation; ``committed``, that the paths held in the process (``funnel.program_clinicians``)
    do too, and were held after each read."""
    staff = {c.pk: [make_member(Role.CLINICIAN, c) for _ in range(3)] for c in cacs}
    case_numbers = itertools.count(1)

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            if not committed:
                self.atomic = transaction.atomic()
                self.atomic.__enter__()
            program = self.program = make()
            self.cohorts = [
                make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=3),
                make_cohort(
                    program=program,
                    actor=program_admin,
                    trainers=[trainer],
                    name="Texas Monthly",
                    capacity=2,
                    call_schedule="monthly",
                    starts_on=today() - timedelta(days=420),
                    ends_on=today() + timedelta(days=30),
                    live_training_on=today() - timedelta(days=418),
                ),
            ]

        def teardown(self) -> None:
            if not committed:
                transaction.set_rollback(True)
                self.atomic.__exit__(None, None, None)

        def enrollment(self, index: int) -> Enrollment | None:
            rows = list(Enrollment.objects.of_program(self.program).select_related("cohort", "program").order_by("pk"))
            return rows[index % len(rows)] if rows else None

        @rule(where=st.sampled_from([0, 1]), who=st.integers(0, 2))
        def nominate(self, where: int, who: int) -> None:
            org = cacs[where]
            clinician = staff[org.pk][who]
            if not Enrollment.objects.in_org(org).filter(program=self.program, clinician=clinician).exists():
                nominate(program=self.program, cac=org, clinician=clinician, actor=program_admin)

        @rule(which=st.integers(0, 5), to=st.sampled_from([0, 1]))
        def place(self, which: int, to: int) -> None:
            if (e := self.enrollment(which)) is not None:
                _attempt(lambda: services.enrollment_place(actor=program_admin, enrollment=e, cohort=self.cohorts[to]))

        @rule(of=st.sampled_from([0, 1]), number=st.integers(1, 12), present=st.sets(st.integers(0, 5), max_size=6))
        def take_attendance(self, of: int, number: int, present: set[int]) -> None:
            call = calls_of(self.cohorts[of])[number - 1]
            if call.held_on > today():
                return
            roster = list(
                Enrollment.objects.in_cohort(self.cohorts[of]).filter(placement=Placement.ENROLLED).order_by("pk")
            )
            chosen = {roster[i % len(roster)].pk for i in present} if roster else set()
            services.attendance_record(actor=trainer, call=call, present_ids=chosen)

        @rule(
            which=st.integers(0, 5),
            kind=st.sampled_from(["online_course", "knowledge_test", "certification"]),
            days_ago=st.integers(0, 400),
            passed=st.booleans(),
        )
        def milestone(self, which: int, kind: str, days_ago: int, passed: bool) -> None:
            if (e := self.enrollment(which)) is not None:
                _attempt(
                    lambda: services.milestone_record(
                        actor=program_admin,
                        enrollment=e,
                        kind=kind,
                        achieved_on=today() - timedelta(days=days_ago),
                        passed=passed,
                    )
                )

        @rule(which=st.integers(0, 5))
        def withdraw(self, which: int) -> None:
            if (e := self.enrollment(which)) is not None:
                _attempt(lambda: services.enrollment_withdraw(actor=program_admin, enrollment=e, reason="Moved"))

        @rule(which=st.integers(0, 5))
        def transfer(self, which: int) -> None:
            e = self.enrollment(which)
            if e is not None and e.cohort_id is not None:
                to = self.cohorts[1] if e.cohort_id == self.cohorts[0].pk else self.cohorts[0]
                _attempt(lambda: services.enrollment_transfer(actor=program_admin, enrollment=e, to_cohort=to))

        @rule(of=st.sampled_from([0, 1]), capacity=st.integers(1, 6), name=st.sampled_from(["A", "B"]))
        def change_cohort(self, of: int, capacity: int, name: str) -> None:
            cohort = Cohort.objects.in_org(self.program.organization_id).get(pk=self.cohorts[of].pk)
            fields = {
                f: getattr(cohort, f)
                for f in (
                    "region",
                    "states",
                    "modality",
                    "call_schedule",
                    "starts_on",
                    "ends_on",
                    "live_training_on",
                    "live_training_days",
                )
            }
            _attempt(
                lambda: services.cohort_save(
                    actor=program_admin,
                    program=self.program,
                    cohort=cohort,
                    trainers=[trainer],
                    name=f"{name} {of}",
                    capacity=capacity,
                    **fields,
                )
            )

        @rule(days_ahead=st.integers(1, 60), closed=st.booleans())
        def close_a_day(self, days_ahead: int, closed: bool) -> None:
            day = today() + timedelta(days=days_ahead)
            _attempt(lambda: services.closed_day_set(actor=program_admin, program=self.program, day=day, closed=closed))

        @rule(where=st.sampled_from([0, 1]), who=st.integers(0, 2), caregiver=st.booleans())
        def complete_a_case(self, where: int, who: int, caregiver: bool) -> None:
            org = cacs[where]
            completed_case(
                cac=org,
                program=self.program,
                clinician=staff[org.pk][who],
                case_number=f"KP-{next(case_numbers)}",
                caregiver=caregiver,
            )

        @rule(which=st.integers(0, 10))
        def reopen_a_case(self, which: int) -> None:
            done = list(Episode.objects.of_program(self.program).filter(status=EpisodeStatus.COMPLETED).order_by("pk"))
            if done:
                episode = done[which % len(done)]
                care_services.episode_reopen(actor=episode.clinician, episode=episode)

        @invariant()
        def kept_equal_derived(self) -> None:
            _check(self.program)
            if committed:
                assert sorted(funnel.program_clinicians(self.program), key=repr) == _derived(self.program)
                assert funnel._HELD[self.program.pk].stamp == version.state(self.program).stamp
                # The workforce page's figures, counted again only for the cohorts a write changed.
                admin = Membership.objects.of_user(program_admin).get()
                assert dashboard._workforce_figures(membership=admin, program=self.program) == dashboard.figures_of(
                    admin, self.program, _derived(self.program)
                )
                # The program dashboard's, likewise.
                filters = figures.Filters()
                start, end = filters.months(self.program)
                cohorts: dict[int | None, list[funnel.Clinician]] = {}
                for c in _derived(self.program):
                    cohorts.setdefault(c.cohort_id, []).append(c)
                within = funnel.within_months(start, end)
                parts = {cohort_id: figures.workforce_parts(rows, within) for cohort_id, rows in cohorts.items()}
                assert figures._workforce(self.program, start, end, filters, today()) == figures.workforce_of(
                    parts, self.program, filters, today()
                )

    return Machine


def test_a_write_that_names_no_path_keeps_every_path_of_the_program(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    """Naming neither enrollments nor cohorts means any of them: every path is derived again."""
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    people = [
        enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
        for _ in range(2)
    ]
    KeptPath.objects.of_program(program).delete()
    from haven.core.changes import WorkforceChanged, announce

    with transaction.atomic():
        announce(WorkforceChanged(program_id=program.pk))
    assert set(kept.stored(program)) == {e.pk for e in people}
    _check(program)


def test_training_verify_passes_then_names_a_tampered_path(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    person = enroll(
        program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort
    )
    out = StringIO()
    call_command("training_verify", stdout=out)
    assert f"Program {program.pk}: 1 kept paths equal the paths derived from the records." in out.getvalue()
    KeptPath.objects.in_org(cac).filter(enrollment=person).update(base="nominated", calls_held=7)
    err = StringIO()
    with pytest.raises(CommandError, match="1 kept paths differ from the records"):
        call_command("training_verify", stdout=StringIO(), stderr=err)
    assert f"enrollment {person.pk}: kept cac={cac.pk}, base=nominated" in err.getvalue()
    assert "records cac=" in err.getvalue() and "base=enrolled" in err.getvalue()
    call_command("training_verify", "--repair", stdout=StringIO())
    call_command("training_verify", stdout=StringIO())


def test_a_path_with_no_kept_row_is_derived_by_the_readers(
    program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Callable[..., User]
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
    KeptPath.objects.of_program(program).delete()
    assert [c.status for c in funnel.kept_clinicians(program, today())] == ["enrolled"]
    [path] = selectors.kept_program_paths(Enrollment.objects.of_program(program), program)
    assert path.state.status == "enrolled"


def test_the_readers_queries_do_not_grow_with_the_enrollments(
    program: Program,
    program_admin: User,
    trainer: User,
    cac: Organization,
    make_member: Callable[..., User],
    django_assert_num_queries: Callable[..., object],
    django_assert_max_num_queries: Callable[..., object],
) -> None:
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=40)
    membership = Membership.objects.of_user(program_admin).get()

    def grow(n: int) -> None:
        for _ in range(n):
            enroll(
                program=program,
                cac=cac,
                clinician=make_member(Role.CLINICIAN, cac),
                actor=program_admin,
                cohort=cohort,
            )

    counts = []
    for n in (2, 10):
        grow(n)
        with django_assert_num_queries(1):  # type: ignore[operator]
            rows = funnel.kept_clinicians(program, today())
        assert len(rows) == len(kept.stored(program))
        # The workforce page's paths: the rules, the enrollments, their cohorts, their CACs, their kept rows (and
        # the admin's organization, the first time it is read).
        with django_assert_max_num_queries(6):  # type: ignore[operator]
            paths = dashboard._program_paths(membership, program)
        counts.append(len(paths))
    assert counts == [2, 12]


def test_a_process_holding_the_paths_sees_a_cohort_renamed_at_once(
    transactional_db: None, program: Program, program_admin: User, trainer: User, cac: Organization, make_member: Any
) -> None:
    """A rename changes no path, only what the figures read beside it: the paths of the cohort are read again."""
    cohort = make_cohort(program=program, actor=program_admin, trainers=[trainer])
    enroll(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac), actor=program_admin, cohort=cohort)
    assert [c.cohort_name for c in funnel.program_clinicians(program)] == ["Midwest Collaborative 1"]
    fields = {f: getattr(cohort, f) for f in ("region", "states", "modality", "capacity", "call_schedule")}
    services.cohort_save(
        actor=program_admin, program=program, cohort=cohort, trainers=[trainer], name="Great Lakes 1", **fields
    )
    assert [c.cohort_name for c in funnel.program_clinicians(program)] == ["Great Lakes 1"]
