"""A plan as PDF and DOCX (`kefu plan export`, the page's downloads, GET /api/plans/{id}/export), and
the print view: title, period, scope, owner, state, every section, the review's findings, the goals
with their figures and charts drawn as images, evaluations; Chinese text kept; 200 goals export."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from docx import Document as Docx
from pypdf import PdfReader

from kefu.plans import evaluations, export, services
from kefu.plans.models import Finding, Plan, ScopeKind
from tests.api.conftest import Api
from tests.plans.conftest import RATIOS

pytestmark = pytest.mark.now("2026-06-10 10:00")


@pytest.fixture
def api(settings):
    settings.KEFU_API_RATE = "10000/3600"
    settings.KEFU_API_RATE_PER_IP = "10000/3600"
    return Api()


@pytest.fixture
def plan(db, test_metrics, lead_zhao, agent_li):
    for day in range(1, 10):  # 1–9 June: 80 % rising to 88 %
        RATIOS[date(2026, 6, day)] = (80 + day, 100)
    made = services.create_plan(
        title="2026年6月 售后服务计划",
        kind="team",
        period="2026-06",
        by=lead_zhao,
        sections={
            "guiding": "<p>以客户为中心，首问负责。</p>",
            "measures": "<ul><li>每日 10:00 与 16:00 同步</li><li>新员工四周带教</li></ul>",
        },
        prefill_review=False,
    )
    Finding.objects.create(
        plan=made,
        topic="headline",
        metric="csat",
        text="五月客户满意度 86.0%，较四月上升 1.2 个百分点。",
        original_text="x",
        figure="86.0%",
    )
    services.add_goal(
        made,
        spec=services.GoalSpec(
            title="满意度提升至 90%", metric="plan_test_rate", target=90, baseline=80, owner=agent_li
        ),
        by=lead_zhao,
    )
    services.add_goal(
        made,
        spec=services.GoalSpec(
            title="新员工考核通过率 95%", target=95, baseline=88, direction="higher", owner=agent_li
        ),
        by=lead_zhao,
    )
    return made


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(word) -> str:
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def test_the_pdf_holds_the_plan_in_chinese_with_its_goals_and_charts(plan, lead_zhao):
    data = export.render(plan, "pdf")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "2026年6月 售后服务计划",
        "2026-06",  # period
        lead_zhao.name,  # the owner
        "以客户为中心",
        "每日 10:00 与 16:00 同步",
        "五月客户满意度",
        "86.0%",
        "满意度提升至 90%",
        "新员工考核通过率 95%",
    ):
        assert expected in text, expected
    # the goal chart is drawn: its legend is on the page
    assert "Actual" in text or "实际" in text


def test_the_docx_holds_the_same_with_the_goal_chart_as_a_picture(plan):
    data = export.render(plan, "docx")
    word = Docx(io.BytesIO(data))
    text = docx_text(word)
    for expected in (
        "2026年6月 售后服务计划",
        "以客户为中心",
        "新员工四周带教",
        "五月客户满意度",
        "满意度提升至 90%",
    ):
        assert expected in text, expected
    # one goal has a daily series (the manual one has none): one picture, a PNG
    assert len(word.inline_shapes) == 1
    blobs = [r.target_part.blob for r in word.part.rels.values() if "image" in r.reltype]
    assert blobs and blobs[0].startswith(b"\x89PNG")
    # the goal table: baseline 80, target 90 and the value so far (81…89 % → 85 %)
    goal_rows = [[c.text for c in row.cells] for row in word.tables[1].rows]
    assert goal_rows[1][0].splitlines()[0] == "满意度提升至 90%" and "plan_test_rate" in goal_rows[1][0]
    assert goal_rows[1][1:4] == ["80.0%", "90.0%", "85.0%"]


def test_a_plan_with_200_goals_exports(plan, lead_zhao):
    for i in range(198):
        services.add_goal(
            plan,
            spec=services.GoalSpec(
                title=f"目标 {i}", metric="plan_test_rate", target=90 + i % 5, owner=lead_zhao
            ),
            by=lead_zhao,
        )
    assert plan.goals.count() == 200
    word = Docx(io.BytesIO(export.render(plan, "docx")))
    assert len(word.tables[1].rows) == 201  # header + 200 goals
    assert len(word.inline_shapes) == 199
    reader = PdfReader(io.BytesIO(export.render(plan, "pdf")))
    assert len(reader.pages) > 10
    assert "目标 197" in "".join(p.extract_text() for p in reader.pages[-60:])


def test_the_command_writes_the_file(plan, tmp_path):
    out = tmp_path / "plan.docx"
    call_command("plan", "export", str(plan.pk), "--format", "docx", "--out", str(out))
    assert "满意度提升至 90%" in docx_text(Docx(str(out)))
    pdf = tmp_path / "plan.pdf"
    call_command("plan", "export", str(plan.pk), "--format", "pdf", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_command_refuses_an_unknown_plan_or_format(plan, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No plan"):
        call_command("plan", "export", "999999", "--format", "pdf", "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError):
        call_command("plan", "export", str(plan.pk), "--format", "xls", "--out", str(tmp_path / "x.xls"))
    assert not (tmp_path / "x.xls").exists()


def test_the_api_exports_and_refuses_an_unknown_format(api, plan, lead_zhao, customer_x):
    got = api.get(lead_zhao, f"/plans/{plan.pk}/export?format=docx")
    assert got.status_code == 200
    assert got["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "满意度提升至 90%" in docx_text(Docx(io.BytesIO(got.content)))
    pdf = api.get(lead_zhao, f"/plans/{plan.pk}/export?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bad = api.get(lead_zhao, f"/plans/{plan.pk}/export?format=xls")
    assert bad.status_code == 422
    assert bad.json()["code"] == "unknown_format" and "pdf" in bad.json()["message"]
    assert api.get(lead_zhao, "/plans/999999/export?format=pdf").status_code == 404
    assert api.get(customer_x.user, f"/plans/{plan.pk}/export?format=pdf").status_code == 404


def test_the_page_offers_print_and_downloads(client, plan, lead_zhao, agent_tech, customer_x):
    client.force_login(lead_zhao)
    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("plans:print", args=[plan.pk]) in page
    assert reverse("plans:download", args=[plan.pk, "pdf"]) in page
    printed = client.get(reverse("plans:print", args=[plan.pk]))
    body = printed.content.decode()
    assert printed.status_code == 200 and "plans/print.css" in body
    assert "满意度提升至 90%" in body and "五月客户满意度" in body and "data-plans-chart" in body
    assert 'class="sidebar' not in body and "kefu-search" not in body  # no navigation on paper
    got = client.get(reverse("plans:download", args=[plan.pk, "docx"]))
    assert got.status_code == 200 and "attachment" in got["Content-Disposition"]
    assert client.get(reverse("plans:download", args=[plan.pk, "xls"])).status_code == 404
    client.force_login(customer_x.user)
    assert client.get(reverse("plans:print", args=[plan.pk])).status_code == 404


def test_an_evaluation_is_in_the_export(plan, lead_zhao):
    services.move_plan(plan, to="active", by=lead_zhao)
    ev = evaluations.evaluate(plan, kind="monthly", by=lead_zhao)
    evaluations.write_conclusions(ev, text="本月满意度稳步上升，继续推进带教。", by=lead_zhao)
    evaluations.sign_off(ev, by=lead_zhao)
    text = pdf_text(export.render(plan, "pdf"))
    assert "本月满意度稳步上升" in text
    word = Docx(io.BytesIO(export.render(plan, "docx")))
    assert "本月满意度稳步上升，继续推进带教。" in docx_text(word)


def test_a_team_plan_shows_its_scope(db, test_metrics, lead_zhao, team_aftersales):
    team_plan = services.create_plan(
        title="售后组计划",
        kind="team",
        period="2026-Q2",
        by=lead_zhao,
        scope_kind=ScopeKind.TEAM,
        scope_team=team_aftersales,
        prefill_review=False,
    )
    text = docx_text(Docx(io.BytesIO(export.render(team_plan, "docx"))))
    assert str(team_aftersales) in text and "2026-04-01" in text
    assert Plan.objects.count() == 1
    assert (team_plan.end - team_plan.start) > timedelta(days=80)
