"""Every URL, for every role, anonymous and a member of another organization, against one policy table.

A URL pattern missing from ``POLICY`` fails the suite, so a new page cannot ship without its row.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from haven.accounts import services as account_services
from haven.accounts.models import User
from haven.accounts.tests.factories import PASSWORD, UserFactory
from haven.care import services as care_services
from haven.care.models import CriticalAlert, Episode, Session
from haven.care.tests import factories as care_factories
from haven.conftest import sign_in_client
from haven.core.money import Money
from haven.core.tests.headers import PUBLIC, assert_headers
from haven.grants import services as grant_services
from haven.grants.models import BudgetCategory, EuroRate, Fund, Grant, GrantStatus
from haven.organizations import services as org_services
from haven.organizations.models import Membership, MembershipGrant, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory
from haven.programs.models import Program, ProgramFunder
from haven.reporting.models import QuarterlyReport, ReportStatus
from haven.training import services as training_services
from haven.training.models import Cohort, ConsultationCall, Enrollment

ANONYMOUS = "anonymous"
ALL_ROLES = frozenset(Role.values)
ADMINS = frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN})
COHORT_ROLES = frozenset({Role.PROGRAM_ADMIN, Role.TRAINER})
CARE = frozenset({Role.CLINICIAN, Role.ORG_ADMIN})
FUNDER_AUDIENCE = frozenset({Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER})


@dataclass
class World:
    """Records of one organization (the CAC, its program) that the URLs point at."""

    national: Organization
    cac: Organization
    members: dict[str, User]
    others: dict[str, User]
    program: Program
    clinician_membership: Membership
    invitation_id: int
    invitation_token: str
    cohort: Cohort
    other_cohort: Cohort
    enrollment: Enrollment
    nominee: Enrollment
    spare_clinician: User
    episode: Episode
    session_id: int
    assessment_id: int
    alert_id: int
    grant_id: int


@dataclass(frozen=True)
class Rule:
    method: str
    allowed: frozenset[str]
    kwargs: Callable[[World], dict[str, Any]] = lambda world: {}
    data: Callable[[World, User | None], dict[str, Any]] = lambda world, user: {}
    prepare: Callable[[User], None] = lambda user: None
    anonymous: int = 302  # anonymous users are sent to sign in unless a rule says otherwise
    ok: int = 200
    # True when the URL names a record of the world's organization: a member of another organization must get 404.
    scoped: bool = False
    signed_in_status: dict[str, int] = field(default_factory=dict)
    # True for a page of a company's learning admin (an org admin of a corporate partner, whom the world's roles do
    # not include): test_the_company_learning_admin_gets_in checks that admin gets ``ok``, another company's 404.
    company_admin: bool = False


def _confirmed(world: World, user: User | None) -> dict[str, Any]:
    """A destructive action's own confirmation (test_confirmations): the POST that acts."""
    return {"confirmed": "yes"}


def _cac(world: World) -> dict[str, Any]:
    return {"organization_id": world.cac.pk}


PROGRAM_ADMIN_ONLY = frozenset({Role.PROGRAM_ADMIN})
NOBODY_HERE: frozenset[str] = frozenset()  # a page of a role none of the world's members holds where it applies
LEARNER_ONLY = frozenset({Role.LEARNER})
CREATIVE_ONLY = frozenset({Role.CREATIVE})
SEES_WORK = frozenset({Role.CREATIVE, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER})

