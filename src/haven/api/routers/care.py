"""A CAC's case system pushes its records: children by case number, episodes, sessions and measures (scope
``care:write``). The work is ``api.ingest_care``; this router only reads the document and answers."""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, StrictBool

from haven.api.schemas import IsoDate, Text, WholeNumber, problems
from haven.care.models import (
    MAX_CHILD_AGE,
    Gender,
    Practice,
    RaceEthnicity,
    SessionKind,
    SessionModality,
    Timepoint,
    TraumaType,
)
from haven.organizations.roles import OrganizationKind

from .. import ingest_care, keys
from ..auth import KeyAuth

router = Router(tags=["care"])

SENDER_ID = "Your system's own id of this record (up to 100 characters): sending it again changes nothing."


class ChildIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description=SENDER_ID)
    case_number: Text = Field(
        ...,
        max_length=64,
        description="Your CAC's case number. Haven turns it into a keyed pseudonym on arrival and never keeps it.",
    )
    age_at_referral: WholeNumber = Field(
        ..., ge=0, le=MAX_CHILD_AGE, description="The child's age in years at referral."
    )
    gender: Gender = Field(..., description="The child's gender.")
    race_ethnicity: RaceEthnicity = Field(RaceEthnicity.NOT_RECORDED, description="Race/ethnicity, if recorded.")
    trauma_types: list[TraumaType] = Field(..., min_length=1, description="The kinds of trauma the child lived.")
    referred_on: IsoDate = Field(..., description="The referral date (ISO 8601), not in the future.")


class EpisodeIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description=SENDER_ID)
    case_number: Text = Field(..., max_length=64, description="The case number of the episode's child.")
    treatment_model: Text = Field(..., max_length=32, description="The treatment model's code, e.g. tf-cbt.")
    clinician: Text = Field(
        ..., max_length=254, description="The treating clinician's e-mail: a clinician of your CAC in the program."
    )
    referred_on: IsoDate = Field(..., description="The referral date of this episode (ISO 8601), not in the future.")


class SessionIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description=SENDER_ID)
    episode: Text = Field(..., max_length=100, description="Your id of the session's episode (sent before or here).")
    clinician: Text = Field(
        ..., max_length=254, description="The e-mail of the clinician who gave the session (of your CAC, enrolled)."
    )
    held_on: IsoDate = Field(..., description="The session's date (ISO 8601): within the episode, not in the future.")
    minutes: WholeNumber = Field(..., ge=1, le=480, description="How long the session lasted, in minutes.")
    kind: SessionKind = Field(..., description="Who took part: the child, the caregiver, or both (conjoint).")
    components: list[Practice] = Field(
        default_factory=list, description="The PRACTICE components covered (TF-CBT only); a second C is cj."
    )
    caregiver_present: StrictBool = Field(False, description="Whether a caregiver was present.")
    modality: SessionModality = Field(SessionModality.IN_PERSON, description="In person or by telehealth.")


class AssessmentIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description=SENDER_ID)
    episode: Text = Field(..., max_length=100, description="Your id of the measure's episode (sent before or here).")
    instrument: Text = Field(..., max_length=40, description="The measure's code in Haven, e.g. phq_a.")
    timepoint: Timepoint = Field(..., description="When in the episode the measure was given.")
    administered_on: IsoDate = Field(..., description="The date it was given (ISO 8601).")
    responses: dict[Text, WholeNumber | None] = Field(
        ..., description="The answer to each item, by the item's key (null: unanswered). Haven scores it."
    )


class CareBatchIn(BaseModel):
    """A plain pydantic model, not a ninja Schema: a Schema reads its input's attributes, so a body that is not an
    object (a list) would pass as an empty batch instead of being refused."""

    children: list[ChildIn] = Field(default_factory=list, description="Children to register (with an episode).")
    episodes: list[EpisodeIn] = Field(default_factory=list, description="Episodes of care to open.")
    sessions: list[SessionIn] = Field(default_factory=list, description="Sessions given.")
    assessments: list[AssessmentIn] = Field(default_factory=list, description="Measures given, item by item.")


class CareCounts(Schema):
    children: int = Field(..., description="Children.")
    episodes: int = Field(..., description="Episodes.")
    sessions: int = Field(..., description="Sessions.")
    assessments: int = Field(..., description="Measures.")


