"""Database helpers for bulk work: plain rows written hundreds to a statement (the generator, full rebuilds of kept
rows, course completions imported by the thousand), explicit ids, sequences and planner statistics."""

import contextlib
import functools
import gc
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import Func
from django.db.models.functions import TruncMonth
from psycopg.adapt import Dumper
from psycopg.pq import Format

JSONB_OID = 3802


class JsonText(str):
    """JSON already encoded, for a JSON column of :func:`insert_rows`: written as it is (a plain ``str`` there is a
    JSON string, encoded). For rows that repeat the same documents, encoded once."""


class MonthOf(TruncMonth):
    """The first day of a date column's month (``TruncMonth``), in SQLite's own ``date(d, 'start of month')``
    there: Django's SQLite truncation is a function written in Python, called once a row (a third of the time of
    grouping national scale's 5.4 million sessions by month). Other engines: ``TruncMonth``'s own SQL."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", params


class Unindexed(Func):
    """A column compared without any index that starts with it: SQLite's unary ``+`` (the column's value, which its
    planner cannot look up by index). For a query over a whole table where an index on the compared column would
    be taken, and then each of millions of rows read where the index points rather than in the table's order
    (children served recomputed: national scale's 5.4 million sessions read by clinician, 14 s, against 3.5 s
    through the episodes). Other engines: the column itself."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"+{sql}", params


def _json(value: Any) -> Any:
    return value if type(value) is JsonText else json.dumps(value)


STATEMENT_ROWS = 500  # rows in one INSERT
COPY_ROWS = 50_000  # rows in one COPY (PostgreSQL)


def insert_rows(model: Any, fields: list[str], rows: Iterable[tuple[Any, ...]], batch: int = 5000) -> int:
    """Insert plain tuples into ``model``'s table, many rows to one ``INSERT ... VALUES (...), (...)``: the fast
    path for the largest tables (the generator, full rebuilds of kept rows, staff tables, course completions
    imported by the thousand), where building model instances and compiling bulk_create's SQL would dominate. One
    statement for hundreds of rows rather than ``executemany``'s statement a row: SQLite's work per statement
    (its AUTOINCREMENT counter, the constraint bookkeeping) was half the time of a 20,000-row staff insert.

    Only dates, datetimes, JSON and plain values are converted; ``id`` may be given explicitly (from
    :func:`reserve_ids`, or followed by :func:`reset_sequences` on PostgreSQL).
    """
    from django.db import connection

    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    converters: list[Callable[[Any], Any] | None] = []
    # PostgreSQL takes dates and datetimes as they are (its ``adapt_*field_value`` return them unchanged): only JSON
    # is converted, and a row of the millions COPY writes is copied only to convert it.
    postgresql = connection.vendor == "postgresql"
    for f in columns:
        kind = f.get_internal_type()
        if postgresql and kind in ("DateField", "DateTimeField"):
            converters.append(None)
        elif kind == "DateField":
            converters.append(functools.cache(connection.ops.adapt_datefield_value))
        elif kind == "DateTimeField":
            converters.append(functools.cache(connection.ops.adapt_datetimefield_value))
        elif kind == "JSONField":
            converters.append(_json)
        else:
            converters.append(None)
    converted = [(index, c) for index, c in enumerate(converters) if c is not None]
    width = len(columns)
    # Rows a statement: within the database's limit of parameters (SQLite's is 32,766 today, 999 when older).
    per = max(1, min(batch, STATEMENT_ROWS, (connection.features.max_query_params or 65535) // width))
    # Table and column names come from the model's own metadata, quoted; values go as parameters.
    target = "{} ({})".format(
        connection.ops.quote_name(meta.db_table), ", ".join(connection.ops.quote_name(f.column) for f in columns)
    )
    head = f"INSERT INTO {target} VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * width) + ")"
    full = head + ", ".join([one] * per)

    def flat(chunk: list[tuple[Any, ...]]) -> list[Any]:
        values: list[Any] = []
        for row in chunk:
            if len(row) != width:
                raise ValueError(f"{len(row)} values for {width} columns")
            start = len(values)
            values.extend(row)
            for index, convert in converted:
                if values[start + index] is not None:
                    values[start + index] = convert(values[start + index])
        return values

    if connection.vendor == "postgresql":
        return _copy_rows(connection, target, [_copy_type(f, connection) for f in columns], converted, rows)
    # Full statements go together through ``executemany`` (one statement prepared, its placeholders converted once).
    count = 0
    chunk: list[tuple[Any, ...]] = []
    pending: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= per:
                pending.append(flat(chunk))
                count += len(chunk)
                chunk = []
                if len(pending) * per >= batch:
                    cursor.executemany(full, pending)
                    pending = []
        if pending:
            cursor.executemany(full, pending)
        if chunk:
            cursor.execute(head + ", ".join([one] * len(chunk)), flat(chunk))
            count += len(chunk)
    return count


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a bulk step that makes tens of thousands of objects and no
    cycles (a staff table read and written): the collector would otherwise walk the growing heap again and again,
    a fifth of a 20,000-row import. Reference counting still frees everything; the collector resumes after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def indexes_deferred(*models: Any) -> Iterator[None]:
    """A bulk load into empty (or nearly empty) tables with their indexes built after it, on SQLite: each index
    made in one sorted pass over the loaded rows rather than grown by millions of inserts in random order (care's
    rows at program scale: 6.4 s instead of 8.8). The indexes are dropped and created again from the very
    statements SQLite keeps for them (``sqlite_master``), inside the caller's transaction: the schema after is the
    schema before, and a failure rolls both back. The tables are not to be read by their indexes meanwhile. A
    unique constraint's own index stays (SQLite cannot drop it); a unique index made again still refuses
    duplicates. PostgreSQL: the foreign keys too (:func:`_keys_and_indexes_deferred`). Other engines: nothing
    changes."""
    from django.db import connection

    if connection.vendor not in ("sqlite", "postgresql"):
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred needs a transaction: a failed load must take the dropped indexes back")
    tables = [model._meta.db_table for model in models]
    if connection.vendor == "postgresql":
        with _keys_and_indexes_deferred(connection, tables):
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({})".format(  # noqa: S608
                ", ".join(["%s"] * len(tables))
            ),
            tables,
        )
        saved = cursor.fetchall()
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, sql in saved:
            cursor.execute(sql)