POLICY: dict[str, Rule] = {
    "shell:home": Rule("GET", ALL_ROLES),
    "set_language": Rule("POST", ALL_ROLES, data=lambda w, u: {"language": "fr", "next": "/"}, anonymous=302, ok=302),
    "accounts:sign_in": Rule("GET", ALL_ROLES, anonymous=200, ok=302),
    "accounts:sign_in_verify": Rule("GET", ALL_ROLES, anonymous=302, ok=302),
    "accounts:sign_out": Rule("POST", ALL_ROLES, ok=302),
    "accounts:profile": Rule("GET", ALL_ROLES),
    "accounts:password_change": Rule("GET", ALL_ROLES),
    "accounts:mfa_setup": Rule("GET", ALL_ROLES),
    "accounts:mfa_qr": Rule(
        "GET", ALL_ROLES, prepare=lambda user: account_services.mfa_setup_begin(user=user) and None
    ),
    "accounts:mfa_recovery_codes": Rule(
        "POST", ALL_ROLES, prepare=lambda user: _confirmed_device(user), data=lambda w, u: {"password": PASSWORD}
    ),
    "accounts:mfa_disable": Rule("POST", ALL_ROLES, data=lambda w, u: {"password": PASSWORD}, ok=302),
    "accounts:switch_membership": Rule(
        "POST",
        ALL_ROLES,
        data=lambda w, user: {"membership": Membership.objects.of_user(user).first().pk if user else 0},
        ok=302,
    ),
    "accounts:invitation_accept": Rule("GET", ALL_ROLES, kwargs=lambda w: {"token": w.invitation_token}, anonymous=200),
    "organizations:list": Rule("GET", ADMINS),
    "organizations:create": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "organizations:detail": Rule("GET", ADMINS, kwargs=_cac, scoped=True),
    "organizations:invitation_create": Rule(
        "POST",
        ADMINS,
        kwargs=_cac,
        data=lambda w, u: {"email": "new.person@example.org", "role": Role.CLINICIAN},
        ok=302,
        scoped=True,
    ),
    "organizations:invitation_revoke": Rule(
        "POST",
        ADMINS,
        kwargs=lambda w: {"organization_id": w.cac.pk, "invitation_id": w.invitation_id},
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    "organizations:membership_deactivate": Rule(
        "POST",
        ADMINS,
        kwargs=lambda w: {"organization_id": w.cac.pk, "membership_id": w.clinician_membership.pk},
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    "organizations:membership_reactivate": Rule(
        "POST",
        ADMINS,
        kwargs=lambda w: {"organization_id": w.cac.pk, "membership_id": w.clinician_membership.pk},
        ok=302,
        scoped=True,
    ),
    "organizations:account_deactivate": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: {"organization_id": w.cac.pk, "membership_id": w.clinician_membership.pk},
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    # A clinician's role given by the program admin, waiting for a second person: the CAC's own admin decides it.
    "organizations:grant_approve": Rule(
        "POST",
        frozenset({Role.ORG_ADMIN}),
        kwargs=lambda w: {"organization_id": w.cac.pk, "grant_id": w.grant_id},
        ok=302,
        scoped=True,
    ),
    "organizations:grant_decline": Rule(
        "POST",
        frozenset({Role.ORG_ADMIN}),
        kwargs=lambda w: {"organization_id": w.cac.pk, "grant_id": w.grant_id},
        ok=302,
        scoped=True,
    ),
    "programs:list": Rule("GET", frozenset({Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER})),
    "programs:create": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "programs:detail": Rule(
        "GET",
        frozenset({Role.PROGRAM_ADMIN, Role.FUNDER_VIEWER}),
        kwargs=lambda w: {"program_id": w.program.pk},
        scoped=True,
    ),
    "programs:edit": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"program_id": w.program.pk}, scoped=True
    ),
    "audit:list": Rule("GET", ADMINS),
    "training:workforce": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "training:capacity": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "training:import": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    # Without a valid signed payload the confirmation sends the admin back to the upload page.
    "training:import_confirm": Rule("POST", frozenset({Role.PROGRAM_ADMIN}), ok=302),
    "training:closed_days": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "reporting:state": Rule("GET", frozenset({Role.ORG_ADMIN})),
    "training:cohorts": Rule("GET", COHORT_ROLES),
    "training:cohort_create": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "training:cohort": Rule("GET", COHORT_ROLES, kwargs=lambda w: {"cohort_id": w.cohort.pk}, scoped=True),
    "training:cohort_edit": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"cohort_id": w.cohort.pk}, scoped=True
    ),
    "training:call_attendance": Rule(
        "GET",
        COHORT_ROLES,
        kwargs=lambda w: {"cohort_id": w.cohort.pk, "call_id": _first_call(w.cohort)},
        scoped=True,
    ),
    "training:enrollments": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "training:enrollment": Rule(
        "GET",
        frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN, Role.TRAINER, Role.CLINICIAN}),
        kwargs=lambda w: {"enrollment_id": w.enrollment.pk},
        scoped=True,
    ),
    "training:enrollment_place": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: {"enrollment_id": w.nominee.pk},
        data=lambda w, u: {"cohort": w.other_cohort.pk},
        ok=302,
        scoped=True,
    ),
    "training:enrollment_transfer": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: {"enrollment_id": w.enrollment.pk},
        data=lambda w, u: {"cohort": w.other_cohort.pk},
        ok=302,
        scoped=True,
    ),
    "training:enrollment_withdraw": Rule(
        "POST",
        ADMINS,
        kwargs=lambda w: {"enrollment_id": w.enrollment.pk},
        data=lambda w, u: {"reason": "Left the CAC", "confirmed": "yes"},
        ok=302,
        scoped=True,
    ),
    "training:milestone_record": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: {"enrollment_id": w.enrollment.pk},
        data=lambda w, u: {"kind": "online_course", "achieved_on": "2025-02-01"},
        ok=302,
        scoped=True,
    ),
    "training:staff": Rule("GET", frozenset({Role.ORG_ADMIN})),
    "training:nominate": Rule(
        "POST",
        frozenset({Role.ORG_ADMIN}),
        data=lambda w, u: {
            "clinician": w.spare_clinician.pk,
            "degree": "masters",
            "license_state": "OH",
            "license_status": "permanent",
        },
        ok=302,
    ),
    "training:my_path": Rule("GET", frozenset({Role.CLINICIAN})),
    # Child-level records: the treating clinician and their CAC's admin, nobody else by any URL.
    "care:caseload": Rule("GET", CARE),
    "care:intake": Rule("GET", CARE),
    "care:child": Rule("GET", CARE, kwargs=lambda w: {"child_id": w.episode.child_id}, scoped=True),
    "care:episode_create": Rule("GET", CARE, kwargs=lambda w: {"child_id": w.episode.child_id}, scoped=True),
    "care:episode": Rule("GET", CARE, kwargs=lambda w: {"episode_id": w.episode.pk}, scoped=True),
    "care:session_create": Rule(
        "POST",
        CARE,
        kwargs=lambda w: {"episode_id": w.episode.pk},
        data=lambda w, u: {
            "held_on": (w.episode.referred_on + timedelta(days=14)).isoformat(),
            "minutes": 50,
            "kind": "child",
            "modality": "in_person",
        },
        ok=302,
        scoped=True,
    ),
    "care:session_delete": Rule(
        "POST",
        CARE,
        kwargs=lambda w: {"episode_id": w.episode.pk, "session_id": w.session_id},
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    "care:assessment_create": Rule("GET", CARE, kwargs=lambda w: {"episode_id": w.episode.pk}, scoped=True),
    "care:episode_close": Rule("GET", CARE, kwargs=lambda w: {"episode_id": w.episode.pk}, scoped=True),
    "care:episode_reopen": Rule("POST", CARE, kwargs=lambda w: {"episode_id": w.episode.pk}, ok=302, scoped=True),
    "care:episode_handover": Rule("GET", CARE, kwargs=lambda w: {"episode_id": w.episode.pk}, scoped=True),
    "care:assessment": Rule("GET", CARE, kwargs=lambda w: {"assessment_id": w.assessment_id}, scoped=True),
    # The measure carries a critical answer still waiting: the deletion is refused and the page says why.
    "care:assessment_delete": Rule(
        "POST", CARE, kwargs=lambda w: {"assessment_id": w.assessment_id}, data=_confirmed, ok=302, scoped=True
    ),
    "care:alerts": Rule("GET", CARE),
    "care:alert": Rule("GET", CARE, kwargs=lambda w: {"alert_id": w.alert_id}, scoped=True),
    "reporting:outcomes": Rule("GET", frozenset({Role.PROGRAM_ADMIN, Role.ORG_ADMIN})),
    "care:import": Rule("GET", frozenset({Role.ORG_ADMIN})),
    "care:import_confirm": Rule("POST", frozenset({Role.ORG_ADMIN}), ok=302),
    # Figures: the program team's unsuppressed dashboard and forecast; the funder's protected view, its downloads
    # and the quarterly reports for the program admin and the funder's viewers; the public page for anyone.
    "reporting:dashboard": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "reporting:funder": Rule("GET", FUNDER_AUDIENCE),
    "reporting:funder_export": Rule("GET", FUNDER_AUDIENCE, kwargs=lambda w: {"fmt": "csv"}),
    "reporting:forecast": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "reporting:reports": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "reporting:report_download": Rule(
        "GET", FUNDER_AUDIENCE, kwargs=lambda w: {"report_id": _ready_report(w)}, scoped=True
    ),
    # Tranches and payments: the program admins of the program, and no one else.
    "grants:payments": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "grants:grant_payments": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: _money(w, "grant"), scoped=True
    ),
    "grants:tranche_add": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: _money(w, "grant"),
        data=lambda w, u: {"tranche-amount": "100.00", "tranche-due_on": "2026-01-05"},
        ok=302,
        scoped=True,
    ),
    "grants:tranches_evaluate": Rule(
        "POST", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: _money(w, "grant"), ok=302, scoped=True
    ),
    "grants:tranche_delete": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: _money(w, "tranche_waiting"),
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    "grants:tranche_release": Rule(
        "POST", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: _money(w, "tranche_met"), ok=302, scoped=True
    ),
    "grants:payment_create": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: _money(w, "grant"),
        data=lambda w, u: {"payment-amount": "100.00"},
        ok=302,
        scoped=True,
    ),
    "grants:payment_approve": Rule(
        "POST", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: _money(w, "payment_proposed"), ok=302, scoped=True
    ),
    "grants:payment_pay": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: _money(w, "payment_approved"),
        data=lambda w, u: {"paid_on": "2025-06-02"},
        ok=302,
        scoped=True,
    ),
    "grants:payment_cancel": Rule(
        "POST",
        frozenset({Role.PROGRAM_ADMIN}),
        kwargs=lambda w: _money(w, "payment_proposed"),
        data=_confirmed,
        ok=302,
        scoped=True,
    ),
    # Money: the program's books for the program admin; a funder's own funds for its viewers (decision 27).
    "reporting:money": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "reporting:money_export": Rule("GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"fmt": "csv"}),
    "reporting:funder_money": Rule("GET", FUNDER_AUDIENCE),
    "reporting:funder_money_export": Rule("GET", FUNDER_AUDIENCE, kwargs=lambda w: {"fmt": "csv"}),
    # The money pillar, the program admin's pages: only the program admin of the program's national office.
    "grants:home": Rule("GET", PROGRAM_ADMIN_ONLY),
    "grants:rules": Rule("GET", PROGRAM_ADMIN_ONLY),
    "grants:fund_create": Rule("GET", PROGRAM_ADMIN_ONLY),
    "grants:fund": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"fund_id": _fund(w).pk}, scoped=True),
    "grants:receipt_create": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"fund_id": _fund(w).pk}, scoped=True),
    "grants:grant_create": Rule("GET", PROGRAM_ADMIN_ONLY),
    "grants:grant": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"grant_id": _money_grant(w)}, scoped=True),
    "grants:grant_edit": Rule(
        "GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"grant_id": _money_grant(w, "draft")}, scoped=True
    ),
    "grants:grant_approve": Rule(
        "POST",
        PROGRAM_ADMIN_ONLY,
        kwargs=lambda w: {"grant_id": _money_grant(w, "draft")},
        data=lambda w, u: {"on": "2025-03-03"},
        ok=302,
        scoped=True,
    ),
    "grants:grant_activate": Rule(
        "POST", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"grant_id": _money_grant(w, "approved")}, ok=302, scoped=True
    ),
    "grants:grant_close": Rule(
        "POST",
        PROGRAM_ADMIN_ONLY,
        kwargs=lambda w: {"grant_id": _money_grant(w, "approved")},
        data=lambda w, u: {"on": "2025-06-02", "confirmed": "yes"},
        ok=302,
        scoped=True,
    ),
    "impact": Rule("GET", ALL_ROLES, anonymous=200),
    "impact_fr": Rule("GET", ALL_ROLES, anonymous=200),
    "grants:rates": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    # Grantee reports: the grantee's org admin, its own grants only; the program admin schedules and reviews.
    "grants:mine": Rule("GET", frozenset({Role.ORG_ADMIN})),
    "grants:our_grant": Rule(
        "GET", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"grant_id": _grant_report(w).grant_id}, scoped=True
    ),
    "grants:our_report": Rule(
        "GET", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"report_id": _grant_report(w).pk}, scoped=True
    ),
    "grants:our_report_import": Rule(
        "GET", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"report_id": _grant_report(w).pk}, scoped=True
    ),
    # Without a valid signed payload the confirmation sends the grantee back to the upload page.
    "grants:our_report_import_confirm": Rule(
        "POST", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"report_id": _grant_report(w).pk}, ok=302, scoped=True
    ),
    "grants:reports": Rule("GET", frozenset({Role.PROGRAM_ADMIN})),
    "grants:report": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"report_id": _grant_report(w).pk}, scoped=True
    ),
    "grants:report_schedule": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"grant_id": _grant_report(w).grant_id}, scoped=True
    ),
    # Course authoring: the corporate partner's org admin only (learning/tests/test_views_courses.py). The world's
    # org admin is a CAC's, and the company's learners and safeguarding reviewers are not its admin: 404 for all.
    "learning:courses": Rule("GET", NOBODY_HERE, company_admin=True),
    "learning:courses_create": Rule("GET", NOBODY_HERE, company_admin=True),
    "learning:courses_course": Rule(
        "GET", NOBODY_HERE, kwargs=lambda w: {"course_id": _course_draft(w)["course"]}, company_admin=True, scoped=True
    ),
    "learning:courses_edit": Rule(
        "GET", NOBODY_HERE, kwargs=lambda w: {"course_id": _course_draft(w)["course"]}, company_admin=True, scoped=True
    ),
    "learning:courses_version_new": Rule(
        "POST",
        NOBODY_HERE,
        kwargs=lambda w: {"course_id": _course_draft(w)["course"]},
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    "learning:courses_version": Rule(
        "GET",
        NOBODY_HERE,
        kwargs=lambda w: {"version_id": _course_draft(w)["version"]},
        company_admin=True,
        scoped=True,
    ),
    # The world's draft has no question yet: its admin gets in and publishing is refused with the reasons (400).
    "learning:courses_publish": Rule(
        "POST",
        NOBODY_HERE,
        kwargs=lambda w: {"version_id": _course_draft(w)["version"]},
        company_admin=True,
        ok=400,
        scoped=True,
    ),
    "learning:courses_module_create": Rule(
        "GET",
        NOBODY_HERE,
        kwargs=lambda w: {"version_id": _course_draft(w)["version"]},
        company_admin=True,
        scoped=True,
    ),
    "learning:courses_module": Rule(
        "GET", NOBODY_HERE, kwargs=lambda w: {"module_id": _course_draft(w)["module"]}, company_admin=True, scoped=True
    ),
    "learning:courses_module_move": Rule(
        "POST",
        NOBODY_HERE,
        kwargs=lambda w: {"module_id": _course_draft(w)["module"]},
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    "learning:courses_module_delete": Rule(
        "POST",
        NOBODY_HERE,
        kwargs=lambda w: {"module_id": _course_draft(w)["module"]},
        data=_confirmed,
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    "learning:courses_question_create": Rule(
        "GET",
        NOBODY_HERE,
        kwargs=lambda w: {"version_id": _course_draft(w)["version"]},
        company_admin=True,
        scoped=True,
    ),
    "learning:courses_question": Rule(
        "GET",
        NOBODY_HERE,
        kwargs=lambda w: {"question_id": _course_draft(w)["question"]},
        company_admin=True,
        scoped=True,
    ),
    "learning:courses_question_delete": Rule(
        "POST",
        NOBODY_HERE,
        kwargs=lambda w: {"question_id": _course_draft(w)["question"]},
        data=_confirmed,
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    # Single sign-on: before sign-in only (a signed-in user is sent home); a company without a provider is not found,
    # an answer without a flow of this browser's is refused (learning/tests/test_sso.py drives the whole flow).
    "learning:sso_choose": Rule("GET", ALL_ROLES, anonymous=200, ok=302),
    "learning:sso_start": Rule("GET", ALL_ROLES, kwargs=lambda w: {"company_id": w.national.pk}, anonymous=404, ok=302),
    "learning:sso_callback": Rule("GET", ALL_ROLES, anonymous=400, ok=302),
    # The company's learning admin only: an org admin of a corporate partner (the world's org admin is a CAC's, so
    # every role here gets 404); learning/tests/test_settings.py and test_lrs.py open them as that admin.
    "learning:settings": Rule("GET", frozenset(), company_admin=True),
    "learning:statements": Rule("GET", frozenset(), company_admin=True),
    # The learner's side of the staff-education pillar: only a learner of the company, only their own courses.
    "learning:home": Rule("GET", LEARNER_ONLY),
    "learning:course": Rule("GET", LEARNER_ONLY, kwargs=lambda w: _learning(w, "open"), scoped=True),
    "learning:module": Rule("GET", LEARNER_ONLY, kwargs=lambda w: {**_learning(w, "open"), "position": 1}, scoped=True),
    "learning:module_read": Rule(
        "POST", LEARNER_ONLY, kwargs=lambda w: {**_learning(w, "open"), "position": 1}, ok=302, scoped=True
    ),
    "learning:quiz": Rule("GET", LEARNER_ONLY, kwargs=lambda w: _learning(w, "open"), scoped=True),
    "learning:quiz_start": Rule("POST", LEARNER_ONLY, kwargs=lambda w: _learning(w, "open"), ok=302, scoped=True),
    "learning:quiz_submit": Rule("POST", LEARNER_ONLY, kwargs=lambda w: _learning(w, "open"), ok=302, scoped=True),
    "learning:attempt": Rule("GET", LEARNER_ONLY, kwargs=lambda w: {**_learning(w, "done"), "number": 1}, scoped=True),
    "learning:certificate_pdf": Rule(
        "GET", LEARNER_ONLY, kwargs=lambda w: {"certificate_id": _learning(w, "certificate")}, scoped=True
    ),
    # Public: anyone may check a certificate's code (it shows the course and the day, never the person).
    "learning:verify": Rule("GET", ALL_ROLES, kwargs=lambda w: {"code": _learning(w, "code")}, anonymous=200),
    # SCIM: an identity provider's bearer token, never a session: everyone without a token gets 401.
    "scim:service_provider_config": Rule("GET", ALL_ROLES, anonymous=401, ok=401),
    "scim:resource_types": Rule("GET", ALL_ROLES, anonymous=401, ok=401),
    "scim:schemas": Rule("GET", ALL_ROLES, anonymous=401, ok=401),
    "scim:users": Rule("GET", ALL_ROLES, anonymous=401, ok=401),
    "scim:user": Rule("GET", ALL_ROLES, kwargs=lambda w: {"scim_id": "1"}, anonymous=401, ok=401),
    "scim:groups": Rule("GET", ALL_ROLES, anonymous=401, ok=401),
    "scim:group": Rule("GET", ALL_ROLES, kwargs=lambda w: {"scim_id": "1"}, anonymous=401, ok=401),
    # The staff pages: a corporate partner's org admin only (the world's org admin is a CAC's: 404, as for everyone
    # else); learning/tests/test_views_staff.py walks them as the company's learning admin.
    "learning:staff_list": Rule("GET", frozenset(), company_admin=True),
    "learning:staff_detail": Rule(
        "GET", frozenset(), kwargs=lambda w: {"staff_id": _company_records(w)["staff"]}, company_admin=True, scoped=True
    ),
    "learning:scim_tokens": Rule("GET", frozenset(), company_admin=True),
    "learning:scim_token_revoke": Rule(
        "GET", frozenset(), kwargs=lambda w: {"token_id": _company_records(w)["token"]}, company_admin=True, scoped=True
    ),
    "learning:staff_import": Rule("GET", frozenset(), company_admin=True),
    "learning:staff_import_confirm": Rule("POST", frozenset(), company_admin=True, ok=302),
    # Assignment rules and policies: the corporate partner's org admin only (the world's org admin is a CAC's: 404;
    # learning/tests/test_rules_views.py and test_policies.py sign in the company's). A learner attests; the team
    # page is a manager's (a learner with reports: learning/tests/test_team.py); the world's learner has neither.
    "learning:rules": Rule("GET", frozenset(), company_admin=True),
    "learning:rule_create": Rule("GET", frozenset(), company_admin=True),
    "learning:rule_edit": Rule(
        "GET", frozenset(), kwargs=lambda w: {"rule_id": _company_records(w)["rule"]}, company_admin=True, scoped=True
    ),
    "learning:rule_deactivate": Rule(
        "GET", frozenset(), kwargs=lambda w: {"rule_id": _company_records(w)["rule"]}, company_admin=True, scoped=True
    ),
    "learning:rule_reactivate": Rule(
        "POST",
        frozenset(),
        kwargs=lambda w: {"rule_id": _company_records(w)["rule"]},
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    "learning:policies": Rule("GET", frozenset(), company_admin=True),
    "learning:policy": Rule(
        "GET",
        frozenset(),
        kwargs=lambda w: {"policy_id": _company_records(w)["policy"]},
        company_admin=True,
        scoped=True,
    ),
    "learning:policy_publish": Rule(
        "POST",
        frozenset(),
        kwargs=lambda w: {"version_id": _company_records(w)["policy_version"]},
        company_admin=True,
        ok=302,
        scoped=True,
    ),
    "learning:attest": Rule("GET", frozenset(), kwargs=lambda w: {"version_id": _company_records(w)["policy_version"]}),
    "learning:team": Rule("GET", frozenset()),
    # The company's learning admin is the org admin of a corporate partner; the world's org admin heads a CAC and
    # gets 404 like everyone else (learning/tests/test_dashboard.py signs the company's admin in).
    "learning:dashboard": Rule("GET", frozenset(), company_admin=True),
    "learning:dashboard_csv": Rule(
        "GET",
        frozenset(),
        kwargs=lambda w: {"course_id": _company_records(w)["course"]},
        company_admin=True,
        scoped=True,
    ),
    # Awareness campaigns: the company's creative team and its org admin (company_admin); another company's 404
    # (awareness/tests/test_views.py). The calendar is also the program admin's, who reads every campaign.
    "awareness:campaigns": Rule("GET", frozenset({Role.CREATIVE}), company_admin=True),
    "awareness:campaign_create": Rule("GET", frozenset({Role.CREATIVE}), company_admin=True),
    **{
        f"awareness:{name}": Rule(
            "GET",
            frozenset({Role.CREATIVE}),
            kwargs=lambda w: {"campaign_id": _awareness_campaign(w)},
            company_admin=True,
            scoped=True,
        )
        for name in (
            "campaign",
            "campaign_edit",
            "campaign_go_live",
            "campaign_end",
            "campaign_cancel",
            "campaign_links",
            "results_import",
        )
    },
    # Without a payload of its dry run the confirmation imports nothing and goes back to the upload.
    "awareness:results_import_confirm": Rule(
        "POST",
        frozenset({Role.CREATIVE}),
        kwargs=lambda w: {"campaign_id": _awareness_campaign(w)},
        ok=302,
        company_admin=True,
        scoped=True,
    ),
    # The creative review's queue, settings and comments (safeguarding/tests/test_queue.py, test_settings.py,
    # test_comments.py): the company's reviewers and its org admin (company_admin); comments also its submitter.
    "safeguarding:queue": Rule("GET", frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}), company_admin=True),
    "safeguarding:settings": Rule("GET", frozenset(), company_admin=True),
    "safeguarding:comment_add": Rule(
        "POST",
        frozenset({Role.CREATIVE, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}),
        kwargs=lambda w: {"submission_id": _company_submission(w)},
        data=lambda w, u: {"body": "Is the street name legible?"},
        ok=302,
        company_admin=True,
        scoped=True,
    ),
    "awareness:results_template": Rule("GET", frozenset({Role.CREATIVE}), company_admin=True),
    "awareness:events": Rule("GET", frozenset({Role.CREATIVE, Role.PROGRAM_ADMIN}), company_admin=True),
    "awareness:event_create": Rule("GET", PROGRAM_ADMIN_ONLY),
    "awareness:event_edit": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"event_id": _awareness_event()}),
    "awareness:program": Rule("GET", PROGRAM_ADMIN_ONLY),
    "awareness:program_campaign": Rule(
        "GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: {"campaign_id": _awareness_campaign(w)}, scoped=True
    ),
    # The creative review's submissions (safeguarding, part A): the company's creative team and its org admin (the
    # world's org admin heads a CAC: 404); its reviewers read a submission and its files. Nobody outside: 404.
    "safeguarding:submissions": Rule("GET", CREATIVE_ONLY, company_admin=True),
    "safeguarding:submission_create": Rule("GET", CREATIVE_ONLY, company_admin=True),
    "safeguarding:submission": Rule(
        "GET",
        SEES_WORK,
        kwargs=lambda w: {"submission_id": _creative(w)["submission"]},
        company_admin=True,
        scoped=True,
    ),
    "safeguarding:submission_edit": Rule(
        "GET",
        CREATIVE_ONLY,
        kwargs=lambda w: {"submission_id": _creative(w)["submission"]},
        company_admin=True,
        scoped=True,
    ),
    "safeguarding:submission_submit": Rule(
        "POST",
        CREATIVE_ONLY,
        kwargs=lambda w: {"submission_id": _creative(w)["submission"]},
        company_admin=True,
        scoped=True,
        ok=302,
    ),
    "safeguarding:asset_upload": Rule(
        "GET",
        CREATIVE_ONLY,
        kwargs=lambda w: {"submission_id": _creative(w)["submission"]},
        company_admin=True,
        scoped=True,
    ),
    "safeguarding:asset_replace": Rule(
        "GET", CREATIVE_ONLY, kwargs=lambda w: {"asset_id": _creative(w)["asset"]}, company_admin=True, scoped=True
    ),
    "safeguarding:asset_remove": Rule(
        "GET", CREATIVE_ONLY, kwargs=lambda w: {"asset_id": _creative(w)["asset"]}, company_admin=True, scoped=True
    ),
    "safeguarding:asset_file": Rule(
        "GET", SEES_WORK, kwargs=lambda w: {"asset_id": _creative(w)["asset"]}, company_admin=True, scoped=True
    ),
    "safeguarding:asset_thumbnail": Rule(
        "GET", SEES_WORK, kwargs=lambda w: {"asset_id": _creative(w)["asset"]}, company_admin=True, scoped=True
    ),
    # The publish gate: the company's asset-management system with a gate token (none here: 401), or a signed-in
    # member who sees the company's submissions (an unknown file answers 200, "approved": false); everyone else 404
    # (safeguarding/tests/test_gate.py asks with tokens). Its tokens: the corporate partner's org admin only.
    "safeguarding:gate": Rule(
        "GET",
        frozenset({Role.CREATIVE, Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}),
        kwargs=lambda w: {"sha256": "0" * 64},
        anonymous=401,
        company_admin=True,
    ),
    "safeguarding:tokens": Rule("GET", frozenset(), company_admin=True),
    "safeguarding:token_revoke": Rule(
        "GET", frozenset(), kwargs=lambda w: {"token_id": _gate_token(w)}, company_admin=True, scoped=True
    ),
    # The reviewer's page (safeguarding, part B): the company's safeguarding and brand reviewers; the creative who
    # submitted the work (the world's creative) sees it on the submissions' pages, not here.
    "safeguarding:review": Rule(
        "GET", frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}), kwargs=lambda w: _in_review(w), scoped=True
    ),
    "safeguarding:review_checklist": Rule(
        "POST",
        frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}),
        kwargs=lambda w: _in_review(w),
        ok=302,
        scoped=True,
    ),
    "safeguarding:review_decide": Rule(
        "POST",
        frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}),
        kwargs=lambda w: _in_review(w),
        data=lambda w, u: {"outcome": "changes", "note": "Remove the court papers from the desk."},
        ok=302,
        scoped=True,
    ),
    "safeguarding:review_page": Rule(
        "GET",
        frozenset({Role.SAFEGUARDING_REVIEWER, Role.BRAND_REVIEWER}),
        kwargs=lambda w: {"asset_id": _in_review_asset(w), "page": 1},
        scoped=True,
    ),
    # Issue 16, part A: an organization's API keys, for its admin where its kind may hold a scope (the CAC's org
    # admin, the national office's program admin, a company's org admin; a state chapter's admin finds none); a key
    # is revoked by its own organization's admin only (the world's key is the CAC's).
    "api_keys:list": Rule("GET", ADMINS, company_admin=True),
    "api_keys:revoke": Rule("GET", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"key_id": _api_key(w)}, scoped=True),
    # Webhooks (issue 16, item 5): the organization's org admin or program admin; a subscription is its own.
    "webhooks:list": Rule("GET", ADMINS),
    "webhooks:pause": Rule(
        "POST", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"endpoint_id": _webhook(w)}, ok=302, scoped=True
    ),
    "webhooks:delete": Rule(
        "GET", frozenset({Role.ORG_ADMIN}), kwargs=lambda w: {"endpoint_id": _webhook(w)}, scoped=True
    ),
    # Issue 17, item 7: a program's retention policy, its program admin's only (never a CAC's admin or a funder).
    "programs:retention": Rule(
        "GET", frozenset({Role.PROGRAM_ADMIN}), kwargs=lambda w: {"program_id": w.program.pk}, scoped=True
    ),
    # Issue 18: evaluation exports, the program admins' of the program only (never a CAC, a funder or a trainer). The
    # world's program admin asked for one export (approved by a second admin, built) and has another's to decide.
    "evaluation:list": Rule("GET", PROGRAM_ADMIN_ONLY),
    "evaluation:new": Rule("GET", PROGRAM_ADMIN_ONLY),
    "evaluation:detail": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: _export(w, "mine"), scoped=True),
    "evaluation:approve": Rule("POST", PROGRAM_ADMIN_ONLY, kwargs=lambda w: _export(w, "theirs"), ok=302, scoped=True),
    "evaluation:decline": Rule("POST", PROGRAM_ADMIN_ONLY, kwargs=lambda w: _export(w, "theirs"), ok=302, scoped=True),
    "evaluation:passphrase": Rule("POST", PROGRAM_ADMIN_ONLY, kwargs=lambda w: _export(w, "mine"), scoped=True),
    "evaluation:download": Rule("GET", PROGRAM_ADMIN_ONLY, kwargs=lambda w: _export(w, "mine"), scoped=True),
    # Issue 17, item 3: the health check, the same JSON for anyone, signed in or not; 503 here, as no task worker
    # beats in the tests (test_serve checks its 200 and each failing part).
    "shell:health": Rule("GET", ALL_ROLES, anonymous=503, ok=503),
}


