"""Certificates: the PDF in the learner's language, and the public page that confirms a code and nothing more."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.core.tests.headers import directives
from haven.learning import certificates, taking
from haven.learning.models import Certificate, StaffMember
from haven.organizations.models import Organization
from haven.reporting.tests.builders import keep_documents, layout_texts

from .courses import assign, build_course, modules_of, right_answers

pytestmark = pytest.mark.django_db


def _passed(company: Organization, staff: StaffMember) -> Certificate:
    version = build_course(company)
    assignment = assign(staff, version)
    for module in modules_of(version):
        taking.module_complete(actor=staff.user, assignment=assignment, module=module)
    attempt = taking.attempt_start(actor=staff.user, assignment=assignment)
    taking.attempt_submit(actor=staff.user, attempt=attempt, answers=right_answers(version))
    return Certificate.objects.in_org(company).get(assignment=assignment)


def test_the_certificate_pdf_is_in_the_learners_language_with_its_code_and_where_to_check_it(
    company: Organization,
    make_staff: Callable[..., StaffMember],
    signed_in: Callable[[User], Client],
    monkeypatch: Any,
) -> None:
    staff = make_staff(language="fr", given_name="Camille", family_name="Durand")
    certificate = _passed(company, staff)
    documents = keep_documents(monkeypatch)
    response = signed_in(staff.user).get(reverse("learning:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = " ".join(layout_texts(documents[-1]))
    for expected in (
        "Attestation de formation",
        "Camille Durand",
        "La protection de l'enfance pour tout le personnel",
        "Version 1",
        certificate.code,
        f"/learning/verify/{certificate.code}/",
    ):
        assert expected in text, expected


def test_a_certificate_is_its_learners_own(
    company: Organization, make_staff: Callable[..., StaffMember], signed_in: Callable[[User], Client]
) -> None:
    certificate = _passed(company, make_staff())
    url = reverse("learning:certificate_pdf", args=[certificate.pk])
    assert signed_in(make_staff().user).get(url).status_code == 404


def test_the_public_page_confirms_a_code_with_the_course_and_day_only(
    company: Organization, make_staff: Callable[..., StaffMember]
) -> None:
    staff = make_staff(given_name="Camille", family_name="Durand")
    certificate = _passed(company, staff)
    response = Client().get(reverse("learning:verify", args=[certificate.code.lower()]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Child protection for all staff" in html and "is genuine" in html
    for private in ("Camille", "Durand", staff.user_name, staff.user.email, company.name):
        assert private not in html, private
    assert {"no-store", "private"} <= directives(response)


def test_an_unknown_code_is_not_found_and_codes_are_long_and_random() -> None:
    response = Client().get(reverse("learning:verify", args=["ABCDEFGHIJKLMNOP"]))
    assert response.status_code == 404 and "No certificate has the code" in response.content.decode()
    codes = {certificates.new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 16 and code.isalnum() and code.isupper() for code in codes)


def test_checking_codes_in_bulk_is_throttled() -> None:
    client = Client()
    statuses = [client.get(reverse("learning:verify", args=[f"{n:016d}"])).status_code for n in range(32)]
    assert statuses[: certificates.VERIFY_LIMIT] == [404] * certificates.VERIFY_LIMIT
    assert statuses[certificates.VERIFY_LIMIT :] == [429, 429]
