"""Generator step, after the program's: the corporate partner's staff and their child-protection learning.

``scale.staff`` members of staff (the partner's learners from the organizations step among them) in departments,
teams and about twenty countries, each with a manager and a hire date, French-speaking in French-speaking
countries; the standard courses and policy (``content_install``); the base course assigned to everyone and the
creative course to Creative and Marketing, most completed (quiz attempts, module completions, certificates), some
overdue, some not yet due, a few from the cycle before; most of the active staff attested the policy; a few staff
left (deactivated, their history kept). The demo learner gets a staff record with the base course open. Written in
bulk; nothing is announced or audited one by one (the generator's one audit entry counts it all).
"""

import base64
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from haven.accounts.models import User
from haven.core.db import insert_rows
from haven.core.generation import GenerationContext
from haven.organizations.generate import FIRST_NAMES, LAST_NAMES, allocate
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import Role
from haven.organizations.services import memberships_provision_bulk, memberships_seed_by_system

from . import version
from .content_install import install_standard_content
from .models import (
    Assignment,
    AssignmentRule,
    Attestation,
    Certificate,
    Choice,
    CourseVersion,
    LearningSettings,
    Module,
    ModuleCompletion,
    PolicyVersion,
    QuizAttempt,
    RuleTarget,
    StaffMember,
    VersionStatus,
)

DEMO_LEARNER = "learner@haven.example"
DEPARTMENTS = {
    "Retail": 38,
    "Creative": 10,
    "Marketing": 9,
    "Logistics": 12,
    "Customer Care": 8,
    "Finance": 6,
    "IT": 7,
    "HR": 4,
    "Legal": 2,
    "Communications": 4,
}
CREATIVE_DEPARTMENTS = ("Creative", "Marketing")
COUNTRIES = {
    "FR": 22,
    "IT": 12,
    "US": 14,
    "GB": 7,
    "DE": 5,
    "ES": 5,
    "CH": 3,
    "BE": 3,
    "LU": 1,
    "MC": 1,
    "NL": 2,
    "JP": 6,
    "CN": 6,
    "KR": 3,
    "HK": 2,
    "SG": 2,
    "AE": 2,
    "CA": 2,
    "AU": 2,
    "MX": 1,
}
FRENCH_SPEAKING = frozenset({"FR", "BE", "CH", "LU", "MC"})
TEAM_SIZE = 25
ROLLOUT_DAYS = 300  # the base course went out this many days ago (the current cycle); the one before, a year before
DUE_DAYS = 30


@dataclass
class _Person:
    user_id: int
    department: str
    country: str
    hired_on: date
    active: bool


def run(ctx: GenerationContext) -> None:
    today = timezone.localdate()
    company = Organization.objects.get(pk=ctx.shared["partner_id"])
    installed = install_standard_content(company=company, actor=None)
    rollout = today - timedelta(days=ROLLOUT_DAYS)
    published = _at(rollout - timedelta(days=7), 9)
    CourseVersion.objects.in_org(company).filter(status=VersionStatus.PUBLISHED).update(published_at=published)
    PolicyVersion.objects.in_org(company).update(published_at=published)
    LearningSettings.objects.create(organization=company, program_id=ctx.shared.get("program_id"))

    people = _people(ctx, company, today)
    staff_ids = _staff(ctx, company, people)
    demo_user = ctx.shared.get("demo_user_ids", {}).get(DEMO_LEARNER)

    base, creative = installed.child_protection, installed.safeguarding_creative
    base_rule = AssignmentRule.objects.create(organization=company, course=base, due_days=DUE_DAYS)
    creative_rules = {
        department: AssignmentRule.objects.create(
            organization=company, course=creative, target=RuleTarget.DEPARTMENT, value=department, due_days=DUE_DAYS
        )
        for department in CREATIVE_DEPARTMENTS
    }
    versions = {v.course_id: v for v in CourseVersion.objects.in_org(company).filter(status=VersionStatus.PUBLISHED)}
    plans: list[tuple[Assignment, str]] = []  # (assignment, outcome: done / open / failed)
    for person, staff_id in zip(people, staff_ids, strict=True):
        if person.user_id == demo_user:
            continue
        courses = [(base, base_rule)]
        if person.department in CREATIVE_DEPARTMENTS:
            courses.append((creative, creative_rules[person.department]))
        for course, rule in courses:
            plans += _assignments(
                ctx, company, staff_id, person, course.pk, versions[course.pk].pk, rule.pk, rollout, today
            )
    if demo_user is not None:
        demo_staff = staff_ids[[p.user_id for p in people].index(demo_user)]
        plans.append(
            (
                _assignment(company, demo_staff, base.pk, versions[base.pk].pk, base_rule.pk, today, None),
                "untouched",
            )
        )
    created = Assignment.objects.bulk_create([a for a, _outcome in plans], batch_size=2000)
    ctx.count("course assignments", len(created))
    _progress(ctx, company, list(zip(created, (outcome for _a, outcome in plans), strict=True)), versions)
    _attestations(ctx, company, people, staff_ids, demo_user, rollout, today)
    version.bump(company)  # the dashboard's figures cached for an earlier database are never read for this one


