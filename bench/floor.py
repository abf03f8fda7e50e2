"""The floor: the bare SQL for the program dashboard's figures over the raw rows, and a check that it agrees.

The program dashboard (``/reporting/``, whole program, every state) shows care figures read from the kept cells
(``reporting.kept``) and workforce figures derived from each clinician's path (``reporting.figures``). The floor
computes the same figures the slow way, straight from the rows they are made of, with one raw cursor (SQLite's
or PostgreSQL's dialect):

- children served by state and month (``reporting_childserved.first_session_on``), caregivers served by state and
  month (``caregiver_first_on``), and the children of the period by age band, gender and race;
- episodes (``care_episode`` joined to the CAC for its state) referred, started, completed, ended early and
  completed with a baseline and a post measure, by state and month; the wait from referral to the first session
  and the sessions per completed episode, as histograms (for the medians);
- sessions held per month (``care_session`` joined to ``care_episode`` for the program: every session);
- the outcome pairs: per completed episode of the period and instrument, the first baseline and the last post
  score (``care_assessment`` joined to ``care_episode``; SQLite's min()/max() bare columns pick the rows),
  counted by (instrument, pre, post);
- PRACTICE coverage of completed TF-CBT episodes (``care_treatmentmodel.uses_practice``): the episodes, those
  covering all eight components, and each component (``json_each``);
- the workforce: every enrollment of the program with its CAC's state, placement, online course, the ninth
  consultation call attended and the first call held 6 months (twice a month) or 12 months (monthly) after the
  live training, both within 24 months of it, the knowledge test, the certification and the clinician's
  completed cases (``training_enrollment``, ``training_milestone``, ``training_attendance``,
  ``training_consultationcall``, ``training_cohort``, ``care_episode``), counted by state, placement and the
  months trained and certified: the path's rules as SQL.

What the floor leaves out, as too small to matter: turning the fetched rows into the page's numbers (cumulative
sums, medians over histograms, reliable change over a few hundred (pre, post) groups), the targets and the
template. :func:`agree` does that work, untimed, and compares every figure with what the dashboard computes, so
the floor is known to compute the same figures.
"""

import dataclasses
from collections import Counter, defaultdict
from datetime import date
from typing import Any

