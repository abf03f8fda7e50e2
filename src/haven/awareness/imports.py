"""A campaign's results from the platforms' CSV exports: a dry run that says what each row would do (add, replace,
error), then the same rows applied in one transaction. A row is one day (or reporting period), channel, platform and
country; importing the same period again replaces it, so a file can be imported as often as it is exported.

Each platform names its columns its own way: ``SOURCES`` maps the headers of Meta's, Google Ads' and LinkedIn's
exports and of Haven's own template to the figures Haven keeps. An export without a channel, platform or country
column takes the platform's (and the form's country, if given).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.audit import services as audit
from haven.core import tabular_dates
from haven.core.tabular import Table, excerpt
from haven.organizations.models import Membership

from .models import Campaign, CampaignChannel, CampaignResult
from .services import check_runner

NUMBERS = ("reach", "impressions", "engagement", "clicks", "conversions")
KEYS = ("on", "channel", "platform", "country")


@dataclass(frozen=True)
class Source:
    label: Any
    columns: dict[str, tuple[str, ...]]  # Haven's name -> the headers (lower case) that carry it, first found wins
    channel: str = ""
    platform: str = ""


SOURCES: dict[str, Source] = {
    "haven": Source(
        gettext_lazy("Haven's template"),
        {
            "on": ("date",),
            "channel": ("channel",),
            "platform": ("platform",),
            "country": ("country",),
            **{name: (name,) for name in NUMBERS},
        },
    ),
    "meta": Source(
        gettext_lazy("Meta (Facebook, Instagram) Ads Manager export"),
        {
            "on": ("reporting starts", "day"),
            "platform": ("platform",),
            "country": ("country",),
            "reach": ("reach",),
            "impressions": ("impressions",),
            "engagement": ("post engagements", "post engagement"),
            "clicks": ("link clicks",),
            "conversions": ("results",),
        },
        channel=CampaignChannel.SOCIAL,
        platform="meta",
    ),
    "google_ads": Source(
        gettext_lazy("Google Ads report"),
        {
            "on": ("day", "date"),
            "country": ("country/territory (user location)", "country/territory", "country"),
            "reach": ("unique users", "reach"),
            "impressions": ("impr.", "impressions"),
            "engagement": ("interactions", "engagements"),
            "clicks": ("clicks",),
            "conversions": ("conversions",),
        },
        channel=CampaignChannel.SEARCH,
        platform="google-ads",
    ),
    "linkedin": Source(
        gettext_lazy("LinkedIn Campaign Manager export"),
        {
            "on": ("start date", "start date (in utc)"),
            "country": ("country", "location"),
            "reach": ("reach",),
            "impressions": ("impressions",),
            "engagement": ("engagements", "total engagements"),
            "clicks": ("clicks",),
            "conversions": ("conversions",),
        },
        channel=CampaignChannel.SOCIAL,
        platform="linkedin",
    ),
}
DETECT = "detect"
TEMPLATE_HEADER = ("date", "channel", "platform", "country", *NUMBERS)
TEMPLATE_EXAMPLE = ("2027-04-01", "social", "instagram", "US", "12000", "30500", "900", "410", "12")
EMPTY = frozenset({"", "--", "-", "—"})  # Google Ads writes "--" for no value
ADD, REPLACE, ERROR = "add", "replace", "error"


# The headers that tell one export from another (any one of them).
SIGNATURES = {
    "meta": ("reporting starts", "link clicks", "post engagements"),
    "google_ads": ("impr.", "interactions", "country/territory"),
    "linkedin": ("start date", "start date (in utc)", "total engagements"),
}


def detect(header: Iterable[str]) -> str | None:
    """The source whose distinctive columns the header has (Haven's template first, being the plainest)."""
    names = set(header)
    if {"date", "channel"} <= names:
        return "haven"
    for key, columns in SIGNATURES.items():
        if names.intersection(columns):
            return key
    return None


def rows_of(table: Table, source_key: str) -> list[dict[str, Any]]:
    """Each row's ``line`` and its cells under Haven's names (the columns the source has; others are left behind)."""
    source = SOURCES[source_key]
    columns: list[tuple[str, int]] = []
    for name, headers in source.columns.items():
        for header in headers:
            if (index := table.column(header)) is not None:
                columns.append((name, index))
                break
    return [
        {"line": line, **{name: values[index] if index < len(values) else "" for name, index in columns}}
        for line, values in table.rows
    ]


@dataclass
class RowOutcome:
    line: int
    outcome: str
    values: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class ResultsPlan:
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == ERROR for row in self.outcomes)

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for row in self.outcomes if row.outcome == kind) for kind in (ADD, REPLACE, ERROR)}

    def rows(self) -> list[dict[str, Any]]:
        """The rows to apply, as the signed payload carries them (dates in ISO)."""
        return [
            {"line": row.line, **row.values, "on": row.values["on"].isoformat()}
            for row in self.outcomes
            if row.outcome != ERROR
        ]


