"""The monthly report page (/agent/analytics/report/) and its downloads; metric and list exports.

Supervisors and admins only (the report has every agent's figures and ticket subjects): anybody
else, QA reviewers included, gets the same 404 as a missing page. Every download is written to the audit
log first (who, what, how many rows; FAULTS D3). Exports stream: CSV chunk by chunk, XLSX from a
temporary file, whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kefu.accounts.services import record_audit
from kefu.analytics.selectors import sees_all_figures
from kefu.core import exports, metrics
from kefu.core.filenames import content_disposition
from kefu.tickets.selectors import visible_tickets

from . import display
from .fonts import FontError
from .labels import group_labels
from .monthly import ReportError, build_monthly, last_closed_month, parse_month, period
from .render import render as render_report


def can_see_reports(user: Any) -> bool:
    """Supervisors and admins: the report has every agent's figures, which only they may see (the
    same rule as the dashboards and the metrics API, `analytics.selectors.sees_all_figures`)."""
    return bool(user.is_authenticated and sees_all_figures(user))


def reports_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_see_reports(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return wrapped


def _download(body: Any, name: str, content_type: str) -> HttpResponse:
    response = (
        FileResponse(body, content_type=content_type)
        if hasattr(body, "read")
        else HttpResponse(body, content_type=content_type)
    )
    response["Content-Disposition"] = content_disposition(name)
    response["Cache-Control"] = "private, no-store"  # personal data: never in a shared cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@reports_only
def monthly(request: HttpRequest) -> HttpResponse:
    """The page (format html) or a download (pdf, xlsx, json) of one month's report."""
    fmt = request.GET.get("format", "html")
    try:
        first = parse_month(request.GET["month"]) if request.GET.get("month") else last_closed_month()
    except ReportError as err:
        return render(request, "analytics/report_monthly.html", {"error": str(err), "month": ""}, status=400)
    if fmt == "html":
        report = build_monthly(first)
        context = {
            "report": report,
            "month": period(first),
            "headline": [_figure_row(f) for f in report.headline],
            "trend_rows": _trend_rows(report),
            "sparklines": [(t, _spark(t.values)) for t in report.trends],
            "agent_rows": [
                (a, [_agent_cell(a.values.get(c.key), c.unit) for c in report.agent_columns])
                for a in report.agents
            ],
            "issues": [
                (dim, [(i, display.growth_text(i.growth)) for i in items])
                for dim, items in report.issues.items()
            ],
            "sla_value": display.value_text(report.sla.value, report.sla.unit) if report.sla else "",
            "sla_previous": display.value_text(report.sla.previous, report.sla.unit) if report.sla else "",
            "sla_targets": [
                (
                    t,
                    display.value_text(t.compliance, "percent"),
                    display.value_text(t.previous, "percent"),
                    display.value_text(t.breaches, "count"),
                )
                for t in report.sla_targets
            ],
            "breach_count": display.value_text(report.breaches_count, "count"),
            "breach_previous": display.value_text(report.breaches_previous, "count"),
        }
        return render(request, "analytics/report_monthly.html", context)
    try:
        report = build_monthly(first)
        rendered = render_report(report, fmt)
    except (ReportError, FontError) as err:
        return HttpResponse(str(err), status=400, content_type="text/plain; charset=utf-8")
    record_audit(
        actor=request.user,
        action="analytics.report",
        summary=_("Monthly report %(period)s (%(format)s)")
        % {"period": period(first), "format": fmt.upper()},
        row_count=len(report.agents) + report.breaches_listed,
        detail={"report": "monthly", "period": period(first), "format": fmt},
        ip=request.META.get("REMOTE_ADDR", ""),
    )
    return _download(rendered.body, rendered.filename, rendered.content_type)


def _figure_row(f: Any) -> dict[str, Any]:
    return {
        "f": f,
        "value": display.value_text(f.value, f.unit),
        "previous": display.value_text(f.previous, f.unit),
        "last_year": display.value_text(f.last_year, f.unit),
        "change_previous": display.change_text(f.change_previous, f.unit),
        "change_last_year": display.change_text(f.change_last_year, f.unit),
        "target": display.value_text(f.target, f.unit) if f.target is not None else "",
    }


def _agent_cell(value: float | None, unit: str) -> str:
    if unit == "percent":
        return display.value_text(value, unit)
    return display.number(value, unit) if value is not None else display.DASH


def _trend_rows(report: Any) -> list[tuple[date, list[str]]]:
    return [
        (month, [display.value_text(t.values[i], t.unit) for t in report.trends])
        for i, month in enumerate(report.trend_months)
    ]