QUERIES: dict[str, str] = {
    "children": """
        SELECT state, substr(first_session_on, 1, 7), count(*)
        FROM reporting_childserved WHERE program_id = :p GROUP BY 1, 2""",
    "caregivers": """
        SELECT state, substr(caregiver_first_on, 1, 7), count(*)
        FROM reporting_childserved WHERE program_id = :p AND caregiver_first_on IS NOT NULL GROUP BY 1, 2""",
    "groups": """
        SELECT age_band, gender, race_ethnicity, count(*)
        FROM reporting_childserved WHERE program_id = :p AND first_session_on >= :lo AND first_session_on < :hi
        GROUP BY 1, 2, 3""",
    "episodes": """
        SELECT c.figure, o.state, c.month, sum(c.n) FROM (  -- by CAC first, then the few CAC rows by state
            SELECT 'referred' AS figure, organization_id AS org, substr(referred_on, 1, 7) AS month, count(*) AS n
            FROM care_episode WHERE program_id = :p GROUP BY 2, 3
            UNION ALL
            SELECT 'started', organization_id, substr(first_session_on, 1, 7), count(*)
            FROM care_episode WHERE program_id = :p AND first_session_on IS NOT NULL GROUP BY 2, 3
            UNION ALL
            SELECT status, organization_id, substr(closed_on, 1, 7), count(*)
            FROM care_episode WHERE program_id = :p AND status IN ('completed', 'ended') AND closed_on IS NOT NULL
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT 'pre_post', organization_id, substr(closed_on, 1, 7), count(*)
            FROM care_episode WHERE program_id = :p AND status = 'completed' AND closed_on IS NOT NULL
              AND has_baseline AND has_post GROUP BY 2, 3
        ) c JOIN organizations_organization o ON o.id = c.org
        GROUP BY 1, 2, 3""",
    "wait": """
        SELECT min(365, CAST(julianday(first_session_on) - julianday(referred_on) AS INTEGER)), count(*)
        FROM care_episode WHERE program_id = :p AND first_session_on >= :lo AND first_session_on < :hi
        GROUP BY 1""",
    "length": """
        SELECT sessions_count, count(*) FROM care_episode
        WHERE program_id = :p AND status = 'completed' AND closed_on >= :lo AND closed_on < :hi GROUP BY 1""",
    "sessions": """
        SELECT substr(s.held_on, 1, 7), count(*)
        FROM care_session s JOIN care_episode e ON e.id = s.episode_id WHERE e.program_id = :p GROUP BY 1""",
    "pairs": """
        WITH done AS (
            SELECT id FROM care_episode
            WHERE program_id = :p AND status = 'completed' AND closed_on >= :lo AND closed_on < :hi
        ), pre AS (  -- the first baseline by date, then id (the bare columns come from the min() row)
            SELECT a.episode_id, a.instrument, a.total, min(a.administered_on || printf('%012d', a.id))
            FROM care_assessment a JOIN done ON done.id = a.episode_id
            WHERE a.timepoint = 'baseline' AND a.total IS NOT NULL GROUP BY 1, 2
        ), post AS (  -- the last post measure
            SELECT a.episode_id, a.instrument, a.total, max(a.administered_on || printf('%012d', a.id))
            FROM care_assessment a JOIN done ON done.id = a.episode_id
            WHERE a.timepoint = 'post' AND a.total IS NOT NULL GROUP BY 1, 2
        )
        SELECT pre.instrument, pre.total, post.total, count(*)
        FROM pre JOIN post ON post.episode_id = pre.episode_id AND post.instrument = pre.instrument
        GROUP BY 1, 2, 3""",
    "practice": """
        SELECT count(*), coalesce(sum(json_array_length(e.practice) = :components), 0)
        FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id
        WHERE e.program_id = :p AND e.status = 'completed' AND e.closed_on >= :lo AND e.closed_on < :hi
          AND t.uses_practice""",
    "practice_components": """
        SELECT j.value, count(*)
        FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id, json_each(e.practice) j
        WHERE e.program_id = :p AND e.status = 'completed' AND e.closed_on >= :lo AND e.closed_on < :hi
          AND t.uses_practice
        GROUP BY 1""",
    "workforce": """
        WITH enrolled AS (
            SELECT e.id, e.organization_id, e.clinician_id, o.state, e.placement, e.degree, e.license_status,
                   e.live_training_on, e.live_training_days, e.cohort_id,
                   CASE c.call_schedule WHEN 'monthly' THEN 12 ELSE 6 END AS run_months,
                   (strftime('%Y', c.ends_on) - strftime('%Y', c.starts_on)) * 12
                     + strftime('%m', c.ends_on) - strftime('%m', c.starts_on)
                     - (strftime('%d', c.ends_on) < strftime('%d', c.starts_on)) AS collaborative_months
            FROM training_enrollment e
            JOIN organizations_organization o ON o.id = e.organization_id
            LEFT JOIN training_cohort c ON c.id = e.cohort_id
            WHERE e.program_id = :p
        ), calls AS (
            SELECT a.enrollment_id, k.held_on,
                   row_number() OVER (PARTITION BY a.enrollment_id ORDER BY k.held_on) AS n
            FROM training_attendance a
            JOIN enrolled ON enrolled.id = a.enrollment_id
            JOIN training_consultationcall k ON k.id = a.call_id
            WHERE a.attended AND enrolled.placement = 'enrolled'
              AND k.held_on >= enrolled.live_training_on
              AND k.held_on <= date(enrolled.live_training_on, '+24 months')
        ), held AS (
            SELECT enrolled.id AS enrollment_id, k.held_on
            FROM enrolled JOIN training_consultationcall k ON k.cohort_id = enrolled.cohort_id
            WHERE k.attendance_recorded_at IS NOT NULL
            UNION ALL
            SELECT enrollment_id, held_on FROM calls
        ), ran AS (
            -- The first call held once consultation has run its length (the run-until day clamped to the month's
            -- end, as path.add_months does: SQLite's '+6 months' would roll 31 March over to 1 October).
            SELECT held.enrollment_id, min(held.held_on) AS held_on
            FROM held JOIN enrolled ON enrolled.id = held.enrollment_id
            WHERE held.held_on >= min(
                    date(enrolled.live_training_on, '+' || enrolled.run_months || ' months'),
                    date(enrolled.live_training_on, 'start of month', '+' || (enrolled.run_months + 1) || ' months',
                         '-1 day'))
              AND held.held_on <= date(enrolled.live_training_on, '+24 months')
            GROUP BY 1
        ), marks AS (
            SELECT m.enrollment_id,
                   max(CASE WHEN m.kind = 'online_course' THEN m.achieved_on END) AS course_on,
                   max(m.kind = 'knowledge_test' AND m.passed) AS test_passed,
                   max(CASE WHEN m.kind = 'certification' THEN m.achieved_on END) AS certified_on
            FROM training_milestone m JOIN enrolled ON enrolled.id = m.enrollment_id
            GROUP BY 1
        ), cases AS (
            SELECT e.clinician_id, count(*) AS n, sum(e.caregiver_sessions > 0) AS with_caregiver
            FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id
            WHERE e.status = 'completed' AND e.has_baseline AND e.has_post AND t.counts_for_certification
              AND e.clinician_id IN (SELECT clinician_id FROM enrolled)
              AND e.organization_id IN (SELECT organization_id FROM enrolled)
            GROUP BY 1
        ), paths AS (
            SELECT enrolled.*, marks.certified_on, marks.test_passed, cases.n AS cases, cases.with_caregiver,
                   CASE WHEN marks.course_on IS NOT NULL AND ninth.held_on IS NOT NULL AND ran.held_on IS NOT NULL
                         AND date(enrolled.live_training_on, '+' || (max(enrolled.live_training_days, 1) - 1)
                                  || ' days') <= :today
                         AND (enrolled.live_training_days >= 2 OR enrolled.collaborative_months >= 6)
                        THEN max(marks.course_on, ninth.held_on, ran.held_on) END AS trained_on
            FROM enrolled
            LEFT JOIN marks ON marks.enrollment_id = enrolled.id
            LEFT JOIN calls ninth ON ninth.enrollment_id = enrolled.id AND ninth.n = 9
            LEFT JOIN ran ON ran.enrollment_id = enrolled.id
            LEFT JOIN cases ON cases.clinician_id = enrolled.clinician_id
        )
        SELECT state, placement, substr(trained_on, 1, 7),
               CASE WHEN trained_on IS NOT NULL AND certified_on IS NOT NULL AND test_passed
                     AND cases >= 3 AND with_caregiver >= 2 AND degree IN ('masters', 'doctorate')
                     AND license_status = 'permanent' AND :today < date(certified_on, '+5 years')
                    THEN substr(certified_on, 1, 7) END,
               count(*)
        FROM paths GROUP BY 1, 2, 3, 4""",
}

