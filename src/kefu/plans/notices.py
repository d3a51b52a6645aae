"""At-risk notices: a periodic check of the goals of active plans. When a goal's status turns at
risk or off track, its owner (the plan's owner when the goal has none) is told once per turn.

The last status seen is stored per goal (GoalWatch) and moved by compare-and-set, so of several
workers checking at once only the one that moved it notifies; the notice's dedupe key carries the
turn's number, so even a repeat of that worker writes one notice. A goal that recovers and then
slips again is a new turn and is told again."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import override

from kefu.accounts.services import notify
from kefu.core.clock import now

from . import progress
from .models import Goal, GoalWatch
from .states import PlanState

WARN = frozenset({"at_risk", "off_track"})


def check_goal(goal: Goal) -> bool:
    """Look at one goal; returns True when this call told its owner of a turn."""
    status = progress.goal_progress(goal).status
    watch, _created = GoalWatch.objects.get_or_create(goal=goal)
    previous = watch.status
    if status == previous:
        return False
    moved = GoalWatch.objects.filter(pk=watch.pk, status=previous).update(
        status=status, turns=F("turns") + 1, changed_at=now()
    )
    if not moved or status not in WARN:
        return False  # another worker saw the turn first, or it is no bad news
    watch.refresh_from_db()
    owner = goal.owner or goal.plan.owner
    with override(getattr(owner, "language", None) or None):
        text = (
            _("Goal %(goal)s of %(plan)s is now at risk.")
            if status == "at_risk"
            else _("Goal %(goal)s of %(plan)s is now off track.")
        ) % {"goal": goal.title, "plan": goal.plan.title}
    notify(
        [owner],
        kind="plan_goal_status",
        text=text,
        url=f"/agent/plans/{goal.plan_id}/",
        dedupe_key=f"plan-goal:{goal.pk}:{watch.turns}",
    )
    return True


def check_active_goals() -> int:
    """The periodic job: every goal of every active plan; returns how many owners were told."""
    goals = (
        Goal.objects.filter(plan__state=PlanState.ACTIVE)
        .select_related("plan", "plan__owner", "owner")
        .order_by("pk")
    )
    return sum(check_goal(goal) for goal in goals.iterator())