def _rng(ctx: GenerationContext) -> random.Random:
    """The step's own generator, seeded by the run's seed: the steps after it make the same data as without it."""
    found = ctx.shared.setdefault("learning_rng", random.Random(f"learning:{ctx.seed}"))  # noqa: S311 - demo data
    assert isinstance(found, random.Random)  # noqa: S101 - what the step put there
    return found


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _people(ctx: GenerationContext, company: Organization, today: date) -> list[_Person]:
    """Who the staff are: the partner's learners already made, then new people up to ``scale.staff``."""
    rng = _rng(ctx)
    demo_user = ctx.shared.get("demo_user_ids", {}).get(DEMO_LEARNER)
    learners = list(
        Membership.objects.in_org(company)
        .filter(role=Role.LEARNER, is_active=True)
        .exclude(user_id=demo_user)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    total = max(ctx.scale.staff, len(learners))
    unusable = make_password(None)
    now = timezone.now()
    new_users = [
        User(
            email=f"{first}.{last}.{n}@staff.balenciaga.example".lower(),
            full_name=f"{first} {last}",
            password=unusable,
            date_joined=now,
        )
        for n in range(total - len(learners))
        for first, last in [(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))]
    ]
    made = User.objects.bulk_create(new_users, batch_size=2000)
    ctx.count("users", len(made))
    user_ids = learners + [user.pk for user in made]
    departments = _spread(rng, allocate(total, DEPARTMENTS))
    countries = _spread(rng, allocate(total, COUNTRIES))
    people = []
    for user_id, department, country in zip(user_ids, departments, countries, strict=True):
        # Most were hired years ago; about one in twelve in the last three months (their course not yet due).
        days = rng.randint(0, 90) if rng.random() < 0.08 else rng.randint(90, 15 * 365)
        people.append(_Person(user_id, department, country, today - timedelta(days=days), rng.random() > 0.03))
    if demo_user is not None:
        people.append(_Person(demo_user, "Retail", "US", today - timedelta(days=400), True))
    return people


def _spread(rng: random.Random, counts: dict[str, int]) -> list[str]:
    values = [key for key, n in counts.items() for _ in range(n)]
    rng.shuffle(values)
    return values


