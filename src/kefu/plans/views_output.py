"""Agent pages of a plan's output: the print view, the PDF/DOCX downloads, the evaluations (write,
conclusions, sign-off), seeding the next period's plan, the quarter-against-quarter comparison and
saving the plan as a template. Thin: every rule lives in evaluations.py, export/, own_templates.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.core.errors import DomainError

from . import evaluations, export, own_templates, selectors
from .export import content


def _plan(request: HttpRequest, pk: int):
    if not selectors.can_read(request.user):
        raise Http404()
    try:
        return selectors.access_plan(request.user, pk)
    except DomainError:
        raise Http404() from None


def _chart_json(spec) -> dict:  # noqa: ANN001
    from datetime import date, timedelta

    start = date.fromisoformat(spec.start)
    return {
        "x": [(start + timedelta(days=i)).isoformat() for i in range(spec.total_days)],
        "values": spec.values,
        "trend": spec.trend,
        "target": spec.target,
        "low": spec.low,
        "high": spec.high,
        "labels": {"value": spec.labels[0], "trend": spec.labels[1], "target": spec.labels[2]},
    }


def print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole plan on one page, laid out for paper (print CSS), charts drawn by plans.js."""
    plan = _plan(request, pk)
    doc = content.build(plan, user=request.user)
    charts = {}
    for i, goal in enumerate(doc.goals):
        if goal.chart is not None:
            goal.chart_id = f"chart-print-goal-{i}"  # type: ignore[attr-defined]
            charts[goal.chart_id] = _chart_json(goal.chart)  # type: ignore[attr-defined]
    for s, (_name, _label, blocks) in enumerate(doc.sections):
        for b, block in enumerate(blocks):
            if block.chart is not None:
                block.chart_id = f"chart-print-live-{s}-{b}"  # type: ignore[attr-defined]
                charts[block.chart_id] = _chart_json(block.chart)  # type: ignore[attr-defined]
    for e, part in enumerate(doc.evaluations):
        for g, goal in enumerate(part.goals):
            if goal.get("chart") is not None:
                goal["chart_id"] = f"chart-print-ev-{e}-{g}"
                charts[goal["chart_id"]] = _chart_json(goal["chart"])
    return render(request, "plans/print.html", {"plan": plan, "doc": doc, "charts": charts})


def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    plan = _plan(request, pk)
    if fmt not in export.FORMATS:
        raise Http404()
    data = export.render(plan, fmt, user=request.user)
    response = HttpResponse(data, content_type=export.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{content.filename(plan, fmt)}"'
    return response


@require_POST
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        ev = evaluations.evaluate(
            plan,
            kind=request.POST.get("kind", "monthly"),
            month=request.POST.get("month", ""),
            by=request.user,
        )
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("plans:detail", pk=plan.pk)
    messages.success(request, _("Evaluation written from the data."))
    return redirect("plans:evaluation", pk=plan.pk, ev=ev.pk)


def evaluation(request: HttpRequest, pk: int, ev: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        found = evaluations.access_evaluation(request.user, plan, ev)
    except DomainError:
        raise Http404() from None
    part = content.evaluation_part(found)
    charts = {}
    for i, goal in enumerate(part.goals):
        if goal.get("chart") is not None:
            goal["chart_id"] = f"chart-ev-{i}"
            charts[goal["chart_id"]] = _chart_json(goal["chart"])
    return render(
        request,
        "plans/evaluation.html",
        {
            "plan": plan,
            "ev": found,
            "part": part,
            "charts": charts,
            "can_manage": selectors.can_manage(request.user, plan),
            "is_owner": request.user.pk == plan.owner_id,
            "read_at": _read_at(found),
        },
    )


def _read_at(ev):  # noqa: ANN001, ANN202
    from datetime import datetime

    stamp = (ev.snapshot or {}).get("generated_at")
    return datetime.fromisoformat(stamp) if stamp else ev.updated_at


@require_POST
def evaluation_action(request: HttpRequest, pk: int, ev: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        found = evaluations.access_evaluation(request.user, plan, ev)
    except DomainError:
        raise Http404() from None
    action = request.POST.get("action", "")
    back = redirect("plans:evaluation", pk=plan.pk, ev=found.pk)
    try:
        if action == "sign":
            evaluations.sign_off(found, by=request.user)
            messages.success(request, _("Signed off; the evaluation is read-only now."))
        elif action == "refresh":
            evaluations.evaluate(
                plan,
                kind=found.kind,
                month=found.period_label if found.kind == "monthly" else "",
                by=request.user,
            )
            messages.success(request, _("Figures read again from the data."))
        else:
            evaluations.write_conclusions(found, text=request.POST.get("conclusions", ""), by=request.user)
            messages.success(request, _("Conclusions saved."))
    except DomainError as err:
        messages.error(request, err.message)
    return back


@require_POST
def seed_next(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        successor, warnings = evaluations.seed_next_plan(plan, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("plans:detail", pk=plan.pk)
    for w in warnings:
        messages.warning(request, w)
    messages.success(request, _("The next period's plan is drafted; goals carried over with new baselines."))
    return redirect("plans:detail", pk=successor.pk)


def compare(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    return render(
        request, "plans/compare.html", {"plan": plan, "comparison": evaluations.compare_quarters(plan)}
    )


@require_POST
def save_template(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        saved = own_templates.save_as_template(
            plan, name=request.POST.get("name", ""), key=request.POST.get("key", ""), by=request.user
        )
    except DomainError as err:
        messages.error(request, err.message)
    else:
        messages.success(
            request, _("Saved as the template %(name)s (%(key)s).") % {"name": saved.name, "key": saved.key}
        )
    return redirect("plans:detail", pk=plan.pk)
