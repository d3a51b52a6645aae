"""Approvals of special requests outside the rules: a refund over the limit, an exception for a
key customer, a green-channel case (plan within 2 hours). The approver comes from the first
matching `ApprovalRule`; the request and the decision are written to the ticket's history as
internal notes (tickets' own history, which every reader of the ticket sees)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.core.clock import now
from kefu.tickets import services as tickets
from kefu.tickets.models import Ticket

from .errors import AlreadyDone, PermissionDenied, ValidationFailed
from .models import Approval, ApprovalKind, ApprovalRule, ApprovalStatus

GREEN_CHANNEL_TARGET = timedelta(hours=2)


def approver_for(kind: str, amount: Decimal | None) -> User | None:
    rule = (
        ApprovalRule.objects.select_related("approver")
        .filter(kind=kind, min_amount__lte=amount or 0, approver__is_active=True)
        .order_by("-min_amount", "pk")
        .first()
    )
    return rule.approver if rule else None


@transaction.atomic
def request_approval(
    ticket: Ticket, *, kind: str, description: str, by: User, amount: Decimal | None = None
) -> Approval:
    if not by.is_agent:
        raise PermissionDenied(_("Only agents can ask for an approval."))
    if kind not in ApprovalKind.values:
        raise ValidationFailed(_("Unknown kind of request."), field="kind")
    description = (description or "").replace("\x00", "").strip()
    if not description:
        raise ValidationFailed(_("Say what should be approved."), field="description")
    if kind == ApprovalKind.REFUND and (amount is None or amount <= 0):
        raise ValidationFailed(_("A refund needs its amount."), field="amount")
    if amount is not None and amount < 0:
        raise ValidationFailed(_("The amount cannot be negative."), field="amount")
    approver = approver_for(kind, amount)
    if approver is None:
        raise ValidationFailed(_("No approval rule names an approver for this request."), field="kind")
    current = now()
    approval = Approval.objects.create(
        ticket=ticket,
        kind=kind,
        description=description[:4000],
        amount=amount,
        approver=approver,
        requested_by=by,
        created_at=current,
        due_at=current + GREEN_CHANNEL_TARGET if kind == ApprovalKind.GREEN_CHANNEL else None,
    )
    tickets.add_note(
        ticket,
        body=_("Approval asked (%(kind)s) from %(who)s: %(text)s")
        % {"kind": ApprovalKind(kind).label, "who": approver.name, "text": approval.description},
        by=by,
    )
    return approval


def can_decide(approval: Approval, user: User) -> bool:
    return bool(
        user.is_agent and (user.pk == approval.approver_id or user.role in (Role.SUPERVISOR, Role.ADMIN))
    )


@transaction.atomic
def decide(approval: Approval, *, approve: bool, by: User, reason: str = "") -> Approval:
    if not can_decide(approval, by):
        raise PermissionDenied(_("Only the approver or a supervisor decides this request."))
    reason = (reason or "").replace("\x00", "").strip()
    if not approve and not reason:
        raise ValidationFailed(_("Say why the request is rejected."), field="reason")
    status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    current = now()
    won = Approval.objects.filter(pk=approval.pk, status=ApprovalStatus.PENDING).update(
        status=status, decided_at=current, decided_by=by, reason=reason[:4000]
    )
    if not won:
        raise AlreadyDone(_("This request is already decided."))
    approval.refresh_from_db()
    label = _("Approved") if approve else _("Rejected")
    tickets.add_note(
        approval.ticket,
        body=_("%(decision)s by %(who)s (%(kind)s)%(reason)s")
        % {
            "decision": label,
            "who": by.name,
            "kind": ApprovalKind(approval.kind).label,
            "reason": f": {reason}" if reason else "",
        },
        by=by,
    )
    return approval