def _export(world: World, which: str) -> dict[str, int]:
    """Evaluation exports of the world's program (made once per world): ``mine``, asked for by the world's program
    admin, approved by a second program admin of the office and built; ``theirs``, asked for by that second admin,
    waiting for a decision."""
    from django.test import TestCase
    from django.utils import timezone

    from haven.evaluation import services as evaluation

    made = vars(world)
    if "exports" not in made:
        second = UserFactory(full_name="Sam Second")
        Membership.objects.create(user=second, organization=world.national, role=Role.PROGRAM_ADMIN)
        fields = evaluation.ExportFields(
            purpose="Outcomes by number of sessions",
            evaluator="State University",
            agreement_reference="DUA-2026-01",
            agreement_expires_on=timezone.localdate() + timedelta(days=365),
            tables=("children", "sessions", "measures"),
            period_start=date.fromisoformat(str(world.program.starts_on)),
            period_end=date.fromisoformat(str(world.program.ends_on)),
            date_unit="days",
            k=11,
            language="en",
        )
        mine = evaluation.export_request(actor=world.members[Role.PROGRAM_ADMIN], program=world.program, fields=fields)
        with TestCase.captureOnCommitCallbacks(execute=True):  # the build, enqueued on commit, runs inline
            evaluation.export_approve(actor=second, export=mine)
        theirs = evaluation.export_request(actor=second, program=world.program, fields=fields)
        made["exports"] = {"mine": mine.pk, "theirs": theirs.pk}
    return {"export_id": made["exports"][which]}


