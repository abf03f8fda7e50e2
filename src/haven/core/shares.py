"""Shares as a reader sees them: whole percentages rounded to the nearest (halves up, so 51 of 200 is 26%), and the
parts of a whole summing to exactly 100 (the largest-remainder method). Pure integer arithmetic, so no float can
turn 25.5 into 25; every page, download and report formats its shares through these two functions.
"""

from collections.abc import Sequence


def nearest(part: int, whole: int) -> int | None:
    """100 x part / whole to the nearest whole number, halves up; None when the whole is 0."""
    if part < 0 or whole < 0:
        raise ValueError(f"a share is of counts, not of {part} and {whole}")
    if whole == 0:
        return None
    return (200 * part + whole) // (2 * whole)


def partition(parts: Sequence[int]) -> list[int] | None:
    """Whole percentages of parts that make up a whole, summing to exactly 100: each part gets its share rounded
    down, and the points left over go one each to the parts with the largest remainders (the earlier part first on
    a tie). None when the parts sum to 0. Each share is its exact value rounded down or up, so it differs from
    :func:`nearest` only where the nearest shares would not sum to 100."""
    if any(part < 0 for part in parts):
        raise ValueError(f"a share is of counts, not of {list(parts)}")
    whole = sum(parts)
    if whole == 0:
        return None
    shares = [100 * part // whole for part in parts]
    remainders = [100 * part % whole for part in parts]
    left = 100 - sum(shares)
    for index in sorted(range(len(parts)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares
