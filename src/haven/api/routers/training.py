"""The online course provider pushes course completions; a trainer's tool pushes consultation call attendance
(scope ``training:write``)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import BaseModel, StrictBool

from .. import ingest_training as ingest
from .. import keys
from ..auth import KeyAuth
from ..schemas import IsoDate, Text, WholeNumber, problems

router = Router(tags=["training"])

MAX_RECORDS = 5000


class CompletionIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description="Your own id of this completion (idempotency).")
    email: Text = Field(..., max_length=254, description="The clinician's e-mail address, as Haven knows them.")
    course: Text = Field(..., max_length=40, description='The course completed: "tf-cbtweb" (the online course).')
    completed_on: IsoDate = Field(..., description="The day the course was completed (ISO 8601), not in the future.")
    certificate_id: Text = Field(
        "", max_length=100, description="The certificate's number, for your own records: Haven does not keep it."
    )


class CompletionsIn(BaseModel):
    program: WholeNumber = Field(..., description="The id of the program the clinicians follow.")
    completions: list[CompletionIn] = Field(
        ..., max_length=MAX_RECORDS, description=f"The completions, at most {MAX_RECORDS} in one batch."
    )


class MarkIn(BaseModel):
    id: Text = Field(..., min_length=1, max_length=100, description="Your own id of this mark (idempotency).")
    cohort: WholeNumber = Field(..., description="The id of the cohort, one your organization trains.")
    call_number: WholeNumber | None = Field(None, description="The call's number in the cohort (1 for the first call).")
    call_on: IsoDate | None = Field(None, description="The call's date (ISO 8601): enough when no number is given.")
    email: Text = Field(..., max_length=254, description="The clinician's e-mail address, as Haven knows them.")
    present: StrictBool = Field(..., description="Whether the clinician attended the call.")


class AttendanceIn(BaseModel):
    records: list[MarkIn] = Field(
        ..., max_length=MAX_RECORDS, description=f"The marks, at most {MAX_RECORDS} in one batch."
    )


class TrainingRecordOut(Schema):
    id: str = Field(..., description="Your id of the record.")
    outcome: str = Field(
        ...,
        description='"create" (written now), "unchanged" (already known to Haven: written no second time) or '
        '"error" (see message).',
    )
    message: str = Field(..., description="What is wrong with the record, or a note; empty when all is well.")


class TrainingBatchOut(Schema):
    accepted: bool = Field(..., description="Whether the batch was written: false when any record is in error.")
    created: int = Field(..., description="Records written now.")
    unchanged: int = Field(..., description="Records Haven already had.")
    errors: int = Field(..., description="Records in error.")
    records: list[TrainingRecordOut] = Field(..., description="Each record's outcome, in the order sent.")


def _answer(result: ingest.BatchResult) -> Status[dict[str, Any]]:
    body = {
        "accepted": not result.has_errors,
        "created": result.count(ingest.CREATE),
        "unchanged": result.count(ingest.UNCHANGED),
        "errors": result.count(ingest.ERROR),
        "records": [{"id": o.sender_id, "outcome": o.outcome, "message": o.message} for o in result.outcomes],
    }
    return Status(409 if result.has_errors else 200, body)


@router.post(
    "/completions",
    response={200: TrainingBatchOut, **problems(404), 409: TrainingBatchOut},
    auth=KeyAuth(keys.TRAINING_WRITE),
    url_name="training_completions",
    summary="Push online course completions",
    description=(
        "The online course provider sends the clinicians who completed the course. Each is matched by e-mail "
        "among the active clinicians of the program's CACs and recorded as their online course milestone, with "
        "the checks of the completions file import (the clinician is in the program and did not withdraw, the "
        "date is not in the future). A batch with any record in error writes nothing and answers 409 with each "
        "record's outcome; a record whose id was accepted before is unchanged. The national office sends for "
        "its programs, a training provider for the programs whose cohorts its trainers lead."
    ),
)
def completions(request: HttpRequest, batch: CompletionsIn) -> Status[dict[str, Any]]:
    organization = request.auth.organization  # type: ignore[attr-defined]
    program = ingest.programs_trained_by(organization).filter(pk=batch.program).first()
    if program is None:
        return Status(404, {"detail": "No program of yours has this id."})
    records = [
        ingest.Completion(
            sender_id=c.id,
            email=c.email,
            course=c.course,
            completed_on=c.completed_on,
            certificate_id=c.certificate_id,
        )
        for c in batch.completions
    ]
    return _answer(ingest.completions_push(organization=organization, program=program, records=records))


@router.post(
    "/attendance",
    response={200: TrainingBatchOut, **problems(), 409: TrainingBatchOut},
    auth=KeyAuth(keys.TRAINING_WRITE),
    url_name="training_attendance",
    summary="Push consultation call attendance",
    description=(
        "A trainer's tool marks clinicians present or absent at a cohort's consultation calls, named by number "
        "or date. Only the cohorts your organization trains: those its trainers lead (a training provider) or "
        "its programs' cohorts (the national office). Each call is recorded as the cohort page records it: the "
        "clinicians the batch names get its marks, the others keep theirs (absent when the call was never "
        "recorded). A batch with any record in error writes nothing and answers 409 with each record's outcome; "
        "a record whose id was accepted before is unchanged."
    ),
)
def attendance(request: HttpRequest, batch: AttendanceIn) -> Status[dict[str, Any]]:
    records = [
        ingest.Mark(
            sender_id=m.id,
            cohort_id=m.cohort,
            email=m.email,
            present=m.present,
            call_number=m.call_number,
            call_on=m.call_on,
        )
        for m in batch.records
    ]
    return _answer(ingest.attendance_push(organization=request.auth.organization, records=records))  # type: ignore[attr-defined]
