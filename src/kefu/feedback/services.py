"""CSAT: a survey for every solved ticket, sent in the ticket's channel, answered once.

- `on_event` (the `feedback.csat` handler of core.events) reacts to a ticket becoming solved: it
  creates the ticket's one `Survey` (none for merged tickets or tickets tagged as spam). Tickets of a
  mail channel (config `csat_mail_channels`) get it by mail: `send_survey` after commit, and the
  periodic `send_due` for any the first try missed. The others answer on the portal (the rating box
  on the solved ticket) or, later, in the chat widget (`chat_survey` is the hook it will call).
- The mail carries a signed link (django.core.signing, salt SALT) naming the survey; a link not
  made by us is refused, so is one older than the expiry (config `csat_expiry_days`).
- `answer` records the first answer only (compare-and-set on `answered_at`): a second submission
  changes nothing and the caller shows the first. It writes a ticket event (changed, field "csat"),
  so analytics recomputes that day's rollups at once.
- `remind_due` sends one reminder per unanswered mailed survey after `csat_reminder_days`
  (compare-and-set on `reminded_at`: safe to run twice, on many nodes at once).

Mail goes out through `core.automail` (marked automatic, so auto-responders never answer it): mail
sits above feedback in the layers, so its outbox cannot be called from here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from kefu.core import automail, events
from kefu.core.clock import now
from kefu.tickets.models import EventKind, Ticket, TicketEvent
from kefu.tickets.states import DONE_STATUSES, Status

from . import config
from .errors import BadLink, Expired, OutOfRange
from .models import AnswerVia, Survey

log = logging.getLogger("kefu.feedback")

SALT = "kefu.feedback.csat"
CLAIM_FOR = timedelta(minutes=10)  # a send claimed longer ago than this was lost: try again
COMMENT_MAX = 2000


# --------------------------------------------------------------------------- creating


def on_event(event_id: int) -> None:
    event = TicketEvent.objects.filter(pk=event_id).first()
    if event is None or event.kind != EventKind.CHANGED or event.field != "status":
        return
    if event.new_value != Status.SOLVED:
        return
    ticket = Ticket.objects.select_related("customer").filter(pk=event.ticket_id).first()
    if ticket is None:
        return
    survey = create_survey(ticket=ticket)
    if config.get("csat_send_after_minutes"):
        return  # the periodic send_due mails it once the wait is over
    if survey is not None and survey.by_mail and survey.sent_at is None:
        pk = survey.pk
        transaction.on_commit(lambda: _enqueue_send(pk))


def _enqueue_send(survey_id: int) -> None:
    from .tasks import send_survey

    try:
        send_survey.delay(survey_id)
    except Exception:  # broker down: send_due picks it up
        log.warning("could not enqueue survey %s", survey_id, exc_info=True)


def is_spam(ticket: Ticket) -> bool:
    return ticket.tags.filter(name__in=config.get("spam_tags")).exists()


def create_survey(*, ticket: Ticket) -> Survey | None:
    """The ticket's survey (created once; a ticket solved again keeps its first survey)."""
    if ticket.merged_into_id or ticket.customer_id is None or is_spam(ticket):
        return None
    existing = Survey.objects.filter(ticket=ticket).first()
    if existing is not None:
        return existing
    at = now()
    by_mail = ticket.channel in config.get("csat_mail_channels") and bool(ticket.customer.email)
    survey, _created = Survey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "customer_id": ticket.customer_id,
            "channel": ticket.channel,
            "created_at": at,
            "expires_at": at + timedelta(days=config.get("csat_expiry_days")),
            "by_mail": by_mail,
            # Not mailed: it is put before the customer on the portal at once.
            "sent_at": None if by_mail else at,
        },
    )
    return survey


# --------------------------------------------------------------------------- links


def token_for(survey: Survey) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(survey.pk))


def link_for(survey: Survey, score: int | None = None) -> str:
    path = reverse("feedback:csat", args=[token_for(survey)])
    if score is not None:
        path += f"?score={score}"
    return settings.BASE_URL.rstrip("/") + path


def survey_from_token(token: str) -> Survey:
    """The survey a link names; BadLink when we did not sign it, Expired when it is too old."""
    max_age = timedelta(days=config.get("csat_expiry_days"))
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise Expired("This survey link has expired.") from None
    except signing.BadSignature:
        raise BadLink("This survey link is not valid.") from None
    survey = Survey.objects.select_related("ticket", "customer").filter(pk=int(value)).first()
    if survey is None or survey.ticket.merged_into_id:
        raise BadLink("This survey link is not valid.")
    return survey


def chat_survey(ticket: Ticket) -> dict[str, Any] | None:
    """The hook for the chat widget: what to show when a chat ticket is solved (None: nothing)."""
    survey = Survey.objects.filter(ticket=ticket, answered_at__isnull=True, expires_at__gt=now()).first()
    if survey is None:
        return None
    return {"survey_id": survey.pk, "token": token_for(survey), "scale": [1, 2, 3, 4, 5]}


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class Answer:
    survey: Survey
    recorded: bool  # False: it was answered before, `survey` holds the first answer


