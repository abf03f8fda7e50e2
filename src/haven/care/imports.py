"""Import of sessions and measures from a CAC system's CSV export.

The CAC admin maps the export's columns to Haven's fields (Haven guesses, and remembers the mapping for the
CAC's next import). The dry run plans every row without writing; the case numbers are turned into their keyed
HMAC at once, so the confirmation carries only those keys, never a case number. Confirming plans again and
writes everything in one transaction with one audit event. A row already in Haven (the same episode, date and
session type, or the same episode, measure, date and timepoint) is left unchanged, so importing the same file
twice changes nothing. Rows are matched in bulk: a handful of queries whatever the file's size.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from haven.accounts.models import User
from haven.audit import services as audit
from haven.core.tabular import Table, excerpt
from haven.core.tabular_dates import DateColumn, DateError, DateOrder, describe, parse_date
from haven.measures import instruments, scoring
from haven.organizations.models import Membership

from . import identity, services
from .models import (
    Assessment,
    Child,
    Episode,
    EpisodeStatus,
    ImportMapping,
    Practice,
    Session,
    SessionKind,
    SessionModality,
    Timepoint,
)

CREATE, UNCHANGED, ERROR = "create", "unchanged", "error"
SESSIONS, MEASURES = "sessions", "measures"


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    required: bool
    synonyms: tuple[str, ...]


FIELDS: dict[str, tuple[Field, ...]] = {
    SESSIONS: (
        Field(
            "case_number", gettext_lazy("Case number"), True, ("case number", "case", "case id", "case_no", "caseid")
        ),
        Field("date", gettext_lazy("Session date"), True, ("session date", "date", "service date", "held_on")),
        Field("minutes", gettext_lazy("Minutes"), True, ("minutes", "duration", "length", "duration (min)")),
        Field("type", gettext_lazy("Session type"), True, ("type", "session type", "kind", "participants")),
        Field(
            "components", gettext_lazy("PRACTICE components"), False, ("components", "practice", "tf-cbt components")
        ),
        Field("caregiver_present", gettext_lazy("Caregiver present"), False, ("caregiver present", "caregiver")),
        Field("modality", gettext_lazy("Modality"), False, ("modality", "mode", "location", "telehealth")),
    ),
    MEASURES: (
        Field(
            "case_number", gettext_lazy("Case number"), True, ("case number", "case", "case id", "case_no", "caseid")
        ),
        Field("date", gettext_lazy("Date given"), True, ("date", "assessment date", "administered", "date given")),
        Field("instrument", gettext_lazy("Measure"), True, ("measure", "instrument", "assessment", "tool")),
        Field("timepoint", gettext_lazy("Timepoint"), True, ("timepoint", "time point", "occasion", "wave")),
    ),
}
KIND_LABELS = {SESSIONS: gettext_lazy("Sessions"), MEASURES: gettext_lazy("Measures (item by item)")}
# Item columns of a measures export are named by the item's key, with an optional prefix: "item_3", "q3", "3",
# "t1" (trauma event 1), "i2" (impairment item 2), "s3" (supplementary question 3).
ITEM_COLUMN = re.compile(r"^(?:item[_ ]?|q)?(?P<key>[tis]?\d+)$")

TYPE_WORDS = {
    "child": SessionKind.CHILD,
    "individual": SessionKind.CHILD,
    "caregiver": SessionKind.CAREGIVER,
    "parent": SessionKind.CAREGIVER,
    "conjoint": SessionKind.CONJOINT,
    "family": SessionKind.CONJOINT,
}
MODALITY_WORDS = {
    "": SessionModality.IN_PERSON,
    "in person": SessionModality.IN_PERSON,
    "in_person": SessionModality.IN_PERSON,
    "office": SessionModality.IN_PERSON,
    "telehealth": SessionModality.TELEHEALTH,
    "video": SessionModality.TELEHEALTH,
    "phone": SessionModality.TELEHEALTH,
    "virtual": SessionModality.TELEHEALTH,
}
TIMEPOINT_WORDS = {
    "baseline": Timepoint.BASELINE,
    "intake": Timepoint.BASELINE,
    "pre": Timepoint.BASELINE,
    "periodic": Timepoint.PERIODIC,
    "mid": Timepoint.PERIODIC,
    "progress": Timepoint.PERIODIC,
    "post": Timepoint.POST,
    "discharge": Timepoint.POST,
    "end": Timepoint.POST,
    "follow-up": Timepoint.FOLLOW_UP,
    "follow_up": Timepoint.FOLLOW_UP,
    "followup": Timepoint.FOLLOW_UP,
}
YES = {"1", "y", "yes", "true", "x", "oui"}
NO = {"", "0", "n", "no", "false", "non"}
# Letters of PRACTICE in order; the second C is the conjoint component.
PRACTICE_LETTERS = [("P", "p"), ("R", "r"), ("A", "a"), ("C", "c"), ("T", "t"), ("I", "i"), ("C", "cj"), ("E", "e")]


def guess_mapping(kind: str, headers: Iterable[str], saved: Mapping[str, str] | None = None) -> dict[str, str]:
    """Haven field -> the export's column: the CAC's saved mapping where its columns are present, else by name."""
    headers = list(headers)
    mapping: dict[str, str] = {}
    for f in FIELDS[kind]:
        if saved and saved.get(f.name) in headers:
            mapping[f.name] = saved[f.name]
            continue
        for candidate in (f.name, *f.synonyms):
            if candidate in headers:
                mapping[f.name] = candidate
                break
    return mapping


def mapping_errors(kind: str, mapping: Mapping[str, str], headers: Iterable[str]) -> list[str]:
    headers = set(headers)
    return [
        _("Choose the column that holds “%(field)s”.") % {"field": f.label}
        for f in FIELDS[kind]
        if f.required and mapping.get(f.name) not in headers
    ]


def prepare(organization_id: int, kind: str, table: Table, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
    """The mapped rows, with each case number replaced by its keyed HMAC: what the confirmation carries. A measure's
    items are the columns named like an item of some instrument (unless mapped to a field); a blank answer is left
    out, as unanswered."""
    positions = {f.name: table.column(mapping[f.name]) if mapping.get(f.name) else None for f in FIELDS[kind]}
    items = []
    if kind == MEASURES:
        keys = {item.key for instrument in instruments.all_instruments() for item in instrument.items}
        items = [
            (index, match["key"])
            for index, column in enumerate(table.header)
            if (match := ITEM_COLUMN.match(column)) and match["key"] in keys and column not in mapping.values()
        ]
    prepared = []
    for line, values in table.rows:
        record: dict[str, Any] = {"line": line}
        for name, index in positions.items():
            record[name] = values[index] if index is not None and index < len(values) else ""
        case_number = record.pop("case_number")
        # Every form of the key: a child not yet re-keyed after a rotation has an older one (decision 0048).
        record["case_keys"] = (
            identity.case_keys(organization_id, case_number) if identity.normalize(case_number) else []
        )
        record["case_key"] = record["case_keys"][0] if record["case_keys"] else ""
        if kind == MEASURES:
            record["items"] = {key: values[index] for index, key in items if index < len(values) and values[index]}
        prepared.append(record)
    return prepared


@dataclass
class RowOutcome:
    line: int
    child: str
    outcome: str
    message: str = ""
    child_id: int | None = None
    episode_id: int | None = None


@dataclass
class Plan:
    kind: str
    outcomes: list[RowOutcome] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    assessments: list[tuple[Assessment, scoring.Score]] = field(default_factory=list)
    # The order month/day dates were read in ("" when none was needed or known), and the lines whose date reads
    # two ways when no date of the file says which (the review page then asks).
    date_order: str = ""
    ambiguous_lines: tuple[int, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.outcomes if row.outcome == outcome)

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == ERROR for row in self.outcomes)

    @property
    def child_ids(self) -> list[int]:
        return sorted({row.child_id for row in self.outcomes if row.child_id is not None})

    @property
    def episode_ids(self) -> list[int]:
        return sorted({row.episode_id for row in self.outcomes if row.episode_id is not None})

    @property
    def count_create(self) -> int:
        return self.count(CREATE)

    @property
    def count_unchanged(self) -> int:
        return self.count(UNCHANGED)


class RowError(ValueError):
    pass


def _date(value: str, order: DateOrder | None) -> date:
    """A date as spreadsheets write them (``core.tabular_dates``), not in the future."""
    try:
        day = parse_date(value, order)
    except DateError as error:
        raise RowError(describe(error)) from None
    if day > timezone.now().date():
        raise RowError(_("The date cannot be in the future."))
    return day


def _components(value: str) -> list[str]:
    """ "PRAC", "P R A C", "p;r;a" or Haven's codes; a second C means the conjoint component."""
    text = value.strip()
    if not text:
        return []
    tokens = [t for t in re.split(r"[\s,;/|]+", text) if t]
    if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0].lower() not in Practice.values:
        tokens = list(tokens[0])
    codes: list[str] = []
    seen_c = False
    for token in tokens:
        lowered = token.lower()
        if lowered == "c":
            codes.append("cj" if seen_c else "c")
            seen_c = True
        elif lowered in Practice.values:
            codes.append(lowered)
        else:
            raise RowError(_("“%(value)s” is not a PRACTICE component.") % {"value": excerpt(token)})
    return [code for code in Practice.values if code in set(codes)]


