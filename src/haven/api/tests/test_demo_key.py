"""The demo prints a sample API key for one CAC (``make demo`` runs ``generate`` then ``demo_logins``), and the key
printed answers: recomputed from the generator's seed, never read back from the database, which keeps its digest."""

import re
from collections.abc import Callable
from io import StringIO

from django.core.management import call_command
from django.test import Client

from haven.api import keys
from haven.api.generate import DEMO_ADMIN, demo_secret
from haven.api.models import ApiKey
from haven.core import tokens
from haven.organizations.models import Membership
from haven.organizations.roles import OrganizationKind


def _printed_keys() -> list[tuple[str, str]]:
    out = StringIO()
    call_command("demo_logins", stdout=out)
    return re.findall(r"API key for (.+): (hvn_\S+)", out.getvalue())


def test_the_key_the_demo_prints_answers_for_its_cac(db: None, api_client: Callable[[str], Client]) -> None:
    call_command("generate", scale="demo", seed=3, stdout=StringIO())

    printed = _printed_keys()
    assert len(printed) == 1
    cac_name, secret = printed[0]
    response = api_client(secret).get("/api/v1/key")
    assert response.status_code == 200
    assert response.json()["organization"] == cac_name
    assert response.json()["scopes"] == [keys.CARE_WRITE]

    key = ApiKey.objects.dangerously_unscoped().select_related("organization").get()
    assert key.organization.kind == OrganizationKind.CAC
    assert key.digest == tokens.digest_of(secret)
    assert not [field.name for field in ApiKey._meta.fields if secret in str(getattr(key, field.attname))]

    # Revoked on its page, the key stops answering and the demo stops printing it.
    admin = Membership.objects.in_org(key.organization).get(user__email=DEMO_ADMIN)
    keys.key_revoke(membership=admin, key=key)
    assert api_client(secret).get("/api/v1/key").status_code == 401
    assert _printed_keys() == []


def test_the_demo_secret_is_the_seeds_and_as_long_as_a_random_one() -> None:
    assert demo_secret(1) == demo_secret(1)
    assert demo_secret(1) != demo_secret(2)
    assert len(demo_secret(1)) == len(tokens.new_secret(keys.MARKER).secret)
