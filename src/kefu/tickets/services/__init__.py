"""Use cases that change tickets. Each is one transaction and writes its TicketEvents."""

from kefu.tickets.services.bulk import batched
from kefu.tickets.services.changes import EDITABLE, assign, change_status, update_ticket
from kefu.tickets.services.common import (
    BODY_MAX,
    FORBIDDEN_EXTENSIONS,
    SUBJECT_MAX,
    Upload,
    check_upload,
    deferred_reindex,
    reindex,
)
from kefu.tickets.services.conversation import (
    Created,
    NewTicket,
    Posted,
    add_note,
    customer_follow_up,
    new_form_token,
    open_new,
    open_ticket,
    open_tickets,
    reply,
    submission_key,
)
from kefu.tickets.services.structure import link, merge, set_parent, share_with_department

__all__ = [
    "BODY_MAX",
    "EDITABLE",
    "FORBIDDEN_EXTENSIONS",
    "NewTicket",
    "SUBJECT_MAX",
    "Created",
    "Posted",
    "Upload",
    "add_note",
    "assign",
    "batched",
    "change_status",
    "check_upload",
    "customer_follow_up",
    "deferred_reindex",
    "link",
    "merge",
    "new_form_token",
    "open_new",
    "open_ticket",
    "open_tickets",
    "reindex",
    "reply",
    "set_parent",
    "share_with_department",
    "submission_key",
    "update_ticket",
]
