"""Fixtures shared by every app's tests: organizations, people in each role, and signed-in clients."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY

from haven.accounts.models import Authenticator, User
from haven.accounts.services import SESSION_SIGNED_IN_AT
from haven.accounts.tests.factories import UserFactory
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import ROLES_REQUIRING_MFA, OrganizationKind, Role
from haven.organizations.tests.factories import CacFactory, NationalOfficeFactory, OrganizationFactory
from haven.training import funnel

DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-only",
        action="store_true",
        help="run only the tests that reach the database (CI's second database runs these; the rest cannot differ)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-only"):
        return
    kept = [item for item in items if _reaches_database(item)]
    config.hook.pytest_deselected(items=[item for item in items if not _reaches_database(item)])
    items[:] = kept


def _reaches_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") is not None:
        return True
    return not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts and ends in the default language. A request through the test client in French leaves
    French active in its thread (the locale middleware activates it and nothing deactivates it), and the next test
    on that worker would read French messages and labels."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def _exports_in_pytests_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The evaluation packages the tests build go to pytest's temporary directory (it keeps the last three runs'),
    not to a folder of the system's that nothing empties."""
    with override_settings(HAVEN_EXPORT_DIR=tmp_path_factory.mktemp("exports")):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache, as a new process would."""
    cache.clear()
    funnel.forget()


@pytest.fixture
def national(db: None) -> Organization:
    return NationalOfficeFactory(name="National Children's Alliance")


@pytest.fixture
def cac(national: Organization) -> Organization:
    return CacFactory(name="Franklin County CAC", parent__parent=national, parent__name="Ohio Chapter")


@pytest.fixture
def other_cac(national: Organization) -> Organization:
    return CacFactory(
        name="Lincoln County CAC", parent__parent=national, parent__name="Texas Chapter", parent__state="TX"
    )


@pytest.fixture
def funder(db: None) -> Organization:
    return OrganizationFactory(name="Kering Foundation", kind=OrganizationKind.FUNDER)


@pytest.fixture
def partner(db: None) -> Organization:
    return OrganizationFactory(name="Balenciaga", kind=OrganizationKind.CORPORATE_PARTNER)


@pytest.fixture
def provider(db: None) -> Organization:
    return OrganizationFactory(name="Training Network", kind=OrganizationKind.TRAINING_PROVIDER)


@pytest.fixture
def make_member(db: None) -> Callable[..., User]:
    """A user with one active membership: ``make_member(Role.CLINICIAN, cac)``."""

    def make(role: str, organization: Organization, **user_fields: Any) -> User:
        user = UserFactory(**user_fields)
        Membership.objects.create(user=user, organization=organization, role=role)
        return user

    return make


def sign_in_client(client: Client, user: User) -> Client:
    """Sign ``user`` in as the sign-in flow would, second factor included when their role needs one."""
    client.force_login(user)
    session = client.session
    session[SESSION_SIGNED_IN_AT] = int(timezone.now().timestamp())
    needs_mfa = Membership.objects.of_user(user).active().filter(role__in=ROLES_REQUIRING_MFA).exists()
    if needs_mfa:
        device, _ = Authenticator.objects.get_or_create(user=user, defaults={"name": "test", "confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in() -> Callable[[User], Client]:
    """A fresh client signed in as the given user: ``signed_in(user).get(url)``."""

    def make(user: User) -> Client:
        return sign_in_client(Client(), user)

    return make


@pytest.fixture
def role_members(
    national: Organization,
    cac: Organization,
    funder: Organization,
    partner: Organization,
    provider: Organization,
    make_member: Callable[..., User],
) -> dict[str, User]:
    """One member per role, each in the kind of organization that role belongs to."""
    return {
        Role.PROGRAM_ADMIN: make_member(Role.PROGRAM_ADMIN, national),
        Role.ORG_ADMIN: make_member(Role.ORG_ADMIN, cac),
        Role.CLINICIAN: make_member(Role.CLINICIAN, cac),
        Role.TRAINER: make_member(Role.TRAINER, provider),
        Role.FUNDER_VIEWER: make_member(Role.FUNDER_VIEWER, funder),
        Role.LEARNER: make_member(Role.LEARNER, partner),
        Role.SAFEGUARDING_REVIEWER: make_member(Role.SAFEGUARDING_REVIEWER, partner),
        Role.BRAND_REVIEWER: make_member(Role.BRAND_REVIEWER, partner),
        Role.CREATIVE: make_member(Role.CREATIVE, partner),
    }
