"""Nomination by a CAC admin, placement, waitlist, withdrawal and transfer by a program admin."""

from collections.abc import Callable

import pytest
from django.test import Client

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.programs.models import Program
from haven.training.models import Attendance, Cohort, Enrollment, Placement, Transfer

from .factories import calls_of, make_cohort, nominate, record_calls
from .pages import facts, table, text


def _nomination(clinician: User, **overrides: str) -> dict[str, object]:
    return {
        "clinician": clinician.pk,
        "degree": "masters",
        "license_state": "OH",
        "license_status": "provisional",
        **overrides,
    }


def test_cac_admin_nominates_one_of_their_clinicians(
    cac: Organization,
    program: Program,
    cac_admin: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    clinician = make_member(Role.CLINICIAN, cac, full_name="Nia Nominee")
    client = signed_in(cac_admin)
    assert f'<option value="{clinician.pk}">Nia Nominee</option>' in client.get("/training/staff/").content.decode()

    response = client.post("/training/staff/nominate/", _nomination(clinician, degree="doctorate"))

    assert response.status_code == 302
    assert response["Location"] == "/training/staff/"
    enrollment = Enrollment.objects.in_org(cac).get()
    assert (enrollment.program, enrollment.clinician, enrollment.nominated_by) == (program, clinician, cac_admin)
    assert (enrollment.placement, enrollment.cohort) == (Placement.NOMINATED, None)
    assert (enrollment.degree, enrollment.license_state, enrollment.license_status) == (
        "doctorate",
        "OH",
        "provisional",
    )
    entry = AuditEntry.objects.in_org(cac).get()
    assert (entry.action, entry.actor, entry.target_id) == ("enrollment.nominate", cac_admin, str(enrollment.pk))
    staff = client.get("/training/staff/")
    assert table(staff)[1:] == [["Nia Nominee", "Nominated", "—", "0/9", "0/3"]]
    assert "Nia Nominee was nominated." in text(staff)


def test_a_clinician_of_another_cac_or_already_in_the_program_cannot_be_nominated(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    cac_admin: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    theirs = make_member(Role.CLINICIAN, other_cac)
    ours = make_member(Role.CLINICIAN, cac)
    nominate(program=program, cac=cac, clinician=ours, actor=cac_admin)
    client = signed_in(cac_admin)

    for clinician in (theirs, ours):
        response = client.post("/training/staff/nominate/", _nomination(clinician))
        assert response.status_code == 400
        assert response.context["form"].errors == {
            "clinician": ["Select a valid choice. That choice is not one of the available choices."]
        }
    assert Enrollment.objects.in_org(cac).count() == 1
    assert not Enrollment.objects.in_org(other_cac).exists()
    assert AuditEntry.objects.in_orgs([cac, other_cac]).filter(action="enrollment.nominate").count() == 1


@pytest.fixture
def cohort(program: Program, program_admin: User, trainer: User) -> Cohort:
    return make_cohort(program=program, actor=program_admin, trainers=[trainer], capacity=2)


@pytest.fixture
def nominees(
    cac: Organization, program: Program, cac_admin: User, make_member: Callable[..., User]
) -> list[Enrollment]:
    names = ("Ann First", "Ben Second", "Cat Third", "Dan Fourth")
    return [
        nominate(program=program, cac=cac, clinician=make_member(Role.CLINICIAN, cac, full_name=name), actor=cac_admin)
        for name in names
    ]


def _placements(cac: Organization) -> dict[str, tuple[str, int | None]]:
    return {
        e.clinician.full_name: (e.placement, e.cohort_id)
        for e in Enrollment.objects.in_org(cac).select_related("clinician")
    }


def test_placement_enrolls_while_seats_remain_then_waitlists(
    cac: Organization,
    national: Organization,
    cohort: Cohort,
    program_admin: User,
    nominees: list[Enrollment],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(program_admin)
    for enrollment in nominees[:3]:
        response = client.post(f"/training/enrollments/{enrollment.pk}/place/", {"cohort": cohort.pk})
        assert response.status_code == 302
        assert response["Location"] == f"/training/enrollments/{enrollment.pk}/"

    assert _placements(cac) == {
        "Ann First": (Placement.ENROLLED, cohort.pk),
        "Ben Second": (Placement.ENROLLED, cohort.pk),
        "Cat Third": (Placement.WAITLISTED, cohort.pk),
        "Dan Fourth": (Placement.NOMINATED, None),
    }
    entries = AuditEntry.objects.in_org(cac).filter(action="enrollment.place").order_by("seq")
    assert [(e.target_id, e.actor, e.detail) for e in entries] == [
        (str(nominees[0].pk), program_admin, {"cohort": cohort.pk, "placement": "enrolled"}),
        (str(nominees[1].pk), program_admin, {"cohort": cohort.pk, "placement": "enrolled"}),
        (str(nominees[2].pk), program_admin, {"cohort": cohort.pk, "placement": "waitlisted"}),
    ]
    page = client.get(f"/training/cohorts/{cohort.pk}/").content.decode()
    assert "<dt>Seats</dt><dd>2 / 2</dd>" in page
    assert f'<h2>Waitlist</h2>\n<ol><li><a href="/training/enrollments/{nominees[2].pk}/">Cat Third</a>' in page


def test_withdrawal_needs_a_reason_and_frees_the_seat_for_the_first_on_the_waitlist(
    cac: Organization,
    cohort: Cohort,
    program_admin: User,
    cac_admin: User,
    nominees: list[Enrollment],
    signed_in: Callable[[User], Client],
) -> None:
    for enrollment in nominees:
        client = signed_in(program_admin)
        client.post(f"/training/enrollments/{enrollment.pk}/place/", {"cohort": cohort.pk})
    ann = nominees[0]
    director = signed_in(cac_admin)

    withdraw = f"/training/enrollments/{ann.pk}/withdraw/"
    for asked in ({"reason": ""}, {"reason": "", "confirmed": "yes"}):
        response = director.post(withdraw, asked)
        assert response.status_code == 400
        assert response.context["form"].errors == {"reason": ["This field is required."]}
    # With a reason, the button asks first (test_confirmations), keeping the reason; the answer acts.
    response = director.post(withdraw, {"reason": "  Left the CAC "})
    assert response.status_code == 200
    assert 'value="  Left the CAC "' in response.content.decode()
    assert _placements(cac)["Ann First"] == (Placement.ENROLLED, cohort.pk)
    assert not AuditEntry.objects.in_org(cac).filter(action="enrollment.withdraw").exists()

    response = director.post(withdraw, {"reason": "  Left the CAC ", "confirmed": "yes"})
    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.placement, ann.withdrawal_reason) == (Placement.WITHDRAWN, "Left the CAC")
    assert ann.withdrawn_at is not None
    assert _placements(cac) == {
        "Ann First": (Placement.WITHDRAWN, cohort.pk),
        "Ben Second": (Placement.ENROLLED, cohort.pk),
        "Cat Third": (Placement.ENROLLED, cohort.pk),
        "Dan Fourth": (Placement.WAITLISTED, cohort.pk),
    }
    withdrawal = AuditEntry.objects.in_org(cac).get(action="enrollment.withdraw")
    assert (withdrawal.actor, withdrawal.target_id) == (cac_admin, str(ann.pk))
    promotion = AuditEntry.objects.in_org(cac).filter(action="enrollment.place").order_by("-seq").first()
    assert promotion is not None
    assert promotion.seq == withdrawal.seq + 1
    assert (promotion.actor, promotion.target_id, promotion.detail) == (
        cac_admin,
        str(nominees[2].pk),
        {"cohort": cohort.pk, "placement": "enrolled", "from_waitlist": True},
    )
    shown = facts(director.get(f"/training/enrollments/{ann.pk}/"))
    assert shown["Status"] == "Withdrawn"
    assert shown["Withdrawn"].endswith(" · Left the CAC")

    # A waitlisted clinician who withdraws frees no seat: nobody moves.
    dan = nominees[3]
    dan_withdraws = {"reason": "Parental leave", "confirmed": "yes"}
    assert director.post(f"/training/enrollments/{dan.pk}/withdraw/", dan_withdraws).status_code == 302
    assert AuditEntry.objects.in_org(cac).filter(action="enrollment.place", detail__from_waitlist=True).count() == 1


def test_transfer_keeps_history_and_attendance_and_refuses_a_full_cohort(
    cac: Organization,
    national: Organization,
    program: Program,
    cohort: Cohort,
    program_admin: User,
    trainer: User,
    nominees: list[Enrollment],
    signed_in: Callable[[User], Client],
) -> None:
    ann, ben, cat, _dan = nominees
    other = make_cohort(
        program=program, actor=program_admin, trainers=[trainer], name="Midwest Collaborative 2", capacity=1
    )
    client = signed_in(program_admin)
    for enrollment, target in ((ann, cohort), (ben, cohort), (cat, cohort)):
        client.post(f"/training/enrollments/{enrollment.pk}/place/", {"cohort": target.pk})
    record_calls(cohort=cohort, actor=trainer, present={1: [ann, ben], 2: [ben]})

    response = client.post(f"/training/enrollments/{ann.pk}/transfer/", {"cohort": other.pk})

    assert response.status_code == 302
    ann.refresh_from_db()
    assert (ann.placement, ann.cohort_id) == (Placement.ENROLLED, other.pk)
    transfer = Transfer.objects.in_org(cac).get()
    assert (transfer.enrollment, transfer.from_cohort, transfer.to_cohort, transfer.moved_by) == (
        ann,
        cohort,
        other,
        program_admin,
    )
    first_calls = calls_of(cohort)
    kept = Attendance.objects.in_org(cac).filter(enrollment=ann).order_by("call__number")
    assert [(a.call_id, a.attended) for a in kept] == [(first_calls[0].pk, True), (first_calls[1].pk, False)]
    entry = AuditEntry.objects.in_org(cac).get(action="enrollment.transfer")
    assert (entry.actor, entry.detail) == (program_admin, {"from": cohort.pk, "to": other.pk})
    # Ann's seat went to Cat, who waited.
    assert _placements(cac)["Cat Third"] == (Placement.ENROLLED, cohort.pk)
    page = client.get(f"/training/enrollments/{ann.pk}/").content.decode()
    assert "Midwest Collaborative 1 → Midwest Collaborative 2" in page

    response = client.post(f"/training/enrollments/{ben.pk}/transfer/", {"cohort": other.pk})
    assert response.status_code == 400
    assert response.context["placement_form"].errors == {"cohort": ["That cohort is full."]}
    assert "That cohort is full." in response.content.decode()
    ben.refresh_from_db()
    assert ben.cohort_id == cohort.pk
    assert Transfer.objects.in_org(cac).count() == 1
    assert AuditEntry.objects.in_org(cac).filter(action="enrollment.transfer").count() == 1


def test_nobody_places_into_another_programs_cohort_or_transfers_a_nominee(
    cac: Organization,
    program: Program,
    cohort: Cohort,
    program_admin: User,
    nominees: list[Enrollment],
    signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(program_admin)
    response = client.post(f"/training/enrollments/{nominees[0].pk}/transfer/", {"cohort": cohort.pk})
    assert response.status_code == 400
    assert response.context["placement_form"].errors == {
        "__all__": ["Only an enrolled clinician can move to another cohort."]
    }
    assert _placements(cac)["Ann First"] == (Placement.NOMINATED, None)
    assert not Transfer.objects.in_org(cac).exists()


def test_a_clinician_of_two_cacs_already_in_the_program_through_one_is_refused_by_the_other(
    cac: Organization,
    other_cac: Organization,
    program: Program,
    cac_admin: User,
    other_cac_admin: User,
    make_member: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    """One enrollment per program and clinician, whichever CAC put them forward: a form message, not a crash."""
    clinician = make_member(Role.CLINICIAN, cac, full_name="Sid Shared")
    Membership.objects.create(user=clinician, organization=other_cac, role=Role.CLINICIAN)
    nominate(program=program, cac=cac, clinician=clinician, actor=cac_admin)

    response = signed_in(other_cac_admin).post("/training/staff/nominate/", _nomination(clinician))

    assert response.status_code == 400
    assert response.context["form"].errors == {"clinician": ["This clinician is already in the program."]}
    assert Enrollment.objects.in_org(cac).count() == 1
    assert not Enrollment.objects.in_org(other_cac).exists()
    assert not AuditEntry.objects.in_org(other_cac).exists()
