"""A CAC's case system pushes its records: children by case number, episodes, sessions and measures (scope
``care:write``)."""

from ninja import Router

router = Router(tags=["care"])
