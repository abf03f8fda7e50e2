"""Quarters released before clinicians' counts were exact: re-mark those cells as exact, and release the targets as
they stand now with each quarter that has none (from now on a quarter is released with its targets)."""

from typing import Any

from django.db import migrations

EXACT, SUPPRESSED = "e", "s"


def _professional(key: Any) -> bool:
    """A cell of the funder's report that counts clinicians, or a target (keys as ``release.quarter_cells`` made
    them: a name, or a list)."""
    if isinstance(key, str):
        return key in ("placed", "trained", "certified")
    if len(key) == 2 and key[0] in ("placed", "trained") and key[1] == "rest":
        return True
    if key[0] == "q" and len(key) == 4:
        return key[2] in ("trained", "certified")
    if key[0] == "state" and len(key) == 3:
        return key[2] in ("trained", "certified")
    return key[0] == "target"


def _encoded(key: Any) -> str:
    return repr(key)


def mark_exact(apps: Any, schema_editor: Any) -> None:
    released = apps.get_model("reporting", "ReleasedQuarter")
    targets = apps.get_model("programs", "ProgramTarget")
    for row in released.objects.all():
        cells = [[key, n, EXACT if _professional(key) else status] for key, n, status in row.cells]
        for total, parts in row.relations:
            kinds = {_professional(key) for key in [total, *parts]}
            if len(kinds) > 1:
                # Publishing a clinician count could then give a child count away: stop, do not guess.
                raise RuntimeError(f"release {row.pk}: the relation for {total!r} mixes clinicians with care cells")
        present = {_encoded(key) for key, _n, _status in cells}
        for metric, value in targets.objects.filter(program_id=row.program_id).order_by("metric").values_list(
            "metric", "value"
        ):
            if _encoded(["target", metric]) not in present:
                cells.append([["target", metric], value, EXACT])
        row.cells = cells
        row.save(update_fields=["cells"])


def unmark_exact(apps: Any, schema_editor: Any) -> None:
    """Back to a release the earlier code reads: clinicians' cells withheld (unknown to a reader, so no later release
    is constrained by them), no targets."""
    released = apps.get_model("reporting", "ReleasedQuarter")
    for row in released.objects.all():
        row.cells = [
            [key, n, SUPPRESSED if status == EXACT else status]
            for key, n, status in row.cells
            if not (isinstance(key, list) and key[0] == "target")
        ]
        row.save(update_fields=["cells"])


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0001_initial"),
        ("reporting", "0004_state_cell_by_figure"),
    ]

    operations = [migrations.RunPython(mark_exact, unmark_exact)]
