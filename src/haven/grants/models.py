"""The money pillar: funds, grants, tranches, payments, grantee reports, the ledger and the euro reference rates.

Every amount is a whole number of its currency's minor units (``*_minor``, a ``BigIntegerField``) beside the code of
its currency (decision 26; ``haven.core.money``). Balances are never stored: they are sums of the ledger's legs.

Tenancy. The program's books (funds, receipts, the ledger's accounts and transactions, the money rules) belong to
the national office that runs the program. A grant and everything under it (its budget, tranches, payments and
reports) belong to the grantee, so a grantee's org admin reads them with ``in_org``; the program's staff read them
through the named scope ``of_program`` after ``access_program``, and a funder through ``of_funder``.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from haven.organizations.tenancy import TenantModel, TenantQuerySet

CURRENCY_CHOICES = [("USD", _("US dollars")), ("EUR", _("Euros"))]


# -- The program's books ----------------------------------------------------------------------------------------


class MoneyRules(TenantModel):
    """A program's rules for its money, program data rather than constants."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="+")
    # A payment above this amount (in the program's currency) needs an approver other than its creator.
    second_approval_above_minor = models.BigIntegerField(_("second approval above"), default=2_500_000)
    currency = models.CharField(_("currency"), max_length=3, default="USD", choices=CURRENCY_CHOICES)
    # Days before a report's due date when its grantee is reminded by e-mail (and the day after, when late).
    reminder_days = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(second_approval_above_minor__gte=0), name="money_rules_threshold")
        ]

    def __str__(self) -> str:
        return f"money rules of {self.program_id}"


class MoneyVersion(TenantModel):
    """The money version (``grants.version``): a random token every write to a program's money replaces, in the
    same transaction.

    The money figures (``reporting.money``) are cached under this token, so a cached figure is never older than the
    last committed write. Random rather than a counter, so that a database rebuilt from scratch cannot meet the
    figures cached for an earlier one (as ``training.FiguresVersion``)."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.program_id} {self.token}"


class FundQuerySet(TenantQuerySet):
    def of_program(self, program: Any) -> "FundQuerySet":
        return self.filter(program=program)._scoped()

    def of_funder(self, funder_id: int) -> "FundQuerySet":
        """The funds a funder gave: the funder is the scope."""
        return self.filter(funder_id=funder_id)._scoped()


class Fund(TenantModel):
    """Money a funder gives a program, in the funder's currency, over a period."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    funder = models.ForeignKey("organizations.Organization", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(_("amount"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = models.Manager.from_queryset(FundQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["starts_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="fund_amount_positive"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="fund_ends_after_start"),
            models.UniqueConstraint(fields=["organization", "program", "name"], name="fund_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Receipt(TenantModel):
    """Money that arrived from the funder: the amount sent in the fund's currency and what arrived in dollars."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField(_("received on"))
    amount_minor = models.BigIntegerField(_("amount sent"))  # in the fund's currency
    arrived_minor = models.BigIntegerField(_("amount arrived"))  # in the program's currency (dollars)
    arrived_currency = models.CharField(max_length=3, default="USD", choices=CURRENCY_CHOICES)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0) & Q(arrived_minor__gt=0), name="receipt_amounts_positive"
            )
        ]

    def __str__(self) -> str:
        return f"receipt {self.id} to fund {self.fund_id}"


# -- Grants -------------------------------------------------------------------------------------------------------


class GrantStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class BudgetCategory(models.TextChoices):
    """The object class categories of a federal budget (SF-424A), construction left out."""

    PERSONNEL = "personnel", _("Personnel")
    FRINGE = "fringe", _("Fringe benefits")
    TRAVEL = "travel", _("Travel")
    EQUIPMENT = "equipment", _("Equipment")
    SUPPLIES = "supplies", _("Supplies")
    CONTRACTUAL = "contractual", _("Contractual")
    OTHER = "other", _("Other")
    INDIRECT = "indirect", _("Indirect costs")


class GrantScopedQuerySet(TenantQuerySet):
    """Grants and the rows under them: the grantee's (``in_org``), a program's or a funder's."""

    _grant_path = ""

    def _path(self, field: str) -> str:
        return f"{self._grant_path}{field}"

    def of_program(self, program: Any) -> "GrantScopedQuerySet":
        """Every grant of a program's funds, for its staff (after ``access_program``)."""
        return self.filter(**{self._path("fund__program"): program})._scoped()

    def of_funder(self, funder_id: int) -> "GrantScopedQuerySet":
        """The grants made from a funder's funds: the funder is the scope."""
        return self.filter(**{self._path("fund__funder_id"): funder_id})._scoped()


class GrantQuerySet(GrantScopedQuerySet):
    _grant_path = ""


class UnderGrantQuerySet(GrantScopedQuerySet):
    _grant_path = "grant__"


class Grant(TenantModel):
    """A grant from a fund to an organization (a state chapter or a CAC), in the grantee's currency.

    ``organization`` is the grantee. Its status moves draft > approved > active > closed; the amount is committed
    (posted to the ledger) on approval, never beyond what the fund has left.
    """

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="grants")
    purpose = models.CharField(_("purpose"), max_length=300)
    currency = models.CharField(_("currency"), max_length=3, default="USD", choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField(_("amount"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    # The euro reference rate the commitment was converted at (units of the grant's currency per euro) and its
    # date, kept so that gains and losses between commitment and payment can be shown.
    committed_rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    committed_rate_on = models.DateField(null=True, blank=True)
    committed_fund_minor = models.BigIntegerField(null=True, blank=True)  # the commitment in the fund's currency
    closed_on = models.DateField(null=True, blank=True)

    objects = models.Manager.from_queryset(GrantQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="grant_amount_positive"),
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="grant_ends_after_start"),
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(approved_by__isnull=False) & Q(committed_fund_minor__isnull=False)),
                name="grant_approved_is_committed",
            ),
        ]

    def __str__(self) -> str:
        return self.purpose


