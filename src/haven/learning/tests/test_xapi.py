"""A kept statement is valid xAPI: an account agent (no e-mail), an ADL verb, a scaled score within bounds."""

from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from haven.learning import xapi


def test_a_statement_names_the_learner_by_account_never_by_e_mail(make_staff):
    staff = make_staff(user_name="ann@company.example")
    row = xapi.record(
        staff=staff,
        verb="passed",
        kind="course",
        key="child-protection-v1",
        name="Child protection",
        timestamp=timezone.now(),
        result={"success": True, "completion": True, "score": xapi.score(17, 20)},
    )
    body = row.statement
    assert "mbox" not in body["actor"] and "ann@" not in str(body)
    assert body["actor"]["account"]["name"] == f"staff-{staff.pk}"
    assert body["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    assert body["id"] == str(row.id)
    assert body["result"]["score"] == {"raw": 17, "min": 0, "max": 20, "scaled": 0.85}


@given(st.integers(min_value=1, max_value=500).flatmap(lambda m: st.tuples(st.integers(0, m), st.just(m))))
def test_a_scaled_score_stays_between_0_and_1(raw_and_max):
    raw, maximum = raw_and_max
    scaled = xapi.score(raw, maximum)["scaled"]
    assert 0 <= scaled <= 1
