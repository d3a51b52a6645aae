"""The monthly service report: its numbers are the registry's, its XLSX holds numbers under formats,
its PDF carries the Chinese title, `kefu report` writes it, subscribers get it once a month."""

from __future__ import annotations

import io
import json
import threading
from datetime import date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command, load_command_class
from django.db import OperationalError, connection
from django.db.models import CharField, Count, Q, Value
from django.db.models.functions import Cast, Coalesce
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kefu.accounts.models import AuditEntry
from kefu.analytics.models import ReportSubscription
from kefu.analytics.reports import delivery, fonts
from kefu.analytics.reports.monthly import ReportError, build_monthly, parse_month
from kefu.analytics.reports.render import render
from kefu.core import metrics
from kefu.core.metrics import Metric, Row
from kefu.sla.models import SlaTimer, TimerState
from kefu.tickets.models import Ticket
from tests.clock import SHANGHAI
from tests.factories import CategoryFactory, CustomerFactory
from tests.servers import require

OCT = date(2026, 10, 1)
FIELDS = {"agent": "assignee_id", "category": "category_id", "type": "type"}
KEYS = ("r_created", "r_solved_share", "r_not_there_yet")


def _group(by):
    return Value("") if by is None else Coalesce(Cast(FIELDS[by], CharField()), Value(""))


def _filtered(qs, win):
    for dim, values in win.filters.items():
        qs = qs.filter(**{f"{FIELDS[dim]}__in": values})
    return qs


def created_rows(win, by):
    qs = _filtered(Ticket.objects.filter(created_at__gte=win.since, created_at__lt=win.until), win)
    found = (
        qs.annotate(day=metrics.local_day("created_at"), g=_group(by))
        .values("day", "g")
        .annotate(n=Count("id"))
    )
    return [Row(r["day"], r["g"], r["n"], 0) for r in found.order_by()]


def solved_share_rows(win, by):
    qs = _filtered(Ticket.objects.filter(created_at__gte=win.since, created_at__lt=win.until), win)
    found = (
        qs.annotate(day=metrics.local_day("created_at"), g=_group(by))
        .values("day", "g")
        .annotate(den=Count("id"), num=Count("id", filter=Q(solved_at__isnull=False)))
    )
    return [Row(r["day"], r["g"], r["num"], r["den"]) for r in found.order_by()]


REPORT_METRICS = [
    Metric(
        key="r_created",
        name="新建工单（测试）",
        description="",
        unit="count",
        direction="higher",
        aggregate="count",
        formula="tickets created",
        rows=created_rows,
        dimensions=("agent", "category", "type"),
        day_of="created",
    ),
    Metric(
        key="r_solved_share",
        name="已解决占比（测试）",
        description="",
        unit="percent",
        direction="higher",
        aggregate="ratio",
        formula="solved / created",
        rows=solved_share_rows,
        dimensions=("agent",),
        target=90.0,
    ),
]


@pytest.fixture
def report_metrics():
    saved = dict(metrics._metrics)
    metrics._metrics.clear()  # only these: what the apps register is theirs to test
    for m in REPORT_METRICS:
        metrics.register(m)
    yield
    metrics._metrics.clear()
    metrics._metrics.update(saved)


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def ticket(
    customer, created, *, solved=False, agent=None, category=None, type="consultation", subject="订单"
):
    t = Ticket.objects.create(
        subject=subject, customer=customer, assignee=agent, category=category, type=type
    )
    Ticket.objects.filter(pk=t.pk).update(
        created_at=created, solved_at=created + timedelta(hours=2) if solved else None
    )
    return t