def _staff(ctx: GenerationContext, company: Organization, people: list[_Person]) -> list[int]:
    """The staff records, written managers first: a head per department and country, a team lead per team of
    about 25 who reports to the head, and the members, who report to their lead. Learner memberships for the new
    people; those who left are deactivated (their membership too)."""
    users = {u.pk: u for u in User.objects.filter(pk__in=[p.user_id for p in people]).only("pk", "email", "full_name")}
    groups: dict[tuple[str, str], list[int]] = {}
    for index, person in enumerate(people):
        groups.setdefault((person.department, person.country), []).append(index)
    now = timezone.now()

    def record(index: int, team: str, manager_id: int | None) -> StaffMember:
        person = people[index]
        user = users[person.user_id]
        given, _space, family = user.full_name.partition(" ")
        return StaffMember(
            organization=company,
            user_id=person.user_id,
            user_name=user.email,
            external_id=f"idp-{person.user_id}",
            employee_number=f"E{100000 + index}",
            given_name=given,
            family_name=family,
            department=person.department,
            team=team,
            country=person.country,
            language="fr" if person.country in FRENCH_SPEAKING else "en",
            manager_id=manager_id,
            hired_on=person.hired_on,
            is_active=person.active,
            deactivated_at=None if person.active else now,
        )

    ids: dict[int, int] = {}
    heads = {key: members[0] for key, members in groups.items()}
    for made, index in zip(
        StaffMember.objects.bulk_create([record(i, f"{d} {c} leadership", None) for (d, c), i in heads.items()]),
        heads.values(),
        strict=True,
    ):
        ids[index] = made.pk
    leads: list[tuple[int, str, int]] = []
    members: list[tuple[int, str, int]] = []
    for (department, country), indexes in groups.items():
        rest = indexes[1:]
        for team_number, start in enumerate(range(0, len(rest), TEAM_SIZE), start=1):
            team = f"{department} {country} {team_number}"
            team_members = rest[start : start + TEAM_SIZE]
            leads.append((team_members[0], team, ids[indexes[0]]))
            members += [(i, team, team_members[0]) for i in team_members[1:]]
    made = StaffMember.objects.bulk_create([record(i, t, m) for i, t, m in leads], batch_size=2000)
    ids.update({i: s.pk for (i, _t, _m), s in zip(leads, made, strict=True)})
    made = StaffMember.objects.bulk_create([record(i, t, ids[m]) for i, t, m in members], batch_size=2000)
    ids.update({i: s.pk for (i, _t, _m), s in zip(members, made, strict=True)})
    with_role = set(Membership.objects.in_org(company).filter(role=Role.LEARNER).values_list("user_id", flat=True))
    seeded = memberships_seed_by_system(
        rows=[(p.user_id, company.pk, Role.LEARNER) for p in people if p.user_id not in with_role]
    )
    ctx.count("memberships", seeded)
    left = [p.user_id for p in people if not p.active]
    memberships_provision_bulk(actor=None, organization=company, role=Role.LEARNER, give=[], end=left)
    ctx.count("staff", len(people))
    ctx.count("staff who left", len(left))
    return [ids[i] for i in range(len(people))]


def _assignment(
    company: Organization,
    staff_id: int,
    course_id: int,
    version_id: int,
    rule_id: int,
    assigned_on: date,
    completed_at: datetime | None,
) -> Assignment:
    return Assignment(
        organization=company,
        staff_id=staff_id,
        course_id=course_id,
        version_id=version_id,
        rule_id=rule_id,
        assigned_on=assigned_on,
        due_on=assigned_on + timedelta(days=DUE_DAYS),
        completed_at=completed_at,
    )


def _assignments(
    ctx: GenerationContext,
    company: Organization,
    staff_id: int,
    person: _Person,
    course_id: int,
    version_id: int,
    rule_id: int,
    rollout: date,
    today: date,
) -> list[tuple[Assignment, str]]:
    """One member of staff's assignments of one course: the cycle before (completed), then this cycle's."""
    rng = _rng(ctx)
    made: list[tuple[Assignment, str]] = []
    before = rollout - timedelta(days=365)
    if person.hired_on < before and rng.random() < 0.6:
        done = _at(before + timedelta(days=rng.randint(1, DUE_DAYS + 10)), rng.randint(8, 18))
        made.append((_assignment(company, staff_id, course_id, version_id, rule_id, before, done), "done"))
    assigned_on = max(rollout, person.hired_on)
    due_on = assigned_on + timedelta(days=DUE_DAYS)
    # Most complete by the due date, some late, about one in ten is overdue now; new starters are still at it.
    share_done = 0.9 if due_on < today else 0.4
    if rng.random() < share_done:
        latest = min(today - timedelta(days=1), due_on + timedelta(days=20))
        days = max(0, (latest - assigned_on).days)
        day = assigned_on + timedelta(days=min(days, int(rng.triangular(0, days, days * 0.4))))
        completed = _at(day, rng.randint(8, 18))
        made.append((_assignment(company, staff_id, course_id, version_id, rule_id, assigned_on, completed), "done"))
    else:
        outcome = "failed" if rng.random() < 0.3 else "open"
        made.append((_assignment(company, staff_id, course_id, version_id, rule_id, assigned_on, None), outcome))
    return made