def _api_key(world: World) -> int:
    """An API key of the world's CAC, made by its org admin (made once per world)."""
    from haven.api import keys

    made = vars(world)
    if "api_key" not in made:
        admin = Membership.objects.in_org(world.cac).get(user=world.members[Role.ORG_ADMIN], role=Role.ORG_ADMIN)
        made["api_key"] = keys.key_create(membership=admin, label="Case system", scopes=[keys.CARE_WRITE])[0].pk
    return int(made["api_key"])


def _company_submission(world: World) -> int:
    """A draft of the world's company, by its creative team member (made once per world)."""
    from haven.safeguarding import services as safeguarding_services

    made = vars(world)
    if "company_submission" not in made:
        creative = world.members[Role.CREATIVE]
        membership = Membership.objects.of_user(creative).get()
        made["company_submission"] = safeguarding_services.submission_save(
            membership=membership,
            company=membership.organization,
            fields=safeguarding_services.SubmissionFields(title="Spring campaign"),
        ).pk
    return int(made["company_submission"])


def _creative(world: World) -> dict[str, int]:
    """A draft creative submission with one image, of the corporate partner the world's creative team works for
    (made once per world)."""
    from haven.safeguarding import services as safeguarding
    from haven.safeguarding.tests.conftest import image_bytes

    made = vars(world)
    if "creative" not in made:
        company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
        submitters = Membership.objects.in_org(company).filter(is_active=True)
        # The world's creative team member; the demo's company may have none: its org admin submits then.
        creative = (
            submitters.filter(role=Role.CREATIVE).first()
            or submitters.filter(role=Role.ORG_ADMIN).order_by("pk").first()
        )
        assert creative is not None, "the company has a creative team member or an org admin"
        submission = safeguarding.submission_save(
            membership=creative,
            company=creative.organization,
            fields=safeguarding.SubmissionFields(title="Holiday campaign"),
        )
        asset = safeguarding.asset_add(
            membership=creative, submission=submission, file_name="hero.jpg", data=image_bytes(gps=False)
        )
        made["creative"] = {"submission": submission.pk, "asset": asset.pk}
    return made["creative"]


