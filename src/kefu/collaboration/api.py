"""REST endpoints of the collaboration app (mounted at /api/collab/)."""

from ninja import Router

router = Router(tags=["collaboration"])
