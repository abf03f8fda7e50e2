from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from haven.audit.models import AuditEntry

# Tables the application only reads and appends to: it can never change or remove what is there.
APPEND_ONLY_TABLES = {AuditEntry._meta.db_table: "SELECT, INSERT"}
# Tables the application only reads.
READ_ONLY_TABLES = {"django_migrations": "SELECT"}
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"


class Command(BaseCommand):
    help = (
        "PostgreSQL: grant the role the application runs as what it needs on every Haven table, and on the audit "
        "log only SELECT and INSERT (no UPDATE, DELETE or TRUNCATE). Run it as the role that owns the tables (the "
        "one migrations run as), after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the database role of the application (web servers and task workers)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("Only PostgreSQL has roles to grant; on SQLite, keep the database file to the app.")
        role = options["role"]
        quoted = connection.ops.quote_name(role)
        tables = sorted({*connection.introspection.django_table_names(only_existing=True), *READ_ONLY_TABLES})
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found is None:
                raise CommandError(f"There is no role {role!r}: create it first (CREATE ROLE ... LOGIN).")
            if found[0]:
                raise CommandError(f"{role!r} is a superuser, which no grant can hold back: use an ordinary role.")
            cursor.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tableowner = %s"
                " AND tablename = ANY(%s)",
                [role, tables],
            )
            owned = [name for (name,) in cursor.fetchall()]
            if owned:
                raise CommandError(
                    f"{role!r} owns {', '.join(owned)}: an owner can do anything to its tables. Run migrations as "
                    "another role and grant this one."
                )
            cursor.execute(f"GRANT USAGE ON SCHEMA {connection.ops.quote_name(current_schema(cursor))} TO {quoted}")
            for table in tables:
                privileges = APPEND_ONLY_TABLES.get(table) or READ_ONLY_TABLES.get(table) or READ_WRITE
                name = connection.ops.quote_name(table)
                # Whatever was granted before goes first, so that running this again takes back what it no longer
                # grants.
                cursor.execute(f"REVOKE ALL ON TABLE {name} FROM {quoted}")
                cursor.execute(f"GRANT {privileges} ON TABLE {name} TO {quoted}")
            for sequence in connection.introspection.sequence_list():
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [sequence["table"], sequence["column"]])
                (name,) = cursor.fetchone()
                if name:  # already quoted and qualified by PostgreSQL
                    cursor.execute(f"GRANT USAGE, SELECT ON SEQUENCE {name} TO {quoted}")
        self.stdout.write(
            f"Granted {role} read and write on {len(tables) - len(APPEND_ONLY_TABLES) - len(READ_ONLY_TABLES)} "
            f"tables, SELECT and INSERT only on {', '.join(APPEND_ONLY_TABLES)}, SELECT only on "
            f"{', '.join(READ_ONLY_TABLES)}."
        )


def current_schema(cursor: Any) -> str:
    cursor.execute("SELECT current_schema()")
    return cursor.fetchone()[0]