def _webhook(world: World) -> int:
    """A webhook subscription of the world's CAC (made once per world)."""
    from haven.api import webhooks

    made = vars(world)
    if "webhook" not in made:
        membership = Membership.objects.in_org(world.cac).get(user=world.members[Role.ORG_ADMIN])
        made["webhook"] = webhooks.endpoint_create(
            membership=membership, label="Case system", url="https://example.org/hook", events=["alert.raised"]
        )[0].pk
    return int(made["webhook"])


def _gate_token(world: World) -> int:
    """A publish gate token of the corporate partner the world's learners work for (made once per world)."""
    from haven.safeguarding.models import GateToken

    made = vars(world)
    if "gate_token" not in made:
        learner = world.members[Role.LEARNER]
        company = Membership.objects.of_user(learner).get().organization
        made["gate_token"] = GateToken.objects.create(
            organization=company, label="DAM", digest="1" * 64, prefix="hgt_0000", created_by=learner
        ).pk
    return int(made["gate_token"])


def _in_review(world: World) -> dict[str, int]:
    """A submission of the world's company under review, with one image, sent by its creative (made once)."""
    from haven.safeguarding import services as safeguarding
    from haven.safeguarding.tests.conftest import image_bytes

    made = vars(world)
    if "in_review" not in made:
        reviewer = Membership.objects.of_user(world.members[Role.SAFEGUARDING_REVIEWER]).get()
        creative_user = world.members.get(Role.CREATIVE)  # the demo data's walk may have no creative: one is made
        if creative_user is None:
            creative_user = UserFactory()
            Membership.objects.create(user=creative_user, organization=reviewer.organization, role=Role.CREATIVE)
        creative = Membership.objects.in_org(reviewer.organization).get(user=creative_user, role=Role.CREATIVE)
        submission = safeguarding.submission_save(
            membership=creative,
            company=creative.organization,
            fields=safeguarding.SubmissionFields(title="Holiday shoot", shows_minors=True, minor_ages=(7,)),
        )
        asset = safeguarding.asset_add(
            membership=creative, submission=submission, file_name="set.jpg", data=image_bytes(gps=False)
        )
        safeguarding.submit(membership=creative, submission=submission)
        made["in_review"] = {"submission_id": submission.pk, "asset": asset.pk}
    return {"submission_id": made["in_review"]["submission_id"]}


