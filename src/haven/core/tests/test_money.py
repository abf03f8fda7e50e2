"""Properties of amounts of money (decision 26): splitting never creates or loses a unit, a conversion is rounded
once from the exact product, floats and mixed currencies are refused, and a formatted amount keeps its digits."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from haven.core.money import (
    MINOR_UNITS,
    CurrencyMismatch,
    Money,
    allocate,
    convert_by_euro_rates,
    exponent,
    format_money,
    total,
)

CURRENCIES = sorted(MINOR_UNITS)
currencies = st.sampled_from(CURRENCIES)
minors = st.integers(min_value=-(10**15), max_value=10**15)
amounts = st.builds(Money, minors, currencies)
weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(lambda w: sum(w) > 0)
# Euro reference rates as the ECB writes them: positive, at most six decimal places, from 0.000001 to a million.
euro_rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000000"), places=6).filter(
    lambda rate: rate > 0
)


# -- allocate -----------------------------------------------------------------------------------------------------


@given(amounts, weights)
@example(Money(5, "USD"), [30, 70])  # Foemmel's conundrum
@example(Money(100, "EUR"), [1, 1, 1])
@example(Money(-100, "EUR"), [1, 1, 1])
def test_allocated_parts_sum_to_the_whole_and_each_is_within_a_unit_of_its_share(
    amount: Money, weights: list[int]
) -> None:
    parts = allocate(amount, weights)
    assert len(parts) == len(weights)
    assert {part.currency for part in parts} == {amount.currency}
    assert sum(part.minor for part in parts) == amount.minor
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.minor - Fraction(amount.minor * weight, whole)) < 1


@given(amounts, st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=8))
def test_allocate_with_decimal_weights_sums_to_the_whole(amount: Money, weights: list[Decimal]) -> None:
    assume(sum(weights) > 0)
    parts = allocate(amount, weights)
    assert sum(part.minor for part in parts) == amount.minor
    whole = sum(Fraction(weight) for weight in weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.minor - Fraction(amount.minor) * Fraction(weight) / whole) < 1


@given(amounts, st.integers(min_value=1, max_value=10**6), st.integers(min_value=2, max_value=12))
def test_equal_weights_get_parts_in_a_stable_order(amount: Money, weight: int, count: int) -> None:
    """Equal weights differ by one unit at most, and the units left over go to the earliest ones: the same split
    whatever the run, never shuffled."""
    parts = [abs(part.minor) for part in allocate(amount, [weight] * count)]
    assert parts == sorted(parts, reverse=True)
    assert parts[0] - parts[-1] <= 1
    assert allocate(amount, [weight] * count) == allocate(amount, [weight] * count)


@given(amounts, weights)
def test_the_leftover_units_of_equal_weights_go_to_the_earliest(amount: Money, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    for i in range(len(weights)):
        for j in range(i + 1, len(weights)):
            if weights[i] == weights[j]:
                assert abs(parts[i].minor) - abs(parts[j].minor) in (0, 1)


def test_allocate_refuses_what_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="at least one"):
        allocate(Money(100, "USD"), [])
    with pytest.raises(ValueError, match="sum to zero"):
        allocate(Money(100, "USD"), [0, 0])
    with pytest.raises(ValueError, match="negative"):
        allocate(Money(100, "USD"), [2, -1])


# -- convert_by_euro_rates ----------------------------------------------------------------------------------------


def _exact_rounded(value: Fraction, currency: str) -> int:
    """``value`` (major units) in whole minor units of ``currency``, rounded half up (away from zero) once."""
    minor = value * 10 ** exponent(currency)
    sign = -1 if minor < 0 else 1
    magnitude = abs(minor)
    whole = int(magnitude)
    return sign * (whole + (1 if magnitude - whole >= Fraction(1, 2) else 0))


@given(minors, currencies, currencies, euro_rates, euro_rates)
@example(5, "USD", "EUR", Decimal("1.0850"), Decimal("1"))
@example(1, "JPY", "USD", Decimal("161.84"), Decimal("1.1355"))
def test_a_conversion_is_the_exact_cross_rate_rounded_once(
    minor: int, source: str, target: str, source_rate: Decimal, target_rate: Decimal
) -> None:
    """A to B is amount * rate(B) / rate(A), exactly, rounded once to B's minor unit: within half a unit of the
    exact value (never the sum of two roundings through the euro)."""
    rates = {source: source_rate, target: target_rate, "EUR": Decimal(1)}
    if source == target:
        rates[target] = source_rate
    amount = Money(minor, source)
    converted = convert_by_euro_rates(amount, to=target, rates=rates)
    assert converted.currency == target
    if source == target:
        assert converted == amount
        return
    exact = Fraction(amount.amount) * Fraction(rates[target]) / Fraction(rates[source])
    assert converted.minor == _exact_rounded(exact, target)
    assert abs(Fraction(converted.amount) - exact) <= Fraction(1, 2) * Fraction(10) ** -exponent(target)


@given(minors, euro_rates)
def test_dollars_to_euros_divide_by_the_dollar_rate_and_euros_to_dollars_multiply(minor: int, rate: Decimal) -> None:
    rates = {"USD": rate}
    to_euros = convert_by_euro_rates(Money(minor, "USD"), to="EUR", rates=rates)
    assert to_euros.minor == _exact_rounded(Fraction(minor, 100) / Fraction(rate), "EUR")
    to_dollars = convert_by_euro_rates(Money(minor, "EUR"), to="USD", rates=rates)
    assert to_dollars.minor == _exact_rounded(Fraction(minor, 100) * Fraction(rate), "USD")


def test_half_a_cent_rounds_up_as_named() -> None:
    assert convert_by_euro_rates(Money(1, "EUR"), to="USD", rates={"USD": Decimal("0.5")}) == Money(1, "USD")
    assert convert_by_euro_rates(Money(-1, "EUR"), to="USD", rates={"USD": Decimal("0.5")}) == Money(-1, "USD")


# -- Money refuses floats and mixed currencies --------------------------------------------------------------------


@given(st.floats(allow_nan=True, allow_infinity=True), currencies)
def test_an_amount_is_never_a_float(value: float, currency: str) -> None:
    with pytest.raises(TypeError):
        Money(value, currency)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money.of(value, currency)  # type: ignore[arg-type]


def test_a_boolean_is_not_an_amount() -> None:
    with pytest.raises(TypeError):
        Money(True, "USD")


@given(minors, minors, st.lists(currencies, min_size=2, max_size=2, unique=True))
def test_amounts_of_two_currencies_never_add_up_or_compare(a: int, b: int, pair: list[str]) -> None:
    first, second = Money(a, pair[0]), Money(b, pair[1])
    for combine in (
        lambda: first + second,
        lambda: first - second,
        lambda: first < second,
        lambda: first <= second,
        lambda: first > second,
        lambda: first >= second,
        lambda: total([first, second], pair[0]),
    ):
        with pytest.raises(CurrencyMismatch):
            combine()


@given(minors, minors, currencies)
def test_amounts_of_one_currency_add_exactly(a: int, b: int, currency: str) -> None:
    assert Money(a, currency) + Money(b, currency) == Money(a + b, currency)
    assert total([Money(a, currency), Money(b, currency)], currency) == Money(a + b, currency)
    assert Money.of(Money(a, currency).amount, currency) == Money(a, currency)


def test_a_number_is_not_money() -> None:
    with pytest.raises(TypeError):
        Money(100, "USD") + 1  # type: ignore[operator]


# -- format_money -------------------------------------------------------------------------------------------------


def _read_back(text: str, currency: str, language: str) -> Decimal:
    """The amount a reader of ``language`` reads in ``text``: sign, digits and separators only."""
    sign = -1 if text.startswith("-") else 1
    text = text.removeprefix("-")
    if language == "fr":
        digits, _space, _symbol = text.partition("\u00a0")
        number = digits.replace("\u202f", "").replace(",", ".")
    else:
        body = text.partition("\u00a0")[0] if text.endswith(f"\u00a0{currency}") else text
        number = body.lstrip("$€£¥").replace(",", "")
    assert all(c.isdigit() or c == "." for c in number), text
    return sign * Decimal(number)


@given(amounts, st.sampled_from(["en", "fr"]))
@example(Money(123456, "USD"), "en")
@example(Money(-123456789, "EUR"), "fr")
@example(Money(1000, "JPY"), "fr")
def test_a_formatted_amount_reads_back_to_its_digits(amount: Money, language: str) -> None:
    text = format_money(amount, language=language)
    assert _read_back(text, amount.currency, language) == amount.amount
    places = exponent(amount.currency)
    decimals = text.rpartition("," if language == "fr" else ".")[2] if places else ""
    assert len("".join(c for c in decimals if c.isdigit())) == places


def test_formats_named_in_the_docstring() -> None:
    assert format_money(Money(123456, "USD"), language="en") == "$1,234.56"
    assert format_money(Money(123456, "EUR"), language="en") == "€1,234.56"
    assert format_money(Money(123456, "USD"), language="fr") == "1\u202f234,56\u00a0$\u00a0US"
    assert format_money(Money(123456, "EUR"), language="fr") == "1\u202f234,56\u00a0€"
    assert format_money(Money(-5, "CHF"), language="en") == "-0.05\u00a0CHF"