def _spark(values: list[float | None], width: int = 220, height: int = 44) -> str:
    """SVG polyline points of a 12-month line (no script: the page's CSP stays strict)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(0.0, min(known)), max(known)
    span = (high - low) or 1.0
    step = width / max(1, len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )


# --------------------------------------------------------------------------- metric and list exports


def _window_args(request: HttpRequest) -> dict[str, Any]:
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("from") or today.replace(day=1).isoformat())
        end = date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        raise metrics.MetricError(
            _("Dates are written YYYY-MM-DD."), code="bad_period", field="from"
        ) from None
    filters = {dim: request.GET.getlist(dim) for dim in metrics.DIMENSIONS if request.GET.getlist(dim)}
    return {"start": start, "end": end, "filters": filters}


def _export_format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        raise metrics.MetricError(
            _("Unknown export format: %(value)s.") % {"value": fmt[:10]},
            code="bad_format",
            field="format",
            allowed=list(exports.FORMATS),
        )
    return fmt


def _error(err: metrics.MetricError) -> HttpResponse:
    allowed = f" ({', '.join(err.allowed)})" if err.allowed else ""
    return HttpResponse(f"{err}{allowed}", status=400, content_type="text/plain; charset=utf-8")


def _stream(
    fmt: str, name: str, title: str, header: list[str], rows: Iterator[list[Any]], formats: list[str | None]
) -> HttpResponse:
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(
            exports.csv_chunks(header, rows), content_type=exports.CSV_TYPE
        )
        response["Content-Disposition"] = content_disposition(f"{name}.csv")
        response["Cache-Control"] = "private, no-store"
        return response
    return _download(
        exports.xlsx_file(title, header, rows, formats=formats), f"{name}.xlsx", exports.XLSX_TYPE
    )


@require_GET
@reports_only
def export_metric(request: HttpRequest, key: str) -> HttpResponse:
    """One metric as a table: ?from=&to=&grain=day|week|month|quarter&by=<dimension>&<dimension>=…&format=csv|xlsx."""
    try:
        fmt = _export_format(request)
        args = _window_args(request)
        grain = request.GET.get("grain") or None
        by = request.GET.get("by") or None
        series = metrics.compute(key, grain=grain, by=by, **args)
    except metrics.MetricError as err:
        return _error(err)
    metric = series.metric
    labels = group_labels(by, {p.group for p in series.points}) if by else {}
    header = [_("Period"), _("Group"), f"{metric.name}", _("Numerator"), _("Denominator")]
    fmt_value = display.XLSX_FORMATS.get(metric.unit)
    record_audit(
        actor=request.user,
        action="analytics.export",
        summary=_("Metric export %(key)s (%(format)s)") % {"key": key, "format": fmt.upper()},
        row_count=len(series.points),
        detail={
            "metric": key,
            "format": fmt,
            "grain": grain,
            "by": by,
            "from": str(args["start"]),
            "to": str(args["end"]),
            "filters": args["filters"],
        },
        ip=request.META.get("REMOTE_ADDR", ""),
    )
    rows = (
        [
            p.bucket or series.window.start,
            labels.get(p.group, p.group),
            display.xlsx_value(p.value, metric.unit) if fmt == "xlsx" else p.value,
            p.num,
            p.den,
        ]
        for p in series.points
    )
    name = f"kefu-{key}-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}"
    return _stream(
        fmt, name, str(metric.name), header, rows, ["yyyy-mm-dd", None, fmt_value, "#,##0.##", "#,##0.##"]
    )


@require_GET
@reports_only
def export_tickets(request: HttpRequest, key: str) -> HttpResponse:
    """The tickets behind a metric's point (its drill-down list), every row, streamed, only the ones the
    reader may see: ?from=&to=&by=&group=&format=csv|xlsx."""
    try:
        fmt = _export_format(request)
        args = _window_args(request)
        metric = metrics.get(key)
        if metric.drill is None:
            raise metrics.MetricError(_("This figure has no ticket list."), code="no_drill", field="key")
        by = request.GET.get("by") or None
        if by is not None and by not in metric.dimensions:
            raise metrics.MetricError(
                _("Cannot cut by that."), code="unknown_dimension", field="by", allowed=metric.dimensions
            )
        win = metrics.window(args["start"], args["end"], filters=args["filters"], metric=metric)
        found = metric.drill(win, by, request.GET.get("group") if by else None)
    except metrics.MetricError as err:
        return _error(err)
    tickets = found.filter(
        pk__in=visible_tickets(request.user).values("pk")
    )  # FAULTS D2: the reader's rules again
    count = tickets.count()
    record_audit(
        actor=request.user,
        action="analytics.export",
        summary=_("Ticket list of %(key)s (%(format)s)") % {"key": key, "format": fmt.upper()},
        row_count=count,
        detail={
            "metric": key,
            "format": fmt,
            "by": by,
            "group": request.GET.get("group", ""),
            "from": str(args["start"]),
            "to": str(args["end"]),
        },
        ip=request.META.get("REMOTE_ADDR", ""),
    )
    header = [
        _("Ticket"),
        _("Subject"),
        _("Status"),
        _("Channel"),
        _("Type"),
        _("Priority"),
        _("Team"),
        _("Assignee"),
        _("Created"),
        _("Solved"),
    ]
    rows = (
        [
            t.number,
            t.subject,
            t.get_status_display(),
            t.get_channel_display(),
            t.get_type_display(),
            t.get_priority_display(),
            t.team.name if t.team else "",
            t.assignee.name if t.assignee else "",
            t.created_at,
            t.solved_at,
        ]
        for t in tickets.select_related("team", "assignee")
        .order_by("-created_at", "-pk")
        .iterator(chunk_size=2000)
    )
    name = f"kefu-{key}-tickets-{args['start']:%Y%m%d}-{args['end']:%Y%m%d}"
    return _stream(fmt, name, _("Tickets"), header, rows, [None] * 8 + ["yyyy-mm-dd hh:mm"] * 2)
