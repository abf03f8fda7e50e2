"""The evaluation export's package: de-identified CSV files, their data dictionary as a Frictionless Data package
and a PDF codebook, and the risk report, in one zip encrypted with AES-256 (WinZip AE-2, which 7-Zip opens).

:func:`build` is what the export workflow calls once a request is approved: it reads, de-identifies, checks the
risk, writes and encrypts, and does nothing else (no audit event, no model write: the workflow records those
around it). The passphrase is the caller's; it is not kept here.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyzipper
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haven.core.pdf import render_pdf
from haven.evaluation import deidentify, dictionary, kanon
from haven.measures import instruments
from haven.programs.models import Program

TABLES: tuple[str, ...] = ("children", "episodes", "sessions", "measures", "training")
DATE_UNITS = deidentify.DATE_UNITS
DATAPACKAGE = "datapackage.json"
CODEBOOK = "codebook.pdf"
RISK_REPORT = "risk_report.json"
# WinZip AES derives its key with PBKDF2 at 1,000 iterations: the passphrase's own strength is what stops a guess.
MIN_PASSPHRASE_LENGTH = 16


@dataclass(frozen=True)
class Spec:
    program_id: int
    period_start: date
    period_end: date
    tables: tuple[str, ...]  # a subset of TABLES
    k: int = kanon.DEFAULT_K
    date_unit: str = "days"  # "days" or "months"
    language: str = "en"  # the codebook's language

    def check(self) -> None:
        if not self.tables or not set(self.tables) <= set(TABLES):
            raise ValueError(f"tables are a non-empty subset of {TABLES}")
        if self.date_unit not in DATE_UNITS:
            raise ValueError(f"date_unit is one of {DATE_UNITS}")
        if self.period_end < self.period_start:
            raise ValueError("the period ends before it starts")
        if self.k < kanon.DEFAULT_K:
            raise ValueError(f"k is at least {kanon.DEFAULT_K}: the program's smallest reportable count")


@dataclass(frozen=True)
class Built:
    files: dict[str, int]  # file name in the package -> data rows (the CSV files)
    report: dict[str, Any]  # the risk report, JSON-able (k, quasi-identifiers, steps, withheld, smallest class)
    size: int  # bytes of the encrypted file


def build(spec: Spec, destination: Path, passphrase: str) -> Built:
    """Write the encrypted package of ``spec`` at ``destination``: the rows of the program's children in the
    period, de-identified, every child in a class of at least ``spec.k`` on the quasi-identifiers."""
    spec.check()
    return _build(spec, destination, passphrase, k=spec.k)


def _build(spec: Spec, destination: Path, passphrase: str, *, k: int) -> Built:
    """``build`` with any ``k``: only the figures test calls it with k = 1 (no generalization, nothing withheld),
    to compare the exported rows with the dashboard's figures before generalization."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ValueError(
            f"the passphrase has at least {MIN_PASSPHRASE_LENGTH} characters (evaluation.sealing.make makes one)"
        )
    # A background task knows the program by its id only; the workflow checked the requester's access to it.
    program = Program.objects.dangerously_unscoped().get(pk=spec.program_id)
    with translation.override(spec.language):
        extract = deidentify.read(program, spec.period_start, spec.period_end, spec.tables, unit=spec.date_unit)
        checked = kanon.anonymize({pk: row.quasi for pk, row in extract.children.items()}, k)
        files, rows, report = _files(spec, program, extract, checked)
        _seal(files, destination, passphrase)
    return Built(files=rows, report=report, size=destination.stat().st_size)


def _csv(header: list[str], rows: Iterable[Iterable[Any]]) -> tuple[bytes, int]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return out.getvalue().encode(), n


