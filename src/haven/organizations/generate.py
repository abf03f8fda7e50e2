"""Generator step: the organization tree, the people and their memberships."""

import random

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from haven.accounts import second_factor
from haven.accounts.models import Authenticator, User
from haven.core.generation import GenerationContext

from .models import Organization
from .roles import ROLES_REQUIRING_MFA, OrganizationKind, Role
from .services import memberships_seed_by_system

DEMO_PASSWORD = "haven-demo-2026"  # noqa: S105 - the published demo password; demo data only

# 2020 census resident population (thousands): CACs are spread across states by population.
STATE_POPULATION = {
    "AL": 5024,
    "AK": 733,
    "AZ": 7152,
    "AR": 3012,
    "CA": 39538,
    "CO": 5774,
    "CT": 3606,
    "DE": 990,
    "FL": 21538,
    "GA": 10712,
    "HI": 1455,
    "ID": 1839,
    "IL": 12813,
    "IN": 6786,
    "IA": 3190,
    "KS": 2938,
    "KY": 4506,
    "LA": 4658,
    "ME": 1362,
    "MD": 6177,
    "MA": 7030,
    "MI": 10077,
    "MN": 5706,
    "MS": 2961,
    "MO": 6155,
    "MT": 1084,
    "NE": 1962,
    "NV": 3105,
    "NH": 1377,
    "NJ": 9289,
    "NM": 2118,
    "NY": 20201,
    "NC": 10439,
    "ND": 779,
    "OH": 11799,
    "OK": 3959,
    "OR": 4237,
    "PA": 13003,
    "RI": 1097,
    "SC": 5118,
    "SD": 887,
    "TN": 6911,
    "TX": 29146,
    "UT": 3272,
    "VT": 643,
    "VA": 8631,
    "WA": 7705,
    "WV": 1794,
    "WI": 5894,
    "WY": 577,
}
STATE_NAMES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
}
PLACE_NAMES = [
    "Washington",
    "Jefferson",
    "Franklin",
    "Lincoln",
    "Jackson",
    "Madison",
    "Clay",
    "Montgomery",
    "Marion",
    "Monroe",
    "Union",
    "Greene",
    "Wayne",
    "Warren",
    "Polk",
    "Grant",
    "Lee",
    "Carroll",
    "Marshall",
    "Johnson",
    "Adams",
    "Hamilton",
    "Harrison",
    "Lake",
    "Douglas",
    "Benton",
    "Calhoun",
    "Fayette",
    "Crawford",
    "Morgan",
    "Shelby",
    "Perry",
    "Putnam",
    "Scott",
    "Clark",
    "Knox",
    "Logan",
    "Butler",
    "Boone",
    "Henry",
    "Hancock",
    "Lawrence",
    "Mercer",
    "Pike",
    "Randolph",
    "Sullivan",
    "Cedar",
    "Pine",
    "River",
    "Summit",
    "Hill",
    "Valley",
    "Prairie",
    "Bay",
    "Harbor",
    "Mesa",
    "Sierra",
    "Canyon",
    "Meadow",
    "Forest",
    "Stone",
]
PLACE_SUFFIXES = ("County", "Regional", "Valley", "Area", "Tri-County", "Metro")
FIRST_NAMES = [
    "Maria",
    "Jennifer",
    "Aisha",
    "Keisha",
    "Emily",
    "Sarah",
    "Jessica",
    "Ashley",
    "Amanda",
    "Laura",
    "Megan",
    "Rachel",
    "Nicole",
    "Hannah",
    "Lauren",
    "Grace",
    "Sofia",
    "Camila",
    "Priya",
    "Mei",
    "Fatima",
    "Olivia",
    "Isabel",
    "Ana",
    "Rosa",
    "Chloe",
    "Zoe",
    "Naomi",
    "Leah",
    "Ruth",
    "James",
    "Michael",
    "David",
    "Daniel",
    "Carlos",
    "Luis",
    "Jose",
    "Andre",
    "Marcus",
    "Kevin",
    "Brian",
    "Eric",
    "Samuel",
    "Omar",
    "Wei",
    "Raj",
    "Tyler",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Avery",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kim",
    "Patel",
    "Chen",
    "Singh",
    "Okafor",
    "Begay",
    "Yazzie",
    "Tran",
    "Cohen",
]

