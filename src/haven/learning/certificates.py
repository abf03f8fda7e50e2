"""Certificates: issued when an assignment is completed, printed as a PDF in the learner's language, and confirmed
by a public page that takes the certificate's code.

The code is 16 characters of base32 (80 random bits): nobody finds a valid one by trying. The public page says only
that the code is genuine, the course and the day it was issued, never who holds it; it is also throttled per
address, so trying codes in bulk is slowed to a crawl.
"""

import base64
import secrets

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation

from haven.core import pdf

from .models import Assignment, Certificate

CODE_BYTES = 10  # 80 bits: 16 base32 characters
# At most this many lookups of the verification page per address in a window of this many seconds.
VERIFY_LIMIT = 30
VERIFY_WINDOW_SECONDS = 600


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def normalize_code(code: str) -> str:
    """As typed: upper case, without spaces or dashes (a code may be printed in groups)."""
    return "".join(code.split()).replace("-", "").upper()


def certificate_issue(*, assignment: Assignment) -> Certificate:
    """The assignment's certificate, made once (call it in the transaction that completes the assignment)."""
    certificate, _created = Certificate.objects.in_org(assignment.organization_id).get_or_create(
        assignment=assignment,
        defaults={"organization_id": assignment.organization_id, "code": new_code(), "issued_at": timezone.now()},
    )
    return certificate


def certificate_verified(code: str) -> Certificate | None:
    """The certificate with this code, whichever company issued it, or None.

    The public page's one lookup across tenants: the code itself is the key the holder hands out."""
    code = normalize_code(code)
    if len(code) != len(new_code()):
        return None
    return (
        Certificate.objects.dangerously_unscoped()
        .select_related("assignment__course", "assignment__version")
        .filter(code=code)
        .first()
    )


def verify_allowed(address: str | None) -> bool:
    """Counts one lookup from ``address``; False once it made more than ``VERIFY_LIMIT`` in the window."""
    key = f"learning.verify:{address or 'unknown'}"
    cache.add(key, 0, VERIFY_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, VERIFY_WINDOW_SECONDS)
        count = 1
    return count <= VERIFY_LIMIT


def certificate_pdf(*, certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a PDF, in the learner's language: their name, the course, its version, the day, the
    code and where to check it."""
    assignment = certificate.assignment
    staff = assignment.staff
    with translation.override(staff.language):
        html = render_to_string(
            "learning/certificate_pdf.html",
            {
                "certificate": certificate,
                "name": staff.user.full_name or staff.user_name,
                "course_title": assignment.course.title,
                "version": assignment.version.number,
                "verify_url": verify_url,
                "language": staff.language,
            },
        )
    return pdf.render_pdf(html)