# The same figures in PostgreSQL's dialect (make bench DB=postgres): months by to_char, days by subtracting dates,
# months added by interval (which clamps to the month's end, as path.add_months does), the first and last measures
# by DISTINCT ON, booleans counted by FILTER, JSON arrays by jsonb's functions.
QUERIES_POSTGRES: dict[str, str] = {
    "children": """
        SELECT state, to_char(first_session_on, 'YYYY-MM'), count(*)
        FROM reporting_childserved WHERE program_id = %(p)s GROUP BY 1, 2""",
    "caregivers": """
        SELECT state, to_char(caregiver_first_on, 'YYYY-MM'), count(*)
        FROM reporting_childserved WHERE program_id = %(p)s AND caregiver_first_on IS NOT NULL GROUP BY 1, 2""",
    "groups": """
        SELECT age_band, gender, race_ethnicity, count(*)
        FROM reporting_childserved
        WHERE program_id = %(p)s AND first_session_on >= %(lo)s::date AND first_session_on < %(hi)s::date
        GROUP BY 1, 2, 3""",
    "episodes": """
        SELECT c.figure, o.state, c.month, sum(c.n) FROM (
            SELECT 'referred' AS figure, organization_id AS org, to_char(referred_on, 'YYYY-MM') AS month,
                   count(*) AS n
            FROM care_episode WHERE program_id = %(p)s GROUP BY 2, 3
            UNION ALL
            SELECT 'started', organization_id, to_char(first_session_on, 'YYYY-MM'), count(*)
            FROM care_episode WHERE program_id = %(p)s AND first_session_on IS NOT NULL GROUP BY 2, 3
            UNION ALL
            SELECT status, organization_id, to_char(closed_on, 'YYYY-MM'), count(*)
            FROM care_episode
            WHERE program_id = %(p)s AND status IN ('completed', 'ended') AND closed_on IS NOT NULL
            GROUP BY 1, 2, 3
            UNION ALL
            SELECT 'pre_post', organization_id, to_char(closed_on, 'YYYY-MM'), count(*)
            FROM care_episode WHERE program_id = %(p)s AND status = 'completed' AND closed_on IS NOT NULL
              AND has_baseline AND has_post GROUP BY 2, 3
        ) c JOIN organizations_organization o ON o.id = c.org
        GROUP BY 1, 2, 3""",
    "wait": """
        SELECT least(365, first_session_on - referred_on), count(*)
        FROM care_episode
        WHERE program_id = %(p)s AND first_session_on >= %(lo)s::date AND first_session_on < %(hi)s::date
        GROUP BY 1""",
    "length": """
        SELECT sessions_count, count(*) FROM care_episode
        WHERE program_id = %(p)s AND status = 'completed' AND closed_on >= %(lo)s::date AND closed_on < %(hi)s::date
        GROUP BY 1""",
    "sessions": """
        SELECT to_char(s.held_on, 'YYYY-MM'), count(*)
        FROM care_session s JOIN care_episode e ON e.id = s.episode_id WHERE e.program_id = %(p)s GROUP BY 1""",
    "pairs": """
        WITH done AS (
            SELECT id FROM care_episode
            WHERE program_id = %(p)s AND status = 'completed' AND closed_on >= %(lo)s::date
              AND closed_on < %(hi)s::date
        ), pre AS (
            SELECT DISTINCT ON (a.episode_id, a.instrument) a.episode_id, a.instrument, a.total
            FROM care_assessment a JOIN done ON done.id = a.episode_id
            WHERE a.timepoint = 'baseline' AND a.total IS NOT NULL
            ORDER BY a.episode_id, a.instrument, a.administered_on, a.id
        ), post AS (
            SELECT DISTINCT ON (a.episode_id, a.instrument) a.episode_id, a.instrument, a.total
            FROM care_assessment a JOIN done ON done.id = a.episode_id
            WHERE a.timepoint = 'post' AND a.total IS NOT NULL
            ORDER BY a.episode_id, a.instrument, a.administered_on DESC, a.id DESC
        )
        SELECT pre.instrument, pre.total, post.total, count(*)
        FROM pre JOIN post ON post.episode_id = pre.episode_id AND post.instrument = pre.instrument
        GROUP BY 1, 2, 3""",
    "practice": """
        SELECT count(*), count(*) FILTER (WHERE jsonb_array_length(e.practice) = %(components)s)
        FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id
        WHERE e.program_id = %(p)s AND e.status = 'completed' AND e.closed_on >= %(lo)s::date
          AND e.closed_on < %(hi)s::date AND t.uses_practice""",
    "practice_components": """
        SELECT j.value, count(*)
        FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id
        CROSS JOIN LATERAL jsonb_array_elements_text(e.practice) AS j(value)
        WHERE e.program_id = %(p)s AND e.status = 'completed' AND e.closed_on >= %(lo)s::date
          AND e.closed_on < %(hi)s::date AND t.uses_practice
        GROUP BY 1""",
    "workforce": """
        WITH enrolled AS (
            SELECT e.id, e.organization_id, e.clinician_id, o.state, e.placement, e.degree, e.license_status,
                   e.live_training_on, e.live_training_days, e.cohort_id,
                   CASE c.call_schedule WHEN 'monthly' THEN 12 ELSE 6 END AS run_months,
                   (extract(year FROM c.ends_on) - extract(year FROM c.starts_on)) * 12
                     + extract(month FROM c.ends_on) - extract(month FROM c.starts_on)
                     - (extract(day FROM c.ends_on) < extract(day FROM c.starts_on))::int AS collaborative_months
            FROM training_enrollment e
            JOIN organizations_organization o ON o.id = e.organization_id
            LEFT JOIN training_cohort c ON c.id = e.cohort_id
            WHERE e.program_id = %(p)s
        ), calls AS (
            SELECT a.enrollment_id, k.held_on,
                   row_number() OVER (PARTITION BY a.enrollment_id ORDER BY k.held_on) AS n
            FROM training_attendance a
            JOIN enrolled ON enrolled.id = a.enrollment_id
            JOIN training_consultationcall k ON k.id = a.call_id
            WHERE a.attended AND enrolled.placement = 'enrolled'
              AND k.held_on >= enrolled.live_training_on
              AND k.held_on <= enrolled.live_training_on + interval '24 months'
        ), held AS (
            SELECT enrolled.id AS enrollment_id, k.held_on
            FROM enrolled JOIN training_consultationcall k ON k.cohort_id = enrolled.cohort_id
            WHERE k.attendance_recorded_at IS NOT NULL
            UNION ALL
            SELECT enrollment_id, held_on FROM calls
        ), ran AS (
            SELECT held.enrollment_id, min(held.held_on) AS held_on
            FROM held JOIN enrolled ON enrolled.id = held.enrollment_id
            WHERE held.held_on >= enrolled.live_training_on + make_interval(months => enrolled.run_months)
              AND held.held_on <= enrolled.live_training_on + interval '24 months'
            GROUP BY 1
        ), marks AS (
            SELECT m.enrollment_id,
                   max(CASE WHEN m.kind = 'online_course' THEN m.achieved_on END) AS course_on,
                   bool_or(m.kind = 'knowledge_test' AND m.passed) AS test_passed,
                   max(CASE WHEN m.kind = 'certification' THEN m.achieved_on END) AS certified_on
            FROM training_milestone m JOIN enrolled ON enrolled.id = m.enrollment_id
            GROUP BY 1
        ), cases AS (
            SELECT e.clinician_id, count(*) AS n, count(*) FILTER (WHERE e.caregiver_sessions > 0) AS with_caregiver
            FROM care_episode e JOIN care_treatmentmodel t ON t.id = e.treatment_model_id
            WHERE e.status = 'completed' AND e.has_baseline AND e.has_post AND t.counts_for_certification
              AND e.clinician_id IN (SELECT clinician_id FROM enrolled)
              AND e.organization_id IN (SELECT organization_id FROM enrolled)
            GROUP BY 1
        ), paths AS (
            SELECT enrolled.*, marks.certified_on, marks.test_passed, cases.n AS cases, cases.with_caregiver,
                   CASE WHEN marks.course_on IS NOT NULL AND ninth.held_on IS NOT NULL AND ran.held_on IS NOT NULL
                         AND enrolled.live_training_on + (greatest(enrolled.live_training_days, 1) - 1)
                             <= %(today)s::date
                         AND (enrolled.live_training_days >= 2 OR enrolled.collaborative_months >= 6)
                        THEN greatest(marks.course_on, ninth.held_on, ran.held_on) END AS trained_on
            FROM enrolled
            LEFT JOIN marks ON marks.enrollment_id = enrolled.id
            LEFT JOIN calls ninth ON ninth.enrollment_id = enrolled.id AND ninth.n = 9
            LEFT JOIN ran ON ran.enrollment_id = enrolled.id
            LEFT JOIN cases ON cases.clinician_id = enrolled.clinician_id
        )
        SELECT state, placement, to_char(trained_on, 'YYYY-MM'),
               CASE WHEN trained_on IS NOT NULL AND certified_on IS NOT NULL AND test_passed
                     AND cases >= 3 AND with_caregiver >= 2 AND degree IN ('masters', 'doctorate')
                     AND license_status = 'permanent' AND %(today)s::date < certified_on + interval '5 years'
                    THEN to_char(certified_on, 'YYYY-MM') END,
               count(*)
        FROM paths GROUP BY 1, 2, 3, 4""",
}