class BudgetLine(TenantModel):
    """What a grant plans to spend in one category."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("category"), max_length=16, choices=BudgetCategory.choices)
    amount_minor = models.BigIntegerField(_("amount"))

    objects = models.Manager.from_queryset(UnderGrantQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["grant", "category"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "category"], name="budget_line_once"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="budget_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.category}"


class TrancheMetric(models.TextChoices):
    """The program figures a tranche can wait for, counted for the grantee's organization and those under it."""

    CLINICIANS_TRAINED = "clinicians_trained", _("Clinicians trained")
    CLINICIANS_CERTIFIED = "clinicians_certified", _("Clinicians certified")
    CHILDREN_SERVED = "children_served", _("Children served")


class TrancheStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    MET = "met", _("Condition met")
    RELEASED = "released", _("Released")


class Tranche(TenantModel):
    """A part of a grant paid when its condition is met: a date, or a program figure of the grantee reaching a
    level ("40 clinicians of this chapter trained"). Evaluated from the reporting figures, then released by a
    person, which creates its one payment."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    amount_minor = models.BigIntegerField(_("amount"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    metric = models.CharField(_("figure"), max_length=32, choices=TrancheMetric.choices, blank=True)
    threshold = models.PositiveIntegerField(_("level"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=TrancheStatus.choices, default=TrancheStatus.WAITING)
    met_on = models.DateField(null=True, blank=True)
    met_value = models.PositiveIntegerField(null=True, blank=True)  # the figure when it was found met
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)

    objects = models.Manager.from_queryset(UnderGrantQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["grant", "number"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "number"], name="tranche_number_once"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="tranche_amount_positive"),
            models.CheckConstraint(
                condition=(Q(due_on__isnull=False) & Q(metric="") & Q(threshold__isnull=True))
                | (Q(due_on__isnull=True) & ~Q(metric="") & Q(threshold__isnull=False)),
                name="tranche_one_condition",
            ),
            models.CheckConstraint(
                condition=~Q(status="released") | Q(released_by__isnull=False), name="tranche_released_by_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"tranche {self.number} of {self.grant_id}"


class PaymentStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Payment(TenantModel):
    """Money paid to a grantee, in the grant's currency: created, approved (by a second person above the program's
    threshold), then paid, when its ledger transaction is posted. A tranche has at most one payment that is not
    cancelled, so it is never paid twice."""

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="payments")
    tranche = models.ForeignKey(Tranche, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    amount_minor = models.BigIntegerField(_("amount"))
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PROPOSED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    needs_second_approval = models.BooleanField(default=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    # The euro reference rate of the payment's day (or the last one before it) and that rate's own date.
    rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    rate_on = models.DateField(null=True, blank=True)
    fund_minor = models.BigIntegerField(null=True, blank=True)  # the payment in the fund's currency on its day
    transaction = models.OneToOneField(
        "grants.LedgerTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )

    objects = models.Manager.from_queryset(UnderGrantQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["grant", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(
                fields=["tranche"],
                condition=Q(tranche__isnull=False) & ~Q(status="cancelled"),
                name="payment_tranche_once",
            ),
            models.CheckConstraint(
                condition=Q(needs_second_approval=False)
                | Q(approved_by__isnull=True)
                | ~Q(approved_by=F("created_by")),
                name="payment_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(transaction__isnull=False) & Q(paid_on__isnull=False)),
                name="payment_paid_is_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.id} of {self.grant_id}"


class ReportKind(models.TextChoices):
    FINANCIAL = "financial", _("Financial report")
    NARRATIVE = "narrative", _("Narrative report")


class ReportStatus(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Sent back")


class GrantReport(TenantModel):
    """A report a grantee owes on a grant: financial (spending per budget line over a period) or narrative."""

    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.DUE)
    narrative = models.TextField(_("narrative"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("note to the grantee"), blank=True)

    objects = models.Manager.from_queryset(UnderGrantQuerySet)()  # type: ignore[assignment,misc]

    class Meta:
        ordering = ["grant", "due_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["grant", "kind", "period_start"], name="grant_report_once"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="grant_report_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.id} of {self.grant_id}"


class ExpenseLine(TenantModel):
    """What a financial report says was spent in one budget category over its period."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="expenses")
    category = models.CharField(_("category"), max_length=16, choices=BudgetCategory.choices)
    amount_minor = models.BigIntegerField(_("amount"))

    class Meta:
        ordering = ["report", "category"]
        constraints = [
            models.UniqueConstraint(fields=["report", "category"], name="expense_line_once"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="expense_line_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.category}"


class ReportReminder(TenantModel):
    """An e-mail reminding a grantee of a report, sent once per reminder day."""

    report = models.ForeignKey(GrantReport, on_delete=models.CASCADE, related_name="reminders")
    reminder_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "reminder_on"], name="report_reminder_once")]

    def __str__(self) -> str:
        return f"{self.report_id} reminded {self.reminder_on}"


