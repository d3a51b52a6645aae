"""Any metric, and the tickets behind it, out as CSV or XLSX: formulas neutralised, every export in
the audit log, a long export streamed in constant memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from kefu.accounts.models import AuditEntry
from kefu.core import exports, metrics
from kefu.core.metrics import Metric
from kefu.tickets.models import Ticket

from .test_reports import at, created_rows, ticket

FORMULAS = ["=1+1", "+86 400", "-2", "@SUM(A1)", "\tcmd", "\rcmd", "\ncmd", "  =x", "\u200b=x", "＝x", "－1"]


def _drill(win, by, group):
    qs = Ticket.objects.filter(created_at__gte=win.since, created_at__lt=win.until)
    if by == "agent":
        qs = qs.filter(assignee_id=group or None)
    return qs


@pytest.fixture
def export_metric():
    saved = dict(metrics._metrics)
    metrics._metrics.clear()
    metrics.register(
        Metric(
            key="x_created",
            name="新建工单",
            description="",
            unit="count",
            direction="higher",
            aggregate="count",
            formula="tickets created",
            rows=created_rows,
            dimensions=("agent", "category", "type"),
            drill=_drill,
        )
    )
    yield
    metrics._metrics.clear()
    metrics._metrics.update(saved)


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.fault("D3")
def test_text_that_a_spreadsheet_would_run_is_neutralised_and_numbers_stay_numbers():
    rows = [[text, -5, 2.5, date(2026, 10, 1)] for text in FORMULAS]
    parsed = list(
        csv.reader(io.StringIO(exports.csv_bytes(["=head", "n", "x", "day"], rows).decode("utf-8")[1:]))
    )
    assert parsed[0][0] == "'=head"
    assert [r[0] for r in parsed[1:]] == ["'" + t for t in FORMULAS]
    assert parsed[1][1:] == ["-5", "2.5", "2026-10-01"]  # a number is not a formula
    assert exports.safe_cell("客服 =ok") == "客服 =ok" and exports.safe_cell(None) == ""
    with exports.xlsx_file("=sheet", ["=head", "n"], rows, formats=[None, "#,##0"]) as handle:
        sheet = load_workbook(handle).worksheets[0]
    assert sheet.title == "=sheet"  # a sheet name is not a cell
    assert sheet["A1"].value == "'=head"
    # (a CR comes back as LF or as CR, depending on whether openpyxl writes through lxml, which
    # python-docx brings; the apostrophe is what counts)
    assert [sheet.cell(row=i + 2, column=1).value.replace("\r", "\n") for i in range(len(FORMULAS))] == [
        "'" + t.replace("\r", "\n") for t in FORMULAS
    ]
    assert sheet["B2"].value == -5 and sheet["B2"].number_format == "#,##0" and sheet["B2"].data_type == "n"
    assert sheet["D2"].value == datetime(2026, 10, 1)


def _peak(fn, n: int) -> int:
    def rows():
        for i in range(n):
            yield [i, f"工单 {i} =SUM(A{i})", i * 0.5, "售后服务", date(2026, 10, 1 + i % 28)]

    tracemalloc.start()
    try:
        fn(rows())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _all_csv(rows):
    size = 0
    for chunk in exports.csv_chunks(["n", "subject", "x", "team", "day"], rows):
        size += len(chunk)
    assert size > 0


def _all_xlsx(rows):
    with exports.xlsx_file(
        "rows", ["n", "subject", "x", "team", "day"], rows, formats=["0", None, "0.0"]
    ) as handle:
        handle.seek(0, io.SEEK_END)
        assert handle.tell() > 0


@pytest.mark.parametrize(
    "write, small, large",
    [(_all_csv, 20_000, 200_000), (_all_xlsx, 1_000, 10_000)],  # openpyxl is slow, the point is the same
    ids=["csv", "xlsx"],
)
def test_a_long_export_streams_in_constant_memory(write, small, large):
    peak_small = _peak(write, small)
    peak_large = _peak(write, large)
    # Ten times the rows, the same peak (200k rows held as lists would be ~40 MB).
    assert peak_large < peak_small * 1.25 + 256 * 1024, (peak_small, peak_large)
    assert peak_large < 16 * 1024 * 1024, peak_large


@pytest.mark.now("2026-11-05 10:00")
@pytest.mark.fault("D3")
def test_a_metric_cut_by_agent_exports_with_names_neutralised_and_audited(
    client, lead_zhao, agent_li, export_metric, customer_x
):
    agent_li.display_name = "=cmd|' /C calc'!A0"
    agent_li.save()
    for day in ("2026-10-02 09:00", "2026-10-02 10:00", "2026-10-03 09:00"):
        ticket(customer_x, at(day), agent=agent_li)
    ticket(customer_x, at("2026-10-03 11:00"))
    client.force_login(lead_zhao)
    response = client.get(
        "/agent/analytics/export/x_created/",
        {"from": "2026-10-01", "to": "2026-10-31", "grain": "day", "by": "agent", "format": "csv"},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "kefu-x_created-20261001-20261031.csv" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][2] == "新建工单"
    assert rows[1:] == [
        ["2026-10-02", "'=cmd|' /C calc'!A0", "2", "2", "0"],
        ["2026-10-03", "Unassigned", "1", "1", "0"],
        ["2026-10-03", "'=cmd|' /C calc'!A0", "1", "1", "0"],
    ]
    entry = AuditEntry.objects.get(action="analytics.export")
    assert entry.actor == lead_zhao and entry.row_count == 3 and entry.detail["by"] == "agent"
    xlsx = client.get(
        "/agent/analytics/export/x_created/",
        {"from": "2026-10-01", "to": "2026-10-31", "grain": "month", "format": "xlsx"},
    )
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).worksheets[0]
    assert [c.value for c in sheet[2]] == [datetime(2026, 10, 1), None, 4, 4, 0]
    assert sheet["C2"].number_format == "#,##0"


def test_bad_export_questions_are_400_naming_what_is_allowed(client, lead_zhao, export_metric):
    client.force_login(lead_zhao)
    unknown = client.get("/agent/analytics/export/nope/")
    assert unknown.status_code == 400 and "x_created" in unknown.content.decode()
    by = client.get("/agent/analytics/export/x_created/", {"by": "tier"})
    assert by.status_code == 400 and "agent" in by.content.decode()
    fmt = client.get("/agent/analytics/export/x_created/", {"format": "exe"})
    assert fmt.status_code == 400 and "csv" in fmt.content.decode()
    period = client.get("/agent/analytics/export/x_created/", {"from": "2026-10-31", "to": "2026-10-01"})
    assert period.status_code == 400
    assert not AuditEntry.objects.filter(action="analytics.export").exists()


@pytest.mark.now("2026-11-05 10:00")
def test_the_tickets_behind_a_point_export_whole(client, lead_zhao, agent_li, export_metric, customer_x):
    mine = [
        ticket(customer_x, at(f"2026-10-{d:02d} 09:00"), agent=agent_li, subject=f"@订单{d}") for d in (2, 9)
    ]
    ticket(customer_x, at("2026-10-03 09:00"))  # not agent_li's
    ticket(customer_x, at("2026-09-03 09:00"), agent=agent_li)  # not October
    client.force_login(lead_zhao)
    response = client.get(
        "/agent/analytics/export/x_created/tickets/",
        {"from": "2026-10-01", "to": "2026-10-31", "by": "agent", "group": str(agent_li.pk), "format": "csv"},
    )
    rows = _csv_rows(response)
    assert [r[0] for r in rows[1:]] == [mine[1].number, mine[0].number]
    assert rows[1][1] == "'@订单9" and rows[1][7] == agent_li.name and rows[1][8] == "2026-10-09 09:00"
    assert AuditEntry.objects.get(action="analytics.export").row_count == 2
