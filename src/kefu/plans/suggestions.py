"""Staff suggestions (员工建议): any agent who can read a plan proposes an improvement; the plan's
owner (or a supervisor) accepts it into the plan as an action or declines it with a reason; an
accepted one can be rewarded (what, how much, by whom, when). Deciding is a compare-and-set on the
open state: of two people deciding at once, one wins and the other gets 409."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.accounts.services import notify
from kefu.core.clock import now

from . import actions, selectors
from .errors import (
    AlreadyDecided,
    BadTransition,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    ValidationFailed,
)
from .models import Plan, Suggestion, SuggestionStatus
from .states import PlanState


def plan_suggestions(plan: Plan) -> QuerySet[Suggestion]:
    return plan.suggestions.select_related("proposed_by", "decided_by", "rewarded_by", "action").order_by(
        "-created_at", "-pk"
    )


def access_suggestion(user: User, plan: Plan, pk: int) -> Suggestion:
    found = plan_suggestions(plan).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such suggestion."))
    return found


@transaction.atomic
def propose(plan: Plan, *, title: str, body: str = "", by: User) -> Suggestion:
    # Anyone who reads the plan may propose; others were already answered 404 by access_plan.
    if not selectors.can_read(by) or not selectors.visible_plans(by).filter(pk=plan.pk).exists():
        raise NotFound(_("No such plan."))
    if plan.state == PlanState.CLOSED:
        raise BadTransition(_("A closed plan takes no more suggestions."))
    if not title.strip():
        raise ValidationFailed(_("A suggestion needs a title."), field="title")
    suggestion = Suggestion.objects.create(
        plan=plan, title=title.strip()[:200], body=body.strip()[:5000], proposed_by=by, created_at=now()
    )
    if plan.owner_id != by.pk:
        notify(
            [plan.owner],
            kind="plan_suggestion",
            text=_("%(who)s suggests for %(plan)s: %(title)s")
            % {"who": by.name, "plan": plan.title, "title": suggestion.title},
            url=f"/agent/plans/{plan.pk}/#suggestions",
            dedupe_key=f"plan-suggestion:{suggestion.pk}",
        )
    return suggestion


def _decide(suggestion: Suggestion, by: User, **fields: object) -> None:
    if not selectors.can_manage(by, suggestion.plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor decides on suggestions."))
    updated = Suggestion.objects.filter(pk=suggestion.pk, status=SuggestionStatus.OPEN).update(
        decided_by=by, decided_at=now(), **fields
    )
    if not updated:
        raise AlreadyDecided(_("This suggestion has already been decided."), field="status")


@transaction.atomic
def accept(
    suggestion: Suggestion,
    *,
    by: User,
    owner: User | None = None,
    start: date | None = None,
    due: date | None = None,
    kind: str = "process",
    goals: list[int] | None = None,
) -> Suggestion:
    """Accept into the plan: a new action titled like the suggestion, owned by `owner` (default: the
    proposer), from `start` (default today, within the plan) to `due` (default the plan's end)."""
    plan = suggestion.plan
    if suggestion.status != SuggestionStatus.OPEN:
        raise AlreadyDecided(_("This suggestion has already been decided."), field="status")
    start = start or max(plan.start, min(actions.today(), plan.end))
    spec = actions.ActionSpec(
        title=suggestion.title,
        kind=kind,
        owner=owner or suggestion.proposed_by,
        start=start,
        due=due or plan.end,
        goals=goals or [],
        resources=suggestion.body,
    )
    _decide(suggestion, by, status=SuggestionStatus.ACCEPTED)
    action = actions.create_action(plan, spec=spec, by=by)
    Suggestion.objects.filter(pk=suggestion.pk).update(action=action)
    suggestion.refresh_from_db()
    _tell_proposer(suggestion, _("Your suggestion %(title)s was accepted into %(plan)s."))
    return suggestion


@transaction.atomic
def decline(suggestion: Suggestion, *, reason: str, by: User) -> Suggestion:
    if not reason.strip():
        raise ReasonRequired(_("Say why the suggestion is declined."), field="reason")
    _decide(suggestion, by, status=SuggestionStatus.DECLINED, reason=reason.strip()[:2000])
    suggestion.refresh_from_db()
    _tell_proposer(suggestion, _("Your suggestion %(title)s was declined for %(plan)s."))
    return suggestion


@transaction.atomic
def reward(suggestion: Suggestion, *, text: str, amount: str | Decimal | None = None, by: User) -> Suggestion:
    if not selectors.can_manage(by, suggestion.plan):
        raise PermissionDenied(_("Only the plan's owner or a supervisor rewards suggestions."))
    if not text.strip():
        raise ValidationFailed(_("Say what the reward is."), field="reward")
    value = None
    if amount not in (None, ""):
        try:
            value = Decimal(str(amount))
        except InvalidOperation:
            raise ValidationFailed(_("Write the amount as a number."), field="amount") from None
        if not value.is_finite() or value < 0 or value >= Decimal("100000000"):
            raise ValidationFailed(_("Write the amount as a number."), field="amount")
        value = value.quantize(Decimal("0.01"))
    updated = Suggestion.objects.filter(
        pk=suggestion.pk, status=SuggestionStatus.ACCEPTED, rewarded_at__isnull=True
    ).update(reward=text.strip()[:200], reward_amount=value, rewarded_by=by, rewarded_at=now())
    if not updated:
        raise AlreadyDecided(_("Only an accepted suggestion is rewarded, and once."), field="status")
    suggestion.refresh_from_db()
    _tell_proposer(suggestion, _("Your suggestion %(title)s for %(plan)s was rewarded."))
    return suggestion


def _tell_proposer(suggestion: Suggestion, text: str) -> None:
    notify(
        [suggestion.proposed_by],
        kind="plan_suggestion",
        text=text % {"title": suggestion.title, "plan": suggestion.plan.title},
        url=f"/agent/plans/{suggestion.plan_id}/#suggestions",
        dedupe_key=f"plan-suggestion:{suggestion.pk}:{suggestion.status}:{bool(suggestion.rewarded_at)}",
    )
