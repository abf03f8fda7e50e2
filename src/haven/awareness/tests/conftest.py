"""The awareness pillar's tests use the creative review's fixtures (a campaign showing minors needs a review)."""

from haven.safeguarding.tests.conftest import (  # noqa: F401  (fixtures, found by pytest here)
    asset_store,
    brand,
    company,
    creative,
    draft,
    program,
    safeguarder,
)
