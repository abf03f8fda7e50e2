"""The company's staff table, uploaded: a dry run that says what each row would do (create, update, deactivate,
unchanged, error), then the same plan applied in one transaction, in bulk. Importing the same file twice changes
nothing the second time. A company without an identity provider keeps its directory this way.

Rows are matched in bulk: a handful of queries whatever the file's size (tens of thousands of rows a second).
"""

import operator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.emails import normalize_email
from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.db import collector_paused, insert_rows, reserve_ids, update_rows
from haven.core.tabular import Table, excerpt
from haven.organizations.models import Organization
from haven.organizations.roles import Role
from haven.organizations.services import memberships_provision_bulk

from . import rules, version
from .models import Language, StaffMember
from .scim_protocol import language_of
from .services import check_company

COLUMNS = (
    "user_name",
    "email",
    "given_name",
    "family_name",
    "employee_number",
    "department",
    "team",
    "country",
    "language",
    "manager_user_name",
    "hired_on",
    "active",
)
REQUIRED = ("user_name",)
CREATE, UPDATE, DEACTIVATE, UNCHANGED, ERROR = "create", "update", "deactivate", "unchanged", "error"
# The fields a row sets on a member of staff (the manager apart: it names another row).
FIELDS = ("given_name", "family_name", "employee_number", "department", "team", "country", "language", "hired_on")
fields_of = operator.itemgetter(*FIELDS)  # a row's values of FIELDS, as a tuple
LIMITS = {
    "user_name": 254,
    "given_name": 120,
    "family_name": 120,
    "employee_number": 64,
    "department": 120,
    "team": 120,
}
TRUE, FALSE = frozenset({"", "yes", "y", "true", "1", "oui", "active"}), frozenset({"no", "n", "false", "0", "non"})
ANSWERS = TRUE | FALSE
CHUNK = 5000  # values in one IN (...) query


@dataclass(slots=True)
class RowOutcome:
    line: int
    user_name: str
    outcome: str
    message: str = ""


@dataclass(slots=True)
class _Row:
    """A row read and checked: the values it sets."""

    line: int
    key: str  # user name, lower case
    user_name: str
    email: str
    values: dict[str, Any]
    manager: str  # the manager's user name, lower case ("" for none)
    active: bool


@dataclass
class StaffPlan:
    outcomes: list[RowOutcome] = field(default_factory=list)
    rows: list[_Row] = field(default_factory=list)  # the rows without error, to apply
    existing: dict[str, dict[str, Any]] = field(default_factory=dict)  # user name (lower) -> the member's values

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.outcomes if row.outcome == outcome)

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == ERROR for row in self.outcomes)

    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in (CREATE, UPDATE, DEACTIVATE, UNCHANGED, ERROR)}


def rows_of(table: Table) -> list[dict[str, Any]]:
    """The rows as the plan and the confirmation read them: each row's ``line`` and the columns of the staff table
    the file has (other columns are left behind), each a text that ``core.tabular`` trimmed."""
    columns = [(name, index) for name in COLUMNS if (index := table.column(name)) is not None]
    return [
        {"line": line, **{name: values[index] if index < len(values) else "" for name, index in columns}}
        for line, values in table.rows
    ]


def _existing(company: Organization) -> dict[str, dict[str, Any]]:
    names = ("pk", "user_id", "user_name", "user__email", "manager__user_name", "is_active", "deactivated_at", *FIELDS)
    return {row["user_name"].lower(): row for row in StaffMember.objects.in_org(company).values(*names).iterator(2000)}


def _emails_taken(emails: list[str], existing: dict[str, dict[str, Any]]) -> dict[str, int]:
    """E-mail -> user id of the accounts that hold one of ``emails`` already."""
    return _ids_by_email(emails)


def _settle(country: str, tag: str, written: str, active: str) -> tuple[str, str, date | None, bool] | str:
    """The columns a file has few values of (country, language, hire date, active), read: or what is wrong."""
    country = country.upper()
    if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
        return _("The country must be a two-letter ISO code, such as FR or US.")
    language = language_of(tag, default="") if tag else Language.ENGLISH
    if not language:
        return _("The language must be en or fr.")
    try:
        hired_on = date.fromisoformat(written) if written else None
    except ValueError:
        return _("hired_on must be a date written YYYY-MM-DD.")
    active = active.lower()
    if active not in ANSWERS:
        return _("active must be yes or no.")
    return country, language, hired_on, active in TRUE