@contextlib.contextmanager
def _keys_and_indexes_deferred(connection: Any, tables: list[str]) -> Iterator[None]:
    """PostgreSQL's part of :func:`indexes_deferred`: the tables' indexes (not a constraint's own) and their foreign
    keys dropped, then made again from their own definitions after the load. A foreign key added to a loaded table
    is checked in one pass over it, where each row loaded with the key in place queued a check of its own for the
    commit (Django's keys are deferred): millions of them at national scale. The checks already queued run first (a
    table with checks waiting cannot be altered); the keys' deferral is restored at the end."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid = ANY(%s::regclass[])"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _copy_type(field: Any, connection: Any) -> str:
    """The column's PostgreSQL type as binary COPY names it: ``varchar(16)`` is ``varchar``."""
    return str(field.db_type(connection)).split("(")[0]


class _JsonTextBinary(Dumper):
    """JSON already encoded (``_json``'s text) in jsonb's binary form: its version byte, then the text. psycopg's
    own jsonb dumper would encode the text again, as a JSON string."""

    format = Format.BINARY
    oid = JSONB_OID

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + obj.encode()


def _copy_rows(
    connection: Any,
    target: str,
    types: list[str],
    converted: list[tuple[int, Callable[[Any], Any]]],
    rows: Iterable[Any],
) -> int:
    """PostgreSQL's fast path: ``COPY ... FROM STDIN`` (several times faster than multi-row INSERTs for the
    generator's millions of rows). ``target``: the quoted table and its columns. The rows are taken COPY_ROWS at a
    time before each COPY starts: an iterable may read the database as it goes, which it cannot do on a connection
    busy with a COPY."""
    count = 0
    width = len(types)
    iterator = iter(rows)
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_dumper(JsonText, _JsonTextBinary)
        while chunk := list(itertools.islice(iterator, COPY_ROWS)):
            with cursor.cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in chunk:
                    if len(row) != width:
                        raise ValueError(f"{len(row)} values for {width} columns")
                    if converted:
                        values = list(row)
                        for index, convert in converted:
                            if values[index] is not None:
                                values[index] = convert(values[index])
                        row = values
                    copy.write_row(row)
            count += len(chunk)
    return count


