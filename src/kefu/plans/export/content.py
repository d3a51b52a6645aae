"""What an exported plan holds, gathered once for the PDF, the DOCX and the print page: the header,
every section (its rich text as paragraphs and list items, live data blocks drawn), the review's
findings with their figures, the goals with baseline, target, value, progress, forecast, status and
chart, the actions (when the plan has them), and the evaluations with their conclusions and sign-off."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core import metrics
from kefu.plans import blocks, evaluations, progress, review
from kefu.plans.models import SECTIONS, FindingState, Plan

from .charts import ChartSpec


@dataclass
class Block:
    kind: str  # h | p | li | metric | chart
    text: str = ""
    chart: ChartSpec | None = None


@dataclass
class GoalRow:
    title: str
    metric: str
    core: bool
    weight: int
    deadline: str
    owner: str
    baseline: str
    target: str
    value: str
    progress: str
    forecast: str
    status: str
    status_code: str
    chart: ChartSpec | None = None


@dataclass
class EvaluationPart:
    title: str
    period: str
    goals: list[dict[str, Any]]
    kpis: list[dict[str, Any]]
    actions: dict[str, Any]
    conclusions: str
    signed: str


@dataclass
class Document:
    title: str
    company: str
    meta: list[tuple[str, str]]
    sections: list[tuple[str, str, list[Block]]]  # (name, label, blocks)
    findings: list[tuple[str, str]]
    goals: list[GoalRow]
    method: str
    actions: list[list[str]] | None
    evaluations: list[EvaluationPart] = field(default_factory=list)
    made: str = ""


class _Flatten(HTMLParser):
    """Sanitised section HTML → headings, paragraphs and list items (text only)."""

    BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[Block] = []
        self.kind = "p"
        self.buf: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.buf).split())
        if text:
            self.out.append(Block(self.kind, text))
        self.buf = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.BLOCKS or tag == "br":
            self.flush()
            if tag != "br":
                self.kind = "li" if tag == "li" else ("h" if tag[0] == "h" and tag[1:].isdigit() else "p")
        elif tag in ("td", "th"):
            self.buf.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.flush()
            self.kind = "p"

    def handle_data(self, data: str) -> None:
        self.buf.append(data)


def html_blocks(plan: Plan, html: str, user: Any) -> list[Block]:
    """The section's blocks; a live data marker becomes its own block (figure or chart)."""
    parser = _Flatten()
    parser.feed(html or "")
    parser.close()
    parser.flush()
    out: list[Block] = []
    for block in parser.out:
        pos = 0
        for match in blocks.MARKER.finditer(block.text):
            before = block.text[pos : match.start()].strip()
            if before:
                out.append(Block(block.kind, before))
            pos = match.end()
            live = blocks.resolve(plan, match[1], match[2], user)
            if live is None:
                continue
            text = f"{live.name}: {live.figure}"
            if live.kind == "chart" and live.chart is not None and live.chart.drawable:
                out.append(Block("chart", text, live.chart))
            else:
                out.append(Block("metric", text))
        rest = block.text[pos:].strip()
        if rest:
            out.append(Block(block.kind, rest))
    return out


def _num(value: float | None, unit: str) -> str:
    return review.fmt(value, unit)


def goal_chart(plan: Plan, goal: Any, state: progress.Progress) -> ChartSpec | None:
    if not state.has_series:
        return None
    return ChartSpec(
        title=goal.title,
        unit=goal.unit,
        values=list(state.values),
        total_days=(plan.end - plan.start).days + 1,
        trend=list(state.trend),
        target=goal.target,
        low=state.low,
        high=state.high,
        start=plan.start.isoformat(),
        end=plan.end.isoformat(),
        labels=(_("Actual"), _("Trend"), _("Target")),
    )


def _metric_name(key: str) -> str:
    if not key:
        return _("Measured by hand")
    try:
        return f"{metrics.get(key).name} ({key})"
    except metrics.MetricError:
        return key