def _in_review_asset(world: World) -> int:
    _in_review(world)
    return int(vars(world)["in_review"]["asset"])


def _company_records(world: World) -> dict[str, int]:
    """A member of staff, a course with a rule, a draft policy and a provisioning token of the company the world's
    learners work for (made once per world): the records its learning admin's pages name."""
    from haven.learning import services as learning_services
    from haven.learning.models import AssignmentRule, Course, Policy, PolicyVersion, ScimToken

    made = vars(world)
    if "company_records" not in made:
        company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
        staff = learning_services.staff_save(
            actor=None,
            organization=company,
            fields=learning_services.StaffFields(user_name="ada@company.example", email="ada@company.example"),
        )
        course = Course.objects.create(organization=company, slug="records", title_en="Records")
        rule = AssignmentRule.objects.create(organization=company, course=course)
        policy = Policy.objects.create(organization=company, slug="policy", title_en="Policy")
        version = PolicyVersion.objects.create(organization=company, policy=policy, number=1, body_en="We protect.")
        token = ScimToken.objects.create(
            organization=company, label="Okta", digest="0" * 64, prefix="0000", created_by=staff.user
        )
        made["company_records"] = {
            "staff": staff.pk,
            "course": course.pk,
            "rule": rule.pk,
            "policy": policy.pk,
            "policy_version": version.pk,
            "token": token.pk,
        }
    return made["company_records"]


def _awareness_campaign(world: World) -> int:
    """A planned campaign of the corporate partner the world's creative team works for, in the world's program."""
    from haven.awareness.models import Campaign

    made = vars(world)
    if "awareness_campaign" not in made:
        # The company of the world's learners, which its creative team works for (the demo may have no creative).
        creative = world.members.get(Role.CREATIVE, world.members[Role.LEARNER])
        company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
        made["awareness_campaign"] = Campaign.objects.create(
            organization=company,
            program=world.program,
            name="April",
            slug="april",
            message="Every child deserves a safe childhood.",
            audience="Parents",
            starts_on=date(2027, 4, 1),
            ends_on=date(2027, 4, 30),
            created_by=creative,
        ).pk
    return int(made["awareness_campaign"])


def _awareness_event() -> int:
    """An event of the awareness calendar (April, installed by migration; made again in a database emptied since)."""
    from haven.awareness.models import AwarenessEvent

    event, _made = AwarenessEvent.objects.get_or_create(
        name_en="National Child Abuse Prevention Month",
        country="US",
        defaults={"name_fr": "Mois national de prévention", "starts_on": "2026-04-01", "ends_on": "2026-04-30"},
    )
    return int(event.pk)


def _course_draft(world: World) -> dict[str, int]:
    """A draft course of the corporate partner the world's learners work for (made once per world)."""
    from haven.learning.models import Course, CourseVersion, Module, Question

    made = vars(world)
    if "course_draft" not in made:
        company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
        course = Course.objects.create(organization=company, slug="basics", title_en="Basics")
        version = CourseVersion.objects.create(organization=company, course=course, number=1)
        module = Module.objects.create(organization=company, version=version, position=1, title_en="One", body_en="x")
        question = Question.objects.create(organization=company, version=version, position=1, text_en="Which?")
        made["course_draft"] = {
            "course": course.pk,
            "version": version.pk,
            "module": module.pk,
            "question": question.pk,
        }
    return made["course_draft"]


def _learning(world: World, which: str) -> Any:
    """The world's learner as a member of staff with two courses: one open with every module read (its quiz
    available), one completed by passing its quiz, with its certificate. Made once per world (found again in the
    demo data's walk)."""
    from haven.learning import taking
    from haven.learning.models import ModuleCompletion, StaffMember
    from haven.learning.tests.courses import assign, build_course, modules_of, right_answers

    made = vars(world)
    if "learning" not in made:
        learner = world.members[Role.LEARNER]
        company = Membership.objects.of_user(learner).get(role=Role.LEARNER).organization
        staff = StaffMember.objects.in_org(company).filter(user=learner).first() or StaffMember.objects.create(
            organization=company, user=learner, user_name=learner.email
        )
        opened = assign(staff, build_course(company, slug="policy-walk-open"))
        for module in modules_of(opened.version):
            ModuleCompletion.objects.create(organization=company, assignment=opened, module=module)
        version = build_course(company, slug="policy-walk-done")
        done = assign(staff, version)
        for module in modules_of(version):
            taking.module_complete(actor=learner, assignment=done, module=module)
        attempt = taking.attempt_start(actor=learner, assignment=done)
        taking.attempt_submit(actor=learner, attempt=attempt, answers=right_answers(version))
        done.refresh_from_db()
        made["learning"] = {
            "open": {"assignment_id": opened.pk},
            "done": {"assignment_id": done.pk},
            "certificate": done.certificate.pk,
            "code": done.certificate.code,
        }
    return made["learning"][which]