def _number(value: str, column: str) -> int | str:
    text = value.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    if text in EMPTY:
        return 0
    if text.endswith(".0"):
        text = text[:-2]
    try:
        number = int(text)
    except ValueError:
        return _("%(column)s must be a whole number, not “%(value)s”.") % {"column": column, "value": excerpt(value)}
    if number < 0:
        return _("%(column)s cannot be negative.") % {"column": column}
    return number


def _read(
    raw: dict[str, Any], source: Source, order: tabular_dates.DateOrder | None, country: str
) -> dict[str, Any] | str:
    """A row's values, or what is wrong with it."""
    cell = {name: str(raw.get(name) or "").strip() for name in ("on", "channel", "platform", "country", *NUMBERS)}
    if not cell["on"]:
        return _("The row has no date.")
    try:
        on: date = tabular_dates.parse_date(cell["on"], order)
    except tabular_dates.DateError as error:
        return tabular_dates.describe(error)
    channel = (cell["channel"] or source.channel).lower().replace(" ", "_")
    if channel not in CampaignChannel.values:
        return _("The channel must be one of: %(channels)s.") % {"channels": ", ".join(CampaignChannel.values)}
    platform = (cell["platform"] or source.platform).lower()[:60]
    where = (cell["country"] or country).upper()
    if where and not (len(where) == 2 and where.isascii() and where.isalpha()):
        return _("The country must be a two-letter ISO code, such as FR or US.")
    values: dict[str, Any] = {"on": on, "channel": channel, "platform": platform, "country": where}
    for name in NUMBERS:
        number = _number(cell[name], name)
        if isinstance(number, str):
            return number
        values[name] = number
    if values["reach"] > values["impressions"]:
        return _("Reach (%(reach)d people) cannot be more than impressions (%(impressions)d).") % {
            "reach": values["reach"],
            "impressions": values["impressions"],
        }
    return values


def _key(values: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(values[name] for name in KEYS)


def plan(
    *, campaign: Campaign, rows: list[dict[str, Any]], source_key: str, date_order: str | None = None, country: str = ""
) -> ResultsPlan:
    """What each row would do: add a period, replace one already imported, or an error (nothing is written)."""
    source = SOURCES[source_key]
    column = tabular_dates.DateColumn.of((row["line"], str(row.get("on") or "")) for row in rows)
    order = column.order_with(date_order)
    existing = {
        _key(values)
        for values in CampaignResult.objects.in_org(campaign.organization_id).filter(campaign=campaign).values(*KEYS)
    }
    seen: dict[tuple[Any, ...], int] = {}
    result = ResultsPlan()
    for raw in rows:
        read = _read(raw, source, order, country.upper())
        if isinstance(read, str):
            result.outcomes.append(RowOutcome(raw["line"], ERROR, message=read))
            continue
        key = _key(read)
        if key in seen:
            message = _("The same day, channel, platform and country is on line %(line)d already.") % {
                "line": seen[key]
            }
            result.outcomes.append(RowOutcome(raw["line"], ERROR, read, message))
            continue
        seen[key] = raw["line"]
        result.outcomes.append(RowOutcome(raw["line"], REPLACE if key in existing else ADD, read))
    if not rows:
        result.outcomes.append(RowOutcome(0, ERROR, message=_("The file has no rows of results.")))
    return result


@transaction.atomic
def apply(*, membership: Membership, campaign: Campaign, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Write the rows the dry run planned (dates in ISO): each replaces the same period if it was imported before.
    One audit entry with the counts."""
    check_runner(membership, campaign.organization_id)
    results = CampaignResult.objects.in_org(campaign.organization_id).filter(campaign=campaign)
    values = [{**row, "on": date.fromisoformat(row["on"])} for row in rows]
    existing = {_key(row): row["pk"] for row in results.values("pk", *KEYS)}
    replaced = [existing[_key(row)] for row in values if _key(row) in existing]
    results.filter(pk__in=replaced).delete()
    CampaignResult.objects.bulk_create(
        CampaignResult(
            organization_id=campaign.organization_id,
            campaign=campaign,
            **{name: row[name] for name in (*KEYS, *NUMBERS)},
        )
        for row in values
    )
    counts = {"rows": len(values), "added": len(values) - len(replaced), "replaced": len(replaced)}
    audit.record(
        actor=membership.user,
        action="awareness.results_import",
        organization=campaign.organization_id,
        target=campaign,
        detail=counts,
    )
    return counts