# One sign-in per role for the demo: (e-mail, name, role, where).
DEMO_LOGINS = (
    ("program.admin@haven.example", "Pat Program", Role.PROGRAM_ADMIN, "national"),
    ("chapter.admin@haven.example", "Chris Chapter", Role.ORG_ADMIN, "chapter"),
    ("cac.admin@haven.example", "Casey Director", Role.ORG_ADMIN, "cac"),
    ("clinician@haven.example", "Dana Clinician", Role.CLINICIAN, "cac"),
    ("trainer@haven.example", "Terry Trainer", Role.TRAINER, "provider"),
    ("funder@haven.example", "Frankie Funder", Role.FUNDER_VIEWER, "funder"),
    ("learner@haven.example", "Lou Learner", Role.LEARNER, "partner"),
    ("safeguarding@haven.example", "Sam Safeguarding", Role.SAFEGUARDING_REVIEWER, "partner"),
)


def allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split ``total`` across keys in proportion to ``weights`` (largest remainder)."""
    weight_sum = sum(weights.values())
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    shares = {key: int(value) for key, value in exact.items()}
    leftover = total - sum(shares.values())
    for key in sorted(exact, key=lambda k: exact[k] - shares[k], reverse=True)[:leftover]:
        shares[key] += 1
    return shares


def run(ctx: GenerationContext) -> None:
    rng = ctx.rng
    national = Organization.objects.create(name="National Children's Alliance", kind=OrganizationKind.NATIONAL_OFFICE)
    chapters = Organization.objects.bulk_create(
        [
            Organization(
                name=f"{STATE_NAMES[code]} Chapter",
                kind=OrganizationKind.STATE_CHAPTER,
                parent=national,
                state=code,
            )
            for code in STATE_POPULATION
        ]
    )
    chapter_by_state = {chapter.state: chapter for chapter in chapters}
    cacs_per_state = allocate(ctx.scale.cacs, STATE_POPULATION)
    cacs: list[Organization] = []
    for code, n in cacs_per_state.items():
        names = [f"{place} {suffix}" for suffix in PLACE_SUFFIXES for place in PLACE_NAMES]
        rng.shuffle(names)
        for name in sorted(names[:n], key=names.index):
            cacs.append(
                Organization(
                    name=f"{name} Children's Advocacy Center",
                    kind=OrganizationKind.CAC,
                    parent=chapter_by_state[code],
                    state=code,
                )
            )
    cacs = Organization.objects.bulk_create(cacs)
    funder = Organization.objects.create(name="Kering Foundation", kind=OrganizationKind.FUNDER)
    partner = Organization.objects.create(name="Balenciaga", kind=OrganizationKind.CORPORATE_PARTNER)
    provider = Organization.objects.create(
        name="TF-CBT National Training Network", kind=OrganizationKind.TRAINING_PROVIDER
    )
    ctx.count("organizations", 1 + len(chapters) + len(cacs) + 3)
    ctx.shared.update(
        national_id=national.pk,
        funder_id=funder.pk,
        partner_id=partner.pk,
        provider_id=provider.pk,
        cac_ids=[cac.pk for cac in cacs],
        cac_states={cac.pk: cac.state for cac in cacs},
        chapter_ids={chapter.state: chapter.pk for chapter in chapters},
    )
    _generate_people(
        ctx,
        national=national,
        chapters=chapters,
        cacs=cacs,
        funder=funder,
        partner=partner,
        provider=provider,
    )


def _generate_people(
    ctx: GenerationContext,
    *,
    national: Organization,
    chapters: list[Organization],
    cacs: list[Organization],
    funder: Organization,
    partner: Organization,
    provider: Organization,
) -> None:
    rng = ctx.rng
    now = timezone.now()
    unusable = make_password(None)
    users: list[User] = []
    memberships: list[tuple[int, int, str]] = []  # (user index, organization id, role)

    def person(org_id: int, role: str) -> None:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        index = len(users)
        users.append(
            User(
                email=f"{first}.{last}.{index}@example.org".lower(),
                full_name=f"{first} {last}",
                password=unusable,
                date_joined=now,
            )
        )
        memberships.append((index, org_id, role))

    for _ in range(3):
        person(national.pk, Role.PROGRAM_ADMIN)
    for chapter in chapters:
        person(chapter.pk, Role.ORG_ADMIN)
    # CAC sizes are skewed: a few large urban centres, many small rural ones.
    weights = {str(cac.pk): max(1, int(rng.lognormvariate(0, 0.8) * 10)) for cac in cacs}
    clinicians_per_cac = allocate(ctx.scale.clinicians, weights)
    for cac in cacs:
        person(cac.pk, Role.ORG_ADMIN)
        for _ in range(clinicians_per_cac[str(cac.pk)]):
            person(cac.pk, Role.CLINICIAN)
    for _ in range(ctx.scale.trainers):
        person(provider.pk, Role.TRAINER)
    for _ in range(3):
        person(funder.pk, Role.FUNDER_VIEWER)
    person(partner.pk, Role.ORG_ADMIN)
    for _ in range(2):
        person(partner.pk, Role.SAFEGUARDING_REVIEWER)
    for _ in range(ctx.scale.learners):
        person(partner.pk, Role.LEARNER)

    places = {
        "national": national.pk,
        "chapter": next(chapter.pk for chapter in chapters if chapter.state == cacs[0].state),
        "cac": cacs[0].pk,
        "provider": provider.pk,
        "funder": funder.pk,
        "partner": partner.pk,
    }
    demo_hash = make_password(DEMO_PASSWORD)
    demo_by_email: dict[str, int] = {}
    for email, name, role, where in DEMO_LOGINS:
        index = demo_by_email.setdefault(email, len(users))
        if index == len(users):
            users.append(User(email=email, full_name=name, password=demo_hash, date_joined=now))
        memberships.append((index, places[where], role))

    created = User.objects.bulk_create(users, batch_size=2000)
    # The system seeds its people's roles directly, second persons included: no grant waits for approval.
    memberships_seed_by_system(rows=[(created[i].pk, org_id, role) for i, org_id, role in memberships])
    demo_roles = {email: role for email, _name, role, _where in DEMO_LOGINS}
    demo_second_factors(
        rng, [created[index].pk for email, index in demo_by_email.items() if demo_roles[email] in ROLES_REQUIRING_MFA]
    )
    ctx.count("users", len(created))
    ctx.count("memberships", len(memberships))
    ctx.shared["clinicians"] = [(created[i].pk, org) for i, org, role in memberships if role == Role.CLINICIAN]
    ctx.shared["trainer_ids"] = [created[i].pk for i, _org, role in memberships if role == Role.TRAINER]
    ctx.shared["demo_user_ids"] = {email: created[index].pk for email, index in demo_by_email.items()}


def demo_second_factors(rng: random.Random, user_ids: list[int]) -> None:
    """Each demo sign-in that asks for a code: a confirmed authenticator (its key sealed as the services seal it) and
    recovery codes, as after a real set-up (``demo_codes`` prints the authenticators' current codes)."""
    Authenticator.objects.bulk_create(
        [
            Authenticator(
                user_id=user_id, name="Demo authenticator", confirmed=True, key=second_factor.seal(rng.randbytes(20))
            )
            for user_id in user_ids
        ]
    )
    recovery = StaticDevice.objects.bulk_create(
        [StaticDevice(user_id=user_id, name="Recovery codes", confirmed=True) for user_id in user_ids]
    )
    StaticToken.objects.bulk_create(
        [
            StaticToken(device=device, token=second_factor.code_forms(rng.randbytes(5).hex())[0])
            for device in recovery
            for _ in range(10)
        ]
    )
