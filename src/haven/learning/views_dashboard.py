"""The learning admin's dashboard: the company's figures and who is overdue, by name (only here)."""

import csv
import io
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from haven.core.permissions import role_required
from haven.organizations.models import Organization
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import selectors
from .models import Course

PAGE_SIZE = 50


class CountedPaginator(Paginator):
    """A paginator told its count (the dashboard's figures have it): no COUNT over the overdue staff."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known


def _company(request: MemberRequest) -> Organization:
    company = selectors.company_of(request.membership)
    if company is None:
        raise Http404
    return company


def _filters(request: MemberRequest) -> tuple[str, str]:
    return request.GET.get("department", "").strip()[:120], request.GET.get("country", "").strip().upper()[:2]


@require_GET
@role_required(Role.ORG_ADMIN)
def dashboard(request: MemberRequest) -> HttpResponse:
    company = _company(request)
    course = selectors.dashboard_course(company, request.GET.get("course"))
    department, country = _filters(request)
    figures = selectors.dashboard_figures(company, course)
    page = None
    if course is not None:
        overdue = selectors.overdue_staff(company, course, department=department, country=country)
        known = figures.overdue_count(department=department, country=country)
        page = CountedPaginator(overdue, PAGE_SIZE, count=known).get_page(request.GET.get("page"))
    context = {
        "figures": figures,
        "course": course,
        "courses": selectors.dashboard_courses(company),
        "page": page,
        "department": department,
        "country": country,
        "departments": [row.label for row in figures.by_department],
        "countries": [row.label for row in figures.by_country],
        "today": timezone.localdate(),
        "top_month": max((n for _month, n in figures.by_month), default=0),
    }
    return TemplateResponse(request, "learning/dashboard.html", context)


@require_GET
@role_required(Role.ORG_ADMIN)
def dashboard_csv(request: MemberRequest, course_id: int) -> HttpResponse:
    """The overdue people of a course (the page's filters), as CSV. Each download is audited."""
    company = _company(request)
    course = selectors.dashboard_course(company, str(course_id))
    if course is None or course.pk != course_id:
        raise Http404
    department, country = _filters(request)
    today = timezone.localdate()
    rows = selectors.overdue_staff(company, course, department=department, country=country)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Name"),
            _("User name"),
            _("E-mail"),
            _("Department"),
            _("Team"),
            _("Country"),
            _("Manager"),
            _("Due on"),
            _("Days overdue"),
        ]
    )
    count = 0
    for assignment in rows.iterator(chunk_size=2000):
        staff = assignment.staff
        manager = staff.manager
        writer.writerow(
            [
                _safe(staff.user.full_name),
                _safe(staff.user_name),
                _safe(staff.user.email),
                _safe(staff.department),
                _safe(staff.team),
                staff.country,
                _safe(manager.user_name) if manager else "",
                assignment.due_on.isoformat(),
                (today - assignment.due_on).days,
            ]
        )
        count += 1
    selectors.audit_overdue_export(membership=request.membership, course=course, rows=count)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="overdue-{_slug(course)}-{today.isoformat()}.csv"'
    return response


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _slug(course: Course) -> str:
    return course.slug