class CareIds(Schema):
    children: dict[str, int] = Field(..., description="Haven's id of each child accepted, by your id.")
    episodes: dict[str, int] = Field(..., description="Haven's id of each episode accepted, by your id.")
    sessions: dict[str, int] = Field(..., description="Haven's id of each session accepted, by your id.")
    assessments: dict[str, int] = Field(..., description="Haven's id of each measure accepted, by your id.")


class CareRecordErrorOut(Schema):
    kind: str = Field(..., description="child, episode, session or assessment.")
    id: str = Field(..., description="Your id of the refused record.")
    errors: dict[str, list[str]] = Field(
        ..., description="What is wrong, by field (__all__: the record as a whole). Never echoes a case number."
    )


class CareBatchOut(Schema):
    created: CareCounts = Field(..., description="Records written by this call.")
    unchanged: CareCounts = Field(..., description="Records already in Haven (sent before): left as they are.")
    ids: CareIds = Field(..., description="Every accepted record's Haven id by your id, created or already there.")
    errors: list[CareRecordErrorOut] = Field(..., description="The refused records, each with its errors.")


PLURAL = {"child": "children", "episode": "episodes", "session": "sessions", "assessment": "assessments"}


def _counts(counter: dict[str, int]) -> dict[str, int]:
    return {PLURAL[kind]: counter.get(kind, 0) for kind in ingest_care.KINDS}


def _records[Record](kind: Callable[..., Record], records: Sequence[BaseModel]) -> list[Record]:
    """The validated records as ``ingest_care``'s, read attribute by attribute (``model_dump`` would copy every
    record into a dictionary first: a tenth of a batch of thousands)."""
    names = [f.name for f in dataclasses.fields(kind)]  # type: ignore[arg-type]
    read = [("id" if name == "sender_id" else name) for name in names]
    return [kind(**{name: getattr(r, source) for name, source in zip(names, read, strict=True)}) for r in records]


@router.post(
    "/batch",
    response={200: CareBatchOut, **problems()},
    auth=KeyAuth(keys.CARE_WRITE),
    url_name="care_batch",
    summary="Push a batch of care records: children, episodes, sessions and measures",
    description=(
        "Your CAC's case system sends its new records in one document; Haven checks each one with the rules of its "
        "pages and writes every good record in one transaction, with one audit entry naming your key and the "
        "refresh of the caseloads and figures. Each record carries your own id: a record already sent is left "
        "unchanged and answered with the same Haven id, so sending a batch again is safe and changes nothing.\n\n"
        "A child is sent by its case number, which Haven turns into a keyed pseudonym on arrival and never keeps, "
        "logs or sends back; a new child needs its first episode in the same batch, naming it by the same case "
        "number. Sessions and measures name their episode by your id of it (sent in this batch or before), and a "
        "session names its clinician by e-mail: an active clinician of your CAC enrolled in the program.\n\n"
        "**A batch with errors writes its good records.** Each refused record is listed in `errors` with what is "
        "wrong by field; a record depending on a refused one (a session of a refused episode) is refused too. Fix "
        "the records and send the batch again: what was written is answered as unchanged. A document that breaks "
        "the schema (a missing field, a date not in ISO 8601, an unknown session type) is refused as a whole with "
        "422 and nothing is written."
    ),
)
def batch(request: HttpRequest, payload: CareBatchIn) -> Any:
    organization = request.auth.organization  # type: ignore[attr-defined]
    if organization.kind != OrganizationKind.CAC:
        return Status(403, {"detail": "Only a CAC's key pushes care records."})
    try:
        outcome = ingest_care.ingest(
            cac=organization,
            batch=ingest_care.Batch(
                children=_records(ingest_care.ChildIn, payload.children),
                episodes=_records(ingest_care.EpisodeIn, payload.episodes),
                sessions=_records(ingest_care.SessionIn, payload.sessions),
                assessments=_records(ingest_care.AssessmentIn, payload.assessments),
            ),
        )
    except ingest_care.NoProgram:
        return Status(422, {"detail": "Your CAC's national office runs no program to record care in."})
    return {
        "created": _counts(outcome.created),
        "unchanged": _counts(outcome.unchanged),
        "ids": {PLURAL[kind]: ids for kind, ids in outcome.ids.items()},
        "errors": [{"kind": e.kind, "id": e.sender_id, "errors": e.errors} for e in outcome.errors],
    }
