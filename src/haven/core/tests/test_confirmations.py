"""Every destructive action asks first, on a page of its own that works without JavaScript (decision 0019): its
URL shows the question (GET), a POST from a button elsewhere shows it too and changes nothing, and only the
confirmation's own POST acts. Every URL that takes a POST is listed below, destructive or not, so a new one is
noticed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from haven.accounts.models import User
from haven.api.models import WebhookEndpoint
from haven.care.models import Assessment, Episode, Session
from haven.care.tests import factories as care_factories
from haven.core.confirm import CONFIRM_FIELD
from haven.core.money import Money
from haven.grants import services as grant_services
from haven.grants.models import BudgetCategory, Grant, GrantStatus, Payment, PaymentStatus, Tranche
from haven.learning.models import CourseVersion, Module, Question
from haven.learning.services import learning_settings
from haven.organizations import services as org_services
from haven.organizations.models import Invitation, Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.programs.models import Program
from haven.training.models import Enrollment, Placement
from haven.training.tests.factories import enroll, make_cohort, make_program

LEARNING_ADMIN = "learning_admin"


@dataclass
class World:
    cac: Organization
    people: dict[str, User]
    clinician_membership: Membership
    invitation: Invitation
    episode: Episode
    session: Session
    assessment: Assessment
    enrollment: Enrollment


@pytest.fixture
def world(
    national: Organization,
    cac: Organization,
    provider: Organization,
    partner: Organization,
    make_member: Callable[..., User],
) -> World:
    program: Program = make_program(national)
    found = learning_settings(partner)
    found.program = program  # the company's reviews count toward it
    found.save(update_fields=["program"])
    people = {
        Role.PROGRAM_ADMIN: make_member(Role.PROGRAM_ADMIN, national),
        Role.ORG_ADMIN: make_member(Role.ORG_ADMIN, cac),
        Role.CLINICIAN: make_member(Role.CLINICIAN, cac),
        LEARNING_ADMIN: make_member(Role.ORG_ADMIN, partner),  # the corporate partner's org admin
    }
    trainer = make_member(Role.TRAINER, provider)
    cohort = make_cohort(program=program, actor=people[Role.PROGRAM_ADMIN], trainers=[trainer])
    clinician = people[Role.CLINICIAN]
    enrollment = enroll(program=program, cac=cac, clinician=clinician, actor=people[Role.PROGRAM_ADMIN], cohort=cohort)
    episode = care_factories.register(cac=cac, program=program, clinician=clinician)
    care_factories.sessions(episode, clinician, 2)
    assessment = care_factories.measure(
        episode, clinician, timepoint="baseline", on=episode.referred_on + timedelta(days=7), symptom=1
    )
    invitation, _token = org_services.invitation_create(
        actor=people[Role.ORG_ADMIN], organization=cac, email="invitee@example.org", role=Role.CLINICIAN
    )
    return World(
        cac=cac,
        people=people,
        clinician_membership=Membership.objects.in_org(cac).get(user=clinician),
        invitation=invitation,
        episode=episode,
        session=Session.objects.in_org(cac).filter(episode=episode).order_by("held_on").last(),
        assessment=assessment,
        enrollment=enrollment,
    )


def _money(world: World) -> dict[str, int]:
    """A dollar fund, a grant to the CAC with a tranche waiting and a payment proposed, made the first time."""
    made = vars(world)
    if "money" not in made:
        from haven.core.money import Money
        from haven.grants import services as grants
        from haven.grants.models import BudgetCategory
        from haven.organizations.tests.factories import OrganizationFactory

        admin = world.people[Role.PROGRAM_ADMIN]
        program = world.enrollment.program
        fund = grants.fund_create(
            actor=admin,
            program=program,
            funder=OrganizationFactory(kind=OrganizationKind.FUNDER),
            name="Partnership fund",
            amount=Money.of("100000", "USD"),
            starts_on=program.starts_on,
            ends_on=program.ends_on,
        )
        amount = Money.of("1000", "USD")
        grant = grants.grant_save(
            actor=admin,
            fund=fund,
            grant=None,
            grantee=world.cac,
            purpose="Train clinicians",
            amount=amount,
            starts_on=program.starts_on,
            ends_on=program.ends_on,
            budget={BudgetCategory.PERSONNEL: amount},
        )
        grants.grant_approve(actor=admin, grant=grant, on=program.starts_on)
        tranche = grants.tranche_save(
            actor=admin, grant=grant, tranche=None, amount=Money.of("100", "USD"), due_on=program.ends_on
        )
        payment = grants.payment_create(actor=admin, grant=grant, amount=Money.of("100", "USD"))
        made["money"] = {"tranche": tranche.pk, "payment": payment.pk}
    return made["money"]


def _draft_course(world: World) -> dict[str, Any]:
    """A course of the corporate partner with a draft holding one module and one question (made once per world)."""
    from haven.learning import authoring

    made = vars(world)
    if "learning" not in made:
        admin = world.people[LEARNING_ADMIN]
        company = Membership.objects.of_user(admin).get().organization
        course = authoring.course_save(
            actor=admin, organization=company, fields=authoring.CourseFields(slug="basics", title_en="Basics")
        )
        draft = CourseVersion.objects.in_org(company).get(course=course)
        module = authoring.module_save(
            actor=admin, version=draft, fields=authoring.ModuleFields(title_en="One", body_en="Text")
        )
        question = authoring.question_save(
            actor=admin,
            version=draft,
            fields=authoring.QuestionFields(
                kind="single",
                text_en="Which?",
                choices=(authoring.ChoiceFields(text_en="A", is_correct=True), authoring.ChoiceFields(text_en="B")),
            ),
        )
        made["learning"] = {"company": company, "module": module.pk, "question": question.pk}
    return made["learning"]


@dataclass(frozen=True)
class Destructive:
    actor: str
    kwargs: Callable[[World], dict[str, int]]
    done: Callable[[World], bool]
    data: dict[str, str]  # what the button on the way sends (a reason)
    asked: str  # what the question page says


def _awareness_campaign(world: World) -> int:
    """A planned campaign of the learning admin's company, showing no minors (made once per world)."""
    from haven.awareness.models import Campaign

    made = vars(world)
    if "awareness_campaign" not in made:
        admin = world.people[LEARNING_ADMIN]
        company = Membership.objects.of_user(admin).get().organization
        made["awareness_campaign"] = Campaign.objects.create(
            organization=company,
            program=world.enrollment.program,
            name="April",
            slug="april",
            message="Every child deserves a safe childhood.",
            audience="Parents",
            starts_on=date(2027, 4, 1),
            ends_on=date(2027, 4, 30),
            created_by=admin,
        ).pk
    return int(made["awareness_campaign"])


