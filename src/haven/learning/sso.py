"""Single sign-on for a company's staff: Haven is an OpenID Connect relying party of the company's provider.

The authorization code flow with PKCE (S256): ``begin`` keeps a fresh ``state``, ``nonce`` and code verifier in the
session and sends the browser to the provider; ``finish`` takes the code back, exchanges it at the token endpoint and
checks the ID token with PyJWT: signed RS256 by a key of the provider's ``jwks_uri`` (``none`` and HS* refused),
``iss`` the configured issuer, ``aud`` the client id, ``exp``/``iat`` with a minute's leeway, ``nonce`` the session's
and never seen before (used nonces are kept until their token expires). The person is the company's active member
of staff whose user name or e-mail is the token's ``preferred_username`` or ``email``; nobody is created on the
fly (staff come from the company's directory). A learner never has a Haven password and is not asked for Haven's
second factor: their company's provider asks for its own. Every sign-in and refusal is audited, with a reason code
and no e-mail.
"""

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

import jwt
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.accounts.services import SESSION_SIGNED_IN_AT, user_requires_second_factor
from haven.audit import services as audit
from haven.organizations.middleware import SESSION_KEY as MEMBERSHIP_SESSION_KEY
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role

from . import secrets as stored_secrets
from .models import LearningSettings, StaffMember, UsedNonce

SESSION_FLOWS = "haven_sso_flows"
FLOW_SECONDS = 10 * 60
FLOWS_KEPT = 5
LEEWAY_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10
DISCOVERY_SECONDS = 5 * 60
ALGORITHMS = ["RS256"]

# Why a sign-in was refused: the reason code audited, and the words the person reads.
REASONS = {
    "unknown_state": _("This sign-in link has expired or was already used. Start again from the sign-in page."),
    "provider_error": _("Your company's sign-in service did not sign you in."),
    "not_configured": _("Your company has no single sign-on set up. Sign in with your password."),
    "provider_unreachable": _("Your company's sign-in service could not be reached. Try again in a few minutes."),
    "token_refused": _("Your company's sign-in service did not give a valid answer."),
    "bad_signature": _("The answer of your company's sign-in service was not signed by it."),
    "wrong_issuer": _("The answer came from another sign-in service than your company's."),
    "wrong_audience": _("The answer of your company's sign-in service was meant for another application."),
    "expired": _("The answer of your company's sign-in service has expired. Sign in again."),
    "invalid_token": _("The answer of your company's sign-in service could not be read."),
    "wrong_nonce": _("The answer of your company's sign-in service does not belong to this sign-in."),
    "nonce_replayed": _("This answer of your company's sign-in service was already used. Sign in again."),
    "unknown_staff": _("Your company's learning does not know you. Ask your learning administrator to add you."),
    "inactive_staff": _("Your access to your company's learning has ended. Ask your learning administrator."),
    "second_factor_required": _(
        "Your account has a role that needs Haven's own second factor: sign in with your password and code."
    ),
}


class Refused(Exception):
    def __init__(self, reason: str, *, company: Organization | None = None, staff: StaffMember | None = None):
        super().__init__(reason)
        self.reason, self.company, self.staff = reason, company, staff

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


@dataclasses.dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


_discovered: dict[str, tuple[float, Provider]] = {}
_key_clients: dict[str, jwt.PyJWKClient] = {}


def is_configured(found: LearningSettings | None) -> bool:
    return bool(found and found.oidc_issuer and found.oidc_client_id)


def companies_with_sso() -> list[Organization]:
    """The companies whose staff can sign in through their provider (the list the sign-in page links to)."""
    configured = (
        LearningSettings.objects.dangerously_unscoped()
        .exclude(oidc_issuer="")
        .exclude(oidc_client_id="")
        .values_list("organization_id", flat=True)
    )
    return list(
        Organization.objects.filter(pk__in=list(configured), kind=OrganizationKind.CORPORATE_PARTNER).order_by("name")
    )


