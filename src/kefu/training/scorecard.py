"""The agent scorecard: one agent's month against their team's targets.

Every figure is read by key from the metric registry (`core.metrics.total`, filtered to the agent) —
nothing is computed a second time here. A key the registry does not hold, or that cannot be cut by
agent, is shown as not measured. Targets: the team's (`ScorecardTarget`), else the default below."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import Team, User
from kefu.core import metrics

from . import periods
from .errors import ValidationFailed
from .models import ScorecardTarget

# (key, default target): the work-plan guide's CSAT ≥ 85 %, complaint rate < 3 %, the SLA's 2 h first
# response and 24 h resolution, and training coverage 100 %.
LINES: list[tuple[str, float]] = [
    ("csat", 85.0),
    ("complaint_rate", 3.0),
    ("first_response_minutes", 120.0),
    ("resolution_hours", 24.0),
    ("fcr_rate", 80.0),
    ("qa_score", 90.0),
    ("training_coverage", 100.0),
]
KEYS = [k for k, _t in LINES]
NOT_MEASURED = gettext_lazy("not measured")


@dataclass(frozen=True)
class Line:
    key: str
    name: Any
    unit: str
    direction: str
    value: float | None
    target: float
    measured: bool

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.direction == "higher" else self.value <= self.target


def targets_for(person: User) -> dict[str, float]:
    found: dict[str, float] = dict(LINES)
    team_ids = list(person.teams.order_by("pk").values_list("pk", flat=True))
    if team_ids:
        first_team = team_ids[0]
        for row in ScorecardTarget.objects.filter(team_id=first_team):
            found[row.key] = row.target
    return found


def agent_month(person: User, *, month: str) -> list[Line]:
    start, end = periods.month(month)
    targets = targets_for(person)
    lines: list[Line] = []
    for key in KEYS:
        try:
            metric = metrics.get(key)
        except metrics.MetricError:
            lines.append(Line(key, key, "", "higher", None, targets[key], False))
            continue
        if "agent" not in metric.dimensions:
            lines.append(Line(key, metric.name, metric.unit, metric.direction, None, targets[key], False))
            continue
        value = metrics.total(key, start=start, end=end, filters={"agent": [str(person.pk)]})
        lines.append(Line(key, metric.name, metric.unit, metric.direction, value, targets[key], True))
    return lines


@transaction.atomic
def set_target(team: Team, *, key: str, target: float) -> ScorecardTarget:
    if key not in KEYS:
        raise ValidationFailed(_("Not a scorecard figure."), field="key")
    if not 0 <= target <= 100000:
        raise ValidationFailed(_("A target is a number from 0 to 100000."), field="target")
    row, _made = ScorecardTarget.objects.update_or_create(team=team, key=key, defaults={"target": target})
    return row
