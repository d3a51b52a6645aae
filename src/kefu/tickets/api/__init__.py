"""The tickets API: schemas in `schemas`, endpoints in `routes`."""

from .routes import attachments_router, message_out, router, ticket_out

__all__ = ["attachments_router", "message_out", "router", "ticket_out"]
