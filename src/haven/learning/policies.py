"""Policy attestations: the company writes a policy's versions (Markdown, English and French) and publishes them;
every active member of staff attests each published version once, within its ``attest_within_days``."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Organization

from . import version as learning_version
from . import xapi
from .models import Attestation, Policy, PolicyVersion, StaffMember
from .services import check_company


@transaction.atomic
def policy_create(*, actor: User, company: Organization, slug: str, title_en: str, title_fr: str = "") -> Policy:
    check_company(company)
    if Policy.objects.in_org(company).filter(slug=slug).exists():
        raise ValidationError(_("Another policy has this code."), code="uniqueness")
    policy = Policy.objects.create(organization=company, slug=slug, title_en=title_en, title_fr=title_fr)
    audit.record(actor=actor, action="learning.policy_create", organization=company, target=policy)
    return policy


@transaction.atomic
def version_save(
    *,
    actor: User,
    policy: Policy,
    body_en: str,
    body_fr: str = "",
    attest_within_days: int = 30,
    version: PolicyVersion | None = None,
) -> PolicyVersion:
    """Write a new draft version (numbered after the last) or change a draft; a published version never changes."""
    if version is None:
        last = PolicyVersion.objects.in_org(policy.organization_id).filter(policy=policy).aggregate(n=Max("number"))
        version = PolicyVersion(organization_id=policy.organization_id, policy=policy, number=(last["n"] or 0) + 1)
    elif version.published_at is not None:
        raise ValidationError(_("A published version cannot change: write a new one."))
    version.body_en, version.body_fr, version.attest_within_days = body_en, body_fr, attest_within_days
    version.save()
    audit.record(
        actor=actor, action="learning.policy_version_save", organization=policy.organization_id, target=version
    )
    return version


@transaction.atomic
def version_publish(*, actor: User, version: PolicyVersion) -> PolicyVersion:
    """From now every active member of staff must attest this version within its days."""
    if version.published_at is None:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
        learning_version.bump(version.organization_id)  # the dashboard counts who attested the current version
        staff = StaffMember.objects.in_org(version.organization_id).filter(is_active=True).count()
        audit.record(
            actor=actor,
            action="learning.policy_publish",
            organization=version.organization_id,
            target=version,
            detail={"staff": staff},
        )
    return version


def attest_by(version: PolicyVersion) -> date | None:
    if version.published_at is None:
        return None
    return timezone.localdate(version.published_at) + timedelta(days=version.attest_within_days)


def current_versions(company: Organization | int) -> list[PolicyVersion]:
    """The latest published version of each of the company's policies."""
    latest: dict[int, PolicyVersion] = {}
    for version in (
        PolicyVersion.objects.in_org(company)
        .filter(published_at__isnull=False)
        .select_related("policy")
        .order_by("policy_id", "-number")
    ):
        latest.setdefault(version.policy_id, version)
    return sorted(latest.values(), key=lambda version: version.policy.title_en)


@transaction.atomic
def attest(*, staff: StaffMember, version: PolicyVersion) -> Attestation:
    """The learner has read and accepts this version: recorded once, with its xAPI ``attested`` statement."""
    if version.organization_id != staff.organization_id or version.published_at is None or not staff.is_active:
        raise ValidationError(_("This policy cannot be attested."))
    found = Attestation.objects.in_org(staff.organization_id).filter(staff=staff, version=version).first()
    if found is not None:
        return found
    now = timezone.now()
    try:
        with transaction.atomic():
            attestation = Attestation.objects.create(
                organization_id=staff.organization_id, staff=staff, version=version, attested_at=now
            )
    except IntegrityError:  # the same form sent twice at once
        return Attestation.objects.in_org(staff.organization_id).get(staff=staff, version=version)
    learning_version.bump(staff.organization_id)
    xapi.record(
        staff=staff,
        verb="attested",
        kind="policy",
        key=f"{version.policy.slug}/v{version.number}",
        name=version.policy.title_en,
        timestamp=now,
    )
    audit.record(
        actor=staff.user,
        action="learning.attest",
        organization=staff.organization_id,
        target=attestation,
        detail={"version": version.pk},
    )
    return attestation