def _awareness_status(world: World) -> str:
    from haven.awareness.models import Campaign

    admin = world.people[LEARNING_ADMIN]
    company = Membership.objects.of_user(admin).get().organization
    return str(Campaign.objects.in_org(company).get(pk=_awareness_campaign(world)).status)


def _scim_token(world: World) -> int:
    """A provisioning token of the learning admin's company (made once per world)."""
    from haven.learning import services as learning

    made = vars(world)
    if "scim_token" not in made:
        admin = world.people[LEARNING_ADMIN]
        company = Membership.objects.of_user(admin).get().organization
        made["scim_token"] = learning.scim_token_create(actor=admin, organization=company, label="Okta")[0]
    return int(made["scim_token"].pk)


def _scim_token_revoked(world: World) -> bool:
    from haven.learning.models import ScimToken

    token = vars(world)["scim_token"]
    return ScimToken.objects.in_org(token.organization_id).get(pk=token.pk).revoked_at is not None


def _gone(model: Any, world: World, pk: int) -> bool:
    return not model.objects.in_org(world.cac).filter(pk=pk).exists()


def _approved_grant(world: World) -> Grant:
    """An approved grant to the world's CAC, from a fund of its national office's program (made once per world)."""
    made: Grant | None = getattr(world, "money_grant", None)
    if made is not None:
        return made
    admin = world.people[Role.PROGRAM_ADMIN]
    program = Program.objects.in_org(Membership.objects.of_user(admin).get().organization_id).get()
    funder = Organization.objects.create(name="Partnership funder", kind=OrganizationKind.FUNDER)
    fund = grant_services.fund_create(
        actor=admin,
        program=program,
        funder=funder,
        name="Partnership fund",
        amount=Money.of("1000000", "EUR"),
        starts_on=date(2025, 1, 1),
        ends_on=date(2027, 12, 31),
    )
    amount = Money.of("50000", "EUR")
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
    world.money_grant = grant_services.grant_approve(actor=admin, grant=grant, on=date(2025, 2, 3))  # type: ignore[attr-defined]
    return world.money_grant  # type: ignore[attr-defined]