def _episodes_by_key(organization_id: int, rows: list[dict[str, Any]]) -> dict[str, list[Episode]]:
    """Each row's episodes by the current form of its case key, the child found by any form of it."""
    forms = {form: row["case_key"] for row in rows for form in row.get("case_keys", [row["case_key"]]) if form}
    children = {
        pk: forms[stored]
        for pk, stored in Child.objects.in_org(organization_id).filter(case_key__in=forms).values_list("pk", "case_key")
    }
    episodes: dict[str, list[Episode]] = {key: [] for key in forms.values()}
    for episode in (
        Episode.objects.in_org(organization_id)
        .filter(child_id__in=children)
        .select_related("child", "treatment_model", "program")
        .order_by("referred_on", "pk")
    ):
        episodes[children[episode.child_id]].append(episode)
    return episodes


def _episode_on(candidates: list[Episode], day: date, *, follow_up: bool = False) -> Episode:
    """The child's episode that was open on that day (for a follow-up measure: or the last one closed before)."""
    matching = [
        e
        for e in candidates
        if e.referred_on <= day and (e.status == EpisodeStatus.OPEN or (e.closed_on and day <= e.closed_on))
    ]
    if not candidates:
        raise RowError(_("No child with this case number at your CAC: register the child first."))
    if not matching and follow_up:
        closed = [e for e in candidates if e.closed_on is not None and e.closed_on < day]
        matching = closed[-1:]
    if not matching:
        raise RowError(_("The child has no episode open on this date."))
    if len(matching) > 1:
        raise RowError(_("The child has more than one episode open on this date: enter this row by hand."))
    return matching[0]


