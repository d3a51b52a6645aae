"""Staff pages of the mail app: the original of a mail, the failed-mail view, the ticket panel."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import Role
from kefu.tickets.models import Attachment, Channel
from kefu.tickets.selectors import access_ticket

from .inbound import reprocess
from .models import BouncedAddress, Follower, InboundMail, MailState, OutboxMail
from .parsing import parse


def can_admin_mail(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.role in (Role.SUPERVISOR, Role.ADMIN) or user.is_superuser)
    )


def _mail_for(user: Any, pk: int) -> InboundMail:
    """A stored mail this user may read: through its ticket, or any mail for mail admins; else 404."""
    mail = InboundMail.objects.select_related("mailbox").filter(pk=pk).first()
    if mail is None:
        raise Http404
    if can_admin_mail(user):
        return mail
    if mail.ticket_id is None or not getattr(user, "is_agent", False):
        raise Http404
    access_ticket(user, mail.ticket_id)  # 404 when not theirs
    return mail


CID_RE = re.compile(r'src="cid:([^"]+)"')


@login_required
def original(request: HttpRequest, pk: int) -> HttpResponse:
    """The full original: headers, whole text with quoted history, HTML; remote images on request."""
    mail = _mail_for(request.user, pk)
    allow = request.GET.get("images") == "1"
    parsed = parse(bytes(mail.raw), allow_remote_images=allow)
    html = parsed.html
    if mail.ticket_message_id and html:
        by_name = {a.filename: a.pk for a in Attachment.objects.filter(message_id=mail.ticket_message_id)}
        cids = {a.content_id: by_name.get(a.name) for a in parsed.attachments if a.content_id}

        def to_url(match: re.Match[str]) -> str:
            att = cids.get(match.group(1))
            return f'src="{reverse("agent:attachment", args=[att])}"' if att else 'src=""'

        html = CID_RE.sub(to_url, html)
    response = render(
        request,
        "mail/original.html",
        {"mail": mail, "parsed": parsed, "html": html, "images_allowed": allow},
    )
    if allow:
        # The agent asked for this mail's remote images: this one response may load images from
        # any web address (the rest of the policy stands: no script, no frames, no forms out);
        # every other page keeps blocking them (FAULTS E9). No Referer tells the sender where.
        response._csp_update = {"img-src": ["https:", "http:"]}  # type: ignore[attr-defined]
        response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def raw(request: HttpRequest, pk: int) -> HttpResponse:
    mail = _mail_for(request.user, pk)
    response = HttpResponse(bytes(mail.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="mail-{mail.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def failed(request: HttpRequest) -> HttpResponse:
    if not can_admin_mail(request.user):
        raise Http404
    mails = (
        InboundMail.objects.filter(state=MailState.QUARANTINED)
        .select_related("mailbox")
        .defer("raw")
        .order_by("-received_at")[:200]
    )
    return render(request, "mail/failed.html", {"mails": mails})


@login_required
@require_POST
def reprocess_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_admin_mail(request.user):
        raise Http404
    mail = InboundMail.objects.select_related("mailbox").filter(pk=pk).first()
    if mail is None:
        raise Http404
    outcome = reprocess(mail)
    from django.contrib import messages

    messages.info(
        request,
        _("Mail %(pk)s: %(decision)s %(reason)s")
        % {"pk": pk, "decision": outcome.decision, "reason": outcome.reason},
    )
    return redirect("mail:failed")


def ticket_panel(request: HttpRequest, ticket: Any) -> str:
    """On an email ticket (or one the customer was mailed about): its mails (with the original),
    outgoing mail states, followers, bounces."""
    if ticket.channel != Channel.EMAIL and not OutboxMail.objects.filter(ticket=ticket).exists():
        return ""  # a ticket from another channel shows its notice mails (mail.notices), if any
    mails = list(InboundMail.objects.filter(ticket_id=ticket.pk).defer("raw").order_by("pk")[:20])
    outbox = list(OutboxMail.objects.filter(ticket=ticket).order_by("pk")[:20])
    followers = list(Follower.objects.filter(ticket=ticket).values_list("email", flat=True))
    bounced = list(
        BouncedAddress.objects.filter(email__in=[ticket.customer.email, *followers]).values_list(
            "email", "status"
        )
    )
    if not (mails or outbox or followers or bounced):
        return ""  # an email ticket typed in by an agent: nothing to show, no empty card
    return render_to_string(
        "mail/_ticket_panel.html",
        {"mails": mails, "outbox": outbox, "followers": followers, "bounced": bounced},
        request=request,
    )
