"""Triage of one ticket: keyword rules first, then the active model of each field.

At or above the threshold a prediction is applied through tickets.services (an event, actor
kefu-bot); below it is stored as a suggestion the agent accepts in one click. Agent corrections of
a predicted field are recorded as TriageFeedback and feed the next training.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Team, User
from kefu.accounts.services import system_user
from kefu.core.errors import DomainError, NotFound
from kefu.routing.models import KeywordRule, SuggestionState, TriageFeedback, TriageField, TriagePrediction
from kefu.tickets import services as tickets
from kefu.tickets.errors import StaleVersion
from kefu.tickets.models import Category, MessageKind, Ticket, TicketEvent

from . import training
from .rules import get_settings
from .training import BOT_TRANSCRIPT, customer_lines

log = logging.getLogger("kefu.routing")
FIELDS = ("type", "category", "team", "department", "priority")


def bot() -> User:
    """The actor of applied predictions (accounts.services.system_user)."""
    return system_user()


@dataclass
class Guess:
    field: str
    value: str
    probability: float
    source: str
    model_id: int | None = None
    rule_id: int | None = None
    # the model's next likeliest values, [[value, probability], …]: when the first is wrong the
    # right one is usually among them (taipei: top-1 78 %, top-3 90 %; ADR 0005 round 5)
    alternatives: list[list[object]] = dataclasses.field(default_factory=list)


def text_of(ticket: Ticket) -> str:
    """What triage and the assignment rules read: the subject and the first public message — of a
    bot hand-off, every question the customer asked in the conversation but none of the bot's
    answers (customer_lines)."""
    body, external_id = ticket.messages.filter(kind=MessageKind.PUBLIC).order_by(
        "created_at", "id"
    ).values_list("body_text", "external_id").first() or ("", "")
    if external_id.startswith(BOT_TRANSCRIPT):
        body = customer_lines(body)
    return training.ticket_text(ticket.subject, body)


def rule_guesses(text: str) -> dict[str, Guess]:
    """Per field, the first matching rule in the supervisors' order; for priority the highest
    matched priority wins, so a complaint (high) about fresh food (urgent) is urgent."""
    from kefu.tickets.models import PRIORITY_RANK

    lowered = text.lower()
    found: dict[str, Guess] = {}
    for rule in KeywordRule.objects.filter(is_active=True):
        seen = found.get(rule.field)
        if seen is not None and (
            rule.field != "priority" or PRIORITY_RANK.get(rule.value, -1) <= PRIORITY_RANK.get(seen.value, -1)
        ):
            continue
        if any(word.lower() in lowered for word in rule.keyword_list):
            found[rule.field] = Guess(rule.field, rule.value, 1.0, "rule", rule_id=rule.pk)
    return found


ALTERNATIVES = 2  # shown beside a suggestion: the model's next two values
ALTERNATIVE_MIN = 0.02  # below this a value is noise, not a candidate


def model_guesses(text: str, fields: tuple[str, ...] = FIELDS) -> dict[str, Guess]:
    found: dict[str, Guess] = {}
    for field in fields:
        if training.active_model(field) is None:
            continue  # untrained field: rules alone
        try:
            model, [ranked] = training.predict_top(field=field, texts=[text], k=ALTERNATIVES + 1)
        except Exception:  # a broken model must never stop a ticket from being routed
            log.exception("triage model for %s failed", field)
            continue
        (label, probability), others = ranked[0], ranked[1:]
        if label:
            alternatives = [[value, round(p, 4)] for value, p in others if p >= ALTERNATIVE_MIN]
            found[field] = Guess(
                field, label, probability, "model", model_id=model.pk, alternatives=alternatives
            )
    return found


def _resolve(field: str, value: str) -> object | None:
    """The value as update_ticket takes it (a row for FKs), or None when it names nothing."""
    if field in ("type", "priority"):
        from kefu.tickets.models import Priority, TicketType

        choices = TicketType.values if field == "type" else Priority.values
        return value if value in choices else None
    table = {"category": Category, "team": Team, "department": Department}.get(field)
    if table is None:
        return None
    return table.objects.filter(name=value).order_by("pk").first()


def triage_ticket(ticket: Ticket, *, created_by_agent: bool = False) -> list[TriagePrediction]:
    """Predict every field once per ticket (idempotent); apply the confident, suggest the rest."""
    if TriagePrediction.objects.filter(ticket=ticket).exists():
        return list(TriagePrediction.objects.filter(ticket=ticket))
    text = text_of(ticket)
    guesses = model_guesses(text)
    guesses.update(rule_guesses(text))  # a supervisor's keyword wins over the model
    threshold = get_settings().threshold
    robot = bot()
    changes: dict[str, object] = {}
    rows = []
    department = None
    for field in FIELDS:
        guess = guesses.get(field)
        if guess is None:
            continue
        resolved = _resolve(field, guess.value)
        if resolved is None:
            continue
        current = getattr(ticket, field, None) if field != "department" else None
        # a field someone already chose (an agent opening the ticket, intake setting a team) is kept
        chosen = created_by_agent or (field in ("team", "category") and current is not None)
        apply = guess.probability >= threshold and not chosen
        if apply and field == "department":
            department = resolved
        elif apply:
            changes[field] = resolved
        rows.append(
            TriagePrediction(
                ticket=ticket,
                field=field,
                value=guess.value,
                probability=round(guess.probability, 4),
                source=guess.source,
                model_id=guess.model_id,
                rule_id=guess.rule_id,
                state=SuggestionState.APPLIED if apply else SuggestionState.SUGGESTED,
                alternatives=[] if apply else guess.alternatives,
            )
        )
    if changes:
        try:
            with transaction.atomic():
                tickets.update_ticket(ticket, by=robot, version=ticket.version, **changes)
        except StaleVersion:  # an agent edited first: their choice stands, ours become suggestions
            ticket.refresh_from_db()
            for row in rows:
                if row.field in changes:
                    row.state = SuggestionState.SUGGESTED
    if department is not None:
        tickets.share_with_department(ticket, department=department, by=robot)
    TriagePrediction.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def access_prediction(user: User, prediction_id: int) -> TriagePrediction:
    from kefu.tickets.selectors import access_ticket

    prediction = TriagePrediction.objects.filter(pk=prediction_id).first()
    if prediction is None or not user.is_agent:
        raise NotFound(_("Not found."))
    access_ticket(user, prediction.ticket_id)  # raises the same 404 when the ticket is not theirs
    return prediction


@transaction.atomic
def accept(prediction: TriagePrediction, *, by: User, choice: str = "") -> TriagePrediction:
    """One-click accept of a suggestion (or of one of its alternatives, `choice`): the field is set
    by the agent; the top value counts as confirmed, an alternative as a correction of it."""
    if prediction.state != SuggestionState.SUGGESTED:
        return prediction
    chosen = choice or prediction.value
    offered = {prediction.value, *(str(a[0]) for a in prediction.alternatives or [])}
    if chosen not in offered:
        raise DomainError(_("%(v)s was not suggested for this ticket.") % {"v": chosen}, field="value")
    ticket = Ticket.objects.get(pk=prediction.ticket_id)
    value = _resolve(prediction.field, chosen)
    if value is None:
        raise DomainError(_("%(v)s no longer exists.") % {"v": chosen}, field="value")
    if prediction.field == "department":
        tickets.share_with_department(ticket, department=value, by=by)  # type: ignore[arg-type]
    else:
        tickets.update_ticket(ticket, by=by, version=None, **{prediction.field: value})
    won = TriagePrediction.objects.filter(pk=prediction.pk, state=SuggestionState.SUGGESTED).update(
        state=SuggestionState.ACCEPTED, chosen=chosen
    )
    if won:
        TriageFeedback.objects.create(
            ticket=ticket,
            field=prediction.field,
            predicted=prediction.value,
            corrected=chosen,
            by=by,
        )
    prediction.refresh_from_db()
    return prediction


@transaction.atomic
def dismiss(prediction: TriagePrediction, *, by: User) -> TriagePrediction:
    TriagePrediction.objects.filter(pk=prediction.pk, state=SuggestionState.SUGGESTED).update(
        state=SuggestionState.DISMISSED
    )
    prediction.refresh_from_db()
    return prediction


def record_correction(event: TicketEvent) -> TriageFeedback | None:
    """An agent changed a predicted field: remember what the model said and what was right."""
    if event.field not in TriageField.values or event.actor_id is None:
        return None
    actor = event.actor
    if actor is None or actor.username == training.BOT_USERNAME or not actor.is_agent:
        return None
    prediction = TriagePrediction.objects.filter(ticket_id=event.ticket_id, field=event.field).first()
    if prediction is None:
        return None
    ticket = Ticket.objects.select_related("category", "team").get(pk=event.ticket_id)
    corrected = training.label_of(ticket, event.field, {})
    accepted = TriageFeedback.objects.filter(
        ticket_id=event.ticket_id, field=event.field, corrected=corrected, event_id__isnull=True
    ).first()
    if accepted is not None and prediction.state == SuggestionState.ACCEPTED:
        return accepted  # this change is the accepted suggestion itself: counted once, by accept()
    feedback, _created = TriageFeedback.objects.get_or_create(
        event_id=event.pk,
        defaults={
            "ticket_id": event.ticket_id,
            "field": event.field,
            "predicted": prediction.value,
            "corrected": corrected,
            "by": actor,
        },
    )
    if corrected != prediction.value:
        TriagePrediction.objects.filter(pk=prediction.pk).update(state=SuggestionState.CORRECTED)
    return feedback
