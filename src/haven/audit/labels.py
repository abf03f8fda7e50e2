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
    "fund.create": _("Fund created"),
    "fund.receipt": _("Money received from a funder"),
    "grant.create": _("Grant drafted"),
    "grant.update": _("Grant changed"),
    "grant.approve": _("Grant approved and committed"),
    "grant.activate": _("Grant started"),
    "grant.close": _("Grant closed"),
    "staff.create": _("Member of staff added"),
    "staff.update": _("Member of staff changed"),
    "staff.deactivate": _("Member of staff deactivated"),
    "staff.reactivate": _("Member of staff given access back"),
    "learning.course_create": _("Course created"),
    "learning.course_update": _("Course changed"),
    "learning.version_create": _("Course version drafted"),
    "learning.version_update": _("Course version's settings changed"),
    "learning.version_publish": _("Course version published"),
    "learning.module_create": _("Course module added"),
    "learning.module_update": _("Course module changed"),
    "learning.module_move": _("Course module moved"),
    "learning.module_delete": _("Course module removed"),
    "learning.question_create": _("Quiz question added"),
    "learning.question_update": _("Quiz question changed"),
    "learning.question_delete": _("Quiz question removed"),
    "learning.overdue_export": _("Overdue staff downloaded"),
    "tranche.create": _("Tranche added to a grant"),
    "tranche.update": _("Tranche changed"),
    "tranche.delete": _("Tranche removed"),
    "tranche.met": _("Tranche's condition met"),
    "tranche.release": _("Tranche released for payment"),
    "payment.create": _("Payment proposed"),
    "payment.approve": _("Payment approved"),
    "payment.pay": _("Payment paid"),
    "payment.cancel": _("Payment cancelled"),
    "rates.import": _("Euro reference rates imported"),
    "report.schedule": _("Grant reports scheduled"),
    "report.submit": _("Grant report submitted"),
    "report.accept": _("Grant report accepted"),
    "report.return": _("Grant report sent back"),
    "report.reminders": _("Grant report reminders sent"),
    "money.rules": _("Program's money rules changed"),
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
    "evaluation.request": _("Evaluation export requested"),
    "evaluation.approve": _("Evaluation export approved"),
    "evaluation.decline": _("Evaluation export declined"),
    "evaluation.build": _("Evaluation export built"),
    "evaluation.fail": _("Evaluation export failed to build"),
    "evaluation.passphrase": _("Evaluation export's passphrase shown"),
    "evaluation.download": _("Evaluation export downloaded"),
    "evaluation.expire": _("Evaluation export expired and deleted"),
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
    "learning.content_install": _("Standard courses and policy installed"),
    "auth.sso_sign_in": _("Signed in through the company's single sign-on"),
    "auth.sso_refused": _("Single sign-on refused"),
    "learning.settings_update": _("Learning settings changed"),
    "learning.statements_sent": _("Learning records sent to the company's store"),
    "learning.statements_send_failed": _("Learning records not accepted by the company's store"),
    "learning.statements_download": _("Learning records downloaded"),
    "learning.module_complete": _("Course module read"),
    "learning.attempt_start": _("Quiz attempt started"),
    "learning.attempt_submit": _("Quiz attempt submitted"),
    "learning.course_complete": _("Course completed and certificate issued"),
    "staff.manager_set": _("Manager of a member of staff set"),
    "staff.group_create": _("Staff group added"),
    "staff.group_update": _("Staff group changed"),
    "staff.group_delete": _("Staff group deleted"),
    "staff.import": _("Staff table imported"),
    "learning.scim_token_create": _("Provisioning token made"),
    "learning.scim_token_revoke": _("Provisioning token revoked"),
    "membership.provision_bulk": _("Roles given or ended by a staff table"),
    "learning.assign": _("Courses assigned by the rules"),
    "learning.rule_create": _("Assignment rule added"),
    "learning.rule_update": _("Assignment rule changed"),
    "learning.rule_deactivate": _("Assignment rule deactivated"),
    "learning.rule_reactivate": _("Assignment rule reactivated"),
    "learning.reminders": _("Learning reminders sent"),
    "learning.policy_create": _("Policy added"),
    "learning.policy_version_save": _("Policy version written"),
    "learning.policy_publish": _("Policy version published"),
    "learning.attest": _("Policy attested"),
    "safeguarding.submission_create": _("Creative submission drafted"),
    "safeguarding.submission_update": _("Creative submission changed"),
    "safeguarding.asset_add": _("File added to a creative submission"),
    "safeguarding.asset_replace": _("File of a creative submission replaced"),
    "safeguarding.asset_remove": _("File removed from a creative submission"),
    "safeguarding.approvals_void": _("Approvals voided: the files changed"),
    "safeguarding.submit": _("Creative work submitted for review"),
    "safeguarding.resubmit": _("Creative work resubmitted for review"),
    "safeguarding.review_start": _("Creative review started"),
    "safeguarding.checklist_answer": _("Safeguarding checklist answered"),
    "safeguarding.approve": _("Creative work approved"),
    "safeguarding.changes": _("Changes asked of creative work"),
    "safeguarding.reject": _("Creative work rejected"),
    "safeguarding.watch_terms": _("Watch list changed"),
    "safeguarding.gate_token_create": _("Publish gate token made"),
    "safeguarding.settings_update": _("Review settings changed"),
    "safeguarding.comment": _("Comment on a creative submission"),
    "safeguarding.reminders": _("Review reminders sent"),
    "safeguarding.asset_view": _("File of a creative submission viewed"),
    "safeguarding.gate_token_revoke": _("Publish gate token revoked"),
    "safeguarding.gate_query": _("Publish gate asked about a file"),
    "awareness.campaign_create": _("Awareness campaign planned"),
    "awareness.campaign_update": _("Awareness campaign changed"),
    "awareness.campaign_live": _("Awareness campaign went live"),
    "awareness.campaign_end": _("Awareness campaign ended"),
    "awareness.campaign_cancel": _("Awareness campaign cancelled"),
    "awareness.links_add": _("Tracked campaign links made"),
    "awareness.results_import": _("Campaign results imported"),
    "awareness.event_create": _("Awareness event added"),
    "awareness.event_update": _("Awareness event changed"),
    "safeguarding.page_view": _("Page of a creative file viewed for review"),
    "api.key_create": _("API key made"),
    "api.key_revoke": _("API key revoked"),
    "webhook.subscribe": _("Webhook subscribed"),
    "webhook.pause": _("Webhook paused"),
    "webhook.resume": _("Webhook resumed"),
    "webhook.delete": _("Webhook deleted"),
    "care.batch": _("Care records pushed by a CAC's system"),
    "backup.create": _("Database backed up"),
    "backup.restore": _("Database restored from a backup"),
    "mfa.reseal": _("Authenticator keys sealed under the current key"),
    "webhook.reseal": _("Webhook secrets sealed under the current key"),
    "keys.rotate": _("A key rotated (a new key made, the old one kept to verify)"),
    "care.pseudonyms_rekey": _("Children's case keys re-keyed under the current pseudonym key"),
    "retention.update": _("Retention policy changed"),
    "retention.apply": _("Children's records de-identified under the retention policy"),
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
    "fund.": _("Funds"),
    "grant.": _("Grants"),
    "tranche.": _("Tranches"),
    "payment.": _("Payments"),
    "rates.": _("Exchange rates"),
    "staff.": _("Staff"),
    "learning.": _("Staff learning"),
    "safeguarding.": _("Creative review"),
    "awareness.": _("Awareness campaigns"),
    "keys.": _("Keys"),
    "retention.": _("Retention"),
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
        "care.batch",
        "care.pseudonyms_rekey",
        "retention.apply",
    }
)
# Detail keys that name child-level records: an event carrying one is child-level whatever its action.
CHILD_RECORD_KEYS = frozenset(
    {"child", "children", "episode", "episodes", "session", "sessions", "assessment", "assessments", "alert"}
)
# The numbers a child-level event's detail may show when its ids are hidden: counts only. Anything else is left out
# (fail closed), and a list shows as how many it holds.
COUNT_KEYS = frozenset(
    {
        "alerts",
        "rows",
        "create",
        "unchanged",
        "count",
        "rekeyed",
        "remaining",
        "registered_twice",
        "unknown_key",
        "resealed",
        "current",
    }
)
SYSTEM_ACTOR = _("Haven (system)")
UNKNOWN_ACTOR = _("unknown")
# The detail key naming the task or management command that wrote an entry without a request ("task:<name>",
# "command:<name>", from ``context.running``): shown as who did it, not among the details.
VIA = "via"
VIA_LABELS: dict[str, Promise] = {
    "task": _("Haven, by the background task “%(name)s”"),
    "command": _("Haven, by the command “manage.py %(name)s”"),
    "scim": _("Haven, for the identity provider holding provisioning token %(name)s"),
}