def plan(
    *, membership: Membership, kind: str, rows: list[dict[str, Any]], actor: User, date_order: str | None = None
) -> Plan:
    """What importing ``rows`` (from ``prepare``) would do, row by row. Nothing is written. ``date_order`` is the
    person's answer when the file's dates could be read month first or day first."""
    org = membership.organization_id
    result = Plan(kind)
    column = DateColumn.of((row["line"], row["date"]) for row in rows)
    order = column.order_with(date_order)
    result.date_order, result.ambiguous_lines = order or "", column.ambiguous
    by_key = _episodes_by_key(org, rows)
    episode_ids = {e.pk for episodes in by_key.values() for e in episodes}
    if kind == SESSIONS:
        existing = set(
            Session.objects.in_org(org).filter(episode_id__in=episode_ids).values_list("episode_id", "held_on", "kind")
        )
    else:
        existing = set(
            Assessment.objects.in_org(org)
            .filter(episode_id__in=episode_ids)
            .values_list("episode_id", "instrument", "administered_on", "timepoint")
        )
    for row in rows:
        child_code, child_id, episode_id = "", None, None
        try:
            if not row["case_key"]:
                raise RowError(_("The case number is empty."))
            candidates = by_key.get(row["case_key"], [])
            if candidates:
                child_code, child_id = candidates[0].child.display_code, candidates[0].child_id
            day = _date(row["date"], order)
            follow_up = (
                kind == MEASURES and TIMEPOINT_WORDS.get(row["timepoint"].strip().lower()) == Timepoint.FOLLOW_UP
            )
            episode = _episode_on(candidates, day, follow_up=follow_up)
            episode_id = episode.pk
            if kind == SESSIONS:
                outcome = _plan_session(result, row, episode, day, existing, actor)
            else:
                outcome = _plan_measure(result, row, episode, day, existing, actor)
        except RowError as error:
            result.outcomes.append(RowOutcome(row["line"], child_code, ERROR, str(error), child_id, episode_id))
        else:
            result.outcomes.append(RowOutcome(row["line"], child_code, outcome, "", child_id, episode_id))
    return result