@pytest.fixture
def months(db, agent_li, agent_wang):
    """October 2026: 5 tickets (3 solved; 李娜 3 of them, 王芳 2), September: 2, October 2025: 1.
    One ticket at 23:30 on 31 October Shanghai time (still October, though 15:30 UTC) and one at
    00:10 on 1 November (not October)."""
    customer = CustomerFactory(name='=HYPERLINK("http://x")')
    returns = CategoryFactory(name="退换货", parent=None)
    invoices = CategoryFactory(name="发票", parent=None)
    made = [
        ticket(
            customer, at("2026-10-02 09:00"), solved=True, agent=agent_li, category=returns, type="complaint"
        ),
        ticket(customer, at("2026-10-09 10:00"), solved=True, agent=agent_li, category=returns),
        ticket(customer, at("2026-10-15 11:00"), agent=agent_li, category=invoices),
        ticket(customer, at("2026-10-20 15:00"), solved=True, agent=agent_wang, category=returns),
        ticket(customer, at("2026-10-31 23:30"), agent=agent_wang, subject="=cmd|' /C calc'!A0"),
        ticket(customer, at("2026-11-01 00:10"), agent=agent_wang),
        ticket(customer, at("2026-09-05 09:00"), solved=True, agent=agent_li, category=returns),
        ticket(customer, at("2026-09-25 09:00"), agent=agent_wang, category=invoices),
        ticket(customer, at("2025-10-10 09:00"), solved=True, agent=agent_li),
    ]
    # Two SLA timers breached in October, one in September.
    for t, when in (
        (made[2], "2026-10-15 15:00"),
        (made[4], "2026-11-01 00:30"),
        (made[3], "2026-10-21 09:00"),
    ):
        SlaTimer.objects.create(
            ticket=t,
            metric="first_response",
            state=TimerState.BREACHED,
            target_seconds=7200,
            started_at=t.created_at,
            due_at=at(when) - timedelta(minutes=5),
            breached_at=at(when),
        )
    SlaTimer.objects.create(
        ticket=made[7], metric="resolution", state=TimerState.BREACHED, target_seconds=3600,
        started_at=made[7].created_at, breached_at=at("2026-09-26 09:00"),
    )  # fmt: skip
    return made


def _report(**kw):
    return build_monthly(
        OCT, headline_keys=KEYS, trend_keys=KEYS, agent_keys=KEYS, issue_key="r_created", **kw
    )


@pytest.mark.now("2026-11-05 10:00")
def test_the_reports_numbers_are_the_registrys_totals(report_metrics, months, agent_li, agent_wang):
    report = _report()
    by_key = {f.key: f for f in report.headline}
    for key in ("r_created", "r_solved_share"):
        f = by_key[key]
        assert f.available
        assert f.value == metrics.total(key, start=OCT, end=date(2026, 10, 31))
        assert f.previous == metrics.total(key, start=date(2026, 9, 1), end=date(2026, 9, 30))
        assert f.last_year == metrics.total(key, start=date(2025, 10, 1), end=date(2025, 10, 31))
    # and the registry's totals are the hand-counted ones
    assert (by_key["r_created"].value, by_key["r_created"].previous, by_key["r_created"].last_year) == (
        5,
        2,
        1,
    )
    assert by_key["r_created"].change_previous == 3 and by_key["r_created"].verdict_previous == "better"
    assert by_key["r_solved_share"].value == 60.0 and by_key["r_solved_share"].previous == 50.0
    assert (
        by_key["r_solved_share"].change_last_year == -40.0
        and by_key["r_solved_share"].verdict_last_year == "worse"
    )
    assert by_key["r_solved_share"].target == 90.0
    # a key nobody registered yet: listed, not a crash
    assert not by_key["r_not_there_yet"].available and report.unavailable == [
        "r_not_there_yet",
        "sla_compliance",
    ]
    # trends: 12 months ending in October, the same numbers month by month
    assert report.trend_months[0] == date(2025, 11, 1) and report.trend_months[-1] == OCT
    created = next(t for t in report.trends if t.key == "r_created")
    assert created.values[-1] == 5 and created.values[-2] == 2 and sum(created.values) == 7
    # top issues: categories with last month beside them
    cats = {i.label: (i.count, i.previous, i.growth) for i in report.issues["category"]}
    assert cats == {"退换货": (3, 1, 2.0), "发票": (1, 1, 0.0), "None": (1, 0, None)}
    assert [(i.group, i.count) for i in report.issues["type"]] == [("consultation", 4), ("complaint", 1)]
    # the agent table: compute(by="agent"), labelled with names
    rows = {a.name: a.values for a in report.agents}
    assert rows == {
        "李娜": {"r_created": 3, "r_solved_share": pytest.approx(200 / 3)},
        "王芳": {"r_created": 2, "r_solved_share": 50.0},
    }
    # SLA: the October breaches, oldest first, the September one not among them
    assert [b.number for b in report.breaches] == [months[2].number, months[3].number]
    assert report.breaches_listed == 2 and report.sla is None and report.breaches_count is None


