"""REST endpoints of the quality app (mounted at /api/quality/)."""

from ninja import Router

router = Router(tags=["quality"])
