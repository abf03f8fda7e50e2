"""Evaluation exports' reads: the requests a program admin sees, each within their national office's scope.

A request holds no child-level value (its package lives in a file, its risk report counts groups), so reading one is
not a child-level read; the package's download is audited by ``services.export_download``.
"""

from django.db.models import QuerySet
from django.http import Http404

from haven.organizations.models import Membership
from haven.organizations.roles import Role
from haven.programs.selectors import programs_visible_to

from .models import ExportRequest, ExportStatus


def exports_for(membership: Membership) -> QuerySet[ExportRequest]:
    """The export requests of the programs a program admin runs, newest first; none for any other role."""
    if membership.role != Role.PROGRAM_ADMIN:
        return ExportRequest.objects.none()
    return (
        ExportRequest.objects.in_org(membership.organization_id)
        .filter(program__in=programs_visible_to(membership))
        .select_related("program", "requested_by", "decided_by")
    )


def access_export(*, membership: Membership, export_id: int) -> ExportRequest:
    """One export request of the membership's programs; 404 otherwise, as for one that does not exist."""
    export = exports_for(membership).filter(pk=export_id).first()
    if export is None:
        raise Http404
    return export


def waiting_for(membership: Membership, exports: list[ExportRequest]) -> list[ExportRequest]:
    """Those of ``exports`` (read through ``exports_for``: the membership is an active program admin of their
    office) that wait for this person's decision: asked for by someone else."""
    return [e for e in exports if e.status == ExportStatus.REQUESTED and e.requested_by_id != membership.user_id]
