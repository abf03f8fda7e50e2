"""The risk check's rules, as properties over generated records (kanon is pure: no database)."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from haven.evaluation import kanon

TRAUMA_CODES = ("sexual_abuse", "physical_abuse", "neglect", "domestic_violence")

record = st.tuples(
    st.integers(min_value=0, max_value=17).map(str),
    st.sampled_from(("girl", "boy", "another", "not_recorded")),
    st.sampled_from(("black", "white", "hispanic", "asian", "multiple")),
    st.sampled_from(("TX", "OH", "VT")),
    st.sets(st.sampled_from(TRAUMA_CODES), min_size=1, max_size=3).map(lambda s: ";".join(sorted(s))),
    st.tuples(st.integers(2023, 2025), st.integers(1, 12)).map(lambda ym: f"{ym[0]}-{ym[1]:02d}"),
)
# Many alike records, as real children are (most of a program is a few common profiles), and some rare ones.
records = st.lists(st.one_of(record, st.just(("9", "girl", "white", "TX", "sexual_abuse", "2024-03"))), max_size=250)
ks = st.integers(min_value=1, max_value=15)


def _keyed(rows: list[tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    return dict(enumerate(rows))


@settings(deadline=None, max_examples=200)
@given(records, ks)
def test_no_class_released_is_smaller_than_k(rows: list[tuple[str, ...]], k: int) -> None:
    result = kanon.anonymize(_keyed(rows), k)
    sizes = Counter(result.released.values())
    assert all(n >= k for n in sizes.values())
    assert result.smallest_class == (min(sizes.values()) if sizes else None)
    assert result.classes == len(sizes)


@settings(deadline=None, max_examples=200)
@given(records, ks)
def test_records_are_never_invented_and_the_withheld_are_what_is_missing(rows: list[tuple[str, ...]], k: int) -> None:
    keyed = _keyed(rows)
    result = kanon.anonymize(keyed, k)
    assert set(result.released) <= set(keyed)
    assert result.withheld == set(keyed) - set(result.released)
    assert len(result.released) + len(result.withheld) == len(keyed)
    assert result.report()["records_withheld"] == len(keyed) - len(result.released)


@settings(deadline=None, max_examples=200)
@given(records, ks)
def test_a_generalization_only_coarsens(rows: list[tuple[str, ...]], k: int) -> None:
    keyed = _keyed(rows)
    result = kanon.anonymize(keyed, k)
    for key, released in result.released.items():
        for index, (general, exact) in enumerate(zip(released, keyed[key], strict=True)):
            assert kanon.covers(general, exact, index), (general, exact)


@settings(deadline=None, max_examples=200)
@given(records, ks)
def test_idempotent_on_its_own_output(rows: list[tuple[str, ...]], k: int) -> None:
    first = kanon.anonymize(_keyed(rows), k)
    again = kanon.anonymize(first.released, k)
    assert again.released == first.released
    assert again.withheld == frozenset()
    assert again.steps == ()


@settings(deadline=None, max_examples=100)
@given(records)
def test_k_of_one_changes_nothing(rows: list[tuple[str, ...]]) -> None:
    keyed = _keyed(rows)
    result = kanon.anonymize(keyed, 1)
    assert result.released == keyed
    assert result.steps == ()


def test_a_rare_child_is_generalized_before_being_withheld() -> None:
    common = dict.fromkeys(range(11), ("9", "girl", "white", "TX", "sexual_abuse", "2024-03"))
    # Ten more of nearly the same profile, each in a month of its own quarter: one quarter holds them all.
    near = {100 + n: ("10", "girl", "white", "TX", "sexual_abuse", f"2024-0{1 + n % 3}") for n in range(11)}
    lone = {999: ("4", "boy", "asian", "VT", "neglect;physical_abuse", "2023-11")}
    result = kanon.anonymize(common | near | lone, 11)
    assert result.released[0] == ("9", "girl", "white", "TX", "sexual_abuse", "2024-03")  # a large class keeps detail
    # The quarter alone brings the eleven together: their ages stay exact (the age's rung would help nobody).
    assert result.released[100] == ("10", "girl", "white", "TX", "sexual_abuse", "2024-Q1")
    assert result.withheld == {999}
    report = result.report()
    assert report["steps"][0] == {
        "step": "referral_quarter",
        "quasi_identifier": "referral_month",
        "records_generalized": 12,
    }
    # The lone child climbs every rung, the state's last, and is still alone.
    assert [step["step"] for step in report["steps"]][-1] == "state_any"
    assert all(step["records_generalized"] == 1 for step in report["steps"][1:])
    assert report["records_withheld"] == 1
    assert report["smallest_class"] == 11


def test_covers() -> None:
    assert kanon.covers("6-8", "7", kanon.AGE)
    assert kanon.covers("6-11", "6-8", kanon.AGE)
    assert not kanon.covers("3-5", "7", kanon.AGE)
    assert kanon.covers("2024-Q2", "2024-05", kanon.MONTH)
    assert kanon.covers("2024", "2024-Q2", kanon.MONTH)
    assert not kanon.covers("2024-Q1", "2024-05", kanon.MONTH)
    assert kanon.covers("multiple", "neglect;physical_abuse", kanon.TRAUMA)
    assert not kanon.covers("multiple", "neglect", kanon.TRAUMA)
    assert kanon.covers("*", "TX", kanon.STATE)
