"""A learner's certificate as a PDF, and the public page that confirms a certificate's code.

The public page shows only that the code is genuine, the course and the day it was issued: never the holder's name
or company. It is not cached by anyone (the default ``no-store, private``) and is throttled per address.
"""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from haven.audit.middleware import client_ip
from haven.core.permissions import role_required
from haven.organizations.requests import MemberRequest
from haven.organizations.roles import Role

from . import certificates, selectors


@require_GET
@role_required(Role.LEARNER)
def certificate_pdf(request: MemberRequest, certificate_id: int) -> HttpResponse:
    certificate = selectors.access_certificate(membership=request.membership, certificate_id=certificate_id)
    verify_url = request.build_absolute_uri(reverse("learning:verify", args=[certificate.code]))
    content = certificates.certificate_pdf(certificate=certificate, verify_url=verify_url)
    response = HttpResponse(content, content_type="application/pdf")
    slug = certificate.assignment.course.slug
    response["Content-Disposition"] = f'attachment; filename="certificate-{slug}-{certificate.code}.pdf"'
    return response


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    if not certificates.verify_allowed(client_ip(request)):
        return TemplateResponse(request, "learning/verify.html", {"throttled": True}, status=429)
    certificate = certificates.certificate_verified(code)
    context = {"certificate": certificate, "code": certificates.normalize_code(code)}
    return TemplateResponse(request, "learning/verify.html", context, status=200 if certificate else 404)