def _gate_token(world: World) -> int:
    """A publish gate token of the org admin's corporate partner (made once per world)."""
    from haven.safeguarding import services as safeguarding

    made = vars(world)
    if "gate_token" not in made:
        admin = world.people[LEARNING_ADMIN]
        membership = Membership.objects.of_user(admin).get()
        made["gate_token"] = safeguarding.gate_token_create(
            membership=membership, company=membership.organization, label="DAM"
        )[0]
    return int(made["gate_token"].pk)


def _gate_token_revoked(world: World) -> bool:
    from haven.safeguarding.models import GateToken

    token = vars(world)["gate_token"]
    return GateToken.objects.in_org(token.organization_id).get(pk=token.pk).revoked_at is not None


DESTRUCTIVE: dict[str, Destructive] = {
    "organizations:membership_deactivate": Destructive(
        Role.ORG_ADMIN,
        lambda w: {"organization_id": w.cac.pk, "membership_id": w.clinician_membership.pk},
        lambda w: not Membership.objects.in_org(w.cac).get(pk=w.clinician_membership.pk).is_active,
        {},
        "will no longer have the role",
    ),
    "organizations:account_deactivate": Destructive(
        Role.PROGRAM_ADMIN,
        lambda w: {"organization_id": w.cac.pk, "membership_id": w.clinician_membership.pk},
        lambda w: not User.objects.get(pk=w.people[Role.CLINICIAN].pk).is_active,
        {},
        "will no longer be able to sign in",
    ),
    "organizations:invitation_revoke": Destructive(
        Role.ORG_ADMIN,
        lambda w: {"organization_id": w.cac.pk, "invitation_id": w.invitation.pk},
        lambda w: Invitation.objects.in_org(w.cac).get(pk=w.invitation.pk).revoked_at is not None,
        {},
        "invitee@example.org",
    ),
    "care:session_delete": Destructive(
        Role.CLINICIAN,
        lambda w: {"episode_id": w.episode.pk, "session_id": w.session.pk},
        lambda w: _gone(Session, w, w.session.pk),
        {},
        "cannot be undone",
    ),
    "care:assessment_delete": Destructive(
        Role.CLINICIAN,
        lambda w: {"assessment_id": w.assessment.pk},
        lambda w: _gone(Assessment, w, w.assessment.pk),
        {},
        "cannot be undone",
    ),
    "grants:grant_close": Destructive(
        Role.PROGRAM_ADMIN,
        lambda w: {"grant_id": _approved_grant(w).pk},
        lambda w: Grant.objects.in_org(w.cac).get(pk=_approved_grant(w).pk).status == GrantStatus.CLOSED,
        {},
        "goes back to its fund",
    ),
    "training:enrollment_withdraw": Destructive(
        Role.ORG_ADMIN,
        lambda w: {"enrollment_id": w.enrollment.pk},
        lambda w: Enrollment.objects.in_org(w.cac).get(pk=w.enrollment.pk).placement == Placement.WITHDRAWN,
        {"reason": "Left the CAC"},
        "will leave",
    ),
    "grants:tranche_delete": Destructive(
        Role.PROGRAM_ADMIN,
        lambda w: {"tranche_id": _money(w)["tranche"]},
        lambda w: _gone(Tranche, w, _money(w)["tranche"]),
        {},
        "will be removed",
    ),
    "grants:payment_cancel": Destructive(
        Role.PROGRAM_ADMIN,
        lambda w: {"payment_id": _money(w)["payment"]},
        lambda w: Payment.objects.in_org(w.cac).get(pk=_money(w)["payment"]).status == PaymentStatus.CANCELLED,
        {},
        "will not be paid",
    ),
    "learning:courses_module_delete": Destructive(
        LEARNING_ADMIN,
        lambda w: {"module_id": _draft_course(w)["module"]},
        lambda w: not Module.objects.in_org(_draft_course(w)["company"]).filter(pk=_draft_course(w)["module"]).exists(),
        {},
        "will be removed from this draft",
    ),
    "learning:courses_question_delete": Destructive(
        LEARNING_ADMIN,
        lambda w: {"question_id": _draft_course(w)["question"]},
        lambda w: (
            not Question.objects.in_org(_draft_course(w)["company"]).filter(pk=_draft_course(w)["question"]).exists()
        ),
        {},
        "will be removed from this draft",
    ),
    "learning:scim_token_revoke": Destructive(
        LEARNING_ADMIN,
        lambda w: {"token_id": _scim_token(w)},
        _scim_token_revoked,
        {},
        "can no longer create",
    ),
    "learning:rule_deactivate": Destructive(
        LEARNING_ADMIN,
        lambda w: {"rule_id": _learning_rule(w).pk},
        lambda w: not _learning_rule(w).is_active,
        {},
        "will assign nothing more",
    ),
    "awareness:campaign_go_live": Destructive(
        LEARNING_ADMIN,
        lambda w: {"campaign_id": _awareness_campaign(w)},
        lambda w: _awareness_status(w) == "live",
        {},
        "marked live from now",
    ),
    "awareness:campaign_end": Destructive(
        LEARNING_ADMIN,
        lambda w: {"campaign_id": _awareness_campaign(w)},
        lambda w: _awareness_status(w) == "ended",
        {},
        "cannot go live again",
    ),
    "awareness:campaign_cancel": Destructive(
        LEARNING_ADMIN,
        lambda w: {"campaign_id": _awareness_campaign(w)},
        lambda w: _awareness_status(w) == "cancelled",
        {},
        "it will not run",
    ),
    "safeguarding:asset_remove": Destructive(
        LEARNING_ADMIN,
        lambda w: {"asset_id": _creative_asset(w)},
        lambda w: _creative_asset_retired(w),
        {},
        "will be removed from the submission",
    ),
    "safeguarding:token_revoke": Destructive(
        LEARNING_ADMIN,
        lambda w: {"token_id": _gate_token(w)},
        _gate_token_revoked,
        {},
        "can no longer ask the publish gate",
    ),
    "api_keys:revoke": Destructive(
        Role.ORG_ADMIN,
        lambda w: {"key_id": _api_key(w)},
        lambda w: _api_key_revoked(w),
        {},
        "refused at once",
    ),
    "webhooks:delete": Destructive(
        Role.ORG_ADMIN,
        lambda w: {"endpoint_id": _webhook(w)},
        lambda w: _gone(WebhookEndpoint, w, _webhook(w)),
        {},
        "stops sending events",
    ),
}