def queries(vendor: str) -> dict[str, str]:
    """The floor's queries in the database's dialect (``connection.vendor``)."""
    return QUERIES_POSTGRES if vendor == "postgresql" else QUERIES


def params(program: Any, start: date, end: date, today: date) -> dict[str, Any]:
    """The program, the period's first day and the day after its last month, today, PRACTICE's size."""
    from haven.care.models import Practice
    from haven.training.path import add_months

    return {
        "p": program.pk,
        "lo": start.isoformat(),
        "hi": add_months(end, 1).isoformat(),
        "today": today.isoformat(),
        "components": len(Practice.values),
    }


def run(cursor: Any, values: dict[str, Any], vendor: str = "sqlite") -> dict[str, list[tuple[Any, ...]]]:
    """Every floor query, fetched in full."""
    return {name: cursor.execute(sql, values).fetchall() for name, sql in queries(vendor).items()}


def agree(rows: dict[str, list[tuple[Any, ...]]], program: Any, today: date) -> list[str]:
    """Where the floor's figures differ from the dashboard's (whole program, every state); empty when equal."""
    from haven.care.models import AgeBand, Gender, Practice, RaceEthnicity
    from haven.measures import instruments
    from haven.reporting import figures

    filters = figures.Filters()
    start, end = filters.months(program)
    lo, hi = f"{start:%Y-%m}", f"{end:%Y-%m}"

    def inside(month: str | None) -> bool:
        return month is not None and lo <= month <= hi

    want = figures.care(program, filters, today=today)
    work = figures.workforce(program, filters, today=today)
    have: dict[str, Any] = {}
    totals: Counter[str] = Counter()
    by_state: dict[str, Counter[str]] = defaultdict(Counter)
    monthly: dict[str, Counter[str]] = defaultdict(Counter)
    for figure in ("children", "caregivers"):
        for state, month, n in rows[figure]:
            monthly[figure][month] += n
            if inside(month):
                totals[figure] += n
                by_state[state][figure] += n
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for band, gender, race, n in rows["groups"]:
        groups["age_band"][band] += n
        groups["gender"][gender] += n
        groups["race"][race] += n
    for figure, state, month, n in rows["episodes"]:
        if inside(month):
            totals[figure] += n
            if figure in figures.STATE_FIGURES:
                by_state[state][figure] += n
    totals["sessions"] = sum(n for month, n in rows["sessions"] if inside(month))
    have["totals"] = dict(totals)
    have["by_state"] = {
        state: {f: counts[f] for f in figures.STATE_FIGURES} for state, counts in sorted(by_state.items())
    }
    cumulative, running = [], Counter()
    for month in figures.program_months(program, until=today):
        running.update({f: monthly[f][f"{month:%Y-%m}"] for f in ("children", "caregivers")})
        cumulative.append((month, running["children"], running["caregivers"]))
    have["by_month"] = cumulative
    have["age_band"] = [(v, groups["age_band"][v]) for v in AgeBand.values]
    have["gender"] = [(v, groups["gender"][v]) for v in Gender.values]
    have["race"] = [(v, groups["race"][v]) for v in RaceEthnicity.values]
    have["median_wait_days"] = figures._median({str(days): n for days, n in rows["wait"]})
    have["median_sessions"] = figures._median({str(length): n for length, n in rows["length"]})
    ((episodes, all_eight),) = rows["practice"]
    components = dict(rows["practice_components"])
    have["practice"] = (episodes, all_eight, [(code, components.get(code, 0)) for code in Practice.values])
    pairs: dict[str, list[tuple[int, bool, bool, int]]] = defaultdict(list)
    pres: dict[str, Counter[int]] = defaultdict(Counter)
    for code, pre, post, n in rows["pairs"]:
        threshold = instruments.load(code).threshold
        eligible = threshold is not None and pre >= threshold
        pairs[code].append((post - pre, eligible, threshold is not None and post < threshold, n))
        pres[code][pre] += n
    have["outcomes"] = {
        i.code: figures.summarize(pairs[i.code], sorted(pres[i.code].items()), instrument=i)
        for i in instruments.all_instruments()
        if pairs.get(i.code)
    }
    placed_states = ("enrolled", "withdrawn")
    workforce: Counter[str] = Counter()
    work_states: dict[str, Counter[str]] = defaultdict(Counter)
    for state, placement, trained, certified, n in rows["workforce"]:
        workforce["nominated"] += n
        workforce["placed"] += n * (placement in placed_states)
        workforce["withdrawn"] += n * (placement == "withdrawn")
        workforce["trained"] += n * inside(trained)
        workforce["certified"] += n * inside(certified)
        work_states[state]["placed"] += n * (placement in placed_states)
        work_states[state]["trained"] += n * inside(trained)
        work_states[state]["certified"] += n * inside(certified)
    have["workforce"] = dict(workforce)
    have["workforce_by_state"] = {s: dict(c) for s, c in sorted(work_states.items())}

    expected = {
        "totals": {
            f: getattr(want, f)
            for f in ("children", "caregivers", "referred", "started", "completed", "ended", "pre_post", "sessions")
        },
        "by_state": want.by_state,
        "by_month": want.by_month,
        "age_band": want.age_band,
        "gender": want.gender,
        "race": want.race,
        "median_wait_days": want.median_wait_days,
        "median_sessions": want.median_sessions,
        "practice": (want.practice_episodes, want.practice_all, want.practice),
        "outcomes": {item.code: item.outcome for item in want.outcomes},
        "workforce": {
            "nominated": work.nominated,
            "placed": work.placed,
            "withdrawn": work.withdrawn,
            "trained": work.trained,
            "certified": work.certified,
        },
        "workforce_by_state": work.by_state,
    }
    problems = []
    for key, value in expected.items():
        got = have[key]
        if key == "totals":
            got = {f: got.get(f, 0) for f in value}
        if key == "workforce_by_state":
            value = {s: {f: c.get(f, 0) for f in ("placed", "trained", "certified")} for s, c in value.items()}
        if _plain(got) != _plain(value):
            problems.append(f"{key}: floor {_short(got)} != dashboard {_short(value)}")
    return problems


def _plain(value: Any) -> Any:
    """Dataclasses as dicts, floats rounded (the same sums taken in another order may differ in the last bits)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."
