"""The staff table: a dry run per row (create, update, deactivate, unchanged, error), applied in bulk with the
learner roles, audited once; the same file twice changes nothing the second time."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


_examples = iter(range(1_000_000))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.data(),
    new=st.integers(min_value=1, max_value=7),
    existing=st.integers(min_value=0, max_value=3),
)
def test_every_member_gets_the_manager_their_row_names_whatever_the_order_and_the_loops(
    company, learning_admin, make_staff, data, new, existing
):
    """Managers are written with the new rows (their ids reserved first), loops included: whatever the rows'
    order, managers among the new rows, loops of new managers (A manages B who manages A), managers already on the
    staff (some in the file with their user name's case changed), each member's manager is the one their row
    names."""
    n = next(_examples)
    old = [f"old{n}.{k}@c.example" for k in range(existing)]
    for name in old:
        make_staff(user_name=name, email=name)
    names = [f"new{n}.{k}@c.example" for k in range(new)] + old
    managers = {
        name: data.draw(st.sampled_from(["", *(other for other in names if other != name)]), label=f"manager of {name}")
        for name in names[:new]
    }
    in_file = list(names[:new]) + [name for name in old if data.draw(st.booleans(), label=f"{name} in the file")]
    written = {name: name.upper() if name in old and data.draw(st.booleans()) else name for name in in_file}
    order = data.draw(st.permutations(in_file), label="order")
    lines = "".join(
        f"{written[name]},{name},,,,Sales,,,en,{written.get(managers.get(name, ''), managers.get(name, ''))},,yes\n"
        for name in order
    )
    plan = imports.apply(actor=learning_admin, company=company, rows=_rows(lines), file_name="staff.csv")
    assert not plan.has_errors, plan.outcomes
    staff = {s.user_name.lower(): s for s in StaffMember.objects.in_org(company).select_related("manager")}
    got = {name: (staff[name].manager.user_name.lower() if staff[name].manager else "") for name in in_file}
    assert got == {name: managers.get(name, "") for name in in_file}
    assert {staff[name].user_name for name in in_file} == set(written.values())


def _statements(queries) -> int:
    """Statements the database ran: an ``executemany`` of N rows is N of them."""
    return sum(int(q["sql"].split(" times: ")[0]) if " times: " in q["sql"] else 1 for q in queries.captured_queries)


def test_new_members_are_written_with_their_managers_and_no_staff_row_is_written_twice(company, learning_admin):
    """A creating import writes each new member once, manager included, however the file orders them and even in a
    loop of new managers (A manages B who manages A): no UPDATE of the staff rows it has just written (setting
    every manager afterwards cost an UPDATE a row, the import's slowest step)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lines = "".join(f"s{k}@c.example,,,,,Sales,,,en,s{(k + 1) % 30}@c.example,,yes\n" for k in range(30))
    # each managed by the next row (every manager comes after the people they manage), the last by the first: a loop
    with CaptureQueriesContext(connection) as queries:
        imports.apply(actor=learning_admin, company=company, rows=_rows(lines), file_name="staff.csv")
    staff_updates = [q["sql"] for q in queries.captured_queries if 'UPDATE "learning_staffmember"' in q["sql"]]
    assert staff_updates == []
    managed = dict(StaffMember.objects.in_org(company).values_list("user_name", "manager__user_name"))
    assert managed == {f"s{k}@c.example": f"s{(k + 1) % 30}@c.example" for k in range(30)}


def test_the_import_runs_as_many_statements_for_300_rows_as_for_3(company, learning_admin, make_staff):
    """Creating, updating and deactivating staff takes a fixed number of statements, not one a row (an
    ``executemany`` counts each of its rows): accounts, staff and learner roles are written hundreds to a
    statement, and nothing is read back row by row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 300):
        for k in range(size):
            make_staff(user_name=f"old{size}.{k}@c.example", email=f"old{size}.{k}@c.example")
        lines = "".join(
            f"new{size}.{k}@c.example,,Given,,,Sales,,FR,fr,{f'new{size}.{k + 1}@c.example' if k + 1 < size else ''}"
            ",2020-01-02,yes\n"
            f"old{size}.{k}@c.example,,,,,Legal,,,en,new{size}.{k}@c.example,,{'no' if k % 2 else 'yes'}\n"
            for k in range(size)
        )
        with CaptureQueriesContext(connection) as queries:
            plan = imports.apply(actor=learning_admin, company=company, rows=_rows(lines), file_name="staff.csv")
        assert plan.counts()["create"] == size and plan.counts()["error"] == 0
        counts.append(_statements(queries))
    assert counts[1] == counts[0], counts
