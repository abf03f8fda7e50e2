"""Where a submission is looked at: the reviewer's review page, or the submission's own page (parts of the pillar
built beside the queue; a name not mounted yet gives no link rather than a broken one)."""

from django.urls import NoReverseMatch, reverse

from haven.organizations.roles import Role

from .services import REVIEWER_ROLES


def _first(names: tuple[str, ...], *args: object) -> str | None:
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def submission_url(submission_id: int, role: str = Role.CREATIVE) -> str | None:
    """The page a member in ``role`` opens a submission on: a reviewer its review page, anyone else its page."""
    if role in REVIEWER_ROLES:
        return _first(("safeguarding:review", "safeguarding:submission"), submission_id)
    return _first(("safeguarding:submission",), submission_id)


def queue_url() -> str:
    return reverse("safeguarding:queue")
