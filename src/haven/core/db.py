"""Database helpers for bulk work: plain rows written with ``executemany`` (the generator, full rebuilds of kept
rows, course completions imported by the thousand), explicit ids, sequences and planner statistics."""

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any


def insert_rows(
    model: Any,
    fields: list[str],
    rows: Iterable[tuple[Any, ...]],
    batch: int = 5000,
    *,
    placeholders: dict[str, str] | None = None,
) -> int:
    """Insert plain tuples into ``model``'s table with ``executemany``: the fast path for the largest tables (the
    generator, full rebuilds of kept rows, course completions imported by the thousand), where building model
    instances and compiling bulk_create's SQL would dominate.

    Only dates, datetimes, JSON and plain values are converted; ``id`` may be given explicitly (then
    :func:`reset_sequences` must follow on PostgreSQL). ``placeholders``: the SQL written for a field's value
    instead of ``%s``, with exactly one ``%s`` for the row's value (a subquery that finds an id by a name, say: rows
    of one ``executemany`` see the rows written before them).
    """
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    converters: list[Callable[[Any], Any] | None] = []
    for f in columns:
        kind = f.get_internal_type()
        if kind == "DateField":
            converters.append(functools.cache(connection.ops.adapt_datefield_value))
        elif kind == "DateTimeField":
            converters.append(functools.cache(connection.ops.adapt_datetimefield_value))
        elif kind == "JSONField":
            converters.append(json.dumps)
        else:
            converters.append(None)
    # Table and column names come from the model's own metadata, quoted; values go as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in columns),
        ", ".join((placeholders or {}).get(name, "%s") for name in fields),
    )
    converted = [(index, c) for index, c in enumerate(converters) if c is not None]
    width = len(columns)

    def prepared(row: tuple[Any, ...]) -> tuple[Any, ...] | list[Any]:
        if len(row) != width:
            raise ValueError(f"{len(row)} values for {width} columns")
        if not converted:
            return row
        values = list(row)
        for index, convert in converted:
            if values[index] is not None:
                values[index] = convert(values[index])
        return values

    count = 0
    chunk: list[tuple[Any, ...] | list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(prepared(row))
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model._base_manager.aggregate(m=Max("id"))["m"] or 0) + 1


def reset_sequences(*models: Any) -> None:
    """After rows were inserted with explicit ids, PostgreSQL's sequences must move past them."""
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load. PostgreSQL only learns how large a table is from ANALYZE
    (or autovacuum, which cannot see a transaction still open): without it, the queries right after generation
    plan for empty tables and join hundreds of thousands of rows by nested loops. SQLite without statistics takes
    any index that matches an equality as good as another: a tenant's rows by ``organization_id`` (every row of a
    company of 45,000 staff) rather than one person's by their own key, 100 ms instead of 0.1."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def update_rows(model: Any, fields: list[str], rows: list[tuple[Any, ...]], batch: int = 5000) -> int:
    """Update ``fields`` of ``model``'s rows with ``executemany``, each row the new values then the row's id: the
    fast path beside :func:`insert_rows` (a staff table of thousands). Dates and datetimes are converted."""
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    # Table and column names come from the model's own metadata, quoted; values go as parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        connection.ops.quote_name(meta.db_table),
        ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns),
        connection.ops.quote_name(meta.pk.column),
    )
    adapt = {
        "DateField": connection.ops.adapt_datefield_value,
        "DateTimeField": connection.ops.adapt_datetimefield_value,
    }
    converters = [
        (index, adapt[f.get_internal_type()]) for index, f in enumerate(columns) if f.get_internal_type() in adapt
    ]

    def prepared(row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        for index, convert in converters:
            if values[index] is not None:
                values[index] = convert(values[index])
        return values

    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, [prepared(row) for row in rows[start : start + batch]])
    return len(rows)
