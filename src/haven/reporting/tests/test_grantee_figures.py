"""A grantee's own figures for its narrative report: its organization and those under it, children protected."""

from datetime import timedelta

from django.utils import timezone

from haven.care.tests.factories import register, sessions
from haven.reporting.selectors import grantee_figures


def test_a_grantee_sees_its_own_tree_and_fewer_than_11_children_withheld(program, cac, other_cac, clinician) -> None:
    chapter = cac.parent
    today = timezone.now().date()
    start, end = today - timedelta(days=365), today
    for n in range(10):
        episode = register(cac=cac, program=program, clinician=clinician, case_number=f"G-{n}")
        sessions(episode, clinician, 1)

    assert grantee_figures(program, cac, start, end).children_served is None  # 10: withheld
    episode = register(cac=cac, program=program, clinician=clinician, case_number="G-10")
    sessions(episode, clinician, 1)
    assert grantee_figures(program, cac, start, end).children_served == 11
    assert grantee_figures(program, chapter, start, end) == grantee_figures(program, cac, start, end)
    assert grantee_figures(program, other_cac, start, end).children_served == 0
    before = grantee_figures(program, cac, start - timedelta(days=400), start - timedelta(days=366))
    assert before.children_served == 0
