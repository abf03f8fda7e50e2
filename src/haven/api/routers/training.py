"""The online course provider pushes course completions; a trainer's tool pushes consultation call attendance
(scope ``training:write``)."""

from ninja import Router

router = Router(tags=["training"])
