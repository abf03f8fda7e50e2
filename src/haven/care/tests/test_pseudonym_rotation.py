"""The child pseudonym key rotates without downtime (decision 0048): a case number finds its child under the old
key and the new while children are re-keyed in batches, a new child gets the new key, and no child is registered
twice."""

import itertools
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from haven.accounts.models import User
from haven.audit.models import AuditEntry
from haven.care import identity, services
from haven.care.models import Child
from haven.learning import secrets as stored_secrets
from haven.organizations.models import Organization
from haven.programs.models import Program

from .factories import register

RUNS = itertools.count()
FIRST, SECOND, THIRD = "the first pseudonym key", "the second pseudonym key", "the third pseudonym key"


def rotated(settings: Any, *keys: str) -> None:
    """What a process reads after the rotations that led to these keys (oldest first)."""
    settings.HAVEN_HMAC_KEY, settings.HAVEN_HMAC_KEYS_OLD = keys[-1], list(reversed(keys[:-1]))


def rekey(**options: Any) -> str:
    out = StringIO()
    call_command("pseudonyms_rekey", stdout=out, **options)
    return out.getvalue()


def test_a_child_is_found_under_the_old_key_and_the_new_while_and_after_re_keying(
    settings: Any, cac: Organization, program: Program, clinician: User
) -> None:
    rotated(settings, FIRST)
    before = [register(cac=cac, program=program, clinician=clinician, case_number=f"A-{n}").child for n in range(5)]
    rotated(settings, FIRST, SECOND)
    newcomer = register(cac=cac, program=program, clinician=clinician, case_number="B-1").child
    assert newcomer.case_key == identity.case_key(cac.pk, "B-1") == identity.case_keys(cac.pk, "B-1")[0]
    assert newcomer.case_key_id == identity.key_id(SECOND)

    def each_found() -> None:
        for n, child in enumerate(before):
            assert duplicate_of(cac, program, clinician, f" a-{n} ") == child.pk  # spacing and case differ
        assert duplicate_of(cac, program, clinician, "B-1") == newcomer.pk

    each_found()
    assert "Re-keyed 2 children; 3 not yet" in rekey(batch=1, limit=2)
    each_found()
    output = rekey(batch=2)
    assert "Re-keyed 3 children; 0 not yet" in output
    assert "Keep the older keys" in output
    each_found()
    assert {c.case_key_id for c in Child.objects.in_org(cac)} == {identity.key_id(SECOND)}
    assert Child.objects.in_org(cac).get(pk=before[0].pk).case_key == identity.case_key(cac.pk, "A-0")
    details = AuditEntry.objects.dangerously_unscoped().filter(action="care.pseudonyms_rekey").order_by("seq")
    assert [(d["rekeyed"], d["remaining"]) for d in details.values_list("detail", flat=True)] == [(2, 3), (3, 0)]

    # A second rotation adds a layer; a third key, and children two rotations behind, are found and re-keyed.
    rotated(settings, FIRST, SECOND, THIRD)
    each_found()
    assert "Re-keyed 6 children; 0 not yet" in rekey()
    each_found()
    assert Child.objects.in_org(cac).count() == 6


def duplicate_of(cac: Organization, program: Program, clinician: User, number: str) -> int:
    with pytest.raises(services.DuplicateChild) as duplicate:
        register(cac=cac, program=program, clinician=clinician, case_number=number)
    return duplicate.value.child.pk


def test_a_child_registered_twice_across_a_rotation_is_named_not_merged(
    settings: Any, cac: Organization, program: Program, clinician: User
) -> None:
    rotated(settings, FIRST)
    old = register(cac=cac, program=program, clinician=clinician, case_number="C-9").child
    rotated(settings, FIRST, SECOND)
    # A process that had not reloaded yet would have missed the old form: the same number, under the new key.
    twin = Child.objects.in_org(cac).get(pk=old.pk)
    twin.pk, twin.display_code = None, "TWN-222"
    twin.case_key, twin.case_key_id = identity.case_key(cac.pk, "C-9"), identity.key_id(SECOND)
    twin.save()
    output = rekey()
    assert f"Children {min(old.display_code, 'TWN-222')} and {max(old.display_code, 'TWN-222')}" in output
    assert "1 not yet" in output
    assert Child.objects.in_org(cac).get(pk=old.pk).case_key_id == ""  # left as it was
    assert Child.objects.in_org(cac).filter(case_key=identity.case_key(cac.pk, "C-9")).count() == 1


def test_secrets_sealed_under_the_old_hmac_key_still_open(settings: Any) -> None:
    rotated(settings, FIRST)
    sealed = stored_secrets.seal("the learning record store secret")
    rotated(settings, FIRST, SECOND)
    assert stored_secrets.unseal(sealed) == "the learning record store secret"


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.integers(0, 3)),
        st.tuples(st.just("rotate"), st.just(0)),
        st.tuples(st.just("rekey"), st.integers(1, 3)),
    ),
    min_size=1,
    max_size=10,
)


@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(steps=STEPS)
def test_any_interleaving_of_intakes_rotations_and_re_keying_keeps_one_child_per_case_number(
    steps: list[tuple[str, int]], settings: Any, cac: Organization, program: Program, clinician: User
) -> None:
    run = next(RUNS)  # each example its own case numbers, in the one database of the test
    keys = [FIRST]
    rotated(settings, *keys)
    registered: dict[str, int] = {}
    for step, value in steps:
        if step == "rotate":
            keys.append(f"pseudonym key {run}-{len(keys)}")
            rotated(settings, *keys)
        elif step == "rekey":
            services.pseudonyms_rekey(batch=value, limit=value)
        else:
            number = f"P{run}-{value}"
            try:
                registered[number] = register(
                    cac=cac, program=program, clinician=clinician, case_number=number
                ).child.pk
            except services.DuplicateChild as duplicate:
                assert duplicate.child.pk == registered[number]
    for number, pk in registered.items():
        assert Child.objects.in_org(cac).filter(case_key__in=identity.case_keys(cac.pk, number)).get().pk == pk
        assert duplicate_of(cac, program, clinician, number) == pk
    services.pseudonyms_rekey()
    for number, pk in registered.items():
        assert Child.objects.in_org(cac).get(case_key=identity.case_key(cac.pk, number)).pk == pk


def test_a_child_the_retention_policy_unlinked_stays_unlinked_across_a_rotation(
    settings: Any, cac: Organization, program: Program, clinician: User
) -> None:
    rotated(settings, FIRST)
    child = register(cac=cac, program=program, clinician=clinician, case_number="C-1").child
    unlinked = identity.UNLINKED_PREFIX + "0" * 62
    Child.objects.in_org(cac).filter(pk=child.pk).update(case_key=unlinked)
    rotated(settings, FIRST, SECOND)
    assert "0 not yet" in rekey(batch=10)
    child.refresh_from_db()
    assert child.case_key == unlinked  # still marked unlinked: the retention policy does not take it again
    again = register(cac=cac, program=program, clinician=clinician, case_number="C-1").child
    assert again.pk != child.pk  # the case number no longer leads to the unlinked child