# -- The ledger ---------------------------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    NET_ASSETS = "net_assets", _("Net assets")
    INCOME = "income", _("Income")
    EXPENSE = "expense", _("Expense")
    TRADING = "trading", _("Currency trading")


class LedgerAccount(TenantModel):
    """An account of a program's books, in one currency. ``code`` names it (``bank``, ``fund:3``, ``payable:12``);
    ``grant`` or ``fund`` ties it to the row it is kept for."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)
    fund = models.ForeignKey(Fund, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["program", "code"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="ledger_account_code_once")]

    def __str__(self) -> str:
        return self.code


class LedgerTransaction(TenantModel):
    """One movement of money: legs that sum to zero in each currency (``grants.ledger.post`` checks it)."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    kind = models.CharField(max_length=32)  # receipt, commitment, payment, release, ...
    memo = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.on}"


class LedgerLeg(TenantModel):
    """One side of a transaction on one account: positive is a debit, negative a credit, in the account's currency
    and its minor units."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="legs")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="legs")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="ledger_leg_not_zero")]
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_leg_account")]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} on {self.account_id}"


# -- Reference data -----------------------------------------------------------------------------------------------


class EuroRate(models.Model):
    """A euro foreign exchange reference rate as the ECB published it: 1 EUR = ``rate`` units of ``currency`` on
    ``on``. Public reference data, not owned by any organization."""

    currency = models.CharField(max_length=3)
    on = models.DateField()
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-on"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "on"], name="euro_rate_once"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="euro_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 EUR = {self.rate} {self.currency} on {self.on}"
