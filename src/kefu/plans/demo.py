"""Demo content of the plans app (`kefu demo` / `kefu up`), idempotent: re-running changes nothing.

`after_tickets()` runs each part of the plans demo; each part is a function of its own so the
engineers working on plans can add theirs without touching another's."""

from __future__ import annotations

import logging
from datetime import timedelta

log = logging.getLogger("kefu.plans.demo")


def after_tickets() -> None:
    load_actions_demo()


def load_actions_demo() -> None:
    """On the latest plan that is not closed (if there is one): a 10:00/16:00 department sync, a
    monthly workshop, a one-off action already late, a pilot on one team, and two staff suggestions
    (one accepted and rewarded). Each is added once, found again by its title."""
    from kefu.accounts.models import Team, User
    from kefu.core import metrics

    from . import actions, suggestions
    from .models import Action, Plan, Suggestion
    from .states import PlanState

    plan = Plan.objects.exclude(state=PlanState.CLOSED).order_by("-start", "-pk").first()
    if plan is None:
        return
    boss = plan.owner
    agent = User.objects.filter(username="lina").first() or boss
    today = actions.today()
    start = min(max(today, plan.start), plan.end)
    have = set(plan.actions.values_list("title", flat=True))
    goals = [g.pk for g in plan.goals.all()[:2]]

    def add(title: str, **kw: object) -> Action | None:
        if title in have:
            return None
        spec = actions.ActionSpec(title=title, owner=kw.pop("owner", boss), **kw)  # type: ignore[arg-type]
        try:
            return actions.create_action(plan, spec=spec, by=boss)
        except Exception:  # noqa: BLE001 - the demo never stops for one part
            log.warning("demo action %s not added", title, exc_info=True)
            return None

    add(
        "部门同步会（10:00 / 16:00）",
        kind="collaboration",
        start=start,
        due=plan.end,
        rule="FREQ=DAILY;BYHOUR=10,16",
        checklist=["仓库延误工单", "质检退回", "技术问题升级"],
        resources="会议室 A，15 分钟",
    )
    add(
        "月度服务改进研讨会",
        kind="training",
        start=plan.start,
        due=plan.end,
        rule="FREQ=MONTHLY;BYDAY=1TU;BYHOUR=14",
        goals=goals,
        resources="培训室，2 小时",
    )
    late_due = max(plan.start, min(today - timedelta(days=3), plan.end))
    add(
        "梳理退换货处理流程",
        kind="process",
        owner=agent,
        start=plan.start,
        due=late_due,
        goals=goals[:1],
        checklist=["画出现有流程", "找出重复派单环节", "新流程评审"],
        evidence=["/agent/tickets/?status=open"],
    )
    team = Team.objects.order_by("pk").first()
    keys = [k for k in ("csat", "first_response_minutes", "handling_minutes") if _has(metrics, k, "team")]
    if team is not None and keys:
        add(
            f"新退货话术试点（{team.name}）",
            kind="care",
            start=plan.start,
            due=plan.end,
            goals=goals,
            pilot_dimension="team",
            pilot_values=[str(team.pk)],
            pilot_metrics=keys,
        )
    if not Suggestion.objects.filter(plan=plan).exists() and agent.is_agent:
        idea = suggestions.propose(
            plan, title="退货页面加自助查询入口", body="每天约 30 通电话只问退货进度", by=agent
        )
        suggestions.accept(idea, by=boss, kind="tools")
        idea.refresh_from_db()
        suggestions.reward(idea, text="月度创新奖", amount="200", by=boss)
        suggestions.propose(
            plan, title="夜班 22 点后增加一名客服", body="22 点后排队时间超过 5 分钟", by=agent
        )


def _has(metrics: object, key: str, dim: str) -> bool:
    try:
        return dim in metrics.get(key).dimensions  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return False
