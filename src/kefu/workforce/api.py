"""REST endpoints of the workforce app (mounted at /api/workforce/)."""

from ninja import Router

router = Router(tags=["workforce"])