def _ready_report(world: World) -> int:
    """A quarterly report of the world's program, made and ready to download."""
    return QuarterlyReport.objects.create(
        organization=world.national,
        program=world.program,
        quarter=date(2025, 1, 1),
        language="en",
        status=ReportStatus.READY,
        pdf=b"%PDF-1.7\n",
        requested_by=world.members[Role.PROGRAM_ADMIN],
    ).pk


def _money(world: World, which: str) -> dict[str, int]:
    """A dollar fund of the world's program and an approved grant to its CAC with a tranche met, one waiting, a
    payment proposed and one approved: made the first time a URL of the money pillar needs them."""
    made = vars(world)
    if "money" not in made:
        made["money"] = _make_money(world)
    key = {"grant": "grant_id", "payment_proposed": "payment_id", "payment_approved": "payment_id"}.get(
        which, "tranche_id"
    )
    return {key: made["money"][which]}


def _make_money(world: World) -> dict[str, int]:
    from haven.core.money import Money
    from haven.grants import services as grants
    from haven.grants.models import BudgetCategory

    admin = world.members[Role.PROGRAM_ADMIN]
    funder = ProgramFunder.objects.in_org(world.national).filter(program=world.program).first()
    assert funder is not None
    fund = grants.fund_create(
        actor=admin,
        program=world.program,
        funder=funder.funder,
        name="Tranches and payments fund",
        amount=Money.of("1000000", "USD"),
        starts_on=date(2025, 1, 1),
        ends_on=date(2028, 1, 1),
    )
    amount = Money.of("100000", "USD")
    grant = grants.grant_save(
        actor=admin,
        fund=fund,
        grant=None,
        grantee=world.cac,
        purpose="Train clinicians",
        amount=amount,
        starts_on=date(2025, 1, 1),
        ends_on=date(2027, 1, 1),
        budget={BudgetCategory.PERSONNEL: amount},
    )
    grants.grant_approve(actor=admin, grant=grant, on=date(2025, 1, 15))
    met = grants.tranche_save(
        actor=admin, grant=grant, tranche=None, amount=Money.of("1000", "USD"), due_on=date(2025, 2, 3)
    )
    waiting = grants.tranche_save(
        actor=admin, grant=grant, tranche=None, amount=Money.of("1000", "USD"), due_on=date(2027, 1, 4)
    )
    grants.tranches_evaluate(program=world.program, on=date(2025, 3, 3))
    proposed = grants.payment_create(actor=admin, grant=grant, amount=Money.of("500", "USD"))
    approved = grants.payment_create(actor=admin, grant=grant, amount=Money.of("500", "USD"))
    grants.payment_approve(actor=admin, payment=approved)
    return {
        "grant": grant.pk,
        "tranche_met": met.pk,
        "tranche_waiting": waiting.pk,
        "payment_proposed": proposed.pk,
        "payment_approved": approved.pk,
    }


def _grant_report(world: World) -> Any:
    """The first quarterly financial report of an active grant to the world's CAC (made once per world)."""
    from haven.core.money import Money
    from haven.grants import services as grants
    from haven.grants.models import EuroRate, ReportKind

    made = getattr(world, "grant_report", None)
    if made is not None:
        return made  # type: ignore[no-any-return]
    admin = world.members[Role.PROGRAM_ADMIN]
    funder = ProgramFunder.objects.in_org(world.national).filter(program=world.program).order_by("pk")[0].funder
    EuroRate.objects.get_or_create(currency="USD", on=date(2025, 1, 2), defaults={"rate": "1.0850"})
    fund = grants.fund_create(
        actor=admin,
        program=world.program,
        funder=funder,
        name="Fund of the authorization walk",
        amount=Money.of("100000", "EUR"),
        starts_on=date(2025, 1, 1),
        ends_on=date(2028, 1, 1),
    )
    grant = grants.grant_save(
        actor=admin,
        fund=fund,
        grant=None,
        grantee=world.cac,
        purpose="Trauma-focused care",
        amount=Money.of("10000", "USD"),
        starts_on=date(2025, 1, 1),
        ends_on=date(2025, 12, 31),
        budget={"personnel": Money.of("10000", "USD")},
    )
    grant = grants.grant_approve(actor=admin, grant=grant, on=date(2025, 1, 2))
    grant = grants.grant_activate(actor=admin, grant=grant)
    report = grants.reports_schedule(actor=admin, grant=grant, kind=ReportKind.FINANCIAL, months=3)[0]
    setattr(world, "grant_report", report)  # noqa: B010 (made once per world, beside its fields)
    return report


def _fund(world: World) -> Fund:
    """The program's first fund, made (a million euros from its funder) when it has none."""
    fund = Fund.objects.of_program(world.program).order_by("pk").first()
    if fund is None:
        link = ProgramFunder.objects.in_org(world.national).filter(program=world.program).select_related("funder")
        fund = grant_services.fund_create(
            actor=world.members[Role.PROGRAM_ADMIN],
            program=world.program,
            funder=link[0].funder,
            name="Partnership fund",
            amount=Money.of("1000000", "EUR"),
            starts_on=date(2025, 1, 1),
            ends_on=date(2027, 12, 31),
        )
    return fund


def _money_grant(world: World, status: str | None = None) -> int:
    """A grant of the program to the world's CAC (in ``status`` when given), made when there is none."""
    fund = _fund(world)
    grants = Grant.objects.of_program(world.program).order_by("pk")
    found = (grants.filter(status=status) if status else grants).first()
    if found is not None:
        return found.pk
    admin, amount = world.members[Role.PROGRAM_ADMIN], Money.of("50000", "USD")
    grant = grant_services.grant_save(
        actor=admin,
        fund=fund,
        grant=None,
        grantee=world.cac,
        purpose="Train clinicians",
        amount=amount,
        starts_on=date(2025, 1, 1),
        ends_on=date(2026, 12, 31),
        budget={BudgetCategory.PERSONNEL: amount},
    )
    # A rate to approve it with (the policy's approval is of a day after it).
    EuroRate.objects.get_or_create(currency="USD", on=date(2025, 1, 2), defaults={"rate": Decimal("1.0850")})
    if status == GrantStatus.APPROVED:
        grant_services.grant_approve(actor=admin, grant=grant, on=date(2025, 2, 3))
    return grant.pk


def _first_call(cohort: Cohort) -> int:
    return ConsultationCall.objects.in_org(cohort.organization_id).filter(cohort=cohort).order_by("number")[0].pk


def _cohort(program: Program, trainer: User, name: str) -> Cohort:
    return training_services.cohort_save(
        actor=trainer,
        program=program,
        cohort=None,
        trainers=[trainer],
        name=name,
        region="Midwest",
        states=["OH"],
        modality="virtual",
        capacity=10,
        call_schedule="monthly",
        starts_on=date(2025, 3, 1),
        ends_on=date(2026, 3, 1),
        live_training_on=date(2025, 3, 3),
        live_training_days=2,
    )


def _confirmed_device(user: User) -> None:
    from haven.accounts.models import Authenticator

    Authenticator.objects.get_or_create(user=user, confirmed=True, defaults={"name": "phone"})


