"""The active work plans' goals on the supervisor's overview dashboard (registered with
`core.extensions`, which analytics draws from: analytics may not import plans)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from . import progress, selectors
from .states import PlanState

PLANS_SHOWN = 3


def active_goals(request: HttpRequest) -> str:
    """The plans running today that the reader may see, each goal with its figure, target and
    status; nothing when there is no such plan."""
    today = progress.today()
    plans = list(
        selectors.list_plans(request.user)
        .filter(state=PlanState.ACTIVE, start__lte=today, end__gte=today)
        .order_by("end", "pk")[:PLANS_SHOWN]
    )
    if not plans:
        return ""
    rows = [(plan, [(goal, progress.goal_progress(goal)) for goal in plan.goals.all()]) for plan in plans]
    return render_to_string("plans/_dashboard_goals.html", {"rows": rows}, request=request)