# What each kind of record is, in words: the log's Record column names a record by its kind and, where it has one,
# its name (``RECORD_NAMES``), else its number. Every model of Haven has a kind here (audit/tests/test_log.py).
RECORD_KINDS: dict[str, Promise] = {
    "organizations.organization": _("Organization"),
    "organizations.membership": _("Role"),
    "organizations.invitation": _("Invitation"),
    "organizations.membershipgrant": _("Role approval"),
    "accounts.user": _("Account"),
    "accounts.signinthrottle": _("Sign-in limit"),
    "accounts.accountslowdown": _("Sign-in slowdown"),
    "accounts.knownbrowser": _("Known browser"),
    "accounts.authenticator": _("Authenticator app"),
    "accounts.recoverycodes": _("Recovery codes"),
    "otp_totp.totpdevice": _("Authenticator app"),  # entries written before the authenticator's proxy
    "audit.auditentry": _("Audit entry"),
    "programs.program": _("Program"),
    "programs.programfunder": _("Program's funder"),
    "programs.programtarget": _("Program target"),
    "training.certificationpath": _("Certification path"),
    "training.cohort": _("Cohort"),
    "training.cohorttrainer": _("Cohort's trainer"),
    "training.closedday": _("Closed day"),
    "training.cohortevent": _("Cohort calendar event"),
    "training.consultationcall": _("Consultation call"),
    "training.enrollment": _("Enrollment"),
    "training.transfer": _("Transfer"),
    "training.attendance": _("Attendance"),
    "training.milestone": _("Milestone"),
    "training.renewalreminder": _("Renewal reminder"),
    "training.figuresversion": _("Figures version"),
    "training.keptpath": _("Kept certification path"),
    "care.treatmentmodel": _("Treatment model"),
    "care.child": _("Child"),
    "care.episode": _("Episode"),
    "care.handover": _("Handover"),
    "care.session": _("Session"),
    "care.assessment": _("Measure"),
    "care.pastscore": _("Earlier score"),
    "care.criticalalert": _("Critical answer"),
    "reporting.childserved": _("Child served"),
    "care.importmapping": _("Import columns"),
    "reporting.caccell": _("CAC figure"),
    "reporting.statecell": _("State figure"),
    "reporting.programcell": _("Program figure"),
    "reporting.quarterlyreport": _("Quarterly report"),
    "evaluation.exportrequest": _("Evaluation export"),
    "reporting.releasedquarter": _("Released quarter"),
    "grants.moneyrules": _("Money rules"),
    "grants.moneyversion": _("Money figures version"),
    "grants.fund": _("Fund"),
    "grants.receipt": _("Receipt"),
    "grants.grant": _("Grant"),
    "grants.budgetline": _("Budget line"),
    "grants.tranche": _("Tranche"),
    "grants.payment": _("Payment"),
    "grants.grantreport": _("Grant report"),
    "grants.expenseline": _("Expense line"),
    "grants.reportreminder": _("Report reminder"),
    "grants.ledgeraccount": _("Ledger account"),
    "grants.ledgertransaction": _("Ledger transaction"),
    "grants.ledgerleg": _("Ledger leg"),
    "grants.eurorate": _("Euro reference rate"),
    "learning.staffmember": _("Member of staff"),
    "learning.staffgroup": _("Staff group"),
    "learning.scimtoken": _("Provisioning token"),
    "learning.learningsettings": _("Learning settings"),
    "learning.course": _("Course"),
    "learning.courseversion": _("Course version"),
    "learning.module": _("Course module"),
    "learning.question": _("Quiz question"),
    "learning.choice": _("Quiz answer"),
    "learning.assignmentrule": _("Assignment rule"),
    "learning.assignment": _("Course assignment"),
    "learning.modulecompletion": _("Module completed"),
    "learning.quizattempt": _("Quiz attempt"),
    "learning.learningreminder": _("Learning reminder"),
    "learning.policy": _("Policy"),
    "learning.policyversion": _("Policy version"),
    "learning.attestation": _("Policy attestation"),
    "learning.certificate": _("Certificate"),
    "learning.xapistatement": _("xAPI statement"),
    "learning.usednonce": _("Single sign-on nonce used"),
    "safeguarding.safeguardingsettings": _("Review settings"),
    "safeguarding.checklistversion": _("Checklist version"),
    "safeguarding.checklistitem": _("Checklist item"),
    "safeguarding.submission": _("Creative submission"),
    "safeguarding.asset": _("Creative file"),
    "safeguarding.assettext": _("Text read in a file"),
    "safeguarding.watchterm": _("Watched term"),
    "safeguarding.checklistanswer": _("Checklist answer"),
    "safeguarding.decision": _("Review decision"),
    "safeguarding.comment": _("Review comment"),
    "safeguarding.reviewreminder": _("Review reminder"),
    "safeguarding.gatetoken": _("Publish gate token"),
    "awareness.awarenessevent": _("Awareness event"),
    "awareness.campaign": _("Awareness campaign"),
    "awareness.campaignlink": _("Campaign link"),
    "awareness.campaignresult": _("Campaign results"),
    "learning.learningversion": _("Learning figures version"),
    "safeguarding.reviewsversion": _("Creative review figures version"),
    "api.apikey": _("API key"),
    "api.ratewindow": _("API requests counted in a minute"),
    "api.webhookendpoint": _("Webhook"),
    "api.webhookdelivery": _("Webhook delivery"),
    "api.senderrecord": _("Record sent by a system"),
    "programs.retentionpolicy": _("Retention policy"),
}
# The field that names a record of a kind, for the log's readers (a child's code only to those who see its ids).
RECORD_NAMES: dict[str, str] = {
    "organizations.organization": "name",
    "organizations.membership": "user__full_name",
    "organizations.membershipgrant": "membership__user__full_name",
    "accounts.user": "full_name",
    "programs.program": "name",
    "training.cohort": "name",
    "training.closedday": "name",
    "training.enrollment": "clinician__full_name",
    "training.milestone": "enrollment__clinician__full_name",
    "care.treatmentmodel": "name",
    "care.child": "display_code",
    "care.episode": "child__display_code",
    "reporting.quarterlyreport": "program__name",
    "evaluation.exportrequest": "evaluator",
    "reporting.releasedquarter": "quarter",
    "grants.fund": "name",
    "grants.grant": "purpose",
}


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
        if key == VIA:  # shown as who acted
            continue
        if isinstance(value, list):
            shown = ", ".join(str(item) for item in value) if ids else str(len(value))
        elif ids or (key in COUNT_KEYS and isinstance(value, int) and not isinstance(value, bool)):
            shown = str(value)
        else:
            continue
        items.append((key, shown))
    return items


def actor_name(entry: Any) -> str:
    """Who did it: a person; Haven itself, naming the background task or command when the entry says which; or an
    unknown e-mail at sign-in."""
    if entry.actor is not None:
        return str(entry.actor.full_name or UNKNOWN_ACTOR)
    via = entry.detail.get(VIA) if isinstance(entry.detail, dict) else None
    kind, _colon, name = str(via or "").partition(":")
    if kind in VIA_LABELS and name:
        return str(VIA_LABELS[kind]) % {"name": name}
    return str(UNKNOWN_ACTOR if entry.action.startswith("auth.") else SYSTEM_ACTOR)


def record_kind(target_type: str) -> str:
    """A kind of record in words (the stored label when Haven has no such kind any more)."""
    return str(RECORD_KINDS.get(target_type, target_type))