def clean_answer(
    *, score: Any, comment: str = "", reasons: list[str] | None = None
) -> tuple[int, str, list[str]]:
    try:
        value = int(str(score).strip())
    except (TypeError, ValueError):
        raise OutOfRange("Choose a rating from 1 to 5.", field="score") from None
    if not 1 <= value <= 5 or str(score).strip() not in {str(n) for n in range(1, 6)}:
        raise OutOfRange("Choose a rating from 1 to 5.", field="score")
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX:
        raise OutOfRange(f"A comment may be at most {COMMENT_MAX} characters.", field="comment")
    picked = list(dict.fromkeys(reasons or []))
    unknown = [r for r in picked if r not in config.REASONS]
    if unknown:
        raise OutOfRange(f"Unknown reason {unknown[0]!r}.", field="reasons")
    return value, comment, picked


def answer(
    survey: Survey,
    *,
    score: Any,
    comment: str = "",
    reasons: list[str] | None = None,
    via: str = AnswerVia.MAIL,
    by: Any = None,
) -> Answer:
    """Record the customer's answer once. A second submission changes nothing (recorded=False)."""
    value, comment, picked = clean_answer(score=score, comment=comment, reasons=reasons)
    at = now()
    with transaction.atomic():
        if survey.answered_at is None and survey.expires_at <= at:
            raise Expired("This survey has closed.")
        won = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
            score=value, comment=comment, reasons=picked, answered_at=at, answered_via=via
        )
        survey.refresh_from_db()
        if not won:
            return Answer(survey, recorded=False)
        actor = by if by is not None and getattr(by, "pk", None) else survey.customer.user
        event = TicketEvent(
            ticket_id=survey.ticket_id,
            actor=actor if actor is not None and actor.pk else None,
            kind=EventKind.CHANGED,
            field="csat",
            new_value=str(value),
        )
        event.save(force_insert=True)
        events.publish(event.pk)
    return Answer(survey, recorded=True)


def answer_by_token(token: str, **kw: Any) -> Answer:
    return answer(survey_from_token(token), via=AnswerVia.MAIL, **kw)


# --------------------------------------------------------------------------- mail


def _claim(survey_id: int, extra: Q) -> bool:
    at = now()
    stale = Q(send_claimed_at__isnull=True) | Q(send_claimed_at__lt=at - CLAIM_FOR)
    return bool(Survey.objects.filter(Q(pk=survey_id) & extra & stale).update(send_claimed_at=at))


def send_survey(survey_id: int, *, reminder: bool = False) -> bool:
    """Mail one survey (or its one reminder); True when this call sent it. Safe to run twice."""
    at = now()
    open_q = Q(answered_at__isnull=True, expires_at__gt=at, by_mail=True, ticket__status__in=DONE_STATUSES)
    open_q &= Q(ticket__merged_into__isnull=True)
    wanted = (
        Q(sent_at__isnull=False, reminded_at__isnull=True)
        if reminder
        else Q(sent_at__isnull=True, created_at__lte=at - _wait())
    ) & open_q
    if not _claim(survey_id, wanted):
        return False
    survey = Survey.objects.select_related("ticket", "customer").get(pk=survey_id)
    customer = survey.customer
    context = {
        "survey": survey,
        "ticket": survey.ticket,
        "customer": customer,
        "links": [(n, link_for(survey, n)) for n in (5, 4, 3, 2, 1)],
        "link": link_for(survey),
        "reminder": reminder,
        "expires_at": survey.expires_at,
        "company": getattr(settings, "KEFU_COMPANY", ""),
    }
    try:
        automail.send_templated(
            to=customer.email,
            language=customer.language or settings.LANGUAGE_CODE,
            template="feedback/csat",
            context=context,
        )
    except Exception:
        Survey.objects.filter(pk=survey_id).update(send_claimed_at=None)
        log.warning("survey %s could not be mailed; will retry", survey_id, exc_info=True)
        return False
    stamp = {"reminded_at": at} if reminder else {"sent_at": at}
    Survey.objects.filter(pk=survey_id).update(send_claimed_at=None, **stamp)
    return True


def _wait() -> timedelta:
    return timedelta(minutes=config.get("csat_send_after_minutes"))


def send_due() -> int:
    """Mail every survey not sent yet (the first try was lost or the mail server was down)."""
    ids = Survey.objects.filter(
        by_mail=True,
        sent_at__isnull=True,
        answered_at__isnull=True,
        expires_at__gt=now(),
        created_at__lte=now() - _wait(),
    ).values_list("pk", flat=True)
    return sum(send_survey(pk) for pk in list(ids[:500]))


def remind_due() -> int:
    """One reminder for each mailed survey unanswered `csat_reminder_days` after it went out."""
    before = now() - timedelta(days=config.get("csat_reminder_days"))
    ids = Survey.objects.filter(
        by_mail=True,
        sent_at__lte=before,
        reminded_at__isnull=True,
        answered_at__isnull=True,
        expires_at__gt=now(),
    ).values_list("pk", flat=True)
    return sum(send_survey(pk, reminder=True) for pk in list(ids[:500]))
