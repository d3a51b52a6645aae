"""Exporting the queue: the view's own tickets as Excel or CSV, formula-safe, in the audit log (FAULTS D3)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from kefu.accounts.models import AuditEntry
from kefu.tickets import services
from kefu.tickets.models import Priority, Ticket
from kefu.tickets.services import exports
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EXPORT = reverse("agent:export")
HOSTILE = ['=HYPERLINK("http://evil.example/x","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.fixture
def hostile_tickets(make_ticket, lead_zhao):
    made = []
    for n, text in enumerate(HOSTILE):
        customer = CustomerFactory(name=text, email=f"h{n}@example.cn")
        made.append(make_ticket(customer, subject=text))
    return made


@pytest.mark.fault("D3")
def test_a_supervisor_exports_the_view_with_its_filters_as_csv(
    make_ticket, customer_x, customer_y, lead_zhao
):
    high = make_ticket(customer_x, subject="急：订单没到")
    services.update_ticket(high, by=lead_zhao, version=high.version, priority=Priority.HIGH)
    make_ticket(customer_y, subject="普通咨询")
    response = signed_in(lead_zhao).post(EXPORT, {"view": "all", "priority": "high", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="kefu-tickets-')
    assert response["Cache-Control"] == "no-store"
    header, *rows = csv_rows(response)
    assert header[:4] == ["Ticket", "Subject", "Customer", "Email"]
    assert [(r[0], r[1], r[3], r[6]) for r in rows] == [
        (high.number, "急：订单没到", customer_x.email, "High")
    ]

    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.row_count) == (lead_zhao, "tickets.export", 1)
    assert entry.detail == {
        "format": "csv",
        "filters": {"view": "all", "priority": "high", "sort": "updated"},
    }


@pytest.mark.fault("D3")
def test_formula_like_text_is_inert_in_csv_and_excel(hostile_tickets, lead_zhao):
    browser = signed_in(lead_zhao)
    _header, *rows = csv_rows(browser.post(EXPORT, {"format": "csv"}))
    assert {row[1] for row in rows} == {"'" + text for text in HOSTILE}  # subjects, exactly as typed
    names = [row[2] for row in rows]  # intake trims names; what is left must still be inert
    assert names and not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)

    workbook = load_workbook(io.BytesIO(browser.post(EXPORT, {"format": "xlsx"}).content))
    sheet = workbook.active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row[1:3]]
    assert len(cells) == 2 * len(HOSTILE)
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    assert all(cell.value.startswith("'") for cell in cells if cell.column == 2)


@pytest.mark.fault("D3")
def test_a_leading_tab_or_carriage_return_is_neutralised_too():
    # Intake trims subjects and names; a field written another way (a tag, an API value) may keep them.
    assert exports.safe_cell("\tTAB") == "'\tTAB" and exports.safe_cell("\rCR") == "'\rCR"
    assert exports.safe_cell("订单 -2") == "订单 -2" and exports.safe_cell(None) == ""


def test_excel_export_reads_back_in_chinese_for_a_chinese_supervisor(make_ticket, customer_x, lead_zhao):
    ticket = make_ticket(customer_x, subject="发票抬头写错了")
    browser = signed_in(lead_zhao)
    browser.cookies["django_language"] = "zh-hans"
    sheet = load_workbook(io.BytesIO(browser.post(EXPORT, {"format": "xlsx"}).content)).active
    header, row = [[c.value for c in r] for r in sheet.iter_rows()]
    assert header[:3] == ["工单", "主题", "客户"]
    assert row[:3] == [ticket.number, "发票抬头写错了", customer_x.name]


@pytest.mark.fault("A2", "D2")
@pytest.mark.parametrize("persona", ["agent_li", "dept_chen"])
def test_agents_and_departments_may_not_export(persona, request, make_ticket, customer_x):
    make_ticket(customer_x)
    response = signed_in(request.getfixturevalue(persona)).post(EXPORT, {"format": "csv"})
    assert response.status_code == 403
    assert b"xiaoming@example.cn" not in response.content
    assert not AuditEntry.objects.exists()


@pytest.mark.fault("A2", "U2", "D2")
def test_customers_and_strangers_get_nothing(client, customer_x, make_ticket):
    make_ticket(customer_x)
    assert client.post(EXPORT, {"format": "csv"}).status_code == 302  # to the login page
    customer = signed_in(customer_x.user).post(EXPORT, {"format": "csv"})
    assert customer.status_code in (302, 404) and b"@example.cn" not in customer.content
    assert not AuditEntry.objects.exists()


def test_the_queue_shows_the_button_to_those_who_may_use_it(lead_zhao, agent_li):
    assert 'data-testid="export"' in signed_in(lead_zhao).get(reverse("agent:queue")).content.decode()
    assert 'data-testid="export"' not in signed_in(agent_li).get(reverse("agent:queue")).content.decode()


def test_bad_requests_are_refused_with_a_reason(lead_zhao):
    browser = signed_in(lead_zhao)
    assert browser.get(EXPORT).status_code == 405  # a GET never writes the audit log
    bad_format = browser.post(EXPORT, {"format": "pdf"}, headers={"Accept": "application/json"})
    assert bad_format.status_code == 422 and bad_format.json()["field"] == "format"
    bad_filter = browser.post(
        EXPORT, {"format": "csv", "priority": "huge"}, headers={"Accept": "application/json"}
    )
    assert bad_filter.status_code == 422 and bad_filter.json()["field"] == "priority"
    assert not AuditEntry.objects.exists()


def test_too_many_rows_asks_for_narrower_filters(make_ticket, customer_x, lead_zhao, monkeypatch):
    monkeypatch.setattr(exports, "EXPORT_MAX_ROWS", 2)
    for n in range(3):
        make_ticket(customer_x, subject=f"工单 {n}")
    answer = signed_in(lead_zhao).post(EXPORT, {"format": "csv"}, headers={"Accept": "application/json"})
    assert answer.status_code == 422 and "Narrow the filters" in answer.json()["message"]
    assert not AuditEntry.objects.exists()


def test_the_export_costs_the_same_queries_for_few_or_many_tickets(make_ticket, customer_x, lead_zhao):
    browser = signed_in(lead_zhao)
    make_ticket(customer_x)

    with CaptureQueriesContext(connection) as few:
        browser.post(EXPORT, {"format": "csv"})
    for n in range(12):
        make_ticket(CustomerFactory(email=f"m{n}@example.cn"), subject=f"更多 {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(csv_rows(browser.post(EXPORT, {"format": "csv"}))) == 1 + 13
    assert len(many) == len(few)
    assert Ticket.objects.count() == 13


# Whatever a spreadsheet skips before it looks for "=" (spaces, line breaks, zero-width space, BOM,
# direction marks) and the full-width signs a Chinese input method types.
DISGUISED = [
    ' =HYPERLINK("http://evil.example/x","点我")',
    "\u200b=1+1",
    "\ufeff=1+1",
    "\n=1+1",
    "\r\n@SUM(1+1)",
    "\t=1+1",
    "\u3000\u200b +cmd|' /C calc'!A0",
    "\u200e-2+3",
    '＝HYPERLINK("http://evil.example/x")',
    "＋1+1",
    "－2+3",
    "＠SUM(1+1)",
    " ＝1+1",
]


@pytest.mark.fault("D3")
def test_formulas_behind_spaces_invisible_characters_or_full_width_signs_are_inert(
    make_ticket, customer_x, lead_zhao
):
    made = [make_ticket(customer_x, subject=f"工单 {n}") for n in range(len(DISGUISED))]
    for ticket, text in zip(made, DISGUISED, strict=True):
        # Written straight to the row, as an import or an older version could have stored it.
        Ticket.objects.filter(pk=ticket.pk).update(subject=text)
    browser = signed_in(lead_zhao)

    _header, *rows = csv_rows(browser.post(EXPORT, {"format": "csv"}))
    assert sorted(row[1] for row in rows) == sorted("'" + text for text in DISGUISED)

    sheet = load_workbook(io.BytesIO(browser.post(EXPORT, {"format": "xlsx"}).content)).active
    subjects = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in subjects)
    # XML reads a stored CR LF back as LF (XML 1.0 §2.11) unless openpyxl writes through lxml
    # (python-docx brings it), which keeps the CR; the apostrophe stays first either way.
    read_back = sorted("'" + text.replace("\r\n", "\n") for text in DISGUISED)
    assert sorted(cell.value.replace("\r\n", "\n") for cell in subjects) == read_back


@pytest.mark.fault("D3")
def test_ordinary_text_keeps_its_first_character():
    for text in ("订单 -2", " 订单", "\u200b订单", "ＡＢＣ", "", "   ", "email@example.cn", "3-2"):
        assert exports.safe_cell(text) == text
