from collections import Counter
from haven.care import services
from haven.programs import services as ps
from haven.training import services as ts
from haven.reporting.tests.test_kept import test_kept_cells_equal_a_recomputation_after_any_sequence_of_care_writes as inner, nominee  # noqa


def test_scratch(monkeypatch, cac, other_cac, national, program, cohort, program_admin, clinician, colleague, other_clinician, nominee):
    counts = Counter()
    def wrap(mod, name):
        real = getattr(mod, name)
        def f(*a, **k):
            counts[name] += 1
            if name == "episode_close":
                counts["close_" + k["status"]] += 1
            return real(*a, **k)
        monkeypatch.setattr(mod, name, f)
    for n in ["child_register", "episode_open", "session_record", "session_delete", "assessment_record", "assessment_delete", "episode_close", "episode_reopen", "episode_handover"]:
        wrap(services, n)
    wrap(ps, "program_save"); wrap(ts, "enrollment_place")
    inner(cac, other_cac, national, program, cohort, program_admin, clinician, colleague, other_clinician, nominee)
    print(dict(counts))