def _plan_session(
    result: Plan, row: dict[str, Any], episode: Episode, day: date, existing: set[Any], actor: User
) -> str:
    kind = TYPE_WORDS.get(row["type"].strip().lower())
    if kind is None:
        raise RowError(
            _("The session type “%(value)s” is not child, caregiver or conjoint.") % {"value": excerpt(row["type"])}
        )
    try:
        minutes = int(float(row["minutes"]))
    except (ValueError, OverflowError):  # not a number, or an infinite one
        raise RowError(_("The minutes “%(value)s” are not a number.") % {"value": excerpt(row["minutes"])}) from None
    if not 0 < minutes <= 480:
        raise RowError(_("A session lasts between 1 and 480 minutes."))
    modality = MODALITY_WORDS.get(row["modality"].strip().lower())
    if modality is None:
        raise RowError(
            _("The modality “%(value)s” is not in person or telehealth.") % {"value": excerpt(row["modality"])}
        )
    present = row["caregiver_present"].strip().lower()
    if present not in YES | NO:
        raise RowError(_("Caregiver present must be yes or no."))
    components = _components(row["components"]) if episode.treatment_model.uses_practice else []
    key = (episode.pk, day, kind)
    if key in existing:
        return UNCHANGED
    existing.add(key)
    result.sessions.append(
        Session(
            organization_id=episode.organization_id,
            episode=episode,
            clinician_id=episode.clinician_id,
            held_on=day,
            minutes=minutes,
            kind=kind,
            components=components,
            caregiver_present=present in YES,
            modality=modality,
            recorded_by=actor,
        )
    )
    return CREATE


def _instrument(value: str) -> instruments.Instrument:
    wanted = re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")
    for instrument in instruments.all_instruments():
        if wanted == instrument.code:
            return instrument
    raise RowError(
        _("The measure “%(value)s” is not one Haven scores (use its code, e.g. phq_a).") % {"value": excerpt(value)}
    )


def _plan_measure(
    result: Plan, row: dict[str, Any], episode: Episode, day: date, existing: set[Any], actor: User
) -> str:
    instrument = _instrument(row["instrument"])
    timepoint = TIMEPOINT_WORDS.get(row["timepoint"].strip().lower())
    if timepoint is None:
        raise RowError(
            _("The timepoint “%(value)s” is not baseline, periodic, post or follow-up.")
            % {"value": excerpt(row["timepoint"])}
        )
    known = {item.key for item in instrument.items}
    responses: dict[str, int | None] = {}
    for key, value in row["items"].items():
        if key not in known:
            continue
        if value.strip() == "":
            responses[key] = None
            continue
        try:
            responses[key] = int(float(value))
        except (ValueError, OverflowError):
            raise RowError(
                _("Item %(key)s: “%(value)s” is not a number.") % {"key": key, "value": excerpt(value)}
            ) from None
    try:
        score = scoring.score(instrument, responses)
    except scoring.InvalidResponses as error:
        raise RowError(str(error)) from None
    key = (episode.pk, instrument.code, day, timepoint)
    if key in existing:
        return UNCHANGED
    existing.add(key)
    assessment = Assessment(
        organization_id=episode.organization_id,
        episode=episode,
        instrument=instrument.code,
        instrument_version=instrument.version,
        informant=instrument.informant,
        timepoint=timepoint,
        administered_on=day,
        responses={k: v for k, v in responses.items() if v is not None},
        scoring_version=score.scoring_version,
        total=score.total,
        above_cutoff=score.above_cutoff,
        score=score.as_dict(),
        recorded_by=actor,
    )
    result.assessments.append((assessment, score))
    return CREATE


@transaction.atomic
def apply(
    *,
    actor: User,
    membership: Membership,
    kind: str,
    rows: list[dict[str, Any]],
    mapping: Mapping[str, str],
    file_name: str,
    date_order: str | None = None,
) -> Plan:
    """Plan again inside the transaction, refuse if any row is in error, then write it all at once. The mapping
    and the order of dates are kept for the CAC's next import."""
    org = membership.organization_id
    result = plan(membership=membership, kind=kind, rows=rows, actor=actor, date_order=date_order)
    if result.has_errors:
        transaction.set_rollback(True)
        return result
    Session.objects.bulk_create(result.sessions, batch_size=2000)
    Assessment.objects.bulk_create([a for a, _s in result.assessments], batch_size=2000)
    services.alerts_create(org, result.assessments)
    touched = {s.episode.pk: s.episode for s in result.sessions} | {
        a.episode.pk: a.episode for a, _s in result.assessments
    }
    services.refresh_episodes(org, touched.values())
    ImportMapping.objects.in_org(org).update_or_create(
        organization_id=org, kind=kind, defaults={"columns": dict(mapping), "date_order": result.date_order}
    )
    audit.record(
        actor=actor,
        action="care.import",
        organization=org,
        detail={
            "kind": kind,
            "rows": len(rows),
            CREATE: result.count(CREATE),
            UNCHANGED: result.count(UNCHANGED),
            "episodes": sorted(touched),
            "alerts": sum(len(score.critical) for _a, score in result.assessments),
        },
    )
    return result
