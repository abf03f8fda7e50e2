"""Scoring one administration of an instrument: plain answers in, a :class:`Score` out (no ORM).

Responses map item keys to answers; an absent key or None is a missing answer. The total is the sum of the
symptom items, prorated when no more than the instrument's ``max_prorated`` are missing (supplementary questions
are answered and stored, never summed). The band and the "above the cut-off" flag read the same bands. Critical
items fire on whatever was answered, even when no total can be computed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .instruments import Instrument


class InvalidResponses(ValueError):
    """Answers that do not fit the instrument; ``errors`` holds a message per bad key."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {message}" for key, message in sorted(self.errors.items())))


@dataclass(frozen=True, slots=True)
class Score:
    total: int | None
    band: str | None
    above_cutoff: bool | None  # None without a total, or for an instrument with no published cut-off
    subscales: dict[str, int | None]  # None where an item of the subscale is missing
    answered: int  # symptom items answered
    missing: int  # symptom items not answered
    prorated: bool
    screen_ended: bool  # no trauma event endorsed: the screen ends, no symptom score
    impairment: int | None  # impairment items answered yes; None if any is unanswered or there are none
    probable_ptsd: bool | None  # the screening heuristic; None where it does not apply or cannot be decided
    critical: tuple[str, ...]  # keys of the critical items that fired
    scoring_version: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, read back by :meth:`from_dict` (built by hand: ``dataclasses.asdict`` deep-copies,
        and the generator scores a hundred thousand measures)."""
        return {
            "total": self.total,
            "band": self.band,
            "above_cutoff": self.above_cutoff,
            "subscales": dict(self.subscales),
            "answered": self.answered,
            "missing": self.missing,
            "prorated": self.prorated,
            "screen_ended": self.screen_ended,
            "impairment": self.impairment,
            "probable_ptsd": self.probable_ptsd,
            "critical": list(self.critical),
            "scoring_version": self.scoring_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Score":
        return cls(
            total=data["total"],
            band=data["band"],
            above_cutoff=data["above_cutoff"],
            subscales=dict(data["subscales"]),
            answered=data["answered"],
            missing=data["missing"],
            prorated=data["prorated"],
            screen_ended=data["screen_ended"],
            impairment=data["impairment"],
            probable_ptsd=data["probable_ptsd"],
            critical=tuple(data["critical"]),
            scoring_version=data["scoring_version"],
        )


def validated(instrument: Instrument, responses: Mapping[str, int | None]) -> dict[str, int]:
    """The answered items of ``responses``, or :class:`InvalidResponses` naming every bad key."""
    items = instrument.items_by_key
    errors: dict[str, str] = {}
    answers: dict[str, int] = {}
    for key, value in responses.items():
        item = items.get(key)
        if item is None:
            errors[str(key)] = f"not an item of {instrument.code}"
        elif value is None:
            continue
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[key] = f"must be a whole number, not {value!r}"
        elif not item.minimum <= value <= item.maximum:
            errors[key] = f"must be from {item.minimum} to {item.maximum}, not {value}"
        else:
            answers[key] = value
    if errors:
        raise InvalidResponses(errors)
    return answers


def prorate(answered_sum: int, answered: int, items: int) -> int:
    """``answered_sum x items / answered``, halves rounded up (``round`` would round 4.5 down to 4)."""
    return (2 * answered_sum * items + answered) // (2 * answered)


def score(instrument: Instrument, responses: Mapping[str, int | None]) -> Score:
    return score_valid(instrument, validated(instrument, responses))


def score_valid(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    """The score of answers already :func:`validated` (every key an item, every value a whole number in its
    range): for answers made from the instrument's own items and ranges (the generator's hundreds of thousands),
    where checking each again was a third of scoring them."""
    critical = tuple(key for key, above in instrument.critical_above if key in answers and answers[key] > above)
    symptoms = [answers[key] for key in instrument.symptom_keys if key in answers]
    answered = len(symptoms)
    missing = len(instrument.symptom_keys) - answered
    trauma = instrument.trauma_minimums
    # An unanswered trauma item is not an endorsed one: with none endorsed, the screen ends.
    if trauma and not any(answers.get(key, minimum) > minimum for key, minimum in trauma):
        return Score(
            total=None,
            band=None,
            above_cutoff=None,
            subscales=dict.fromkeys(instrument.subscales),
            answered=answered,
            missing=missing,
            prorated=False,
            screen_ended=True,
            impairment=None,
            probable_ptsd=None,
            critical=critical,
            scoring_version=instrument.scoring_version,
        )

    answered_sum = sum(symptoms)
    total: int | None = None
    prorated = False
    if missing == 0:
        total = answered_sum
    elif missing <= instrument.max_prorated:
        total, prorated = prorate(answered_sum, answered, len(instrument.symptom_keys)), True
    band = instrument.band_for(total) if total is not None else None

    impairment_items = instrument.impairment_minimums
    impairment = None
    if impairment_items and all(key in answers for key, _minimum in impairment_items):
        impairment = sum(1 for key, minimum in impairment_items if answers[key] > minimum)

    given = answers.keys()
    return Score(
        total=total,
        band=band.code if band is not None else None,
        above_cutoff=instrument.above_cutoff(total) if total is not None else None,
        subscales={
            name: sum([answers[key] for key in keys]) if given >= every else None
            for name, keys, every in instrument.subscale_keys
        },
        answered=answered,
        missing=missing,
        prorated=prorated,
        screen_ended=False,
        impairment=impairment,
        probable_ptsd=probable(instrument, answers),
        critical=critical,
        scoring_version=instrument.scoring_version,
    )


def probable(instrument: Instrument, answers: Mapping[str, int]) -> bool | None:
    """The instrument's screening heuristic: True when met by the answers given, False when it could not be met
    whatever the missing answers were, None when they decide it (or the instrument has no such flag)."""
    rule = instrument.screening_rule
    if rule is None:
        return None
    met = possible = True
    at = rule.endorsed_at
    for name, needed in rule.minimums.items():
        given = [answers[key] for key in instrument.subscales[name] if key in answers]
        endorsed = sum(1 for answer in given if answer >= at)
        unknown = len(instrument.subscales[name]) - len(given)
        met = met and endorsed >= needed
        possible = possible and endorsed + unknown >= needed
    if rule.needs_impairment:
        impairment = instrument.impairment_minimums
        yes = any(answers.get(key, minimum) > minimum for key, minimum in impairment)
        unknown_impairment = any(key not in answers for key, _minimum in impairment)
        met = met and yes
        possible = possible and (yes or unknown_impairment)
    if met:
        return True
    return None if possible else False