def company_settings(company_id: int) -> tuple[Organization, LearningSettings] | None:
    company = Organization.objects.filter(pk=company_id, kind=OrganizationKind.CORPORATE_PARTNER).first()
    if company is None:
        return None
    found = LearningSettings.objects.in_org(company).first()
    return (company, found) if found is not None and is_configured(found) else None


def _fetch_json(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    if not check_url(url):
        raise ValueError("only https, or http on this machine")
    headers = {"Accept": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (scheme checked above)
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        return json.loads(response.read(1_000_000))


def check_url(url: str) -> bool:
    """A provider or store address Haven will call: https, or http on this machine (the demo and the tests)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"})


def discover(issuer: str) -> Provider:
    """The provider's endpoints from ``<issuer>/.well-known/openid-configuration``, kept five minutes."""
    issuer = issuer.rstrip("/")
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    document = _fetch_json(f"{issuer}/.well-known/openid-configuration")
    provider = Provider(
        issuer=str(document["issuer"]),
        authorization_endpoint=str(document["authorization_endpoint"]),
        token_endpoint=str(document["token_endpoint"]),
        jwks_uri=str(document["jwks_uri"]),
    )
    if provider.issuer.rstrip("/") != issuer or not all(
        check_url(url) for url in (provider.authorization_endpoint, provider.token_endpoint, provider.jwks_uri)
    ):
        raise Refused("token_refused")
    _discovered[issuer] = (time.monotonic() + DISCOVERY_SECONDS, provider)
    return provider


def _key_client(jwks_uri: str) -> jwt.PyJWKClient:
    client = _key_clients.get(jwks_uri)
    if client is None:
        client = _key_clients[jwks_uri] = jwt.PyJWKClient(jwks_uri, lifespan=DISCOVERY_SECONDS, timeout=10)
    return client


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("learning:sso_callback"))


def begin(*, request: HttpRequest, company: Organization, found: LearningSettings) -> str:
    """Keep a new flow in the session and give the provider's authorization URL to send the browser to."""
    try:
        provider = discover(found.oidc_issuer)
    except (OSError, ValueError, KeyError) as error:
        raise Refused("provider_unreachable", company=company) from error
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    flows = {
        key: flow
        for key, flow in dict(request.session.get(SESSION_FLOWS, {})).items()
        if flow["since"] + FLOW_SECONDS > time.time()
    }
    flows[state] = {"company": company.pk, "nonce": nonce, "verifier": verifier, "since": int(time.time())}
    request.session[SESSION_FLOWS] = dict(list(flows.items())[-FLOWS_KEPT:])
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": found.oidc_client_id,
            "redirect_uri": redirect_uri(request),
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{query}"


def _exchange(*, request: HttpRequest, provider: Provider, found: LearningSettings, code: str, verifier: str) -> str:
    secret = stored_secrets.unseal(found.oidc_client_secret)
    body = urllib.parse.urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(request),
            "client_id": found.oidc_client_id,
            "code_verifier": verifier,
        }
    ).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if secret:
        pair = f"{urllib.parse.quote(found.oidc_client_id, safe='')}:{urllib.parse.quote(secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    answer = _fetch_json(provider.token_endpoint, data=body, headers=headers)
    token = answer.get("id_token") if isinstance(answer, dict) else None
    if not isinstance(token, str):
        raise Refused("token_refused")
    return token


