from django.utils.translation import gettext_lazy as _

from kefu.core.errors import Conflict, DomainError, NotFound, TooLarge, ValidationFailed

__all__ = [
    "AttachmentRejected",
    "InvalidTransition",
    "MergeAcrossCustomers",
    "StaleVersion",
    "TicketNotFound",
    "Conflict",
    "DomainError",
    "FormAlreadySent",
    "NotFound",
    "TooLarge",
    "ValidationFailed",
]


class TicketNotFound(NotFound):
    code = "ticket_not_found"

    def __init__(self, message=None, **kw):
        super().__init__(message or str(_("Ticket not found.")), **kw)


class InvalidTransition(ValidationFailed):
    code = "invalid_transition"


class StaleVersion(Conflict):
    code = "stale_version"


class AttachmentRejected(ValidationFailed):
    code = "attachment_rejected"


class MergeAcrossCustomers(ValidationFailed):
    """Merging would show one customer's messages and files to another (ADR 0012)."""

    code = "merge_across_customers"


class FormAlreadySent(Conflict):
    """A form's one-time token came back with another text (a page restored by "Back" and edited)."""

    code = "form_already_sent"