def _api_key(world: World) -> int:
    """An API key of the CAC, made by its org admin (made once per world)."""
    from haven.api import keys

    made = vars(world)
    if "api_key" not in made:
        admin = Membership.objects.in_org(world.cac).get(user=world.people[Role.ORG_ADMIN])
        made["api_key"] = keys.key_create(membership=admin, label="Case system", scopes=[keys.CARE_WRITE])[0]
    return int(made["api_key"].pk)


def _api_key_revoked(world: World) -> bool:
    from haven.api.models import ApiKey

    key = vars(world)["api_key"]
    return ApiKey.objects.in_org(world.cac).get(pk=key.pk).revoked_at is not None


def _webhook(world: World) -> int:
    """A webhook subscription of the CAC (made once per world)."""
    from haven.api import webhooks

    made = vars(world)
    if "webhook" not in made:
        membership = Membership.objects.in_org(world.cac).get(user=world.people[Role.ORG_ADMIN])
        made["webhook"] = webhooks.endpoint_create(
            membership=membership, label="Case system", url="https://example.org/hook", events=["alert.raised"]
        )[0].pk
    return int(made["webhook"])


def _creative_asset(world: World) -> int:
    """A draft creative submission of the corporate partner with one image (made once per world): its org admin
    may submit work (safeguarding, part A)."""
    from haven.safeguarding import services as safeguarding
    from haven.safeguarding.tests.conftest import image_bytes

    made = vars(world)
    if "creative_asset" not in made:
        admin = world.people[LEARNING_ADMIN]
        membership = Membership.objects.of_user(admin).get()
        submission = safeguarding.submission_save(
            membership=membership,
            company=membership.organization,
            fields=safeguarding.SubmissionFields(title="Holiday campaign"),
        )
        made["creative_asset"] = safeguarding.asset_add(
            membership=membership, submission=submission, file_name="hero.jpg", data=image_bytes(gps=False)
        )
    return int(made["creative_asset"].pk)


