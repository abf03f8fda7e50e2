"""Plain-language names of audit actions. A new action adds its label here."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "auth.sign_in": _("Signed in"),
    "auth.sign_in_failed": _("Failed sign-in"),
    "auth.lockout": _("Locked out after failed sign-ins"),
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
    "invitation.create": _("Invitation sent"),
    "invitation.revoke": _("Invitation withdrawn"),
    "membership.create": _("Role granted"),
    "membership.deactivate": _("Role removed"),
    "membership.reactivate": _("Role given back"),
    "program.create": _("Program created"),
    "program.update": _("Program changed"),
    "cohort.create": _("Cohort planned"),
    "cohort.update": _("Cohort changed"),
    "enrollment.nominate": _("Clinician nominated"),
    "enrollment.place": _("Clinician placed in a cohort"),
    "enrollment.withdraw": _("Clinician withdrawn"),
    "enrollment.transfer": _("Clinician moved to another cohort"),
    "attendance.record": _("Call attendance recorded"),
    "milestone.record": _("Milestone recorded"),
    "import.apply": _("File imported"),
    "certification.reminders": _("Renewal reminders sent"),
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


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
