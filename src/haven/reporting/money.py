"""Every money figure, defined once (decision 27): the program admin's money page, the funder's, their downloads and
the quarterly PDF all read these.

The facts come from the money pillar through ``grants.selectors.money_facts`` (a fixed number of queries: sums by
fund or grant and month). Each figure is kept in two currencies: the grant's (dollars: what the grantee is owed and
paid, what the bank pays out) and the fund's (euros: what the funder gave). Their definitions:

* **committed**: what approved grants owe their grantees, less what a closed grant gave back (the ledger's
  ``payable`` accounts); in the fund's currency, each grant's commitment at its day's rate, less the same share of
  it when the grant closed (the ledger's ``committed`` accounts);
* **received**: what the funder sent (the fund's currency) and what arrived (the program's);
* **paid**: payments made (the grant's currency; in the fund's, at each payment's day's rate);
* **spent**: the expense lines of the grantees' financial reports the program accepted (the grant's currency);
* **remaining**: committed less paid, what the grantees are still owed (in the fund's currency at the rate each
  grant was committed at).

The burn rate is paid (or spent) per month since the program began; the plan spreads each grant's amount evenly over
its period (each fund's over its own); the spend at the program's end is projected on a straight line from the burn
rate. Costs per outcome are the money paid divided by the program's counts (``figures``); for a funder, the counts
are the released quarter's (``release``, ``tables.funder_report``), and a cost whose count is withheld is withheld
with it, since the count could be worked back from the cost and the money paid.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from haven.core.dates import quarter_end
from haven.core.money import Money, allocate, convert_by_euro_rates, exponent
from haven.grants import selectors as grants
from haven.measures.labels import INSTRUMENT_LABELS
from haven.programs.models import Program

from . import disclosure, figures, forecasting, release, tables

DAYS_PER_MONTH = Decimal("30.436875")  # the Gregorian calendar's average month


# -- Amounts in one or more currencies ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Sums:
    """A sum of amounts that may be in several currencies (a program's grants are usually all in one): minor units
    per currency, never converted. A currency summing to zero is kept (it shows as 0.00) but equal to none."""

    minor: tuple[tuple[str, int], ...] = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sums):
            return NotImplemented
        return self._nonzero() == other._nonzero()

    def __hash__(self) -> int:
        return hash(self._nonzero())

    def _nonzero(self) -> tuple[tuple[str, int], ...]:
        return tuple(item for item in self.minor if item[1])

    def __reduce__(self) -> tuple[type["Sums"], tuple[tuple[tuple[str, int], ...]]]:
        # Cached figures are pickled: made again from their plain tuple, faster than a frozen dataclass's state.
        return (Sums, (self.minor,))

    @classmethod
    def of(cls, amounts: Iterable[Money]) -> "Sums":
        totals: dict[str, int] = defaultdict(int)
        for amount in amounts:
            totals[amount.currency] += amount.minor
        return cls(tuple(sorted(totals.items(), key=lambda item: (item[0] != "USD", item[0]))))

    def __add__(self, other: "Sums") -> "Sums":
        return Sums.of([*self.amounts, *other.amounts])

    def __sub__(self, other: "Sums") -> "Sums":
        return Sums.of([*self.amounts, *(-amount for amount in other.amounts)])

    @property
    def amounts(self) -> list[Money]:
        return [Money(minor, currency) for currency, minor in self.minor]

    def of_currency(self, currency: str) -> Money:
        return Money(dict(self.minor).get(currency, 0), currency)

    def per(self, count: Decimal | int) -> "Sums":
        """Each currency's amount divided by ``count``, rounded half up to its minor unit."""
        return Sums.of(divide(amount, count) for amount in self.amounts)

    def times(self, factor: Decimal) -> "Sums":
        return Sums.of(
            Money(int((Decimal(amount.minor) * factor).quantize(Decimal(1), ROUND_HALF_UP)), amount.currency)
            for amount in self.amounts
        )


def divide(amount: Money, count: Decimal | int) -> Money:
    """``amount`` / ``count``, rounded half up to the currency's minor unit (``core.money.ROUNDING``)."""
    return Money(int((Decimal(amount.minor) / Decimal(count)).quantize(Decimal(1), ROUND_HALF_UP)), amount.currency)


# -- The books of a program, as of a day --------------------------------------------------------------------------


class GrantMoney(NamedTuple):
    """A grant's money in minor units (plain numbers, cheap to cache); its figures as ``Money`` by name."""

    facts: grants.GrantFacts
    fund: grants.FundFacts
    committed_minor: int  # the grant's currency
    committed_fund_minor: int  # the fund's currency
    paid_minor: int
    paid_fund_minor: int
    spent_minor: int

    @property
    def committed(self) -> Money:
        return Money(self.committed_minor, self.facts.currency)

    @property
    def committed_fund(self) -> Money:
        return Money(self.committed_fund_minor, self.fund.currency)

    @property
    def paid(self) -> Money:
        return Money(self.paid_minor, self.facts.currency)

    @property
    def paid_fund(self) -> Money:
        return Money(self.paid_fund_minor, self.fund.currency)

    @property
    def spent(self) -> Money:
        return Money(self.spent_minor, self.facts.currency)

    @property
    def remaining(self) -> Money:
        return self.committed - self.paid

    @property
    def remaining_fund(self) -> Money:
        """What is still owed, in the fund's currency at the rate the grant was committed at."""
        rate, remaining, currency = self.facts.committed_rate, self.remaining, self.fund.currency
        if remaining.currency == currency:
            return Money(remaining.minor, currency)
        if rate is None:
            return Money.zero(currency)
        rates = dict.fromkeys({remaining.currency, currency} - {"EUR"}, rate)
        return convert_by_euro_rates(remaining, to=currency, rates=rates)


@dataclass(frozen=True)
class FundMoney:
    facts: grants.FundFacts
    pledged: Money
    received: Money  # sent by the funder, the fund's currency
    arrived: Money  # what reached the bank, the program's currency
    committed: Money  # the fund's currency (the ledger's committed account)
    paid: Money  # the fund's currency, at each payment's rate

    @property
    def left_to_commit(self) -> Money:
        return self.pledged - self.committed


@dataclass(frozen=True)
class QuarterMoney:
    quarter: date
    new: dict[str, Sums]  # figure -> amount new in the quarter
    to_date: dict[str, Sums]  # figure -> running total at its end
    plan: Sums  # planned to date at its end (grants spread evenly over their periods)


QUARTER_FIGURES = ("committed", "committed_fund", "received", "arrived", "paid", "paid_fund", "spent")


FUND_FIGURES = ("received", "arrived", "pledged", "left_to_commit")


@dataclass(frozen=True)
class Books:
    """Every money figure of a program (or of one funder's funds) as of a day. Built once per money version
    (``books``): the sums every page shows are made then (``_sum_up``) and kept with it."""

    program: Program
    as_of: date
    currency: str
    funds: list[FundMoney]
    grants: list[GrantMoney]
    quarters: list[QuarterMoney]
    totals: dict[str, Sums] = field(default_factory=dict)  # figure -> its total (``total``)
    states: list[tuple[str, dict[str, Sums]]] = field(default_factory=list)  # ``by_state``
    plans: dict[date, Sums] = field(default_factory=dict)  # day -> ``planned`` on it, for the days the pages show
    plans_fund: dict[date, Sums] = field(default_factory=dict)

    def total(self, figure: str) -> Sums:
        if figure in self.totals:
            return self.totals[figure]
        if figure in FUND_FIGURES:
            return Sums.of(getattr(fund, figure) for fund in self.funds)
        return Sums.of(getattr(grant, figure) for grant in self.grants)

    def by_state(self) -> list[tuple[str, dict[str, Sums]]]:
        if self.states:
            return self.states
        states: dict[str, list[GrantMoney]] = defaultdict(list)
        for grant in self.grants:
            states[grant.facts.state or "—"].append(grant)
        return [
            (state, {figure: Sums.of(getattr(g, figure) for g in rows) for figure in GRANT_FIGURES})
            for state, rows in sorted(states.items())
        ]

    # The pace of spending.

    @property
    def months_elapsed(self) -> Decimal:
        """Months since the program began, to the end of ``as_of`` (days / the average month)."""
        days = (min(self.as_of, self.program.ends_on) - self.program.starts_on).days + 1
        return max(Decimal(days), Decimal(1)) / DAYS_PER_MONTH

    @property
    def months_left(self) -> Decimal:
        return max(Decimal((self.program.ends_on - self.as_of).days), Decimal(0)) / DAYS_PER_MONTH

    def burn(self, figure: str) -> Sums:
        """``figure`` (paid, paid_fund or spent) per month since the program began."""
        return self.total(figure).per(self.months_elapsed)

    def planned(self, on: date) -> Sums:
        """Each grant's amount spread evenly over its days, to the end of ``on``."""
        if on in self.plans:
            return self.plans[on]
        return Sums.of(
            _spread(Money(g.facts.amount_minor, g.facts.currency), g.facts.starts_on, g.facts.ends_on, on)
            for g in self.grants
        )

    def planned_fund(self, on: date) -> Sums:
        """Each fund's amount spread evenly over its days, to the end of ``on``."""
        if on in self.plans_fund:
            return self.plans_fund[on]
        return Sums.of(_spread(fund.pledged, fund.facts.starts_on, fund.facts.ends_on, on) for fund in self.funds)

    def projected(self, figure: str) -> Sums:
        """``figure`` at the program's end on a straight line: to date, plus the burn rate for the months left."""
        return self.total(figure) + self.burn(figure).times(self.months_left)


GRANT_FIGURES = ("committed", "committed_fund", "paid", "paid_fund", "spent", "remaining", "remaining_fund")


def _spread(amount: Money, starts_on: date, ends_on: date, on: date) -> Money:
    """The part of ``amount`` planned by the end of ``on`` when it is spread evenly over the days of a period."""
    days = (ends_on - starts_on).days + 1
    elapsed = min(max((on - starts_on).days + 1, 0), days)
    if elapsed in (0, days):
        return amount if elapsed else Money.zero(amount.currency)
    # ``allocate(amount, [elapsed, days - elapsed])[0]`` in whole numbers (it is called for every grant and quarter):
    # the floored share, and the unit left over when its remainder is at least the other part's (the earliest
    # part wins a tie).
    units = abs(amount.minor)
    share, remainder = divmod(units * elapsed, days)
    if remainder and 2 * remainder >= days:
        share += 1
    return Money(share if amount.minor >= 0 else -share, amount.currency)


def books(program: Program, *, as_of: date, funder_id: int | None = None) -> Books:
    """The program's money as of the end of ``as_of``: every fund of the program, or only ``funder_id``'s. Cached
    under the program's money version, which every write to its money moves in its transaction: never older than
    the last commit. What a funder is shown of it still goes through ``release`` and ``disclosure`` (the costs)."""
    key = f"reporting:money:{program.pk}:{grants.money_version(program)}:{as_of}:{funder_id}"
    found: Books | None = cache.get(key)
    if found is None:
        found = _books(program, as_of=as_of, funder_id=funder_id)
        cache.set(key, found, grants.MONEY_CACHE_SECONDS)
    return found


def _books(program: Program, *, as_of: date, funder_id: int | None) -> Books:
    facts = grants.money_facts(program, funder_id=funder_id, until=as_of)
    funds = {fund.id: fund for fund in facts.funds}
    ledger: dict[tuple[str, int, str], int] = defaultdict(int)
    for account, owner, kind, _month, total in facts.ledger:
        ledger[account, owner, kind] += total
    paid: dict[int, tuple[int, int]] = {}
    for grant_id, _month, amount, in_fund in facts.paid:
        before = paid.get(grant_id, (0, 0))
        paid[grant_id] = (before[0] + amount, before[1] + in_fund)
    spent: dict[int, int] = defaultdict(int)
    for grant_id, _month, amount in facts.spent:
        spent[grant_id] += amount
    received: dict[int, tuple[int, int]] = {}
    for fund_id, _month, sent, arrived in facts.received:
        before = received.get(fund_id, (0, 0))
        received[fund_id] = (before[0] + sent, before[1] + arrived)

    grant_rows = []
    for grant in facts.grants:
        fund = funds[grant.fund_id]
        released = ledger["payable", grant.id, "release"]  # a debit: what went back to the fund
        committed = -ledger["payable", grant.id, "commitment"] - released
        grant_paid, paid_fund = paid.get(grant.id, (0, 0))
        grant_rows.append(
            GrantMoney(
                facts=grant,
                fund=fund,
                committed_minor=committed,
                committed_fund_minor=_committed_in_fund(grant, fund, released).minor,
                paid_minor=grant_paid,
                paid_fund_minor=paid_fund,
                spent_minor=spent[grant.id],
            )
        )
    paid_by_fund: dict[int, int] = defaultdict(int)
    for row in grant_rows:
        paid_by_fund[row.fund.id] += row.paid_fund_minor
    fund_rows = [
        FundMoney(
            facts=fund,
            pledged=Money(fund.amount_minor, fund.currency),
            received=Money(received.get(fund.id, (0, 0))[0], fund.currency),
            arrived=Money(received.get(fund.id, (0, 0))[1], facts.currency),
            committed=Money(
                ledger["committed", fund.id, "commitment"] + ledger["committed", fund.id, "release"], fund.currency
            ),
            paid=Money(paid_by_fund[fund.id], fund.currency),
        )
        for fund in facts.funds
    ]
    result = Books(program, as_of, facts.currency, fund_rows, grant_rows, [])
    result.quarters.extend(_quarters(result, facts))
    _sum_up(result)
    return result


def _sum_up(book: Books) -> None:
    """Make the sums the pages and downloads show (totals, states, the plan on the book's day and at the
    program's end) once, when the books are built: they are cached with them."""
    for figure in (*GRANT_FIGURES, *FUND_FIGURES):
        book.totals[figure] = book.total(figure)
    book.states.extend(book.by_state())
    for day in (book.as_of, book.program.ends_on):
        book.plans[day] = book.planned(day)
    book.plans_fund[book.as_of] = book.planned_fund(book.as_of)


def _committed_in_fund(grant: grants.GrantFacts, fund: grants.FundFacts, released: int) -> Money:
    """A grant's commitment in the fund's currency, less the share given back when it closed (split as
    ``grants.services.grant_close`` split it, so it equals what the ledger holds)."""
    whole = Money(grant.committed_fund_minor or 0, fund.currency)
    if released <= 0:
        return whole
    used, _back = allocate(whole, [grant.amount_minor - released, released])
    return used


def _quarters(result: Books, facts: grants.MoneyFacts) -> list[QuarterMoney]:
    """Each quarter of the program to ``as_of``: what was new in it and the running totals at its end."""
    grant_of = {g.facts.id: g for g in result.grants}
    fund_of = {f.facts.id: f for f in result.funds}
    monthly: dict[str, list[tuple[date, Money]]] = defaultdict(list)
    for account, owner, kind, month, total in facts.ledger:
        if account == "payable" and kind in ("commitment", "release") and owner in grant_of:
            monthly["committed"].append((month, Money(-total, grant_of[owner].facts.currency)))
        if account == "committed" and kind in ("commitment", "release") and owner in fund_of:
            monthly["committed_fund"].append((month, Money(total, fund_of[owner].facts.currency)))
    for grant_id, month, amount, in_fund in facts.paid:
        if grant_id in grant_of:
            monthly["paid"].append((month, Money(amount, grant_of[grant_id].facts.currency)))
            monthly["paid_fund"].append((month, Money(in_fund, grant_of[grant_id].fund.currency)))
    for fund_id, month, sent, arrived in facts.received:
        monthly["received"].append((month, Money(sent, fund_of[fund_id].facts.currency)))
        monthly["arrived"].append((month, Money(arrived, facts.currency)))
    for grant_id, month, amount in facts.spent:
        if grant_id in grant_of:
            monthly["spent"].append((month, Money(amount, grant_of[grant_id].facts.currency)))
    quarters = figures.program_quarters(result.program, min(result.as_of, result.program.ends_on))
    if not quarters:
        return []
    # Each month's amounts go to its quarter (a month before the program's first quarter to the first, one after
    # the last to none); the running totals add the quarters up in order.
    into: dict[str, list[list[Money]]] = {figure: [[] for _q in quarters] for figure in QUARTER_FIGURES}
    for figure in QUARTER_FIGURES:
        for month, moved in monthly[figure]:
            if month <= quarter_end(quarters[-1]):
                into[figure][max(bisect_right(quarters, month) - 1, 0)].append(moved)
    rows = []
    running = dict.fromkeys(QUARTER_FIGURES, Sums())
    for index, quarter in enumerate(quarters):
        new = {figure: Sums.of(into[figure][index]) for figure in QUARTER_FIGURES}
        running = {figure: running[figure] + new[figure] for figure in QUARTER_FIGURES}
        plan = result.planned(min(quarter_end(quarter), result.program.ends_on))
        rows.append(QuarterMoney(quarter, new, running, plan))
    return rows


# -- Costs per outcome --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cost:
    """The money paid per one outcome. ``count`` is None and the costs are None when the count is withheld."""

    key: str
    label: str | Promise
    count: int | None
    paid: Sums
    paid_fund: Sums
    withheld: bool = False

    @property
    def per(self) -> Sums | None:
        return self.paid.per(self.count) if self.count else None

    @property
    def per_fund(self) -> Sums | None:
        return self.paid_fund.per(self.count) if self.count else None


OUTCOMES: dict[str, str | Promise] = {
    "trained": _("Per clinician trained"),
    "certified": _("Per clinician certified"),
    "children": _("Per child served"),
}


def _recovered_label(code: str) -> str:
    return str(_("Per child who recovered (%(instrument)s)") % {"instrument": INSTRUMENT_LABELS.get(code, code)})


def program_costs(book: Books, work: figures.Workforce, reached: figures.Care) -> list[Cost]:
    """Costs per outcome for the program's staff: the money paid to date over the program's counts, unsuppressed."""
    paid, paid_fund = book.total("paid"), book.total("paid_fund")
    counts: list[tuple[str, str | Promise, int]] = [
        ("trained", OUTCOMES["trained"], work.trained),
        ("certified", OUTCOMES["certified"], work.certified),
        ("children", OUTCOMES["children"], reached.children),
    ]
    counts += [
        (f"recovered:{item.code}", _recovered_label(item.code), item.outcome.recovered)
        for item in reached.outcomes
        if item.outcome.recovered is not None
    ]
    return [Cost(key, label, count, paid, paid_fund) for key, label, count in counts]


def released_costs(book: Books, protected: disclosure.Protected) -> list[Cost]:
    """Costs per outcome for a funder: the money paid by the quarter's end over the released quarter's counts.
    Clinicians are counted exactly; a child count that is withheld withholds its cost, which would give it away."""
    paid, paid_fund = book.total("paid"), book.total("paid_fund")
    keys: list[tuple[str, Any, str | Promise]] = [
        ("trained", "trained", OUTCOMES["trained"]),
        ("certified", "certified", OUTCOMES["certified"]),
        ("children", "children", OUTCOMES["children"]),
    ]
    keys += [
        (f"recovered:{key[1]}", key, _recovered_label(key[1]))
        for key in protected.values
        if isinstance(key, tuple)
        and len(key) == 3
        and key[0] == "outcome"
        and key[2] == "recovered"
        and key not in protected.hidden
    ]
    costs = []
    for name, key, label in keys:
        count = protected.value(key)
        costs.append(Cost(name, label, count, paid, paid_fund, withheld=count is None))
    return costs


@dataclass(frozen=True)
class Projection:
    """The spend at the program's end on a straight line from the burn rate, and the cost per clinician trained it
    gives with the forecast's median of clinicians trained by then."""

    paid_at_end: Sums
    plan_at_end: Sums
    trained_at_end: int | None
    forecast: bool  # the trained count is the forecast's (else the actual: the program has ended)

    @property
    def per_trained(self) -> Sums | None:
        return self.paid_at_end.per(self.trained_at_end) if self.trained_at_end else None


def projection(book: Books, work: figures.Workforce, *, today: date) -> Projection:
    forecast = forecasting.median_at_end(book.program, "clinicians_trained", today=today)
    return Projection(
        paid_at_end=book.projected("paid"),
        plan_at_end=book.planned(book.program.ends_on),
        trained_at_end=forecast if forecast is not None else work.trained,
        forecast=forecast is not None,
    )


# -- Tables: what the pages, the downloads and the PDF show ------------------------------------------------------

type Cell = Sums | Money | int | str | None


@dataclass
class MoneyTable:
    slug: str
    title: str | Promise
    explanation: str | Promise
    columns: list[str | Promise]
    rows: list[tuple[str | Promise, list[Cell]]] = field(default_factory=list)
    page: Page[Any] | None = None  # set when the rows are one page of a longer list (the grants on a page)


GRANTS_PER_PAGE = 50


def _funds_table(book: Books) -> MoneyTable:
    table = MoneyTable(
        "funds",
        _("Funds"),
        _(
            "Each fund in its own currency: what the funder pledged, what it sent, what grants committed (at the "
            "rate of the day each was approved), what was paid (at the rate of each payment's day) and what is left "
            "to commit."
        ),
        [_("Pledged"), _("Received"), _("Arrived in the bank"), _("Committed"), _("Paid"), _("Left to commit")],
    )
    for fund in book.funds:
        table.rows.append(
            (
                fund.facts.name,
                [fund.pledged, fund.received, fund.arrived, fund.committed, fund.paid, fund.left_to_commit],
            )
        )
    if len(book.funds) > 1:
        totals: list[Cell] = [
            book.total("pledged"),
            book.total("received"),
            book.total("arrived"),
            Sums.of(f.committed for f in book.funds),
            Sums.of(f.paid for f in book.funds),
            book.total("left_to_commit"),
        ]
        table.rows.append((_("All funds"), totals))
    return table


def _grant_cells(values: dict[str, Any]) -> list[Cell]:
    return [values[figure] for figure in GRANT_FIGURES]


GRANT_COLUMNS: list[str | Promise] = [
    _("Committed"),
    _("Committed (fund's currency)"),
    _("Paid"),
    _("Paid (fund's currency)"),
    _("Spent"),
    _("Remaining"),
    _("Remaining (fund's currency)"),
]


def _grants_table(book: Books, page: str | None) -> MoneyTable:
    """Every grant (a download), or one page of them (``page``: its number as asked, a page shows
    ``GRANTS_PER_PAGE``), then the total of all grants on every page."""
    shown: Page[GrantMoney] | None = None
    grants: Sequence[GrantMoney] = book.grants
    if page is not None:
        shown = Paginator(book.grants, GRANTS_PER_PAGE, allow_empty_first_page=True).get_page(page)
        grants = list(shown.object_list)
    table = MoneyTable(
        "grants",
        _("Grants"),
        _(
            "Each approved grant in its own currency and in its fund's: committed, paid, spent (the grantee's "
            "accepted financial reports) and remaining (committed and not yet paid)."
        ),
        [_("Grantee"), _("State"), *GRANT_COLUMNS],
        page=shown,
    )
    for grant in grants:
        values = {figure: getattr(grant, figure) for figure in GRANT_FIGURES}
        table.rows.append((grant.facts.purpose, [grant.facts.grantee, grant.facts.state, *_grant_cells(values)]))
    table.rows.append((_("All grants"), ["", "", *_grant_cells({f: book.total(f) for f in GRANT_FIGURES})]))
    return table


def _states_table(book: Books) -> MoneyTable:
    return MoneyTable(
        "money_states",
        _("Money by state"),
        _("The grants by their grantee's state."),
        GRANT_COLUMNS,
        [(state, _grant_cells(values)) for state, values in book.by_state()],
    )


def _quarters_table(book: Books) -> MoneyTable:
    return MoneyTable(
        "money_quarters",
        _("Money quarter by quarter"),
        _(
            "New in each quarter: committed, received from the funder, paid and spent; then what was paid to date "
            "against the plan (each grant's amount spread evenly over its period)."
        ),
        [
            _("Committed"),
            _("Committed (fund's currency)"),
            _("Received (fund's currency)"),
            _("Paid"),
            _("Paid (fund's currency)"),
            _("Spent"),
            _("Paid to date"),
            _("Planned to date"),
        ],
        [
            (
                tables.quarter_label(q.quarter),
                [
                    q.new["committed"],
                    q.new["committed_fund"],
                    q.new["received"],
                    q.new["paid"],
                    q.new["paid_fund"],
                    q.new["spent"],
                    q.to_date["paid"],
                    q.plan,
                ],
            )
            for q in book.quarters
        ],
    )


def _costs_table(costs: list[Cost], *, funder: bool) -> MoneyTable:
    explanation = (
        _(
            "The money paid from these funds by the quarter's end, divided by the program's count of each outcome "
            "as released for that quarter. Clinicians are counted exactly; where a count of children is withheld "
            "(<11), so is its cost, which would give the count away. Where other funds pay grants of the program "
            "too, each outcome also cost their share."
        )
        if funder
        else _("The money paid to date divided by the program's count of each outcome to date.")
    )
    return MoneyTable(
        "costs",
        _("Cost per outcome"),
        explanation,
        [_("Count"), _("Cost"), _("Cost (fund's currency)")],
        [
            (
                cost.label,
                [disclosure.SUPPRESSED, disclosure.SUPPRESSED, disclosure.SUPPRESSED]
                if cost.withheld
                else [cost.count, cost.per, cost.per_fund],
            )
            for cost in costs
        ],
    )


def _pace_table(book: Books, plan: Projection | None) -> MoneyTable:
    months = book.months_elapsed
    planned = book.planned(book.as_of)
    rows: list[tuple[str | Promise, list[Cell]]] = [
        (_("Paid"), [book.total("paid"), book.burn("paid"), planned, planned.per(months)]),
        (_("Spent"), [book.total("spent"), book.burn("spent"), None, None]),
        (
            _("Paid (fund's currency)"),
            [book.total("paid_fund"), book.burn("paid_fund"), book.planned_fund(book.as_of), None],
        ),
    ]
    if plan is not None:
        rows.append((_("Projected at the program's end"), [plan.paid_at_end, None, plan.plan_at_end, None]))
    return MoneyTable(
        "pace",
        _("Pace of spending"),
        _(
            "Burn rate: paid (or spent) to date divided by the months since the program began. Plan: each grant's "
            "amount spread evenly over its period (each fund's over its own, in the fund's currency). At the "
            "program's end: paid to date plus the burn rate for the months left, a straight line."
        ),
        [_("To date"), _("Per month"), _("Planned to date"), _("Planned per month")],
        rows,
    )


def admin_tables(book: Books, costs: list[Cost], plan: Projection, *, page: str | None = None) -> list[MoneyTable]:
    """The program admin's tables: the grants' table whole, or one ``page`` of it (a page's number, as asked)."""
    return [
        _funds_table(book),
        _pace_table(book, plan),
        _costs_table(costs, funder=False),
        _states_table(book),
        _quarters_table(book),
        _grants_table(book, page),
    ]


def funder_tables(book: Books, costs: list[Cost], *, page: str | None = None) -> list[MoneyTable]:
    return [
        _funds_table(book),
        _costs_table(costs, funder=True),
        _states_table(book),
        _quarters_table(book),
        _grants_table(book, page),
    ]


def report_tables(book: Books, costs: list[Cost]) -> list[MoneyTable]:
    """The quarterly PDF's money section: the program's money as a whole and its costs per outcome."""
    return [_costs_table(costs, funder=True), _states_table(book), _quarters_table(book)]


# -- What each audience is shown ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminMoney:
    book: Books
    costs: list[Cost]
    plan: Projection
    tables: list[MoneyTable]


def admin_money(program: Program, *, today: date, page: str | None = None) -> AdminMoney:
    """The program admin's money page: every fund, as of today, costs over the program's unsuppressed counts. With
    ``page``, the grants' table holds that page of the grants (the page); without, every grant (the downloads)."""
    book = books(program, as_of=today, funder_id=None)
    whole = figures.Filters()
    work = figures.workforce(program, whole, today=today)
    reached = figures.care_totals(program, whole)
    costs = program_costs(book, work, reached)
    plan = projection(book, work, today=today)
    return AdminMoney(book, costs, plan, admin_tables(book, costs, plan, page=page))


@dataclass(frozen=True)
class FunderMoney:
    book: Books
    costs: list[Cost]
    quarter: date
    tables: list[MoneyTable]


def funder_money(program: Program, quarter: date, *, funder_id: int | None, page: str | None = None) -> FunderMoney:
    """A funder's money as of the end of a released ``quarter``: only its own funds (``funder_id``; None for the
    program's staff, who see every fund), costs over the quarter's released counts; ``page`` as ``admin_money``."""
    book = books(program, as_of=quarter_end(quarter), funder_id=funder_id)
    costs = released_costs(book, release.released(program, quarter))  # the counts as the funder's report has them
    return FunderMoney(book, costs, quarter, funder_tables(book, costs, page=page))


def report_money(report: tables.FunderReport, *, funder_id: int | None = None) -> list[MoneyTable]:
    """The quarterly PDF's money section as of the report's quarter: one funder's funds (its own download), or,
    in the stored report every funder of the program reads, the program's money as a whole, only while a single
    funder gave every fund: with two, the whole less one funder's own would show the other's (decision 27)."""
    book = books(report.program, as_of=report.until, funder_id=funder_id)
    if not book.funds:
        return []
    if funder_id is None and len({fund.facts.funder_id for fund in book.funds}) > 1:
        return []
    return report_tables(book, released_costs(book, report.protected))


# -- The chart and the downloads ----------------------------------------------------------------------------------


def chart(book: Books) -> dict[str, Any]:
    """Cumulative committed, paid and spent by quarter against the plan, in the program's currency (Chart.js).
    The values are major units as numbers for drawing only: the table beside the chart has the exact amounts."""
    currency = book.currency

    def series(values: Callable[[QuarterMoney], Sums]) -> list[float]:
        return [float(values(q).of_currency(currency).amount) for q in book.quarters]

    lines = [
        (_("Committed"), series(lambda q: q.to_date["committed"]), "#1f5f8b", False),
        (_("Paid"), series(lambda q: q.to_date["paid"]), "#c0392b", False),
        (_("Spent"), series(lambda q: q.to_date["spent"]), "#2e8b57", False),
        (_("Planned"), series(lambda q: q.plan), "#555555", True),
    ]
    datasets = []
    for label, values, color, dashed in lines:
        dataset: dict[str, Any] = {
            "label": str(label),
            "data": values,
            "borderColor": color,
            "backgroundColor": color,
            "pointRadius": 2,
        }
        if dashed:
            dataset["borderDash"] = [6, 4]
        datasets.append(dataset)
    return {
        "type": "line",
        "data": {"labels": [tables.quarter_label(q.quarter) for q in book.quarters], "datasets": datasets},
        "options": {"scales": {"y": {"beginAtZero": True}}},
    }


def cell_text(value: Cell) -> Any:
    """A cell as a download writes it: an amount in major units with its currency code, a count as a number."""
    if value is None:
        return ""
    if isinstance(value, Money):
        value = Sums.of([value])
    if isinstance(value, Sums):
        amounts = value.amounts
        if not amounts:
            return ""
        return " + ".join(f"{amount.amount:.{exponent(amount.currency)}f} {amount.currency}" for amount in amounts)
    return value


def flat_rows(money_tables: list[MoneyTable], as_of: date) -> list[list[Any]]:
    """Every money table one after another, as rows for a CSV or a sheet."""
    rows: list[list[Any]] = [[str(_("As of")), as_of.isoformat()]]
    for table in money_tables:
        rows += [[], [str(table.title)], ["", *[str(c) for c in table.columns]]]
        rows += [[str(label), *[cell_text(v) for v in values]] for label, values in table.rows]
    return rows