def _creative_asset_retired(world: World) -> bool:
    from haven.safeguarding.models import Asset

    asset = vars(world)["creative_asset"]
    return Asset.objects.in_org(asset.organization_id).get(pk=asset.pk).retired_at is not None


def _learning_rule(world: World) -> Any:
    """An assignment rule of the learning admin's company, made the first time (read fresh each time)."""
    from haven.learning.models import AssignmentRule, Course

    company = Membership.objects.of_user(world.people[LEARNING_ADMIN]).get().organization
    made = vars(world)
    if "learning_rule" not in made:
        course = Course.objects.create(organization=company, slug="protect", title_en="Protecting children")
        made["learning_rule"] = AssignmentRule.objects.create(organization=company, course=course).pk
    return AssignmentRule.objects.in_org(company).get(pk=made["learning_rule"])


# Every other URL that takes a POST, and why it needs no question of its own.
NOT_DESTRUCTIVE = {
    "set_language": "changes a preference",
    "accounts:sign_in": "signs in",
    "accounts:sign_in_verify": "checks a code",
    "accounts:sign_out": "ends one's own session; signing in again undoes it",
    "accounts:password_change": "asks for the current password",
    "accounts:mfa_setup": "asks for a code from the app (and the password, to replace one)",
    "accounts:mfa_recovery_codes": "asks for the password",
    "accounts:mfa_disable": "asks for the password",
    "accounts:switch_membership": "changes which role one acts in",
    "accounts:invitation_accept": "accepts an invitation",
    "organizations:create": "adds",
    "organizations:invitation_create": "adds",
    "organizations:membership_reactivate": "gives a role back (one that reaches children waits for approval)",
    "organizations:grant_approve": "a decision asked for by name; declining can be undone by granting again",
    "organizations:grant_decline": "a decision asked for by name; it can be undone by granting again",
    "programs:create": "adds",
    "programs:edit": "a form",
    "training:cohort_create": "adds",
    "training:cohort_edit": "a form",
    "training:closed_days": "a form; a day closed is opened again the same way",
    "training:call_attendance": "a form; saved again to correct",
    "training:enrollment_place": "a form",
    "training:enrollment_transfer": "a form; the cohort history keeps every move",
    "training:milestone_record": "adds",
    "training:nominate": "adds",
    "training:import": "a dry run: nothing is written",
    "training:import_confirm": "the import's own confirmation, after the dry run",
    "care:intake": "adds",
    "care:episode_create": "adds",
    "care:session_create": "adds",
    "care:assessment_create": "adds",
    "care:episode_close": "a form of its own; reopened if closed in error",
    "care:episode_reopen": "undoes a closing",
    "care:episode_handover": "a form of its own; handed back the same way",
    "care:alert": "records a follow-up",
    "care:import": "a dry run: nothing is written",
    "care:import_confirm": "the import's own confirmation, after the dry run",
    "reporting:reports": "makes a report",
    "evaluation:new": "asks for an export, which a second program admin approves or declines",
    "evaluation:approve": "a decision asked for by name, by a second admin; the package is deleted after its window",
    "evaluation:decline": "a decision asked for by name; the requester can ask again",
    "evaluation:passphrase": "shows the passphrase once, on a button that says so; it deletes nothing",
    "grants:tranche_add": "adds",
    "grants:tranches_evaluate": "reads the figures; a met tranche still waits for a person to release it",
    "grants:tranche_release": "proposes a payment, which is approved and paid later, or cancelled",
    "grants:payment_create": "adds a proposal, approved and paid later, or cancelled",
    "grants:payment_approve": "a decision asked for by name; the payment can still be cancelled before it is paid",
    "grants:payment_pay": "a form with the day paid; the payment was proposed and approved first (four eyes)",
    "grants:rates": "imports the ECB's published rates; importing a file again changes nothing",
    "grants:our_report": "submits a report; the program admin can send it back to correct",
    "grants:our_report_import": "a dry run: nothing is written",
    "grants:our_report_import_confirm": "the import's own confirmation, after the dry run",
    "grants:report": "a review decision on its own page, below the lines it would take over budget",
    "grants:report_schedule": "a form; reports already submitted are kept when scheduled again",
    "grants:fund_create": "adds",
    "grants:receipt_create": "adds",
    "grants:grant_create": "adds a draft",
    "grants:grant_edit": "a form, while the grant is a draft",
    "grants:grant_approve": "a decision asked for with its day; the commitment goes back when the grant is closed",
    "grants:grant_activate": "a step forward; closing, which is final, asks",
    "grants:rules": "a form",
    "learning:courses_create": "adds a course and its empty draft",
    "learning:courses_edit": "a form",
    "learning:courses_version_new": "adds a draft copied from the published version",
    "learning:courses_version": "a form, while the version is a draft",
    "learning:courses_publish": "a step forward, refused while the draft is incomplete; the old version and "
    "every completion stay as history",
    "learning:courses_module_create": "adds (or previews, saving nothing)",
    "learning:courses_module": "a form, while the version is a draft",
    "learning:courses_module_move": "moves a module one place; moving it back undoes it",
    "learning:courses_question_create": "adds",
    "learning:courses_question": "a form, while the version is a draft",
    "learning:settings": "a form; a stored secret is kept unless its own box says remove; or a connection test",
    "learning:module_read": "records that a module was read; reading it again changes nothing",
    "learning:quiz_start": "starts an attempt (or shows the one under way)",
    "learning:quiz_submit": "submits one's answers, the point of the quiz",
    "scim:users": "an identity provider creates a member of staff (token, not a person)",
    "scim:groups": "an identity provider creates a group (token, not a person)",
    "learning:scim_tokens": "makes a token",
    "learning:staff_import": "a dry run: nothing is written",
    "learning:staff_import_confirm": "applies a dry run the admin has read (as training's import)",
    "learning:rule_create": "adds a rule; it can be deactivated",
    "learning:rule_edit": "a form; assignments already made stay",
    "learning:rule_reactivate": "gives back what deactivating took; deactivating asks",
    "learning:policies": "adds a policy",
    "learning:policy": "writes a draft version",
    "learning:policy_publish": "a step forward: asks staff to attest; the text can be replaced by a new version",
    "learning:attest": "the learner's own attestation, asked with a tick box",
    "awareness:campaign_create": "adds a planned campaign",
    "awareness:campaign_edit": "a form; a live campaign showing minors keeps a ready review",
    "awareness:campaign_links": "adds a tracked link; the same link again changes nothing",
    "awareness:results_import": "a dry run: nothing is written",
    "awareness:results_import_confirm": "the import's own confirmation, after the dry run",
    "awareness:event_create": "adds an event to the calendar",
    "awareness:event_edit": "a form",
    "safeguarding:settings": "a form; the watch list and the days can be written back",
    "safeguarding:comment_add": "adds a comment",
    "safeguarding:submission_create": "adds a draft",
    "safeguarding:submission_edit": "a form, while the submission is a draft or sent back",
    "safeguarding:submission_submit": "a step forward: sends the work to its reviewers",
    "safeguarding:asset_upload": "adds files; removing one asks",
    "safeguarding:asset_replace": "a form with the new file; the old one stays stored, in the submission's history",
    "safeguarding:tokens": "makes a token (shown once); revoking asks",
    "safeguarding:review_checklist": "answers of this round; each can be answered again",
    "safeguarding:review_decide": "a reviewer's decision, with a note; a new round follows a request for changes",
    "api_keys:list": "makes a key (shown once); revoking asks",
    "webhooks:list": "subscribes (the secret shown once); deleting asks",
    "webhooks:pause": "pauses a subscription or resumes it; each undoes the other",
    "api:care_batch": "a system pushes new care records (a key, no person to ask); nothing is deleted",
    "api:training_completions": "a system adds course completions; a record sent again changes nothing",
    "api:training_attendance": "a system marks call attendance; a record sent again changes nothing",
    "programs:retention": "a form; it changes no record: manage.py retention_apply applies it, after a dry run",
}


