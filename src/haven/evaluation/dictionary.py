"""The data dictionary of an evaluation export: every column of every file, its meaning, type, codes and unit.

One definition feeds the CSV headers, the Frictionless table schemas (``datapackage.json``) and the PDF codebook,
so the three cannot disagree. Meanings are translated (the codebook's language); names and codes are not.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from haven.care.models import (
    EndReason,
    EpisodeStatus,
    Gender,
    Practice,
    RaceEthnicity,
    SessionKind,
    SessionModality,
    Timepoint,
    TraumaType,
)
from haven.evaluation import kanon
from haven.measures import instruments
from haven.measures.labels import ANCHOR_LABELS, GROUP_LABELS, INFORMANT_LABELS, INSTRUMENT_LABELS, item_name
from haven.training.models import Degree, LicenseStatus, Modality, Placement

STRING, INTEGER = "string", "integer"
Codes = dict[str, Any]


@dataclass(frozen=True)
class Column:
    name: str
    meaning: Promise | str
    type: str = STRING
    codes: Codes | Callable[[], Codes] = field(default_factory=dict)  # code -> its meaning
    unit: Promise | str = ""
    minimum: int | None = None
    maximum: int | None = None
    # A code the column's value may be besides the codes (a generalized value): documented, not enumerated.
    open_codes: bool = False

    def code_list(self) -> Codes:
        return self.codes() if callable(self.codes) else self.codes


@dataclass(frozen=True)
class Table:
    name: str  # the file is ``{name}.csv``
    title: Promise | str
    description: Promise | str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, table, column there)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def _choices(choices: Iterable[tuple[str, Any]]) -> Codes:
    return dict(choices)


BOOLEAN = {"0": _("No"), "1": _("Yes")}
GENERALIZED = {kanon.ANY: _("Withheld by the risk check: any value")}


def _unit(date_unit: str) -> Promise:
    return _("days") if date_unit == "days" else _("whole months")


def _day(name: str, meaning: Promise | str, date_unit: str) -> Column:
    return Column(name, meaning, INTEGER, unit=_unit(date_unit))


CHILD = Column("child", _("The child's pseudonym, drawn for this export alone"))
EPISODE = Column("episode", _("The episode's pseudonym, drawn for this export alone"))
CLINICIAN = Column("clinician", _("The clinician's pseudonym, drawn for this export alone"))
STATE = Column("state", _("US state of the CAC (two-letter code)"), open_codes=True)


def children_table() -> Table:
    return Table(
        "children",
        _("Children"),
        _(
            "One row per child with an episode open at some time in the period. The quasi-identifiers (age, "
            "gender, race and ethnicity, state, trauma types, referral month) may be generalized by the risk check."
        ),
        (
            CHILD,
            Column(
                "age",
                _("Age at referral in whole years; or a band such as 6-8 or 12-17; or * (withheld)"),
                unit=_("years"),
                open_codes=True,
            ),
            Column("gender", _("Gender"), codes=lambda: _choices(Gender.choices) | GENERALIZED),
            Column(
                "race_ethnicity", _("Race and ethnicity"), codes=lambda: _choices(RaceEthnicity.choices) | GENERALIZED
            ),
            STATE,
            Column(
                "trauma_types",
                _(
                    "Trauma types, codes joined by semicolons; or 'multiple' (two or more), 'none' (none recorded) "
                    "or * (withheld)"
                ),
                codes=lambda: (
                    _choices(TraumaType.choices)
                    | {kanon.MULTIPLE: _("Two trauma types or more"), "none": _("None recorded")}
                    | GENERALIZED
                ),
                open_codes=True,
            ),
            Column(
                "referral_month",
                _("Month of the child's referral (YYYY-MM); or its quarter (YYYY-Qn), its year (YYYY) or * (withheld)"),
                open_codes=True,
            ),
        ),
        primary_key=("child",),
    )


def episodes_table(date_unit: str) -> Table:
    return Table(
        "episodes",
        _("Treatment episodes"),
        _(
            "One row per course of treatment open at some time in the period, as it stood at the period's end. "
            "Times are counted from the child's referral."
        ),
        (
            EPISODE,
            CHILD,
            CLINICIAN,
            Column("treatment_model", _("Treatment model"), codes={"tf-cbt": "TF-CBT", "cftsi": "CFTSI"}),
            Column("status", _("Status at the period's end"), codes=lambda: _choices(EpisodeStatus.choices)),
            _day("referral", _("The episode's referral, since the child's referral"), date_unit),
            _day("first_session", _("First session, since the child's referral"), date_unit),
            _day("last_session", _("Last session by the period's end, since the child's referral"), date_unit),
            _day("closed", _("Completion or early end, since the child's referral (empty when open)"), date_unit),
            Column("end_reason", _("Why an episode ended early"), codes=lambda: _choices(EndReason.choices)),
            Column("sessions", _("Sessions held by the period's end"), INTEGER, unit=_("sessions"), minimum=0),
            Column(
                "caregiver_sessions",
                _("Sessions with a caregiver (caregiver or conjoint sessions, or a caregiver present)"),
                INTEGER,
                unit=_("sessions"),
                minimum=0,
            ),
            Column(
                "practice",
                _("TF-CBT PRACTICE components covered, codes joined by semicolons"),
                codes=lambda: _choices(Practice.choices),
                open_codes=True,
            ),
            Column("has_baseline", _("A baseline measure was scored"), INTEGER, codes=BOOLEAN),
            Column("has_post", _("A post-treatment measure was scored"), INTEGER, codes=BOOLEAN),
        ),
        primary_key=("episode",),
        foreign_keys=(("child", "children", "child"),),
    )


def sessions_table(date_unit: str) -> Table:
    return Table(
        "sessions",
        _("Sessions"),
        _("One row per session held by the period's end in the episodes exported."),
        (
            CHILD,
            EPISODE,
            Column("clinician", _("Pseudonym of the clinician who held the session")),
            _day("day", _("Day of the session, since the child's referral"), date_unit),
            Column("minutes", _("Length of the session"), INTEGER, unit=_("minutes"), minimum=1, maximum=480),
            Column("kind", _("Who the session was with"), codes=lambda: _choices(SessionKind.choices)),
            Column(
                "components",
                _("TF-CBT PRACTICE components covered, codes joined by semicolons"),
                codes=lambda: _choices(Practice.choices),
                open_codes=True,
            ),
            Column("caregiver_present", _("A caregiver was present"), INTEGER, codes=BOOLEAN),
            Column("modality", _("Modality"), codes=lambda: _choices(SessionModality.choices)),
        ),
        foreign_keys=(("episode", "episodes", "episode"), ("child", "children", "child")),
    )


def measures_table(date_unit: str) -> Table:
    return Table(
        "measures",
        _("Measures"),
        _(
            "One row per administration of a standardized measure by the period's end; the item responses are in "
            "the measure_items files, one per instrument."
        ),
        (
            Column("assessment", _("The administration's pseudonym, drawn for this export alone")),
            CHILD,
            EPISODE,
            Column("instrument", _("Instrument"), codes=lambda: dict(INSTRUMENT_LABELS)),
            Column("instrument_version", _("Version of the instrument")),
            Column("informant", _("Who answered"), codes=lambda: dict(INFORMANT_LABELS)),
            Column("timepoint", _("Timepoint"), codes=lambda: _choices(Timepoint.choices)),
            _day("day", _("Day of the administration, since the child's referral"), date_unit),
            Column("scoring_version", _("Version of Haven's scoring of the instrument")),
            Column("total", _("Total score (empty when it could not be scored)"), INTEGER, unit=_("points")),
            Column("band", _("Severity band of the total, as the instrument's definition names it"), open_codes=True),
            Column("above_cutoff", _("The total is at or above the instrument's cut-off"), INTEGER, codes=BOOLEAN),
        ),
        primary_key=("assessment",),
        foreign_keys=(("episode", "episodes", "episode"), ("child", "children", "child")),
    )


def items_table(instrument: instruments.Instrument) -> Table:
    columns = [Column("assessment", _("The administration's pseudonym (measures.csv)"))]
    for item in instrument.items:
        columns.append(
            Column(
                item_column(item),
                f"{GROUP_LABELS.get(item.group, item.group)}, {item_name(item)}",
                INTEGER,
                codes={
                    str(item.minimum + n): ANCHOR_LABELS.get(anchor, anchor) for n, anchor in enumerate(item.anchors)
                },
                minimum=item.minimum,
                maximum=item.maximum,
            )
        )
    return Table(
        f"measure_items_{instrument.code}",
        gettext("Item responses: %(instrument)s") % {"instrument": INSTRUMENT_LABELS.get(instrument.code, "")},
        _("One row per administration; one column per item, the answer as recorded (empty when not answered)."),
        tuple(columns),
        primary_key=("assessment",),
        foreign_keys=(("assessment", "measures", "assessment"),),
    )


def item_column(item: instruments.Item) -> str:
    return f"item_{item.key}"


def training_table(date_unit: str) -> Table:
    return Table(
        "training",
        _("Clinicians' training path"),
        _(
            "One row per clinician nominated to the program by the period's end. Times are counted from the "
            "first day of the clinician's live training (empty without one)."
        ),
        (
            CLINICIAN,
            Column("cohort", _("The training cohort's pseudonym, drawn for this export alone")),
            STATE,
            Column("degree", _("Degree"), codes=lambda: _choices(Degree.choices)),
            Column("license_status", _("Licence"), codes=lambda: _choices(LicenseStatus.choices)),
            Column("placement", _("Place in the program"), codes=lambda: _choices(Placement.choices)),
            Column("cohort_modality", _("How the cohort is trained"), codes=lambda: _choices(Modality.choices)),
            Column("live_training_days", _("Days of live training"), INTEGER, unit=_("days"), minimum=0),
            Column("calls_attended", _("Consultation calls attended"), INTEGER, unit=_("calls"), minimum=0),
            _day("online_course", _("Online course completed, since the live training"), date_unit),
            Column("knowledge_tests", _("Knowledge test attempts"), INTEGER, unit=_("attempts"), minimum=0),
            _day("knowledge_test_passed", _("Knowledge test passed, since the live training"), date_unit),
            _day("certified", _("First certification, since the live training"), date_unit),
            Column(
                "completed_cases",
                _("Completed cases with a baseline and a post measure (certification path)"),
                INTEGER,
                unit=_("cases"),
                minimum=0,
            ),
            Column("cases_with_caregiver", _("Of which with a caregiver"), INTEGER, unit=_("cases"), minimum=0),
        ),
        primary_key=("clinician",),
    )


def field_schema(column: Column) -> dict[str, Any]:
    """A Frictionless table schema field (https://specs.frictionlessdata.io/table-schema/)."""
    result: dict[str, Any] = {"name": column.name, "type": column.type, "description": str(column.meaning)}
    constraints: dict[str, Any] = {}
    codes = column.code_list()
    if codes and not column.open_codes:
        constraints["enum"] = [int(c) for c in codes] if column.type == INTEGER else list(codes)
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.maximum is not None:
        constraints["maximum"] = column.maximum
    if constraints:
        result["constraints"] = constraints
    if codes:
        result["codes"] = {code: str(meaning) for code, meaning in codes.items()}  # a custom property
    if column.unit:
        result["unit"] = str(column.unit)  # a custom property
    return result


def table_schema(table: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": [field_schema(c) for c in table.columns], "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": column, "reference": {"resource": resource, "fields": there}}
            for column, resource, there in table.foreign_keys
        ]
    return schema


STEP_LABELS = {
    "age_3_year_bands": _("Age in three-year bands"),
    "referral_quarter": _("Referral month to its quarter"),
    "age_program_bands": _("Age in the program's bands (0-5, 6-11, 12-17)"),
    "trauma_single_or_multiple": _("Two trauma types or more shown as 'multiple'"),
    "referral_year": _("Referral to its year"),
    "race_ethnicity_any": _("Race and ethnicity withheld"),
    "trauma_any": _("Trauma types withheld"),
    "gender_any": _("Gender withheld"),
    "age_any": _("Age withheld"),
    "referral_any": _("Referral date withheld"),
    "state_any": _("State withheld"),
}