def _files(
    spec: Spec, program: Program, extract: deidentify.Extract, checked: kanon.Result[int]
) -> tuple[dict[str, bytes], dict[str, int], dict[str, Any]]:
    unit = spec.date_unit
    wanted = set(spec.tables)
    released = checked.released
    children = deidentify.new_pseudonyms(released, "C")
    episodes_kept = [row for row in extract.episodes if row[1] in released]
    episodes = deidentify.new_pseudonyms((row[0] for row in episodes_kept), "E")
    measures_kept = [row for row in extract.measures if row[1] in released]
    assessments = deidentify.new_pseudonyms((row[0] for row in measures_kept), "A")
    clinician_ids = {row[2] for row in episodes_kept} | {row[2] for row in extract.sessions if row[0] in released}
    clinician_ids |= {row[0] for row in extract.training}
    clinicians = deidentify.new_pseudonyms(clinician_ids, "K")
    cohorts = deidentify.new_pseudonyms({row[1] for row in extract.training if row[1] is not None}, "G")

    tables: list[dictionary.Table] = []
    data: dict[str, bytes] = {}
    rows: dict[str, int] = {}

    def add(table: dictionary.Table, body: Iterable[Sequence[Any]]) -> None:
        tables.append(table)
        data[table.path], rows[table.path] = _csv(table.header, body)

    if "children" in wanted:
        add(dictionary.children_table(), sorted((children[pk], *released[pk]) for pk in released))
    if "episodes" in wanted:
        add(
            dictionary.episodes_table(unit),
            sorted((episodes[r[0]], children[r[1]], clinicians[r[2]], *r[3:]) for r in episodes_kept),
        )
    sessions_withheld = 0
    if "sessions" in wanted:
        # The sessions come by episode and day: the episodes in the order of their child's code and their own,
        # each episode's sessions as they come (a sort of the episodes, not of half a million sessions).
        by_episode: dict[int, list[tuple[Any, ...]]] = {}
        for r in extract.sessions:
            if r[0] in released:
                by_episode.setdefault(r[1], []).append(r)
            else:
                sessions_withheld += 1
        order = sorted(by_episode, key=lambda pk: (children[by_episode[pk][0][0]], episodes[pk]))
        add(
            dictionary.sessions_table(unit),
            ((children[r[0]], episodes[r[1]], clinicians[r[2]], *r[3:]) for pk in order for r in by_episode[pk]),
        )
    if "measures" in wanted:
        add(
            dictionary.measures_table(unit),
            sorted((assessments[r[0]], children[r[1]], episodes[r[2]], *r[3:]) for r in measures_kept),
        )
        by_instrument: dict[str, list[int]] = {}
        for r in measures_kept:
            by_instrument.setdefault(r[3], []).append(r[0])
        for instrument in instruments.all_instruments():
            ids = by_instrument.get(instrument.code)
            if not ids:
                continue
            keys = [item.key for item in instrument.items]
            ids.sort(key=assessments.__getitem__)
            add(
                dictionary.items_table(instrument),
                [[assessments[pk], *map(extract.responses[pk].get, keys)] for pk in ids],
            )
    if "training" in wanted:
        add(
            dictionary.training_table(unit),
            sorted((clinicians[r[0]], cohorts.get(r[1], ""), *r[2:]) for r in extract.training if r[0] in clinicians),
        )

    report = checked.report() | {
        "period": {"start": spec.period_start.isoformat(), "end": spec.period_end.isoformat()},
        "date_unit": unit,
        "rows_withheld": {
            "children": len(checked.withheld),
            "episodes": len(extract.episodes) - len(episodes_kept),
            "sessions": sessions_withheld,
            "measures": len(extract.measures) - len(measures_kept),
        },
    }
    files = dict(data)
    files[DATAPACKAGE] = json.dumps(_datapackage(spec, program, tables), indent=2, ensure_ascii=False).encode()
    files[RISK_REPORT] = json.dumps(report, indent=2).encode()
    files[CODEBOOK] = _codebook(spec, tables, rows, report)
    return files, rows, report


def _datapackage(spec: Spec, program: Program, tables: list[dictionary.Table]) -> dict[str, Any]:
    """A Frictionless tabular data package (https://specs.frictionlessdata.io/data-package/), written by hand."""
    present = {table.name for table in tables}
    resources: list[dict[str, Any]] = []
    for table in tables:
        schema = dictionary.table_schema(table)
        if "foreignKeys" in schema:
            schema["foreignKeys"] = [fk for fk in schema["foreignKeys"] if fk["reference"]["resource"] in present]
            if not schema["foreignKeys"]:
                del schema["foreignKeys"]
        resources.append(
            {
                "name": table.name.replace("_", "-"),
                "path": table.path,
                "profile": "tabular-data-resource",
                "title": str(table.title),
                "description": str(table.description),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\n", "header": True},
                "schema": schema,
            }
        )
    for resource in resources:
        for fk in resource["schema"].get("foreignKeys", []):
            fk["reference"]["resource"] = fk["reference"]["resource"].replace("_", "-")
    return {
        "profile": "tabular-data-package",
        "name": "haven-evaluation-export",
        "title": _("De-identified evaluation data of %(program)s") % {"program": program.name},
        "description": _(
            "Child-level records of the program, de-identified: pseudonyms drawn for this export alone, times "
            "counted from each child's referral, geography no finer than the state, no names and no free text. "
            "See codebook.pdf and risk_report.json."
        ),
        "created": timezone.now().replace(microsecond=0).isoformat(),
        "temporal": {"start": spec.period_start.isoformat(), "end": spec.period_end.isoformat()},
        "resources": resources,
    }


def _codebook(spec: Spec, tables: list[dictionary.Table], rows: dict[str, int], report: dict[str, Any]) -> bytes:
    html = render_to_string(
        "evaluation/codebook.html",
        {
            "spec": spec,
            "tables": [(table, rows[table.path]) for table in tables],
            "report": report,
            "steps": [
                (dictionary.STEP_LABELS.get(s["step"], s["step"]), s["quasi_identifier"], s["records_generalized"])
                for s in report["steps"]
            ],
            "language": spec.language,
        },
    )
    return render_pdf(html)


def _seal(files: dict[str, bytes], destination: Path, passphrase: str) -> None:
    """Every file in one zip, AES-256 encrypted (WinZip AE-2), written beside ``destination`` then moved onto it
    so that a half-written package is never seen there."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, prefix=".partial-", suffix=".zip")
    os.close(handle)
    try:
        with pyzipper.AESZipFile(
            partial, "w", compression=pyzipper.ZIP_DEFLATED, compresslevel=1, encryption=pyzipper.WZ_AES
        ) as archive:
            archive.setpassword(passphrase.encode())
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            for name, content in files.items():
                archive.writestr(name, content)
        os.replace(partial, destination)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