def check_id_token(*, token: str, provider: Provider, issuer: str, client_id: str) -> dict[str, Any]:
    """The claims of an ID token whose signature, issuer, audience and times are right (the nonce is checked after)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Refused("invalid_token") from error
    if header.get("alg") not in ALGORITHMS:
        raise Refused("bad_signature")
    try:
        key = _key_client(provider.jwks_uri).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as error:
        raise Refused("provider_unreachable") from error
    except jwt.PyJWTError as error:
        raise Refused("bad_signature") from error
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.InvalidSignatureError as error:
        raise Refused("bad_signature") from error
    except jwt.InvalidIssuerError as error:
        raise Refused("wrong_issuer") from error
    except jwt.InvalidAudienceError as error:
        raise Refused("wrong_audience") from error
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as error:
        raise Refused("expired") from error
    except jwt.PyJWTError as error:
        raise Refused("invalid_token") from error
    return claims


def _staff(company: Organization, claims: dict[str, Any]) -> StaffMember:
    names = [str(claims[key]).strip() for key in ("preferred_username", "email") if claims.get(key)]
    match = Q(pk__in=[])
    for name in names:
        match |= Q(user_name__iexact=name) | Q(user__email__iexact=name)
    found = list(StaffMember.objects.in_org(company).filter(match).select_related("user")[:2])
    if len(found) != 1:
        raise Refused("unknown_staff", company=company)
    return found[0]


def _learner_membership(staff: StaffMember) -> Membership | None:
    return (
        Membership.objects.in_org(staff.organization_id)
        .filter(user_id=staff.user_id, role=Role.LEARNER, is_active=True)
        .first()
    )


@transaction.atomic
def _spend_nonce(*, company: Organization, nonce: str, expires: int) -> None:
    UsedNonce.objects.filter(expires_at__lt=timezone.now()).dangerously_unscoped().delete()
    try:
        with transaction.atomic():
            UsedNonce.objects.create(
                organization=company,
                digest=_digest(nonce),
                expires_at=datetime.fromtimestamp(expires + LEEWAY_SECONDS, tz=UTC),
            )
    except IntegrityError as error:
        raise Refused("nonce_replayed", company=company) from error


def finish(*, request: HttpRequest, state: str, code: str, error: str) -> StaffMember:
    """Sign the person in from the provider's answer, or raise :class:`Refused` (audited either way)."""
    try:
        staff = _finish(request=request, state=state, code=code, error=error)
    except Refused as refused:
        audit.record(
            actor=refused.staff.user if refused.staff else None,
            action="auth.sso_refused",
            organization=refused.company,
            detail={"reason": refused.reason},
        )
        raise
    return staff


def _finish(*, request: HttpRequest, state: str, code: str, error: str) -> StaffMember:
    flows = dict(request.session.get(SESSION_FLOWS, {}))
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_FLOWS] = flows
    if flow is None or flow["since"] + FLOW_SECONDS < time.time():
        raise Refused("unknown_state")
    configured = company_settings(flow["company"])
    if configured is None:
        raise Refused("not_configured")
    company, found = configured
    if error or not code:
        raise Refused("provider_error", company=company)
    try:
        provider = discover(found.oidc_issuer)
        token = _exchange(request=request, provider=provider, found=found, code=code, verifier=flow["verifier"])
    except Refused as refused:
        raise Refused(refused.reason, company=company) from refused
    except urllib.error.HTTPError as failure:
        raise Refused("token_refused", company=company) from failure
    except (OSError, ValueError, KeyError) as failure:
        raise Refused("provider_unreachable", company=company) from failure
    except stored_secrets.SecretUnreadable as failure:
        raise Refused("not_configured", company=company) from failure
    try:
        claims = check_id_token(token=token, provider=provider, issuer=provider.issuer, client_id=found.oidc_client_id)
    except Refused as refused:
        raise Refused(refused.reason, company=company) from refused
    if not hmac.compare_digest(str(claims["nonce"]), flow["nonce"]):
        raise Refused("wrong_nonce", company=company)
    _spend_nonce(company=company, nonce=flow["nonce"], expires=int(claims["exp"]))
    staff = _staff(company, claims)
    membership = _learner_membership(staff)
    if not staff.is_active or not staff.user.is_active or membership is None:
        raise Refused("inactive_staff", company=company, staff=staff)
    if user_requires_second_factor(staff.user):
        raise Refused("second_factor_required", company=company, staff=staff)
    login(request, staff.user, backend="django.contrib.auth.backends.ModelBackend")  # a new session id
    request.session[SESSION_SIGNED_IN_AT] = int(timezone.now().timestamp())
    request.session[MEMBERSHIP_SESSION_KEY] = membership.pk
    audit.record(actor=staff.user, action="auth.sso_sign_in", organization=company, target=staff)
    return staff
