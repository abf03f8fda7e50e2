"""Completed TF-CBT cases with pre and post measures count toward the clinician's path by themselves."""

from collections.abc import Callable

from django.test import Client

from haven.accounts.models import User
from haven.care import services
from haven.care.models import TreatmentModel
from haven.organizations.models import Organization
from haven.programs.models import Program
from haven.training import version
from haven.training.models import Enrollment
from haven.training.selectors import path_rules, paths_for

from .factories import completed_case, register


def _cases(program: Program, clinician: User) -> tuple[int, int]:
    enrollment = Enrollment.objects.dangerously_unscoped().select_related("cohort").get(clinician=clinician)
    (path,) = paths_for([enrollment], path_rules(program))
    return path.cases_progress


def test_completed_cases_fill_the_path_and_those_without_a_post_measure_do_not(
    cac: Organization, program: Program, clinician: User
) -> None:
    assert _cases(program, clinician) == (0, 3)
    completed_case(cac=cac, program=program, clinician=clinician, case_number="1")
    completed_case(cac=cac, program=program, clinician=clinician, case_number="2", post=False)
    assert _cases(program, clinician) == (1, 3)
    completed_case(cac=cac, program=program, clinician=clinician, case_number="3", caregiver=False)
    completed_case(cac=cac, program=program, clinician=clinician, case_number="4")
    assert _cases(program, clinician) == (3, 3)


def test_an_open_episode_and_another_treatment_model_do_not_count(
    cac: Organization, program: Program, clinician: User
) -> None:
    register(cac=cac, program=program, clinician=clinician, case_number="open")
    cftsi = TreatmentModel.objects.get(code="cftsi")
    completed_case(cac=cac, program=program, clinician=clinician, case_number="brief", model=cftsi)
    assert _cases(program, clinician) == (0, 3)


def test_two_cases_with_a_caregiver_are_needed(cac: Organization, program: Program, clinician: User) -> None:
    from haven.training.path import Requirement

    for n in range(3):
        completed_case(cac=cac, program=program, clinician=clinician, case_number=str(n), caregiver=n == 0)
    enrollment = Enrollment.objects.dangerously_unscoped().select_related("cohort").get(clinician=clinician)
    (path,) = paths_for([enrollment], path_rules(program))
    assert path.cases_progress == (3, 3)
    assert not path.state.step(Requirement.CASES).done


def test_cases_of_another_clinician_are_theirs(
    cac: Organization, program: Program, clinician: User, colleague: User
) -> None:
    for n in range(3):
        completed_case(cac=cac, program=program, clinician=colleague, case_number=str(n))
    assert _cases(program, clinician) == (0, 3)
    assert _cases(program, colleague) == (3, 3)


def test_closing_and_reopening_a_case_renews_the_workforce_figures(
    cac: Organization, program: Program, clinician: User
) -> None:
    episode = completed_case(cac=cac, program=program, clinician=clinician, case_number="1")
    before = version.current(program)
    services.episode_reopen(actor=clinician, episode=episode)
    assert version.current(program) != before
    assert _cases(program, clinician) == (0, 3)


def test_the_clinicians_path_page_shows_the_cases(
    cac: Organization, program: Program, clinician: User, signed_in: Callable[[User], Client]
) -> None:
    for n in range(2):
        completed_case(cac=cac, program=program, clinician=clinician, case_number=str(n))
    page = signed_in(clinician).get("/training/my-path/").content.decode()
    assert "2 of 3" in page or "2/3" in page
