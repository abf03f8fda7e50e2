"""The French catalog is complete: every string the code marks for translation has a French translation,
and the compiled catalog that ships matches it."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

HAVEN = Path(__file__).resolve().parents[2]
PO = HAVEN / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def test_every_french_entry_is_translated() -> None:
    catalog = polib.pofile(str(PO))
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=2; plural=(n > 1)")


def test_the_catalog_holds_every_string_in_the_code(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        pytest.skip("gettext is not installed (CI installs it)")
    copy = tmp_path / "haven"
    shutil.copytree(HAVEN, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "fr",
            "--no-obsolete",
            "--ignore=*/tests/*",
            "--ignore=conftest.py",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        # makemessages configures its own settings when none are given; the test settings live elsewhere.
        env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
    )
    extracted = {_key(e) for e in polib.pofile(str(copy / "locale/fr/LC_MESSAGES/django.po")) if not e.obsolete}
    committed = {_key(e) for e in polib.pofile(str(PO)) if not e.obsolete}
    assert sorted(extracted - committed) == [], "run `make messages` and translate the new strings"


def test_the_compiled_catalog_matches_the_source() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(PO)).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 5) == entry.msgstr_plural[1]
        elif not entry.msgctxt:
            assert compiled.gettext(entry.msgid) == entry.msgstr, "run `make messages` to compile the catalog"