def _read(line: int, raw: dict[str, Any], settled: dict[tuple[str, ...], Any]) -> _Row | str:
    """The row's values, or what is wrong with it. ``raw``: a row of ``rows_of`` (text, trimmed by
    ``core.tabular``). ``settled``: what :func:`_settle` said of the combinations read so far (a file has few)."""
    get = raw.get
    user_name = get("user_name", "")
    if not user_name:
        return _("A user name is required.")
    for name, limit in LIMITS.items():
        if len(get(name, "")) > limit:
            return _("%(column)s is longer than %(n)d characters.") % {"column": name, "n": limit}
    email = normalize_email(get("email") or user_name)
    if "@" not in email or len(email) > 254:
        return _("The e-mail address is not valid.")
    few = (get("country", ""), get("language", ""), get("hired_on", ""), get("active", ""))
    read = settled.get(few)
    if read is None:
        read = settled[few] = _settle(*few)
    if isinstance(read, str):
        return read
    country, language, hired_on, active = read
    values = {
        "given_name": get("given_name", ""),
        "family_name": get("family_name", ""),
        "employee_number": get("employee_number", ""),
        "department": get("department", ""),
        "team": get("team", ""),
        "country": country,
        "language": language,
        "hired_on": hired_on,
    }
    return _Row(line, user_name.lower(), user_name, email, values, get("manager_user_name", "").lower(), active)


@collector_paused()
def plan(*, company: Organization, rows: list[dict[str, Any]]) -> StaffPlan:
    """What applying ``rows`` (from ``rows_of``) would do, row by row. Nothing is written."""
    check_company(company)
    result = StaffPlan()
    missing = [column for column in REQUIRED if rows and column not in rows[0]]
    if missing or not rows:
        message = _("Missing columns: %(cols)s") % {"cols": ", ".join(missing or REQUIRED)}
        result.outcomes.append(RowOutcome(1, "", ERROR, message))
        return result
    existing = result.existing = _existing(company)
    read: list[_Row] = []
    seen: set[str] = set()
    settled: dict[tuple[str, ...], Any] = {}
    for raw in rows:
        row = _read(raw["line"], raw, settled)
        if isinstance(row, str):
            result.outcomes.append(RowOutcome(raw["line"], excerpt(str(raw.get("user_name", ""))), ERROR, row))
        elif row.key in seen:
            result.outcomes.append(RowOutcome(row.line, row.user_name, ERROR, _("This user name appears twice.")))
        else:
            seen.add(row.key)
            read.append(row)
    emails_in_file: dict[str, str] = {}
    taken = _emails_taken(sorted({row.email for row in read}), existing)
    own = {values["user__email"]: key for key, values in existing.items()}
    for row in read:
        holder = emails_in_file.setdefault(row.email, row.key)
        if holder != row.key or (row.email in taken and own.get(row.email) != row.key):
            result.outcomes.append(
                RowOutcome(row.line, row.user_name, ERROR, _("Someone else has this e-mail address."))
            )
            continue
        if row.manager and row.manager == row.key:
            result.outcomes.append(RowOutcome(row.line, row.user_name, ERROR, _("Nobody is their own manager.")))
            continue
        if row.manager and row.manager not in seen and row.manager not in existing:
            result.outcomes.append(
                RowOutcome(row.line, row.user_name, ERROR, _("The manager is not in the file nor among the staff."))
            )
            continue
        result.outcomes.append(RowOutcome(row.line, row.user_name, _outcome(row, existing.get(row.key))))
        result.rows.append(row)
    result.outcomes.sort(key=lambda outcome: outcome.line)
    return result


def _outcome(row: _Row, before: dict[str, Any] | None) -> str:
    if before is None:
        return CREATE
    if before["is_active"] and not row.active:
        return DEACTIVATE
    same = (
        fields_of(before) == fields_of(row.values)
        and before["user__email"] == row.email
        and (before["manager__user_name"] or "").lower() == row.manager
        and before["user_name"] == row.user_name
        and before["is_active"] == row.active
    )
    return UNCHANGED if same else UPDATE


