"""Built-in plan templates (zh-Hans and en), following the structure of the source documents
(客服工作计划: 指导思想, 现状复盘, 目标, 措施, 实施与监控, 评估与持续改进, 应急预案, 绩效考核与激励),
with the goals those documents set, bound to registry keys. A goal whose key is not registered yet is
still offered, shown as "not available yet" (progress.available)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kefu.accounts.models import Team, User

from . import progress, services
from .errors import UnknownTemplate
from .models import Plan, PlanKind, ScopeKind


@dataclass(frozen=True)
class GoalDefault:
    metric: str  # "" = manual measure
    title_zh: str
    title_en: str
    target: float
    nominal_baseline: float | None = None  # the documents' figure, used when the data has none
    core: bool = True
    weight: int = 1
    direction: str = ""  # manual measures only
    unit: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Blueprint:
    key: str
    kind: str
    title_zh: str
    title_en: str
    sections_zh: dict[str, str]
    sections_en: dict[str, str]
    goals: tuple[GoalDefault, ...]

    def title(self, period: str) -> str:
        base = self.title_zh if _zh() else self.title_en
        return f"{period} {base}"

    def sections(self) -> dict[str, str]:
        return self.sections_zh if _zh() else self.sections_en


def _zh() -> bool:
    return (translation.get_language() or "zh-hans").lower().startswith("zh")


def _ul(*items: str) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


CSAT = GoalDefault("csat", "客户满意度提升至 90%", "Raise CSAT to 90 %", 90, 85, weight=3)
SECOND = GoalDefault(
    "second_complaint_rate", "二次投诉率降至 1.5%", "Cut second complaints to 1.5 %", 1.5, 3, weight=2
)
TOUCH = GoalDefault("touch_rate", "重点客户触达率 100%", "Reach 100 % of key customers", 100, weight=2)
HANDLING = GoalDefault(
    "handling_minutes", "平均处理时长降至 3 分钟", "Handling time down to 3 minutes", 3, 5, weight=2
)
REPEAT = GoalDefault(
    "repeat_dispatch_rate", "工单重复派发率降至 8%", "Repeat dispatch down to 8 %", 8, 15, weight=2
)
FIRST = GoalDefault(
    "first_response_minutes", "首次响应不超过 2 小时", "First response within 2 hours", 120, core=False
)
SLA = GoalDefault("sla_compliance", "SLA 达标率 95% 以上", "SLA compliance at least 95 %", 95, core=False)
REOPEN = GoalDefault("reopen_rate", "重开率不高于 5%", "Reopen rate at most 5 %", 5, core=False)
FCR = GoalDefault("fcr_rate", "一次解决率 80% 以上", "First-contact resolution at least 80 %", 80, core=False)
NEW_HIRE = GoalDefault(
    "",
    "新员工考核通过率由 88% 提升至 95%",
    "New-hire pass rate from 88 % to 95 %",
    95,
    88,
    core=False,
    direction="higher",
    unit="percent",
)

_SECTIONS_ZH = {
    "guiding": "<p>以客户为中心，首问负责，用数据驱动服务改进，提升客户满意度与忠诚度。</p>",
    "review": "<p>以下为上一周期的数据复盘（可保留、修改或删除每条结论），并补充关键问题与瓶颈。</p>",
    "measures": _ul(
        "流程优化：问题分流、减少重复派发，复杂问题 3 个工作日内解决",
        "跨部门协作：与仓储、质检、技术每日 10:00 与 16:00 同步",
        "培训：新员工四周带教，场景考核通过率 95% 以上",
        "客户关怀：重点客户月度关怀与回访",
        "工具：知识库与话术模板，智能分流",
    ),
    "implementation": _ul(
        "第一阶段：试点（选一个团队）", "第二阶段：全面推广", "实时跟踪：目标进度与预测每日更新"
    ),
    "evaluation": _ul("月度数据分析", "季度复盘", "客户调研与回访", "员工改进建议与奖励"),
    "emergency": _ul("工单量激增", "渠道中断", "集中投诉", "每季度演练一次"),
    "assessment": _ul("核心目标加权考核", "月度优秀员工奖励", "建议被采纳给予奖励"),
}
_SECTIONS_EN = {
    "guiding": "<p>Customer first, one owner per case, improvement driven by the operation's own data.</p>",
    "review": "<p>The review of the last period from the data (keep, edit or delete each finding), "
    "then the key problems and bottlenecks.</p>",
    "measures": _ul(
        "Process: route right the first time, fewer repeat dispatches, complex cases solved in 3 working days",
        "Collaboration: syncs with warehouse, QC and tech at 10:00 and 16:00",
        "Training: four-week onboarding, scenario tests passed at 95 %",
        "Customer care: monthly care calls and callbacks for key customers",
        "Tools: knowledge base, standard replies, automatic routing",
    ),
    "implementation": _ul(
        "Phase 1: pilot on one team", "Phase 2: roll out", "Live tracking of goals and forecasts"
    ),
    "evaluation": _ul(
        "Monthly analysis",
        "Quarterly review",
        "Customer research and callbacks",
        "Staff suggestions with rewards",
    ),
    "emergency": _ul("Ticket surge", "Channel outage", "Complaint wave", "A drill every quarter"),
    "assessment": _ul("Weighted core goals", "Agent of the month", "Rewards for adopted suggestions"),
}

BLUEPRINTS: dict[str, Blueprint] = {
    b.key: b
    for b in (
        Blueprint(
            "after-sales-quarterly",
            PlanKind.AFTER_SALES_QUARTERLY,
            "售后客服季度工作计划",
            "quarterly after-sales service plan",
            _SECTIONS_ZH,
            _SECTIONS_EN,
            (CSAT, SECOND, TOUCH, HANDLING, REPEAT, FIRST, SLA, NEW_HIRE),
        ),
        Blueprint(
            "team-work",
            PlanKind.TEAM,
            "客服团队工作计划",
            "service team work plan",
            _SECTIONS_ZH,
            _SECTIONS_EN,
            (CSAT, FIRST, HANDLING, FCR, SLA, NEW_HIRE),
        ),
        Blueprint(
            "process-optimisation",
            PlanKind.PROCESS,
            "客服流程优化方案",
            "service process-optimisation plan",
            _SECTIONS_ZH,
            _SECTIONS_EN,
            (REPEAT, HANDLING, FIRST, REOPEN, SLA),
        ),
        Blueprint(
            "service-strategy",
            PlanKind.STRATEGY,
            "客户服务策略方案",
            "customer service strategy",
            _SECTIONS_ZH,
            _SECTIONS_EN,
            (CSAT, SECOND, TOUCH, FCR),
        ),
        Blueprint(
            "personal",
            PlanKind.PERSONAL,
            "个人工作计划",
            "personal work plan",
            {k: _SECTIONS_ZH[k] for k in ("guiding", "review", "measures", "evaluation")},
            {k: _SECTIONS_EN[k] for k in ("guiding", "review", "measures", "evaluation")},
            (HANDLING, FIRST, FCR),
        ),
    )
}


def get(key: str) -> Blueprint:
    try:
        return BLUEPRINTS[key]
    except KeyError:
        from . import own_templates

        saved = own_templates.find(key)
        if saved is not None:
            return saved
        raise UnknownTemplate(
            _("No template %(key)s; choose one of %(keys)s.") % {"key": key, "keys": ", ".join(BLUEPRINTS)},
            field="template",
        ) from None


@transaction.atomic
def create_from_template(
    key: str,
    *,
    period: str,
    by: User,
    title: str = "",
    owner: User | None = None,
    scope_kind: str = ScopeKind.SERVICE,
    scope_team: Team | None = None,
    scope_channel: str = "",
    scope_person: User | None = None,
) -> tuple[Plan, list[str]]:
    """A draft plan from a template: sections, the review pre-filled from the data, and the default
    goals bound to metrics with baselines from the previous period (owner: the plan's owner).
    Returns the plan and the SMART check's warnings."""
    blueprint = get(key)
    if blueprint.kind == PlanKind.PERSONAL and scope_kind == ScopeKind.SERVICE:
        scope_kind, scope_person = ScopeKind.PERSON, scope_person or owner or by
    from . import periods

    label = periods.parse(period).label
    plan = services.create_plan(
        title=title or blueprint.title(label),
        kind=blueprint.kind,
        period=period,
        by=by,
        owner=owner,
        scope_kind=scope_kind,
        scope_team=scope_team,
        scope_channel=scope_channel,
        scope_person=scope_person,
        sections=blueprint.sections(),
        template=key,
    )
    warnings: list[str] = []
    scope_dims = set(progress.scope_filters(plan))
    for default in blueprint.goals:
        metric = default.metric
        if metric and progress.available(metric):
            from kefu.core import metrics

            if not scope_dims <= set(metrics.get(metric).dimensions):
                continue  # this figure cannot be narrowed to the plan's scope
        baseline = None
        if metric and progress.available(metric):
            baseline = services.baseline_for(plan, metric, default.filters)
        if baseline is None and not metric:
            baseline = default.nominal_baseline
        spec = services.GoalSpec(
            title=default.title_zh if _zh() else default.title_en,
            target=default.target,
            metric=metric,
            baseline=baseline,
            direction=default.direction,
            unit=default.unit,
            filters=dict(default.filters),
            core=default.core,
            weight=default.weight,
            owner=plan.owner,
        )
        if metric and not progress.available(metric):
            _add_unavailable(plan, spec)
            continue
        _goal, found = services.add_goal(plan, spec=spec, by=by)
        warnings += found
    return plan, warnings


def _add_unavailable(plan: Plan, spec: services.GoalSpec) -> None:
    """A default goal whose metric is not registered yet: kept, shown as "not available yet"."""
    from .models import Goal

    Goal.objects.create(
        plan=plan,
        position=plan.goals.count(),
        title=spec.title,
        metric=spec.metric,
        target=spec.target,
        direction="higher" if spec.target >= (spec.baseline or 0) else "lower",
        deadline=plan.end,
        core=spec.core,
        weight=spec.weight,
        owner=spec.owner,
    )


def describe(plan: Plan) -> dict[str, Any]:
    """The plan as one JSON-ready object (the CLI's --json and the API)."""
    goals = []
    for goal in plan.goals.all():
        state = progress.goal_progress(goal)
        goals.append(
            {
                "id": goal.pk,
                "title": goal.title,
                "metric": goal.metric or None,
                "unit": goal.unit,
                "filters": goal.filters,
                "baseline": None if goal.baseline is None else round(goal.baseline, 2),
                "target": goal.target,
                "direction": goal.direction,
                "deadline": goal.deadline.isoformat(),
                "core": goal.core,
                "weight": goal.weight,
                "owner": goal.owner.username if goal.owner else None,
                "progress": state.as_dict()["progress"],
                "value": state.as_dict()["value"],
                "forecast": state.as_dict()["forecast"],
                "forecast_low": state.as_dict()["forecast_low"],
                "forecast_high": state.as_dict()["forecast_high"],
                "status": state.status,
            }
        )
    return {
        "id": plan.pk,
        "title": plan.title,
        "kind": plan.kind,
        "template": plan.template,
        "period": plan.period_label,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "scope": plan.scope_kind,
        "state": plan.state,
        "owner": plan.owner.username,
        "forecast_method": str(progress.FORECAST_METHOD),
        "review": [
            {
                "id": f.pk,
                "topic": f.topic,
                "metric": f.metric,
                "text": f.text,
                "figure": f.figure,
                "link": f.link,
            }
            for f in plan.findings.exclude(state="deleted")
        ],
        "goals": goals,
    }