def reserve_ids(model: Any, count: int) -> list[int]:
    """``count`` ids for new rows of ``model`` that no other row has or had, to write with :func:`insert_rows`
    when rows name each other (a member of staff and their manager, both new) or their ids are needed after.

    PostgreSQL takes them from the table's sequence (safe beside other writers). SQLite has one writer at a time
    (Haven opens its transactions IMMEDIATE): the ids after the largest the table has had, as its AUTOINCREMENT
    counts them (an id of a deleted row is never given again: the audit log names rows by id)."""
    from django.db import connection

    if count <= 0:
        return []
    meta = model._meta
    table, column = meta.db_table, meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
            f"COALESCE((SELECT MAX({connection.ops.quote_name(column)}) FROM {connection.ops.quote_name(table)}), 0))",
            [table],
        )
        last = int(cursor.fetchone()[0])
    return list(range(last + 1, last + 1 + count))


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


def analyze(*models: Any) -> None:
    """Refresh the planner's statistics after a bulk load: of ``models``' tables, or of every table when none is
    named. PostgreSQL only learns how large a table is from ANALYZE
    (or autovacuum, which cannot see a transaction still open): without it, the queries right after generation
    plan for empty tables and join hundreds of thousands of rows by nested loops. SQLite without statistics takes
    any index that matches an equality as good as another: a tenant's rows by ``organization_id`` (every row of a
    company of 45,000 staff) rather than one person's by their own key, 100 ms instead of 0.1."""
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        if models:
            for model in models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            return
        cursor.execute("ANALYZE")
        if connection.vendor == "sqlite":
            # Save the audit log's: it holds a handful of entries while the generator runs (the steps write most of
            # theirs after this) and only grows. Told it is tiny, SQLite scans it in the trigger that refuses an
            # entry whose id, seq or hash exists (``audit_entry_no_replace``) instead of looking the three up: every
            # entry appended read the whole log (the 30,000 creative reviews' entries at national scale, 15 s, and
            # every write of the bench after). Without statistics the planner takes the table as large: the indexes.
            audit = apps.get_model("audit", "AuditEntry")._meta.db_table
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [audit])
            cursor.execute("ANALYZE sqlite_schema")  # the statistics read again


def update_rows(model: Any, fields: list[str], rows: list[tuple[Any, ...]], batch: int = 5000) -> int:
    """Update ``fields`` of ``model``'s rows, each row the new values then the row's id: hundreds of rows to one
    ``UPDATE ... FROM (VALUES ...)`` (SQLite 3.33 and PostgreSQL), the fast path beside :func:`insert_rows` (a
    staff table of thousands). Dates and datetimes are converted."""
    from django.db import connection

    if not rows:
        return 0
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    width = len(columns) + 1
    adapt = {
        "DateField": connection.ops.adapt_datefield_value,
        "DateTimeField": connection.ops.adapt_datetimefield_value,
    }
    converters = [
        (index, adapt[f.get_internal_type()]) for index, f in enumerate(columns) if f.get_internal_type() in adapt
    ]
    # VALUES' columns are column1, column2... on SQLite; PostgreSQL names them so when told, and types its values
    # as text or unknown: each is cast to its column's type there (on SQLite a cast would change dates to numbers).
    names = [f"column{n}" for n in range(1, width + 1)]
    postgresql = connection.vendor == "postgresql"
    alias = f"v({', '.join(names)})" if postgresql else "v"

    def value(index: int, f: Any) -> str:
        return f"CAST(v.{names[index]} AS {f.db_type(connection)})" if postgresql else f"v.{names[index]}"

    table = quote(meta.db_table)
    # Table and column names come from the model's own metadata, quoted; values go as parameters.
    head = "UPDATE {} SET {} FROM (VALUES ".format(  # noqa: S608
        table, ", ".join(f"{quote(f.column)} = {value(index, f)}" for index, f in enumerate(columns))
    )
    where = f") AS {alias} WHERE {table}.{quote(meta.pk.column)} = {value(width - 1, meta.pk)}"
    one = "(" + ", ".join(["%s"] * width) + ")"
    per = max(1, min(batch, STATEMENT_ROWS, (connection.features.max_query_params or 65535) // width))
    statements: dict[int, list[list[Any]]] = {}  # rows in the statement -> the values of each such statement
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        values: list[Any] = []
        for row in chunk:
            first = len(values)
            values.extend(row)
            for index, convert in converters:
                if values[first + index] is not None:
                    values[first + index] = convert(values[first + index])
        statements.setdefault(len(chunk), []).append(values)
    with connection.cursor() as cursor:
        for size, params in statements.items():
            cursor.executemany(head + ", ".join([one] * size) + where, params)
    return len(rows)
