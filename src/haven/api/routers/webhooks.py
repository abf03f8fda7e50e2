"""The webhooks an organization subscribes to, and their deliveries (managed on the organization's page; read here
with any key of the organization)."""

from ninja import Router

router = Router(tags=["webhooks"])
