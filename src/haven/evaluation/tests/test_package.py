"""The evaluation export's package, built from the generated demo program: what an evaluator opens.

The demo is generated once for the module (several seconds), inside a transaction rolled back after its last test,
begun more than 37 months ago so that its 36 months are over (as reporting's test_one_figure does).
"""

import csv
import io
import json
import re
import struct
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
import pyzipper
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from haven.accounts.models import User
from haven.care.models import Child, Episode, Session
from haven.core.dates import add_months, month_of
from haven.evaluation import deidentify, kanon, package, sealing
from haven.measures import change, instruments
from haven.organizations.models import US_STATES, Organization
from haven.programs.models import Program
from haven.reporting import figures
from haven.training.models import Enrollment

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def ended(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    start = add_months(month_of(timezone.now().date()), -38)
    while start.month % 3:
        start = add_months(start, -1)
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("generate", "--scale=demo", "--seed=5", f"--start={start.isoformat()}", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def program(ended: None, db: None) -> Program:
    return Program.objects.dangerously_unscoped().get()


def _spec(program: Program, **changes: Any) -> package.Spec:
    """The program's whole period, to the last day of its last month (the dashboard's months)."""
    last_day = add_months(month_of(program.ends_on), 1) - timedelta(days=1)
    values: dict[str, Any] = {
        "program_id": program.pk,
        "period_start": month_of(program.starts_on),
        "period_end": last_day,
        "tables": package.TABLES,
    } | changes
    return package.Spec(**values)


def _open(path: Path, passphrase: str = PASSPHRASE) -> dict[str, bytes]:
    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(passphrase.encode())
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.fixture
def built(program: Program, tmp_path: Path) -> tuple[package.Built, dict[str, bytes]]:
    result = package.build(_spec(program), tmp_path / "export.zip", PASSPHRASE)
    return result, _open(tmp_path / "export.zip")


def test_the_figures_match_the_dashboards(program: Program, tmp_path: Path) -> None:
    """The dashboard's outcome figures recomputed from the exported files alone (the encrypted zip, its CSVs).

    Built with k = 1 (``package._build``; ``build`` refuses a k below 11): every class has at least one record, so
    nothing is generalized or withheld and the rows are the ungeneralized ones. The issue compares the figures
    before generalization; generalizing only coarsens the quasi-identifiers, which these figures do not use, but
    withholding would drop children from them."""
    spec = _spec(program)
    built = package._build(spec, tmp_path / "all.zip", PASSPHRASE, k=1)
    assert built.report["records_withheld"] == 0
    assert built.report["steps"] == []
    files = _open(tmp_path / "all.zip")
    episodes = {row["episode"]: row for row in _rows(files["episodes.csv"])}
    completed = {key for key, row in episodes.items() if row["status"] == "completed"}

    # baseline_post_pairs over the files: per completed episode and instrument, the first baseline score and the
    # last post score.
    measures = sorted(
        (int(row["day"]), row["assessment"], row)
        for row in _rows(files["measures.csv"])
        if row["episode"] in completed and row["total"] and row["timepoint"] in ("baseline", "post")
    )
    pre: dict[tuple[str, str], int] = {}
    post: dict[tuple[str, str], int] = {}
    for _day, _code, row in measures:
        key = (row["episode"], row["instrument"])
        if row["timepoint"] == "baseline":
            pre.setdefault(key, int(row["total"]))
        else:
            post[key] = int(row["total"])
    pairs: dict[str, list[tuple[int, int]]] = {}
    for key, before in pre.items():
        if key in post:
            pairs.setdefault(key[1], []).append((before, post[key]))

    dashboard = figures.care(program, figures.Filters())
    assert dashboard.completed == len(completed) > 0
    assert dashboard.pre_post == sum(
        1 for key in completed if episodes[key]["has_baseline"] == "1" and episodes[key]["has_post"] == "1"
    )
    assert {o.code for o in dashboard.outcomes} == set(pairs)
    for shown in dashboard.outcomes:
        instrument = instruments.load(shown.code)
        mine = change.summarize(
            pairs[shown.code],
            sd_pre=instrument.norms.sd_pre,
            reliability=instrument.norms.reliability,
            threshold=instrument.threshold,
        )
        assert mine.n == shown.outcome.n
        assert mine.counts == shown.outcome.counts
        assert mine.recovered == shown.outcome.recovered
        assert mine.eligible_for_recovery == shown.outcome.eligible_for_recovery
        assert mine.mean_pre == pytest.approx(shown.outcome.mean_pre)
        assert mine.mean_change == pytest.approx(shown.outcome.mean_change)
        assert mine.sd_pre == pytest.approx(shown.outcome.sd_pre)


def test_the_training_table_holds_every_clinician_trained_by_the_periods_end(program: Program, tmp_path: Path) -> None:
    """A clinician whose live training began within the period is in its training table, whenever the enrollment
    row was written (the generator, like an import, writes every nomination on the day it runs)."""
    spec = _spec(program, tables=("training",), period_end=add_months(month_of(program.starts_on), 12))
    built = package.build(spec, tmp_path / "training.zip", PASSPHRASE)
    trained = Enrollment.objects.of_program(program).filter(live_training_on__lte=spec.period_end)
    assert trained.count() > 0
    assert built.files["training.csv"] == trained.count()
    rows = _rows(_open(tmp_path / "training.zip")["training.csv"])
    assert len({row["clinician"] for row in rows}) == len(rows)


def test_the_package_holds_its_files_described(built: tuple[package.Built, dict[str, bytes]]) -> None:
    result, files = built
    assert set(files) == set(result.files) | {"datapackage.json", "codebook.pdf", "risk_report.json"}
    assert files["codebook.pdf"].startswith(b"%PDF")
    assert json.loads(files["risk_report.json"]) == result.report
    descriptor = json.loads(files["datapackage.json"])
    assert descriptor["profile"] == "tabular-data-package"
    assert {r["path"] for r in descriptor["resources"]} == set(result.files)
    for resource in descriptor["resources"]:
        rows = _rows(files[resource["path"]])
        assert len(rows) == result.files[resource["path"]]
        fields = resource["schema"]["fields"]
        header = next(csv.reader(io.StringIO(files[resource["path"]].decode())))
        assert header == [f["name"] for f in fields]
        for field in fields:
            assert field["description"]
            values = {row[field["name"]] for row in rows} - {""}
            if field["type"] == "integer":
                assert all(re.fullmatch(r"-?\d+", v) for v in values), field["name"]
            enum = field.get("constraints", {}).get("enum")
            if enum is not None:
                assert values <= {str(v) for v in enum}, field["name"]
            if "minimum" in field.get("constraints", {}):
                assert all(int(v) >= field["constraints"]["minimum"] for v in values), field["name"]


def test_every_child_released_is_one_of_at_least_k(built: tuple[package.Built, dict[str, bytes]]) -> None:
    result, files = built
    children = _rows(files["children.csv"])
    classes = Counter(tuple(row[q] for q in kanon.QUASI_IDENTIFIERS) for row in children)
    assert min(classes.values()) >= 11
    assert result.report["smallest_class"] == min(classes.values())
    assert len(children) + result.report["records_withheld"] == result.report["records_checked"]
    # The withheld children's rows are gone from every table.
    released = {row["child"] for row in children}
    for name in ("episodes.csv", "sessions.csv", "measures.csv"):
        assert {row["child"] for row in _rows(files[name])} <= released


def test_nothing_identifying_leaves(program: Program, built: tuple[package.Built, dict[str, bytes]]) -> None:
    _result, files = built
    text = b"\n".join(content for name, content in files.items() if name.endswith(".csv")).decode()
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # no date
    children = _rows(files["children.csv"])
    assert {row["state"] for row in children} <= set(US_STATES) | {"*"}
    assert all(row["age"] == "*" or max(map(int, row["age"].split("-"))) <= 17 for row in children)
    words = set(re.findall(r"[\w@.-]+", text))
    codes = set(Child.objects.dangerously_unscoped().values_list("display_code", flat=True))
    assert not words & codes
    emails = set(User.objects.values_list("email", flat=True))
    assert not words & emails
    for name in Organization.objects.values_list("name", flat=True):
        assert name not in text


def test_two_exports_cannot_be_joined(program: Program, tmp_path: Path) -> None:
    spec = _spec(program, tables=("children", "episodes"))
    package.build(spec, tmp_path / "one.zip", PASSPHRASE)
    package.build(spec, tmp_path / "two.zip", PASSPHRASE)
    one, two = (_rows(_open(tmp_path / name)["episodes.csv"]) for name in ("one.zip", "two.zip"))
    # The same rows, under other pseudonyms: a child's code in one says nothing of its code in the other.
    strip = ("episode", "child", "clinician")
    assert sorted(tuple(v for k, v in r.items() if k not in strip) for r in one) == sorted(
        tuple(v for k, v in r.items() if k not in strip) for r in two
    )
    assert {(r["episode"], r["child"], r["referral"], r["sessions"]) for r in one} != {
        (r["episode"], r["child"], r["referral"], r["sessions"]) for r in two
    }


def test_the_passphrase_is_needed(program: Program, tmp_path: Path) -> None:
    package.build(_spec(program, tables=("children",)), tmp_path / "p.zip", PASSPHRASE)
    with pytest.raises(RuntimeError):
        _open(tmp_path / "p.zip", "a guess")
    # Every entry as 7-Zip reads it: method 99 (WinZip AES) with its 0x9901 extra field, AE-2, 256-bit keys.
    raw = (tmp_path / "p.zip").read_bytes()
    entries = 0
    offset = raw.find(b"PK\x03\x04")
    while offset != -1:
        flags, method = struct.unpack_from("<HH", raw, offset + 6)
        name_length, extra_length = struct.unpack_from("<HH", raw, offset + 26)
        extra = raw[offset + 30 + name_length : offset + 30 + name_length + extra_length]
        assert flags & 0x1 and method == 99
        header, _size, version, vendor, strength, _method = struct.unpack_from("<HHH2sBH", extra)
        assert (header, version, vendor, strength) == (0x9901, 2, b"AE", 3)
        entries += 1
        offset = raw.find(b"PK\x03\x04", offset + 30)
    assert entries == 4  # children.csv, datapackage.json, risk_report.json, codebook.pdf


def test_a_k_below_11_or_a_short_passphrase_is_refused(program: Program, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 11"):
        package.build(_spec(program, k=5), tmp_path / "k.zip", PASSPHRASE)
    with pytest.raises(ValueError, match="at least 16 characters"):
        package.build(_spec(program), tmp_path / "k.zip", "hunter2")
    with pytest.raises(ValueError, match="subset"):
        package.build(_spec(program, tables=("children", "addresses")), tmp_path / "k.zip", PASSPHRASE)
    assert not (tmp_path / "k.zip").exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left either
    passphrase = sealing.make()  # what the workflow's build uses: long enough, and new each time
    assert len(passphrase) >= package.MIN_PASSPHRASE_LENGTH and passphrase != sealing.make()


def test_months_and_a_french_codebook(program: Program, tmp_path: Path) -> None:
    spec = _spec(program, tables=("episodes",), date_unit="months", language="fr")
    package.build(spec, tmp_path / "fr.zip", PASSPHRASE)
    files = _open(tmp_path / "fr.zip")
    descriptor = json.loads(files["datapackage.json"])
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert fields["closed"]["unit"] == "mois entiers"
    assert fields["status"]["description"] == "Statut à la fin de la période"
    assert "children" not in {r["name"] for r in descriptor["resources"]}
    assert "foreignKeys" not in descriptor["resources"][0]["schema"]  # no children table to refer to
    days = [int(row["closed"]) for row in _rows(files["episodes.csv"]) if row["closed"]]
    assert days and max(days) < 40  # months, not days
    codebook = pypdfium2.PdfDocument(files["codebook.pdf"])
    text = " ".join(page.get_textpage().get_text_range() for page in codebook)
    assert "Dictionnaire des données de l'export d'évaluation" in text
    assert "Contrôle du risque" in text and "mois révolus" in text
    assert "Statut à la fin de la période" in text


def test_reads_in_bulk(program: Program, tmp_path: Path, django_assert_max_num_queries: Any) -> None:
    """A fixed number of queries, however many children: never one per row."""
    with django_assert_max_num_queries(12):
        package.build(_spec(program), tmp_path / "q.zip", PASSPHRASE)


def test_episodes_stand_as_at_the_periods_end(program: Program, tmp_path: Path) -> None:
    """Half way through the program: an episode closed later is open in the export, and no session or measure
    after the end is in it."""
    end = add_months(month_of(program.starts_on), 18) - timedelta(days=1)
    spec = _spec(program, period_end=end, tables=("episodes", "sessions"))
    built = package._build(spec, tmp_path / "half.zip", PASSPHRASE, k=1)
    files = _open(tmp_path / "half.zip")
    episodes = _rows(files["episodes.csv"])
    in_db = Episode.objects.of_program(program).filter(referred_on__lte=end).exclude(closed_on__lt=spec.period_start)
    assert len(episodes) == in_db.count() == built.files["episodes.csv"]
    open_then = in_db.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=end)).count()
    assert sum(1 for row in episodes if row["status"] == "open") == open_then
    assert all(row["closed"] == "" and row["end_reason"] == "" for row in episodes if row["status"] == "open")
    sessions = Session.objects.in_orgs(Organization.objects.all()).filter(episode__in=in_db, held_on__lte=end)
    assert built.files["sessions.csv"] == sessions.count()
    assert sum(int(row["sessions"]) for row in episodes) == sessions.count()


def test_elapsed_days_and_months() -> None:
    since = date(2025, 1, 31)
    assert deidentify.elapsed(since, date(2025, 3, 1), "days") == 29
    assert deidentify.elapsed(since, date(2025, 2, 28), "months") == 0
    assert deidentify.elapsed(since, date(2025, 3, 31), "months") == 2
    assert deidentify.elapsed(since, date(2024, 12, 31), "months") == -1
    assert deidentify.elapsed(since, None, "months") is None