def _url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, f"URL pattern {pattern.pattern} has no name, so no policy row can name it"
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_a_policy_row() -> None:
    # The JSON API answers keys, not signed-in roles: its matrix is api/tests/test_matrix.py (API_POLICY).
    names = {name for name in _url_names() if not name.startswith("api:")}
    untested = sorted(names - POLICY.keys())
    assert not untested, f"Some URLs are untested! Add them to POLICY: {untested}"
    assert not sorted(POLICY.keys() - names), "POLICY names URLs that do not exist"


def _home_kind(role: str) -> str:
    return {
        Role.PROGRAM_ADMIN: OrganizationKind.NATIONAL_OFFICE,
        Role.ORG_ADMIN: OrganizationKind.CAC,
        Role.CLINICIAN: OrganizationKind.CAC,
        Role.TRAINER: OrganizationKind.TRAINING_PROVIDER,
        Role.FUNDER_VIEWER: OrganizationKind.FUNDER,
        Role.LEARNER: OrganizationKind.CORPORATE_PARTNER,
        Role.SAFEGUARDING_REVIEWER: OrganizationKind.CORPORATE_PARTNER,
        Role.BRAND_REVIEWER: OrganizationKind.CORPORATE_PARTNER,
        Role.CREATIVE: OrganizationKind.CORPORATE_PARTNER,
    }[role]


def _name_program(company: Organization, program: Program) -> None:
    from haven.learning.services import learning_settings

    found = learning_settings(company)
    found.program = program
    found.save(update_fields=["program"])


@pytest.fixture
def world(db: None, make_member: Callable[..., User]) -> World:
    national = NationalOfficeFactory()
    cac = CacFactory(parent__parent=national)
    own = {
        OrganizationKind.NATIONAL_OFFICE: national,
        OrganizationKind.CAC: cac,
        OrganizationKind.FUNDER: OrganizationFactory(kind=OrganizationKind.FUNDER),
        OrganizationKind.TRAINING_PROVIDER: OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER),
        OrganizationKind.CORPORATE_PARTNER: OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER),
    }
    # The same kinds of organization, elsewhere: another national office's tree, another funder...
    other_national = NationalOfficeFactory()
    elsewhere = {
        OrganizationKind.NATIONAL_OFFICE: other_national,
        OrganizationKind.CAC: CacFactory(parent__parent=other_national),
        OrganizationKind.FUNDER: OrganizationFactory(kind=OrganizationKind.FUNDER),
        OrganizationKind.TRAINING_PROVIDER: OrganizationFactory(kind=OrganizationKind.TRAINING_PROVIDER),
        OrganizationKind.CORPORATE_PARTNER: OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER),
    }
    members = {role: make_member(role, own[_home_kind(role)]) for role in Role.values}
    others = {role: make_member(role, elsewhere[_home_kind(role)]) for role in Role.values}
    program = Program.objects.create(
        organization=national, name="Partnership", starts_on="2025-01-01", ends_on="2028-01-01"
    )
    ProgramFunder.objects.create(organization=national, program=program, funder=own[OrganizationKind.FUNDER])
    _name_program(own[OrganizationKind.CORPORATE_PARTNER], program)  # the company's reviews count toward it
    invitation, token = org_services.invitation_create(
        actor=members[Role.ORG_ADMIN], organization=cac, email="invitee@example.org", role=Role.CLINICIAN
    )
    clinician_membership = Membership.objects.get(user=members[Role.CLINICIAN], organization=cac)
    cohort = _cohort(program, members[Role.TRAINER], "Midwest Collaborative 1")
    other_cohort = _cohort(program, members[Role.TRAINER], "Midwest Collaborative 2")
    nominator = members[Role.ORG_ADMIN]
    enrollment = training_services.enrollment_nominate(
        actor=nominator,
        cac=cac,
        program=program,
        clinician=members[Role.CLINICIAN],
        degree="masters",
        license_state="OH",
        license_status="permanent",
    )
    training_services.enrollment_place(actor=nominator, enrollment=enrollment, cohort=cohort)
    nominee = training_services.enrollment_nominate(
        actor=nominator,
        cac=cac,
        program=program,
        clinician=make_member(Role.CLINICIAN, cac),
        degree="masters",
        license_state="OH",
        license_status="provisional",
    )
    spare = make_member(Role.CLINICIAN, cac)
    clinician = members[Role.CLINICIAN]
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    care_factories.sessions(episode, clinician, 1)
    # PHQ-A with item 9 answered 1: a critical answer waiting for follow-up.
    assessment = care_services.assessment_record(
        actor=clinician,
        episode=episode,
        instrument_code="phq_a",
        timepoint="baseline",
        administered_on=episode.referred_on + timedelta(days=7),
        responses={str(n): 1 for n in range(1, 10)},
    )
    alert = CriticalAlert.objects.in_org(cac).get(assessment=assessment)
    waiting = org_services.membership_grant(
        actor=members[Role.PROGRAM_ADMIN], organization=cac, user=UserFactory(), role=Role.CLINICIAN
    )
    return World(
        national,
        cac,
        members,
        others,
        program,
        clinician_membership,
        invitation.pk,
        token,
        cohort,
        other_cohort,
        enrollment,
        nominee,
        spare,
        episode,
        Session.objects.in_org(cac).get(episode=episode).pk,
        assessment.pk,
        alert.pk,
        MembershipGrant.objects.in_org(cac).get(membership=waiting).pk,
    )


def _response(rule: Rule, world: World, user: User | None, **headers: str) -> Any:
    client = Client()
    if user is not None:
        rule.prepare(user)
        sign_in_client(client, user)
    url = reverse(url_name_of(rule), kwargs=rule.kwargs(world))
    if rule.method == "GET":
        return client.get(url, headers=headers)
    return client.post(url, rule.data(world, user), headers=headers)


def url_name_of(rule: Rule) -> str:
    return next(name for name, r in POLICY.items() if r is rule)


def _request(rule: Rule, world: World, user: User | None) -> int:
    return int(_response(rule, world, user).status_code)


ACTORS = [ANONYMOUS, *Role.values]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("url_name", sorted(POLICY))
def test_policy(url_name: str, actor: str, world: World) -> None:
    rule = POLICY[url_name]
    if actor == ANONYMOUS:
        expected, user = rule.anonymous, None
    else:
        expected = rule.ok if actor in rule.allowed else 404
        user = world.members[actor]
    response = _response(rule, world, user)
    assert response.status_code == expected
    # Every answer, page, download, redirect or refusal, also says what a cache may keep (test_headers).
    assert_headers(response, public=url_name in PUBLIC and response.status_code == 200, where=f"{url_name} {actor}")


COMPANY_ADMIN_PAGES = sorted(name for name, rule in POLICY.items() if rule.company_admin)


@pytest.mark.parametrize("url_name", COMPANY_ADMIN_PAGES)
def test_the_company_learning_admin_gets_in(url_name: str, world: World, make_member: Callable[..., User]) -> None:
    """A learning page is its company's admin's: they get in; another company's admin finds none of its records."""
    rule = POLICY[url_name]
    company = Membership.objects.of_user(world.members[Role.LEARNER]).get().organization
    assert _request(rule, world, make_member(Role.ORG_ADMIN, company)) == rule.ok
    if rule.scoped:
        stranger = make_member(Role.ORG_ADMIN, OrganizationFactory(kind=OrganizationKind.CORPORATE_PARTNER))
        assert _request(rule, world, stranger) == 404


SCOPED = sorted((name, role) for name, rule in POLICY.items() if rule.scoped for role in rule.allowed)


@pytest.mark.parametrize(("url_name", "role"), SCOPED)
def test_member_of_another_organization_gets_404(url_name: str, role: str, world: World) -> None:
    """The right role in the wrong organization sees nothing: the same answer as a record that does not exist."""
    assert _request(POLICY[url_name], world, world.others[role]) == 404
