"""Tenancy by construction.

Every tenant-owned model inherits :class:`TenantModel`: it carries its organization and its default manager
returns a :class:`TenantQuerySet`, which refuses to run until the query is scoped. A query is scoped by
filtering on the organization (``organization=``, ``organization_id=``, ``organization__in=``...), by
``in_org()``/``in_orgs()``, or by a model's own named scope. The one way around it is spelled
``dangerously_unscoped()`` so that review sees it. Django's internal manager (``_base_manager``, used for
foreign-key access, saving and deletion) stays plain.
"""

from collections.abc import Iterable
from typing import Any, Self

from django.db import models

from haven.core.db import Unindexed

SCOPING_LOOKUPS = frozenset(
    {"organization", "organization_id", "organization__in", "organization_id__in", "organization__pk"}
)


class UnscopedQueryError(RuntimeError):
    """A query on a tenant-owned model ran without being scoped to an organization."""


class TenantQuerySet(models.QuerySet):
    _haven_scoped = False

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._haven_scoped = self._haven_scoped
        return clone

    def _scoped(self) -> Self:
        clone = self._chain()  # type: ignore[attr-defined]
        clone._haven_scoped = True
        return clone

    def _require_scope(self) -> None:
        if not self._haven_scoped:
            raise UnscopedQueryError(
                f"Unscoped query on {self.model._meta.label}: filter by organization, use in_org()/in_orgs(), "
                "or, where a query must span tenants, dangerously_unscoped()."
            )

    # Ways to scope.
    def filter(self, *args: Any, **kwargs: Any) -> Self:
        clone = super().filter(*args, **kwargs)
        if SCOPING_LOOKUPS.intersection(kwargs):
            clone._haven_scoped = True
        return clone

    def in_org(self, organization: Any) -> Self:
        return self.filter(organization=organization)

    def in_orgs(self, organizations: Iterable[Any] | models.QuerySet, *, by_organization: bool = True) -> Self:
        """Scoped to ``organizations``. ``by_organization=False`` keeps SQLite from finding the rows through the
        organization's index (``core.db.Unindexed``): for a query a narrower index answers better, which SQLite's
        planner, judging by an average organization, would not take for a large one's rows."""
        if by_organization:
            return self.filter(organization__in=organizations)
        if not isinstance(organizations, models.QuerySet):
            organizations = [getattr(organization, "pk", organization) for organization in organizations]
        return self.alias(_organization=Unindexed("organization_id")).filter(_organization__in=organizations)._scoped()

    def dangerously_unscoped(self) -> Self:
        """Spans every tenant. Only for the audit chain, the generator and checks over the whole database."""
        return self._scoped()

    def under_scoped_parent(self) -> Self:
        """Only as the queryset of a ``Prefetch`` from a scoped parent query: Django limits it to those parents."""
        return self._scoped()

    def none(self) -> Self:
        return super().none()._scoped()

    # Ways to run; each refuses an unscoped query.
    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Any:
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()

    def contains(self, obj: Any) -> bool:
        self._require_scope()
        return super().contains(obj)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    pass


class TenantModel(models.Model):
    """A row owned by one organization. The organization is stored on the row itself."""

    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="%(class)s_set",
        related_query_name="%(class)s",
    )

    objects = TenantManager()

    class Meta:
        abstract = True
