"""Plain-language names of audit actions, and which of them are about a child. A new action adds its label here,
and, if it is about a child's records, its name to ``CHILD_LEVEL_ACTIONS``."""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "auth.password_ok": _("Password accepted"),
    "auth.sign_in": _("Signed in"),
    "auth.sign_in_failed": _("Failed sign-in"),
    "auth.lockout": _("Locked out after failed sign-ins"),
    "auth.slowdown": _("Sign-ins slowed down after failures from many places"),
    "auth.mfa_failed": _("Wrong second-factor code"),
    "auth.sign_out": _("Signed out"),
    "auth.password_change": _("Changed password"),
    "mfa.enable": _("Turned on the second factor"),
    "mfa.disable": _("Turned off the second factor"),
    "mfa.recovery_codes_regenerate": _("Made new recovery codes"),
    "mfa.recovery_code_used": _("Signed in with a recovery code"),
    "user.create": _("Account created"),
    "user.deactivate": _("Account closed"),
    "organization.create": _("Organization added"),
    "data.generate": _("Demo data generated"),
    "audit.seal": _("Earlier audit entries sealed with the audit key"),
    "audit.checkpoint": _("Audit log checkpoint taken"),
    "invitation.create": _("Invitation sent"),
    "invitation.revoke": _("Invitation withdrawn"),
    "membership.create": _("Role granted"),
    "membership.bootstrap": _("First program admin created at the command line"),
    "membership.deactivate": _("Role removed"),
    "membership.reactivate": _("Role given back"),
    "membership.grant": _("Role given, waiting for a second person's approval"),
    "membership.approve": _("Role approved by a second person"),
    "membership.decline": _("Role declined by a second person"),
    "program.create": _("Program created"),
    "program.update": _("Program changed"),
    "cohort.create": _("Cohort planned"),
    "cohort.update": _("Cohort changed"),
    "calendar.change": _("Program's closed days changed"),
    "enrollment.nominate": _("Clinician nominated"),
    "enrollment.place": _("Clinician placed in a cohort"),
    "enrollment.withdraw": _("Clinician withdrawn"),
    "enrollment.transfer": _("Clinician moved to another cohort"),
    "attendance.record": _("Call attendance recorded"),
    "milestone.record": _("Milestone recorded"),
    "import.apply": _("File imported"),
    "certification.reminders": _("Renewal reminders sent"),
    "report.release": _("Quarter's funder figures released"),
    "report.export": _("Funder figures downloaded"),
    "report.request": _("Quarterly report requested"),
    "report.generate": _("Quarterly report generated"),
    "report.download": _("Quarterly report downloaded"),
    "child.register": _("Child registered"),
    "child.view": _("Child record opened"),
    "child.list": _("Child records listed"),
    "episode.open": _("Episode opened"),
    "episode.close": _("Episode closed"),
    "episode.reopen": _("Episode reopened"),
    "episode.handover": _("Episode handed over"),
    "session.record": _("Session recorded"),
    "session.delete": _("Session deleted"),
    "assessment.record": _("Measure recorded"),
    "assessment.delete": _("Measure deleted"),
    "assessment.rescore": _("Measures rescored"),
    "alert.acknowledge": _("Critical answer acknowledged"),
    "care.import": _("Sessions or measures imported"),
}

ACTION_GROUPS: dict[str, Promise] = {
    "auth.": _("Sign-in"),
    "mfa.": _("Second factor"),
    "membership.": _("Memberships"),
    "invitation.": _("Invitations"),
    "program.": _("Programs"),
    "enrollment.": _("Enrollments"),
    "import.": _("Imports"),
    "child.": _("Child records"),
    "episode.": _("Episodes"),
    "session.": _("Sessions"),
    "assessment.": _("Measures"),
}


# Events about a child's records. Only the admins of the CAC they belong to see which records; anyone else who may
# read the log (the program admin) sees that they happened, by whom and when, with counts and no ids.
# audit/tests/test_child_level.py fails when an action about a care record is missing here.
CHILD_LEVEL_ACTIONS = frozenset(
    {
        "child.register",
        "child.view",
        "child.list",
        "episode.open",
        "episode.close",
        "episode.reopen",
        "episode.handover",
        "session.record",
        "session.delete",
        "assessment.record",
        "assessment.delete",
        "assessment.rescore",
        "alert.acknowledge",
        "care.import",
    }
)
# Detail keys that name child-level records: an event carrying one is child-level whatever its action.
CHILD_RECORD_KEYS = frozenset(
    {"child", "children", "episode", "episodes", "session", "sessions", "assessment", "assessments", "alert"}
)
# The numbers a child-level event's detail may show when its ids are hidden: counts only. Anything else is left out
# (fail closed), and a list shows as how many it holds.
COUNT_KEYS = frozenset({"alerts", "rows", "create", "unchanged", "count"})
SYSTEM_ACTOR = _("Haven (system)")
UNKNOWN_ACTOR = _("unknown")


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def is_child_level(action: str, target_type: str, detail: dict[str, Any]) -> bool:
    return (
        action in CHILD_LEVEL_ACTIONS
        or target_type.partition(".")[0] == "care"
        or not CHILD_RECORD_KEYS.isdisjoint(detail)
    )


def detail_items(detail: dict[str, Any], *, ids: bool) -> list[tuple[str, str]]:
    """A detail as (key, value) pairs to show: in full, or (``ids=False``) with counts only."""
    items = []
    for key, value in sorted(detail.items()):
        if isinstance(value, list):
            shown = ", ".join(str(item) for item in value) if ids else str(len(value))
        elif ids or (key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool)):
            shown = str(value)
        else:
            continue
        items.append((key, shown))
    return items


def actor_name(entry: Any) -> str:
    """Who did it: a person, Haven itself (a scheduled or background job), or an unknown e-mail at sign-in."""
    if entry.actor is not None:
        return str(entry.actor.full_name or UNKNOWN_ACTOR)
    return str(UNKNOWN_ACTOR if entry.action.startswith("auth.") else SYSTEM_ACTOR)
