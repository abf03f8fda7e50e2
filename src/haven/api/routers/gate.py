"""The creative review's publish gate (scope ``publish-gate:read``): given a file's SHA-256, is it approved, and
under which review."""

from ninja import Router

router = Router(tags=["publish gate"])
