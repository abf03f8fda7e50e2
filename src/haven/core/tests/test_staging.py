"""``core.staging``: a dry run's rows reach its confirmation unchanged, and only for who planned them, where."""

import pytest
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from haven.core import staging

rows = st.lists(st.dictionaries(st.sampled_from(["email", "case_key", "on"]), st.text(max_size=20)), max_size=5)


@given(rows=rows)
def test_what_was_staged_is_what_the_confirmation_reads(rows: list[dict[str, str]]) -> None:
    payload = staging.stage(purpose="care", user_id=3, scope=8, kind="sessions", name="x.csv", rows=rows)
    assert staging.unstage(payload, purpose="care", user_id=3, scope=8) == {
        "kind": "sessions",
        "name": "x.csv",
        "rows": rows,
    }


def test_a_payload_for_another_person_or_scope_is_out_of_reach() -> None:
    payload = staging.stage(purpose="training", user_id=3, scope=8, rows=[])
    with pytest.raises(Http404):
        staging.unstage(payload, purpose="training", user_id=4, scope=8)
    with pytest.raises(Http404):
        staging.unstage(payload, purpose="training", user_id=3, scope=9)


def test_an_altered_or_misdirected_payload_has_expired() -> None:
    payload = staging.stage(purpose="training", user_id=3, scope=8, rows=[])
    with pytest.raises(staging.Expired):
        staging.unstage(payload, purpose="care", user_id=3, scope=8)
    with pytest.raises(staging.Expired):
        staging.unstage(payload[:-2] + "xx", purpose="training", user_id=3, scope=8)
    with pytest.raises(staging.Expired):
        staging.unstage("", purpose="training", user_id=3, scope=8)
