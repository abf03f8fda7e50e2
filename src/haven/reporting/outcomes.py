"""What the care figures' outcomes are made of: each completed episode's first baseline and last post score.

The figures themselves (the program's, a state's or a CAC's) are ``figures.care``, read from the kept cells, which
``kept`` computes with :func:`baseline_post_pairs`; the page at /reporting/outcomes/ shows them.
"""

from typing import Any

from haven.care.models import EpisodeStatus, Timepoint


def baseline_post_pairs(assessments: Any) -> dict[tuple[int, str], tuple[int, int]]:
    """Per completed episode and instrument of the (scoped) ``assessments``: the first baseline score and the
    last post score, where both exist. Shared by these figures and the kept reporting cells."""
    rows = (
        assessments.filter(
            episode__status=EpisodeStatus.COMPLETED,
            timepoint__in=[Timepoint.BASELINE, Timepoint.POST],
            total__isnull=False,
        )
        .order_by("administered_on", "pk")
        .values_list("episode_id", "instrument", "timepoint", "total")
    )
    pre: dict[tuple[int, str], int] = {}
    post: dict[tuple[int, str], int] = {}
    for episode_id, code, timepoint, total in rows:
        if timepoint == Timepoint.BASELINE:
            pre.setdefault((episode_id, code), total)
        else:
            post[episode_id, code] = total
    return {key: (before, post[key]) for key, before in pre.items() if key in post}