def _progress(
    ctx: GenerationContext,
    company: Organization,
    assignments: list[tuple[Assignment, str]],
    versions: dict[int, CourseVersion],
) -> None:
    """Quiz attempts (a fifth of those who passed failed once first), module completions and certificates."""
    rng = _rng(ctx)
    modules: dict[int, list[int]] = {}
    for module in Module.objects.in_org(company).order_by("position"):
        modules.setdefault(module.version_id, []).append(module.pk)
    bank: dict[int, list[tuple[int, list[int], set[int]]]] = {}
    for choice in Choice.objects.in_org(company).select_related("question").order_by("question__position", "position"):
        questions = bank.setdefault(choice.question.version_id, [])
        if not questions or questions[-1][0] != choice.question_id:
            questions.append((choice.question_id, [], set()))
        questions[-1][1].append(choice.pk)
        if choice.is_correct:
            questions[-1][2].add(choice.pk)
    attempts, completions, certificates = [], [], []
    for assignment, outcome in assignments:
        version = versions[assignment.course_id]
        version_modules = modules.get(version.pk, [])
        questions = bank.get(version.pk, [])
        if outcome == "untouched":
            continue
        if outcome == "done":
            assert assignment.completed_at is not None  # noqa: S101 - a completed plan has its time
            end = assignment.completed_at
            read = version_modules
            tries = [False, True] if rng.random() < 0.2 else [True]
        else:
            end = _at(assignment.assigned_on + timedelta(days=rng.randint(0, 10)), 12)
            read = version_modules if outcome == "failed" else version_modules[: rng.randint(0, len(version_modules))]
            tries = [False] if outcome == "failed" else []
        for position, module_id in enumerate(read):
            moment = end - timedelta(minutes=10 * (len(read) - position) + 15)
            completions.append((company.pk, assignment.pk, module_id, moment))
        for number, passed in enumerate(tries, start=1):
            drawn = rng.sample(questions, min(len(questions), version.questions_per_attempt or len(questions)))
            needed = -(-len(drawn) * version.pass_mark // 100)
            right = rng.randint(needed, len(drawn)) if passed else rng.randint(0, max(0, needed - 1))
            answers = {
                str(qid): sorted(correct) if n < right else [next(c for c in choices if c not in correct)]
                for n, (qid, choices, correct) in enumerate(drawn)
                if correct and len(correct) < len(choices)
            }
            moment = end - timedelta(minutes=5 * (len(tries) - number))
            order = [[qid, rng.sample(choices, len(choices))] for qid, choices, _correct in drawn]
            attempts.append(
                (company.pk, assignment.pk, number, order, answers, moment - timedelta(minutes=8), moment)
                + (right, len(drawn), passed)
            )
        if outcome == "done":
            code = base64.b32encode(rng.randbytes(10)).decode()
            certificates.append((company.pk, assignment.pk, code, end))
    insert_rows(
        QuizAttempt,
        [
            "organization",
            "assignment",
            "number",
            "question_order",
            "answers",
            "started_at",
            "submitted_at",
            "score_raw",
            "score_max",
            "passed",
        ],
        attempts,
    )
    insert_rows(ModuleCompletion, ["organization", "assignment", "module", "completed_at"], completions)
    insert_rows(Certificate, ["organization", "assignment", "code", "issued_at"], certificates)
    ctx.count("quiz attempts", len(attempts))
    ctx.count("module completions", len(completions))
    ctx.count("certificates", len(certificates))


def _attestations(
    ctx: GenerationContext,
    company: Organization,
    people: list[_Person],
    staff_ids: list[int],
    demo_user: int | None,
    rollout: date,
    today: date,
) -> None:
    """Most staff attested the policy within weeks of its publication (or of their start)."""
    rng = _rng(ctx)
    version = PolicyVersion.objects.in_org(company).order_by("-number").first()
    if version is None:
        return
    rows = []
    for person, staff_id in zip(people, staff_ids, strict=True):
        if person.user_id == demo_user or rng.random() > 0.87:
            continue
        start = max(rollout, person.hired_on)
        day = min(today, start + timedelta(days=rng.randint(0, 40)))
        rows.append((company.pk, staff_id, version.pk, _at(day, rng.randint(8, 18))))
    insert_rows(Attestation, ["organization", "staff", "version", "attested_at"], rows)
    ctx.count("policy attestations", len(rows))