@pytest.mark.now("2026-11-05 10:00")
def test_the_breach_list_is_cut_on_the_page_but_counted(report_metrics, months):
    report = _report(breach_limit=1)
    assert len(report.breaches) == 1 and report.breaches_listed == 2


@pytest.mark.now("2026-11-05 10:00")
@pytest.mark.fault("D3")
def test_the_xlsx_holds_numbers_under_number_formats_and_neutralised_text(report_metrics, months):
    report = _report()
    book = load_workbook(io.BytesIO(render(report, "xlsx").body))
    headline = book.worksheets[0]
    rows = {row[1].value: row for row in headline.iter_rows(min_row=4)}
    created, share = rows["r_created"], rows["r_solved_share"]
    assert created[2].value == 5 and created[2].number_format == "#,##0"
    assert (created[3].value, created[4].value, created[5].value) == (2, 3, 1)
    assert share[2].value == pytest.approx(0.6) and share[2].number_format == "0.0%"
    assert share[7].value == pytest.approx(0.9)  # the target
    assert rows["r_not_there_yet"][2].value == "not available yet"
    trends = book.worksheets[1]
    first = [c for c in next(trends.iter_rows(min_row=2, max_row=2))]
    assert first[0].value == datetime(2025, 11, 1) and first[0].number_format == "yyyy-mm"
    october = [c for c in next(trends.iter_rows(min_row=13, max_row=13))]
    assert october[1].value == 5 and october[1].number_format == "#,##0"
    breaches = book.worksheets[3]
    listed = list(breaches.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in listed] == [months[2].number, months[3].number]
    assert listed[1][7] == datetime(2026, 10, 21, 9, 0)  # local time, a real date-time
    agents = book.worksheets[4]
    assert {r[0]: r[1] for r in agents.iter_rows(min_row=2, values_only=True)} == {"李娜": 3, "王芳": 2}