@collector_paused()
@transaction.atomic
def apply(*, actor: User, company: Organization, rows: list[dict[str, Any]], file_name: str) -> StaffPlan:
    """Plan again (the directory may have changed since the dry run), then apply it all, or nothing when a row is
    in error now. Accounts, staff and learner roles are written in bulk; one audit entry with the counts."""
    result = plan(company=company, rows=rows)
    if result.has_errors:
        return result
    now = timezone.now()
    outcome_of = {outcome.line: outcome.outcome for outcome in result.outcomes}
    new = [row for row in result.rows if outcome_of[row.line] == CREATE]
    changed = [row for row in result.rows if outcome_of[row.line] in (UPDATE, DEACTIVATE)]
    password = make_password(None)  # one unusable password for every new account: they sign in through the company
    # Ids reserved before writing: a new member's manager (new too, before or after them in the file, or in a loop
    # of new managers) is written with them, and nothing is read back. The foreign keys are checked at commit.
    user_ids = dict(zip((row.key for row in new), reserve_ids(User, len(new)), strict=True))
    staff_ids = {key: before["pk"] for key, before in result.existing.items()}
    staff_ids.update(zip((row.key for row in new), reserve_ids(StaffMember, len(new)), strict=True))
    ended: list[int] = []
    staff_rows, account_rows = [], []
    for row in changed:
        before = result.existing[row.key]
        deactivated_at = None if row.active else (now if before["is_active"] else before["deactivated_at"])
        values = (row.user_name, row.active, deactivated_at, now, *fields_of(row.values))
        staff_rows.append((*values, staff_ids[row.manager] if row.manager else None, before["pk"]))
        account_rows.append((row.email, _full_name(row), before["user_id"]))
        if before["is_active"] and not row.active:
            ended.append(before["user_id"])
    update_rows(StaffMember, ["user_name", "is_active", "deactivated_at", "updated_at", *FIELDS, "manager"], staff_rows)
    update_rows(User, ["email", "full_name"], account_rows)
    # Plain rows (core.db.insert_rows): model instances and bulk_create's SQL would cost more than the writes.
    insert_rows(
        User,
        ["id", "email", "full_name", "password", "is_active", "date_joined"],
        [(user_ids[row.key], row.email, _full_name(row), password, True, now) for row in new],
    )
    insert_rows(
        StaffMember,
        ["id", "organization", "user", "user_name", "external_id", "is_active", "deactivated_at", "created_at"]
        + ["updated_at", *FIELDS, "manager"],
        [
            (
                staff_ids[row.key],
                company.pk,
                user_ids[row.key],
                row.user_name,
                "",
                row.active,
                None if row.active else now,
                now,
                now,
                *fields_of(row.values),
                staff_ids[row.manager] if row.manager else None,
            )
            for row in new
        ],
    )
    given: list[int] = [user_ids[row.key] for row in new if row.active]
    given += [
        result.existing[row.key]["user_id"]
        for row in changed
        if row.active and not result.existing[row.key]["is_active"]
    ]
    roles = memberships_provision_bulk(actor=actor, organization=company, role=Role.LEARNER, give=given, end=ended)
    # The new and changed staff get the courses the company's rules give them (a department or country may change).
    touched = [staff_ids[row.key] for row in result.rows if outcome_of[row.line] in (CREATE, UPDATE)]
    assigned = rules.assign(company, timezone.localdate(), staff_ids=set(touched)).created if touched else 0
    if new or changed:
        version.bump(company)  # the dashboard's figures count the staff
    audit.record(
        actor=actor,
        action="staff.import",
        organization=company,
        detail={
            "rows": len(rows),
            "create": len(new),
            "update": result.count(UPDATE),
            "deactivate": result.count(DEACTIVATE),
            "unchanged": result.count(UNCHANGED),
            "roles_given": roles[0],
            "roles_ended": roles[1],
            "assigned": assigned,
        },
    )
    del file_name  # named on the page, not in the log
    return result


def _ids_by_email(emails: list[str]) -> dict[str, int]:
    """E-mail -> user id of the accounts holding ``emails`` (normalized already): plain SQL, as the ORM would
    prepare every value of the IN list again."""

    table, quote = User._meta.db_table, connection.ops.quote_name
    found: dict[str, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(emails), CHUNK):
            chunk = emails[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT email, id FROM {quote(table)} WHERE email IN ({marks})", chunk)  # noqa: S608
            found.update(cursor.fetchall())
    return found


def _full_name(row: _Row) -> str:
    given, family = row.values["given_name"], row.values["family_name"]
    return f"{given} {family}" if given and family else given or family or row.user_name
