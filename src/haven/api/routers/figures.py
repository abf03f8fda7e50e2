"""The figures an organization sees, as its dashboard shows them (scope ``figures:read``): a funder's from the
released cells only; the program admin's (the national office's)."""

from ninja import Router

router = Router(tags=["figures"])