@pytest.mark.now("2026-11-05 10:00")
@pytest.mark.fault("D3")
def test_a_breached_ticket_whose_subject_is_a_formula_is_text_in_the_xlsx(report_metrics, months):
    SlaTimer.objects.create(
        ticket=months[4], metric="resolution", state=TimerState.BREACHED, target_seconds=60,
        started_at=months[4].created_at, breached_at=at("2026-10-31 23:50"),
    )  # fmt: skip
    book = load_workbook(io.BytesIO(render(_report(), "xlsx").body))
    subjects = [r[1] for r in book.worksheets[3].iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in subjects and "=cmd|' /C calc'!A0" not in subjects


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


@pytest.mark.now("2026-11-05 10:00")
def test_the_pdf_carries_the_chinese_title_in_an_embedded_font(report_metrics, months):
    require(
        "A TrueType Chinese font",
        found=any(__import__("os").path.isfile(p) for p in fonts.KNOWN_FONTS),
        install="apt-get install fonts-wqy-zenhei",
    )
    fonts.report_font.cache_clear()
    with translation.override("zh-hans"):
        report = _report()
        body = render(report, "pdf").body
    assert body.startswith(b"%PDF-")
    text = _pdf_text(body)
    assert "2026年10月客服服务月报" in text
    assert "新建工单（测试）" in text and "李娜" in text and months[2].number in text
    assert "r_not_there_yet" in text and "暂无" in text  # not available yet
    assert fonts.report_font().embedded and b"/FontFile2" in body  # the glyphs travel with the file


@pytest.mark.now("2026-11-05 10:00")
def test_without_a_chinese_font_the_pdf_uses_the_builtin_cid_font(report_metrics, months, monkeypatch):
    monkeypatch.setattr(fonts, "KNOWN_FONTS", ())
    monkeypatch.setattr(fonts, "_fontconfig_candidates", lambda: [])
    fonts.report_font.cache_clear()
    try:
        with translation.override("zh-hans"):
            body = render(_report(), "pdf").body
        assert not fonts.report_font().embedded
    finally:
        fonts.report_font.cache_clear()
    assert b"/STSong-Light" in body and b"/FontFile2" not in body
    assert "2026年10月客服服务月报" in _pdf_text(body)


def test_a_font_setting_that_cannot_write_chinese_is_a_clear_error(monkeypatch, tmp_path):
    bad = tmp_path / "not-a-font.ttf"
    bad.write_bytes(b"nothing")
    monkeypatch.setenv("KEFU_PDF_FONT", str(bad))
    fonts.report_font.cache_clear()
    try:
        with pytest.raises(fonts.FontError, match="KEFU_PDF_FONT=.*not-a-font.ttf.*TrueType"):
            fonts.report_font()
    finally:
        fonts.report_font.cache_clear()


@pytest.mark.now("2026-11-05 10:00")
def test_kefu_report_monthly_writes_each_format(report_metrics, months, tmp_path):
    out = tmp_path / "october.json"
    call_command(
        "report", "monthly", "--month", "2026-10", "--format", "json", "--out", str(out), "--language", "en"
    )
    data = json.loads(out.read_text())
    assert data["period"] == "2026-10" and data["from"] == "2026-10-01" and data["to"] == "2026-10-31"
    keys = {f["key"]: f for f in data["headline"]}
    # the default headline: every agreed key, available or "not available yet"
    assert "tickets_created" in keys and "csat" in keys and "sla_compliance" in keys
    for key, figure in keys.items():
        if figure["available"]:
            assert figure["value"] == metrics.total(key, start=OCT, end=date(2026, 10, 31))
        else:
            assert key in data["not_available_yet"]
    for fmt, magic in (("pdf", b"%PDF-"), ("xlsx", b"PK")):
        path = tmp_path / f"october.{fmt}"
        call_command("report", "monthly", "--month", "2026-10", "--format", fmt, "--out", str(path))
        assert path.read_bytes().startswith(magic)


def test_kefu_report_help_and_bad_months(db, tmp_path):
    text = load_command_class("kefu.analytics", "report").create_parser("kefu", "report").format_help()
    assert (
        "--month YYYY-MM" in text
        and "pdf" in text
        and "xlsx" in text
        and "json" in text
        and "--out FILE" in text
    )
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("report", "monthly", "--month", "October", "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "report", "monthly", "--month", "2026-10", "--format", "json", "--out", str(tmp_path / "no" / "x")
        )
    with pytest.raises(ReportError):
        parse_month("2026-13")


# --------------------------------------------------------------------------- the page


@pytest.mark.now("2026-11-05 10:00")
def test_the_report_page_and_its_downloads_for_a_supervisor(client, lead_zhao, report_metrics, months):
    client.force_login(lead_zhao)
    page = client.get("/agent/analytics/report/?month=2026-10")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Monthly service report 2026-10" in html and "李娜" in html and months[2].number in html
    assert 'data-testid="not-available"' in html  # sla_compliance and the rest of the agreed keys
    pdf = client.get("/agent/analytics/report/?month=2026-10&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF-")
    assert "kefu-monthly-report-2026-10.pdf" in pdf["Content-Disposition"]
    entry = AuditEntry.objects.get(action="analytics.report")
    assert entry.actor == lead_zhao and entry.detail["period"] == "2026-10"
    assert client.get("/agent/analytics/report/?month=2026-1x").status_code == 400


@pytest.mark.fault("D2")
def test_agents_qa_and_customers_get_no_report_and_no_export(client, agent_li, qa_sun, customer_x):
    for user in (agent_li, qa_sun, customer_x.user):
        client.force_login(user)
        for url in (
            "/agent/analytics/report/?month=2026-10",
            "/agent/analytics/report/?month=2026-10&format=xlsx",
            "/agent/analytics/export/tickets_created/?format=csv",
            "/agent/analytics/export/tickets_created/tickets/?format=csv",
        ):
            assert client.get(url).status_code == 404, (user, url)
    assert not AuditEntry.objects.filter(action__startswith="analytics.").exists()


# --------------------------------------------------------------------------- scheduled delivery


def _run_concurrently(n, fn):
    results = []

    def run():
        try:
            results.append(fn())
        except OperationalError as err:
            # SQLite's in-memory test database refuses a second writer outright ("table is locked")
            # where kefu's WAL file would queue it; a run refused there never ran, which is fine.
            if connection.vendor != "sqlite" or "locked" not in str(err):
                raise
            results.append(None)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.now("2026-11-01 07:00")
def test_subscribers_get_last_months_report_once_even_from_two_workers(report_metrics, months, mailoutbox):
    sub = ReportSubscription.objects.create(
        recipients="zhao@yunshan.example, 主管 chen@yunshan.example\n", format="xlsx"
    )
    ReportSubscription.objects.create(recipients="off@yunshan.example", active=False)
    results = _run_concurrently(2, delivery.send_due_reports)
    assert sum(r or 0 for r in results) == 1
    assert delivery.send_due_reports() == 0  # and once more, in a row
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["zhao@yunshan.example", "chen@yunshan.example"]
    assert "2026-10" in mail.subject and mail.extra_headers["Auto-Submitted"] == "auto-generated"
    ((name, content, mimetype),) = mail.attachments
    assert name == "kefu-monthly-report-2026-10.xlsx" and content[:2] == b"PK" and "spreadsheetml" in mimetype
    sub.refresh_from_db()
    assert sub.last_sent_period == "2026-10"


@pytest.mark.now("2026-11-01 05:30")
def test_before_six_on_the_first_the_month_before_is_still_the_due_one(db, mailoutbox):
    assert delivery.due_month() == date(2026, 9, 1)
    ReportSubscription.objects.create(recipients="zhao@yunshan.example", last_sent_period="2026-09")
    assert delivery.send_due_reports() == 0 and mailoutbox == []


@pytest.mark.now("2026-11-01 07:00")
def test_a_failed_send_hands_the_month_back_for_the_next_run(db, settings, mailoutbox):
    sub = ReportSubscription.objects.create(
        recipients="zhao@yunshan.example", format="pdf", last_sent_period="2026-09"
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    assert delivery.send_due_reports() == 0
    sub.refresh_from_db()
    assert sub.last_sent_period == "2026-09"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert delivery.send_due_reports() == 1 and len(mailoutbox) == 1
    sub.refresh_from_db()
    assert sub.last_sent_period == "2026-10"


def test_recipient_lists_are_read_leniently():
    assert delivery.recipients("a@x.cn；b@y.cn, a@x.cn\nnot-an-address") == ["a@x.cn", "b@y.cn"]


@pytest.mark.now("2026-11-05 10:00")
def test_sla_breaches_and_compliance_per_target_come_from_the_sla_metric(report_metrics, months):
    from kefu.sla.metrics import register_all

    register_all()
    SlaTimer.objects.create(
        ticket=months[0], metric="resolution", state=TimerState.MET, target_seconds=86400,
        started_at=months[0].created_at, met_at=at("2026-10-02 11:00"),
    )  # fmt: skip
    report = _report()
    assert report.sla.value == pytest.approx(100 / 3) and report.sla.previous == 0.0
    assert report.breaches_count == 2 and report.breaches_previous == 1 and report.breaches_listed == 2
    assert [(t.target, t.label, t.compliance, t.breaches, t.previous) for t in report.sla_targets] == [
        ("first_response", "First response", 0.0, 2, None),
        ("resolution", "Resolution", 100.0, 0, 0.0),
    ]
    sheet = load_workbook(io.BytesIO(render(report, "xlsx").body))["SLA by target"]
    assert [c.value for c in sheet[3]] == ["Resolution", 1.0, 0.0, 0] and sheet["B3"].number_format == "0.0%"


def test_the_dashboards_link_supervisors_to_the_report(client, lead_zhao, agent_li):
    client.force_login(lead_zhao)
    assert 'data-testid="report-link"' in client.get("/agent/analytics/overview/").content.decode()
    client.force_login(agent_li)
    assert 'data-testid="report-link"' not in client.get("/agent/analytics/me/").content.decode()