def _goal_rows(plan: Plan) -> list[GoalRow]:
    rows = []
    for goal in plan.goals.all():
        state = progress.goal_progress(goal)
        forecast = _num(state.forecast, goal.unit)
        if state.low is not None and state.high is not None:
            forecast += f" ({_num(state.low, goal.unit)} – {_num(state.high, goal.unit)})"
        rows.append(
            GoalRow(
                title=goal.title,
                metric=_metric_name(goal.metric),
                core=goal.core,
                weight=goal.weight,
                deadline=goal.deadline.isoformat(),
                owner=goal.owner.name if goal.owner_id else "—",
                baseline=_num(goal.baseline, goal.unit),
                target=_num(goal.target, goal.unit),
                value=_num(state.value, goal.unit),
                progress="—" if state.progress is None else f"{state.progress:.0f}%",
                forecast=forecast if state.available else "—",
                status=state.status_label,
                status_code=state.status,
                chart=goal_chart(plan, goal, state),
            )
        )
    return rows


def _actions(plan: Plan) -> list[list[str]] | None:
    found = evaluations.plan_actions(plan)
    if found is None:
        return None
    rows = []
    for action in found:
        status = action.get_status_display() if hasattr(action, "get_status_display") else action.status
        rows.append(
            [
                action.title,
                action.owner.name if action.owner_id else "—",
                f"{action.start.isoformat()} – {action.due.isoformat()}"
                if action.start
                else action.due.isoformat(),
                str(status),
            ]
        )
    return rows


def evaluation_part(ev: Any) -> EvaluationPart:
    snap = ev.snapshot or {}
    signed = ""
    if ev.signed_at:
        signed = _("Signed off by %(who)s at %(when)s") % {
            "who": ev.signed_by.name if ev.signed_by_id else "—",
            "when": timezone.localtime(ev.signed_at).strftime("%Y-%m-%d %H:%M"),
        }
    goals = []
    for g in snap.get("goals", []):
        chart = None
        if any(v is not None for v in g.get("values", [])):
            days = g.get("days") or []
            chart = ChartSpec(
                title=g["title"],
                unit=g.get("unit", ""),
                values=g["values"],
                total_days=(ev.end - ev.start).days + 1,
                target=g.get("target"),
                start=days[0] if days else ev.start.isoformat(),
                end=ev.end.isoformat(),
                labels=(_("Actual"), _("Trend"), _("Target")),
            )
        goals.append({**g, "result_label": evaluations.result_label(g.get("result", "")), "chart": chart})
    return EvaluationPart(
        title=str(ev.get_kind_display()),
        period=f"{ev.period_label} ({ev.start.isoformat()} – {ev.end.isoformat()})",
        goals=goals,
        kpis=snap.get("kpis", []),
        actions=snap.get("actions", {"available": False}),
        conclusions=ev.conclusions,
        signed=signed,
    )


def build(plan: Plan, *, user: Any = None) -> Document:
    """The document of `plan` as `user` may read it (None: the operator, sees every figure)."""
    scope = plan.get_scope_kind_display()
    if plan.scope_team_id:
        scope += f" · {plan.scope_team}"
    elif plan.scope_channel:
        scope += f" · {plan.scope_channel}"
    elif plan.scope_person_id:
        scope += f" · {plan.scope_person.name}"
    meta = [
        (_("Period"), f"{plan.period_label} ({plan.start.isoformat()} – {plan.end.isoformat()})"),
        (_("Scope"), scope),
        (_("Owner"), plan.owner.name),
        (_("State"), str(plan.get_state_display())),
        (_("Kind"), str(plan.get_kind_display())),
    ]
    sections = [(name, str(label), html_blocks(plan, getattr(plan, name), user)) for name, label in SECTIONS]
    findings = [(f.text, f.figure) for f in plan.findings.all() if f.state != FindingState.DELETED]
    return Document(
        title=plan.title,
        company=settings.KEFU_COMPANY,
        meta=meta,
        sections=sections,
        findings=findings,
        goals=_goal_rows(plan),
        method=str(progress.FORECAST_METHOD),
        actions=_actions(plan),
        evaluations=[evaluation_part(ev) for ev in plan.evaluations.select_related("signed_by")],
        made=timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    )


def filename(plan: Plan, fmt: str) -> str:
    return f"plan-{plan.pk}-{plan.period_label}.{fmt}".replace("..", "_")
