"""The staff table: a dry run per row (create, update, deactivate, unchanged, error), applied in bulk with the
learner roles, audited once; the same file twice changes nothing the second time."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from haven.audit.models import AuditEntry
from haven.core.tabular import read_table
from haven.learning import imports
from haven.learning.models import StaffMember
from haven.organizations.models import Membership
from haven.organizations.roles import Role

HEADER = ",".join(imports.COLUMNS) + "\n"


def _rows(text: str) -> list[dict]:
    return imports.rows_of(read_table(io.BytesIO((HEADER + text).encode())))


def _learners(company) -> set[str]:
    active = Membership.objects.in_org(company).filter(role=Role.LEARNER, is_active=True).values("user_id")
    return set(StaffMember.objects.in_org(company).filter(user_id__in=active).values_list("user_name", flat=True))


def test_a_dry_run_says_what_each_row_would_do_and_writes_nothing(company, make_staff):
    make_staff(user_name="kept@c.example", given_name="Kept", family_name="Same", email="kept@c.example")
    make_staff(user_name="moved@c.example", email="moved@c.example")
    make_staff(user_name="leaving@c.example", email="leaving@c.example")
    rows = _rows(
        "new@c.example,,New,Person,1,Sales,EMEA,fr,fr,kept@c.example,2024-02-01,yes\n"
        "kept@c.example,,Kept,Same,,,,,en,,,yes\n"
        "moved@c.example,,Given2,Family2,,Finance,,,en,,,\n"
        "leaving@c.example,,Given3,Family3,,,,,en,,,no\n"
        "bad@c.example,,,,,,,FRA,,,,\n"
        "new@c.example,,,,,,,,,,,\n"
        "who@c.example,,,,,,,,,nobody@c.example,,\n"
        "when@c.example,,,,,,,,,,01/02/2024,\n"
    )
    plan = imports.plan(company=company, rows=rows)
    assert [(o.line, o.outcome) for o in plan.outcomes] == [
        (2, "create"),
        (3, "unchanged"),
        (4, "update"),
        (5, "deactivate"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
        (9, "error"),
    ]
    assert StaffMember.objects.in_org(company).count() == 3


def test_applying_creates_updates_deactivates_in_bulk_and_again_changes_nothing(company, learning_admin, make_staff):
    make_staff(user_name="boss@c.example", email="boss@c.example")
    make_staff(user_name="leaving@c.example", email="leaving@c.example")
    text = (
        "ann@c.example,ann.w@c.example,Ann,W,7,Sales,EMEA,fr,fr-FR,boss@c.example,2024-02-01,yes\n"
        "bob@c.example,,Bob,X,,Sales,,us,en,ann@c.example,,yes\n"
        "leaving@c.example,,Lea,V,,,,,en,,,no\n"
    )
    plan = imports.apply(actor=learning_admin, company=company, rows=_rows(text), file_name="staff.csv")
    assert not plan.has_errors
    staff = {s.user_name: s for s in StaffMember.objects.in_org(company).select_related("user", "manager")}
    ann, bob = staff["ann@c.example"], staff["bob@c.example"]
    assert (ann.user.email, ann.country, ann.language, ann.team, str(ann.hired_on)) == (
        "ann.w@c.example",
        "FR",
        "fr",
        "EMEA",
        "2024-02-01",
    )
    assert ann.manager.user_name == "boss@c.example" and bob.manager_id == ann.pk
    assert not ann.user.has_usable_password()
    assert not staff["leaving@c.example"].is_active and staff["leaving@c.example"].deactivated_at is not None
    assert _learners(company) == {"boss@c.example", "ann@c.example", "bob@c.example"}
    entry = AuditEntry.objects.in_org(company).get(action="staff.import")
    assert entry.actor_id == learning_admin.pk
    assert (entry.detail["create"], entry.detail["deactivate"], entry.detail["rows"]) == (2, 1, 3)
    again = imports.plan(company=company, rows=_rows(text))
    assert {o.outcome for o in again.outcomes} == {"unchanged"}
    # Back: active again, their learner role given back.
    imports.apply(
        actor=learning_admin, company=company, rows=_rows("leaving@c.example,,Lea,V,,,,,en,,,yes\n"), file_name="x"
    )
    assert "leaving@c.example" in _learners(company)


def test_an_email_someone_else_holds_is_an_error(company, make_staff):
    make_staff(user_name="a@c.example", email="a@c.example")
    plan = imports.plan(company=company, rows=_rows("b@c.example,a@c.example,,,,,,,,,,\n"))
    assert plan.has_errors


def test_upload_review_then_confirm(company, learning_admin, signed_in):
    client = signed_in(learning_admin)
    upload = SimpleUploadedFile("staff.csv", (HEADER + "z@c.example,,Zoe,Q,,Ops,,,en,,,\n").encode(), "text/csv")
    review = client.post(reverse("learning:staff_import"), {"file": upload})
    assert review.status_code == 200 and "z@c.example" in review.content.decode()
    assert not StaffMember.objects.in_org(company).exists()
    done = client.post(reverse("learning:staff_import_confirm"), {"payload": review.context["payload"]})
    assert done.status_code == 302
    assert list(StaffMember.objects.in_org(company).values_list("user_name", flat=True)) == ["z@c.example"]
    altered = client.post(reverse("learning:staff_import_confirm"), {"payload": "x" + review.context["payload"]})
    assert altered.status_code == 302 and StaffMember.objects.in_org(company).count() == 1
