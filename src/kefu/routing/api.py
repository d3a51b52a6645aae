"""REST endpoints of the routing app (mounted in kefu/api.py)."""

from ninja import Router

router = Router(tags=["routing"])
