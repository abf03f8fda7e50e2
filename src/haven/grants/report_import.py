"""A financial report imported from the grantee's own spreadsheet (CSV or XLSX): one row per budget category with
what was spent, read by ``core.tabular``, checked row by row (a dry run), then submitted once confirmed.

A category is matched by its code (``travel``) or its name in English or French (``Travel``, ``Déplacements``),
whatever the case; amounts are in the grant's currency with at most its number of decimal places (2 for dollars),
a point or a comma before the cents and no thousands separator. A file is all or nothing: any row in error, and
nothing is submitted.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from haven.core.money import Money, exponent
from haven.core.tabular import Table, excerpt

from .models import BudgetCategory

COLUMNS = ("category", "amount")
SPACES = re.compile(r"[\s\u00a0\u202f]")


@dataclass(frozen=True)
class ImportedRow:
    line: int
    category: str  # as the file wrote it (cut short)
    amount: str
    error: str = ""


@dataclass
class ExpensePlan:
    rows: list[ImportedRow] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # category code -> minor units

    @property
    def has_errors(self) -> bool:
        return any(row.error for row in self.rows)


def rows_of(table: Table) -> list[dict[str, Any]]:
    """Each row's line and the two columns the file has (other columns are left behind)."""
    columns = [(name, index) for name in COLUMNS if (index := table.column(name)) is not None]
    return [
        {"line": line, **{name: values[index] if index < len(values) else "" for name, index in columns}}
        for line, values in table.rows
    ]


def category_names() -> dict[str, str]:
    """Every way a file may name a category, lower-cased: its code, its English name and its French name."""
    names: dict[str, str] = {}
    for code in BudgetCategory.values:
        names[code] = code
        for language in ("en", "fr"):
            with translation.override(language):
                names[str(BudgetCategory(code).label).strip().lower()] = code
    return names


def parse_amount(text: str, currency: str) -> int:
    """An amount written in major units as minor units; ValueError with the reason for the person."""
    value = SPACES.sub("", text)
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")
    places = exponent(currency)
    pattern = rf"\d+(\.\d{{1,{places}}})?" if places else r"\d+"
    if not value:
        raise ValueError(_("The amount is missing."))
    if value.startswith("-"):
        raise ValueError(_("An amount spent is never negative."))
    if not re.fullmatch(pattern, value):
        raise ValueError(
            _("Write the amount as a number with at most %(places)d decimals, without a thousands separator.")
            % {"places": places}
        )
    return Money.of(value, currency).minor


def plan(*, rows: list[dict[str, Any]], budgeted: set[str], currency: str) -> ExpensePlan:
    """What the rows say was spent per budget line, and every row's error. Nothing is written."""
    result = ExpensePlan()
    missing = [column for column in COLUMNS if rows and column not in rows[0]]
    if not rows or missing:
        message = (
            _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)} if missing else _("The file has no rows.")
        )
        result.rows.append(ImportedRow(1, "", "", message))
        return result
    names = category_names()
    seen: dict[str, int] = {}
    for row in rows:
        line, written, amount_text = row["line"], row.get("category", ""), row.get("amount", "")
        shown = ImportedRow(line, excerpt(written), excerpt(amount_text))
        code = names.get(written.strip().lower())
        error = ""
        if code is None:
            error = _("Unknown category: use the code or the name of one of the grant's budget lines.")
        elif code not in budgeted:
            error = _("This grant has no budget line for %(category)s.") % {"category": BudgetCategory(code).label}
        elif code in seen:
            error = _("This category is already on line %(line)d.") % {"line": seen[code]}
        else:
            try:
                result.lines[code] = parse_amount(amount_text, currency)
            except ValueError as problem:
                error = str(problem)
            seen[code] = line
        result.rows.append(ImportedRow(shown.line, shown.category, shown.amount, error))
    if result.has_errors:
        result.lines = {}
    return result
