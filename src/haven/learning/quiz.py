"""The quiz, as plain functions over ids: drawing an attempt's questions, shuffling them and their choices, scoring.

No ORM here: ``taking`` reads the bank and the attempt and feeds these. A question is right when exactly its right
choices are picked (a single-choice question has one right choice, so one pick, that one); an attempt passes when
its score, as a percentage of the questions drawn, reaches the version's pass mark.
"""

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

# What an attempt shows, in order: each question's id and its choices' ids in the order shown.
Drawn = list[tuple[int, list[int]]]


@dataclass(frozen=True)
class Key:
    """A question's right answer: the ids of its right choices."""

    question_id: int
    right: frozenset[int]


def draw(bank: Sequence[tuple[int, Sequence[int]]], count: int | None, rng: random.Random) -> Drawn:
    """``count`` questions of the bank (every one when ``count`` is empty or larger than the bank), each once, in a
    random order, each with its choices in a random order."""
    size = len(bank) if not count else min(count, len(bank))
    picked = rng.sample(list(bank), size)
    return [(question_id, rng.sample(list(choices), len(choices))) for question_id, choices in picked]


def is_right(key: Key, picked: Collection[int]) -> bool:
    """Exactly the right set: nothing missing, nothing more (for a single-choice question, the one right choice)."""
    return frozenset(picked) == key.right


def score(keys: Mapping[int, Key], shown: Sequence[int], answers: Mapping[int, Collection[int]]) -> tuple[int, int]:
    """(right answers, questions shown): one point a question, nothing for an unanswered one."""
    raw = sum(1 for question_id in shown if is_right(keys[question_id], answers.get(question_id, ())))
    return raw, len(shown)


def passed(raw: int, maximum: int, pass_mark: int) -> bool:
    """score / max * 100 >= pass mark, in whole numbers (no rounding at the boundary)."""
    return maximum > 0 and raw * 100 >= pass_mark * maximum