def _patterns(resolver: URLResolver | None = None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            found.append((f"{namespace}{pattern.name}", pattern))
    return found


def _takes_post(name: str, pattern: URLPattern) -> bool:
    """Whether the view takes a POST, from the methods it says it allows (require_http_methods answers 405)."""
    kwargs = {key: ("x" if converter.regex == "[^/]+" else 1) for key, converter in pattern.pattern.converters.items()}
    response = Client().options(reverse(name, kwargs=kwargs))
    if response.status_code != 405:
        return name == "set_language"  # Django's own view: it answers any method and acts on a POST
    return "POST" in response["Allow"]


@pytest.mark.django_db
def test_every_url_that_takes_a_post_is_reviewed() -> None:
    posts = {name for name, pattern in _patterns() if _takes_post(name, pattern)}
    assert posts - DESTRUCTIVE.keys() - NOT_DESTRUCTIVE.keys() == set(), "is it destructive? list it above"
    assert (DESTRUCTIVE.keys() | NOT_DESTRUCTIVE.keys()) - posts == set()


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"method": values.get("method", ""), "action": values.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and values.get("type") not in ("submit", "button"):
            self.forms[-1]["fields"][values.get("name")] = values.get("value")


def _confirmation(response: Any, url: str) -> dict[str, Any]:
    """The question page's form that confirms: a POST to the same URL carrying the confirmation."""
    parser = _Forms()
    parser.feed(response.content.decode())
    confirming = [f for f in parser.forms if f["action"] == url and f["fields"].get(CONFIRM_FIELD) == "yes"]
    assert len(confirming) == 1, parser.forms
    assert confirming[0]["method"] == "post"
    return confirming[0]


@pytest.mark.parametrize("url_name", sorted(DESTRUCTIVE))
def test_a_destructive_action_asks_first_and_acts_only_once_confirmed(
    url_name: str, world: World, signed_in: Callable[[User], Client]
) -> None:
    action = DESTRUCTIVE[url_name]
    client = signed_in(world.people[action.actor])
    url = reverse(url_name, kwargs=action.kwargs(world))

    asked = client.get(url)
    assert asked.status_code == 200
    assert action.asked in asked.content.decode()
    _confirmation(asked, url)
    assert not action.done(world)

    # The button on the list page posts without the confirmation: it is asked, nothing happens.
    posted = client.post(url, action.data)
    assert posted.status_code == 200
    form = _confirmation(posted, url)
    assert not action.done(world)
    # What was typed on the way (a reason) is carried to the confirmation.
    assert {key: form["fields"].get(key) for key in action.data} == action.data

    confirmed = client.post(url, {**form["fields"]})
    assert confirmed.status_code == 302
    assert action.done(world)
