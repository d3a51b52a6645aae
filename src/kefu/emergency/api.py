"""REST endpoints of the emergency app (mounted at /api/emergency/)."""

from ninja import Router

router = Router(tags=["emergency"])
