"""The bulk writers: rows written hundreds to a statement come out as given, and reserved ids are new ones."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.db import STATEMENT_ROWS, JsonText, analyze, insert_rows, reserve_ids, update_rows

pytestmark = pytest.mark.django_db

JOINED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_rows_across_several_statements_are_written_and_updated_as_given():
    size = 2 * STATEMENT_ROWS + 7  # two full statements and a shorter one
    ids = reserve_ids(User, size)
    written = insert_rows(
        User,
        ["id", "email", "full_name", "password", "is_active", "date_joined"],
        [(pk, f"u{pk}@bulk.example", f"User {pk}", "!", True, JOINED) for pk in ids],
        batch=STATEMENT_ROWS,
    )
    assert written == size
    got = dict(User.objects.filter(email__endswith="@bulk.example").values_list("id", "full_name"))
    assert got == {pk: f"User {pk}" for pk in ids}
    assert User.objects.get(pk=ids[-1]).date_joined == JOINED
    update_rows(User, ["full_name", "is_active"], [(f"Renamed {pk}", pk % 2 == 0, pk) for pk in ids])
    after = {
        pk: (name, active)
        for pk, name, active in User.objects.filter(pk__in=ids).values_list("id", "full_name", "is_active")
    }
    assert after == {pk: (f"Renamed {pk}", pk % 2 == 0) for pk in ids}


def test_reserved_ids_are_after_every_id_the_table_had_even_a_deleted_one():
    kept = User.objects.create_user(email="kept@bulk.example", full_name="Kept")
    gone = User.objects.create_user(email="gone@bulk.example", full_name="Gone")
    gone_id = gone.pk
    gone.delete()
    first = reserve_ids(User, 3)
    assert len(set(first)) == 3 and min(first) > max(kept.pk, gone_id)
    insert_rows(
        User,
        ["id", "email", "full_name", "password", "is_active", "date_joined"],
        [(first[0], "a@bulk.example", "A", "!", True, JOINED)],
    )
    assert min(reserve_ids(User, 2)) > first[0]
    assert User.objects.create_user(email="next@bulk.example", full_name="Next").pk > first[0]


def test_rows_that_read_the_database_as_they_are_made_are_written():
    """The generator's rows are often made lazily, each reading the database (a keeper rebuilding its cells): on
    PostgreSQL a COPY holds the connection, so the rows must be taken before it starts."""
    kept = User.objects.create_user(email="keeper@bulk.example", full_name="Keeper")

    def rows():
        for n, pk in enumerate(reserve_ids(User, 3)):
            name = User.objects.get(pk=kept.pk).full_name  # a read while the rows are written
            yield (pk, f"lazy{n}@bulk.example", f"{name} {n}", "!", True, JOINED)

    assert insert_rows(User, ["id", "email", "full_name", "password", "is_active", "date_joined"], rows()) == 3
    assert sorted(User.objects.filter(email__startswith="lazy").values_list("full_name", flat=True)) == [
        "Keeper 0",
        "Keeper 1",
        "Keeper 2",
    ]


def test_json_already_encoded_is_written_as_it_is_and_a_plain_string_as_a_json_string(cac):
    """A ``JsonText`` goes into a JSON column as it is (the generator encodes a repeated document once); a plain
    ``str`` there is a JSON string, encoded like any other value."""
    from haven.care.models import Child

    registrar = User.objects.create_user(email="registrar@bulk.example", full_name="Registrar")
    first = reserve_ids(Child, 2)
    fields = ["id", "organization", "case_key", "display_code", "age_at_referral", "gender", "race_ethnicity"]
    fields += ["trauma_types", "referred_on", "registered_by", "registered_at"]
    insert_rows(
        Child,
        fields,
        [
            (
                first[0],
                cac.pk,
                "k-1",
                "AAA-BBB",
                9,
                "girl",
                "white",
                JsonText('["neglect"]'),
                JOINED.date(),
                registrar.pk,
                JOINED,
            ),
            (
                first[1],
                cac.pk,
                "k-2",
                "CCC-DDD",
                9,
                "girl",
                "white",
                '["neglect"]',
                JOINED.date(),
                registrar.pk,
                JOINED,
            ),
        ],
    )
    got = dict(Child.objects.in_org(cac).values_list("case_key", "trauma_types"))
    assert got == {"k-1": ["neglect"], "k-2": '["neglect"]'}


def test_the_month_of_a_date_is_the_first_day_of_its_month_as_truncmonth_gives_it(cac):
    """``MonthOf`` (SQLite's own ``date(d, 'start of month')`` there) groups dates as Django's ``TruncMonth`` does,
    leap days and year ends included."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from haven.care.models import Child
    from haven.core.db import MonthOf

    registrar = User.objects.create_user(email="months@bulk.example", full_name="Registrar")
    days = [date(2024, 2, 29), date(2024, 2, 1), date(2024, 12, 31), date(2025, 1, 1), date(2025, 3, 15)]
    fields = ["organization", "case_key", "display_code", "age_at_referral", "gender", "race_ethnicity"]
    fields += ["trauma_types", "referred_on", "registered_by", "registered_at"]
    insert_rows(
        Child,
        fields,
        [
            (cac.pk, f"m-{n}", f"MON-{n:03d}", 9, "girl", "white", [], day, registrar.pk, JOINED)
            for n, day in enumerate(days)
        ],
    )
    children = Child.objects.in_org(cac)

    def by_month(expression):
        return sorted(children.annotate(m=expression).values("m").annotate(n=Count("id")).values_list("m", "n"))

    assert by_month(MonthOf("referred_on")) == by_month(TruncMonth("referred_on"))
    assert by_month(MonthOf("referred_on")) == [
        (date(2024, 2, 1), 2),
        (date(2024, 12, 1), 1),
        (date(2025, 1, 1), 1),
        (date(2025, 3, 1), 1),
    ]


def _indexes(table: str) -> list[tuple[str, str | None]]:
    """The table's indexes with the statements that make them (None for a constraint's own on SQLite), and on
    PostgreSQL its foreign keys with their definitions."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = %s::regclass"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
                " UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' AND conrelid = %s::regclass",
                [table, table],
            )
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
        return sorted(cursor.fetchall(), key=repr)


def test_indexes_deferred_through_a_load_are_the_same_indexes_after_it():
    from django.db import transaction

    from haven.care.models import Session
    from haven.core.db import indexes_deferred

    before = _indexes(Session._meta.db_table)
    assert any(sql for _name, sql in before)
    with transaction.atomic(), indexes_deferred(Session):
        # Only a constraint's own index is left (and on PostgreSQL no foreign key).
        assert all(sql is None for _name, sql in _indexes(Session._meta.db_table))
    assert _indexes(Session._meta.db_table) == before


def test_a_load_that_fails_leaves_the_indexes_as_they_were():
    from django.db import transaction

    from haven.care.models import Session
    from haven.core.db import indexes_deferred

    before = _indexes(Session._meta.db_table)
    with pytest.raises(RuntimeError, match="the load failed"), transaction.atomic(), indexes_deferred(Session):
        raise RuntimeError("the load failed")
    assert _indexes(Session._meta.db_table) == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics")
def test_after_analyze_an_audit_entry_appended_looks_its_id_seq_and_hash_up_rather_than_read_the_whole_log():
    # The generator analyzes while the audit log holds a handful of entries, then appends tens of thousands. The
    # append-only trigger refuses an entry whose id, seq or hash exists: with the log's statistics of that moment
    # SQLite read every entry for it at each append.
    for n in range(3):
        audit.record(actor=None, action="test.entry", detail={"n": n})
    analyze()
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM audit_auditentry WHERE id = %s OR seq = %s OR hash = %s", [None, 4, "x"]
        )
        plan = [row[-1] for row in cursor.fetchall()]
    assert not any(step.startswith("SCAN audit_auditentry") for step in plan), plan
    assert any("sqlite_autoindex_audit_auditentry" in step for step in plan), plan
