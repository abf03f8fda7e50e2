"""The four-eyes rule as properties: which sets of approvals make a submission ready, and that any change of its files
takes it back."""

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from haven.safeguarding import rules

SUBMITTER = 1
ROLES = st.sampled_from([rules.SAFEGUARDING, rules.BRAND, "creative"])
DIGESTS = st.sampled_from(["now", "before"])
approvals = st.lists(
    st.builds(
        rules.Approval,
        reviewer_id=st.integers(min_value=1, max_value=5),
        reviewer_role=ROLES,
        assets_digest=DIGESTS,
        voided=st.booleans(),
    ),
    max_size=8,
)


@given(approvals)
def test_ready_means_two_people_one_a_safeguarding_reviewer_neither_the_submitter(given_: list[rules.Approval]) -> None:
    ready = rules.is_ready(given_, submitter_id=SUBMITTER, digest="now")
    valid = [
        a
        for a in given_
        if not a.voided and a.assets_digest == "now" and a.reviewer_id != SUBMITTER and a.reviewer_role != "creative"
    ]
    people = {a.reviewer_id for a in valid}
    assert ready == (len(people) >= 2 and any(a.reviewer_role == rules.SAFEGUARDING for a in valid))


@given(approvals)
def test_one_person_never_makes_it_ready_however_often_they_approve(given_: list[rules.Approval]) -> None:
    alone = [dataclasses.replace(a, reviewer_id=2) for a in given_]
    assert not rules.is_ready(alone, submitter_id=SUBMITTER, digest="now")


@given(approvals)
def test_the_submitters_own_approval_never_counts(given_: list[rules.Approval]) -> None:
    others = [a for a in given_ if a.reviewer_id != SUBMITTER]
    assert rules.is_ready(given_, submitter_id=SUBMITTER, digest="now") == rules.is_ready(
        others, submitter_id=SUBMITTER, digest="now"
    )


@given(approvals, st.sets(st.text(min_size=1, max_size=8), min_size=1, max_size=5), st.text(min_size=1, max_size=8))
def test_changing_any_file_voids_every_approval(given_: list[rules.Approval], files: set[str], changed: str) -> None:
    before = rules.assets_digest(files)
    bound = [rules.Approval(a.reviewer_id, a.reviewer_role, before, a.voided) for a in given_]
    for after in (files | {changed}, files - {next(iter(files))}):
        if after == files:
            continue
        assert rules.counting(bound, submitter_id=SUBMITTER, digest=rules.assets_digest(after)) == []


@given(st.lists(st.text(max_size=8), max_size=6))
def test_the_digest_ignores_the_order_files_came_in(files: list[str]) -> None:
    assert rules.assets_digest(files) == rules.assets_digest(reversed(files))
