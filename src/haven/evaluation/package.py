"""PLACEHOLDER, replaced by the i18-core branch's package: the interface the workflow calls, writing a small zip.

The real module de-identifies the program's records, checks their re-identification risk and writes the encrypted
package; this one writes a zip of two tiny files so the workflow's tests run. Only the interface is relied upon.
"""

import json
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

TABLES = ("children", "episodes", "sessions", "measures", "training")


@dataclass(frozen=True)
class Spec:
    program_id: int
    period_start: date
    period_end: date
    tables: tuple[str, ...]
    k: int = 11
    date_unit: str = "days"
    language: str = "en"


@dataclass(frozen=True)
class Built:
    files: dict[str, int]
    report: dict[str, Any] = field(default_factory=dict)
    size: int = 0


def build(spec: Spec, destination: Path, passphrase: str) -> Built:
    """Write the package to ``destination`` (placeholder: not encrypted) and say what it holds."""
    files = {f"{table}.csv": 0 for table in spec.tables}
    report = {"k": spec.k, "records": 0, "generalized": 0, "withheld": 0, "smallest_class": None}
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in files:
            archive.writestr(name, "id\n")
        archive.writestr("report.json", json.dumps(report))
    return Built(files=files, report=report, size=destination.stat().st_size)
