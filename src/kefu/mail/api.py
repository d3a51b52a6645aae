"""REST endpoints of the mail app (mounted in kefu/api.py)."""

from ninja import Router

router = Router(tags=["mail"])
