"""How tickets relate: merge, link, parent/child, sharing with a department."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, User
from kefu.core.clock import now
from kefu.tickets import search
from kefu.tickets.errors import InvalidTransition, MergeAcrossCustomers, ValidationFailed
from kefu.tickets.models import (
    Attachment,
    EventKind,
    Message,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketShare,
)
from kefu.tickets.services.common import (
    _event,
    _touch,
    reindex,
)
from kefu.tickets.states import Status


def same_requester(a: Ticket, b: Ticket) -> bool:
    """Whether whoever reads `a` in the portal may read `b` too: one customer, or two customers of an
    organisation that shares its tickets with all its members (ADR 0012)."""
    if a.customer_id == b.customer_id:
        return True
    org_a, org_b = a.customer.organisation, b.customer.organisation
    return org_a is not None and org_a == org_b and org_a.share_tickets


@transaction.atomic
def merge(source: Ticket, *, into: Ticket, by: User) -> Ticket:
    """Move messages, attachments and events of `source` into `into`; source points to the survivor.

    Only tickets the same people may read are merged (`same_requester`): the survivor's customer
    would otherwise read the other customer's messages and files in the portal (ADR 0012).
    """
    if source.pk == into.pk:
        raise ValidationFailed(_("A ticket cannot be merged into itself."), field="into")
    if into.merged_into_id:
        raise ValidationFailed(_("The target ticket was itself merged."), field="into")
    if source.merged_into_id:
        raise InvalidTransition(_("This ticket was already merged."), field="into")
    if not same_requester(source, into):
        raise MergeAcrossCustomers(
            _(
                "%(into)s belongs to another customer. Only tickets of the same customer (or of one "
                "organisation that shares its tickets) can be merged; link the tickets instead."
            )
            % {"into": into.number},
            field="into",
        )
    Message.objects.filter(ticket=source).update(ticket=into)
    Attachment.objects.filter(ticket=source).update(ticket=into)
    TicketEvent.objects.filter(ticket=source).update(ticket=into)
    won = Ticket.objects.filter(pk=source.pk, merged_into__isnull=True).update(
        merged_into=into, status=Status.CLOSED, closed_at=now(), updated_at=now(), version=F("version") + 1
    )
    if not won:
        raise InvalidTransition(_("This ticket was already merged."), field="into")
    _event(into, EventKind.MERGED_IN, by=by, old=source.number, new=into.number)
    _event(source, EventKind.MERGED, by=by, old=source.number, new=into.number)
    _touch(into, version=F("version") + 1)
    search.delete_rows([source.pk])
    reindex([into.pk])
    into.refresh_from_db()
    return into


@transaction.atomic
def link(ticket: Ticket, *, to: Ticket, by: User) -> TicketLink:
    if ticket.pk == to.pk:
        raise ValidationFailed(_("A ticket cannot be linked to itself."), field="to")
    a, b = sorted([ticket, to], key=lambda t: t.pk)
    item, created = TicketLink.objects.get_or_create(source=a, target=b, defaults={"created_by": by})
    if created:
        _event(ticket, EventKind.LINKED, by=by, new=to.number)
        _event(to, EventKind.LINKED, by=by, new=ticket.number)
    return item


@transaction.atomic
def set_parent(ticket: Ticket, *, parent: Ticket | None, by: User) -> Ticket:
    if parent is not None:
        if parent.pk == ticket.pk:
            raise ValidationFailed(_("A ticket cannot be its own parent."), field="parent")
        cursor, depth = parent, 0
        while cursor.parent_id and depth < 50:
            if cursor.parent_id == ticket.pk:
                raise ValidationFailed(_("That would make a cycle of parents."), field="parent")
            cursor = cursor.parent
            depth += 1
    old = ticket.parent.number if ticket.parent_id else ""
    _touch(ticket, parent=parent)
    _event(ticket, EventKind.CHANGED, by=by, field="parent", old=old, new=parent.number if parent else "")
    return ticket


@transaction.atomic
def share_with_department(ticket: Ticket, *, department: Department, by: User) -> TicketShare:
    share, created = TicketShare.objects.get_or_create(
        ticket=ticket, department=department, defaults={"created_by": by}
    )
    if created:
        _event(ticket, EventKind.SHARED, by=by, new=department.name)
    return share
