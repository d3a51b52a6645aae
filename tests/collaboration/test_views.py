"""The pages as a person uses them: the member's own top-bar link and task list, the ask card on
the ticket page, milestone buttons on the task page, approvals, syncs, the monthly review."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client

from kefu.collaboration import review, services
from kefu.collaboration.models import DelayCause, Milestone, Task, TaskEvent, TaskStatus
from kefu.core import extensions
from kefu.tickets.models import Message, MessageKind
from tests.clock import SHANGHAI


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


def _keys(user):
    found = []
    for entry in extensions.nav_links(user, "agent"):
        found += [link["key"] for link in entry.get("links", [entry])]
    return found


def test_nav_links_member_top_level_supervisor_in_the_team_menu(dept_chen, lead_zhao, agent_li):
    assert "collab.mine" in [e.get("key") for e in extensions.nav_links(dept_chen, "agent")]
    assert "collab.team" not in _keys(dept_chen)
    assert "collab.team" in _keys(lead_zhao) and "collab.mine" not in _keys(lead_zhao)
    assert "collab.mine" not in _keys(agent_li) and "collab.team" not in _keys(agent_li)


def test_agent_asks_from_the_ticket_page_and_the_member_works_the_task_page(
    ticket, inspect, received, inspected, agent_li, dept_chen
):
    agent = _browser(agent_li)
    page = agent.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="collab-ask"' in page and "仓储 · 验货" in page
    sent = agent.post(
        f"/agent/collab/tickets/{ticket.pk}/ask/", {"kind": inspect.pk, "description": "请核对退货物流"}
    )
    assert sent.status_code == 302
    task = Task.objects.get()
    page = agent.get(f"/agent/tickets/{ticket.pk}/").content.decode()
    assert 'data-testid="collab-open-task"' in page

    member = _browser(dept_chen)
    listed = member.get("/agent/collab/").content.decode()
    assert "请核对退货物流" in listed and ticket.number in listed
    detail = member.get(f"/agent/collab/tasks/{task.pk}/").content.decode()
    assert f'data-testid="collab-milestone-{received.pk}"' in detail and "已质检" in detail
    member.post(f"/agent/collab/tasks/{task.pk}/act/", {"action": "accept"})
    member.post(
        f"/agent/collab/tasks/{task.pk}/act/", {"action": "milestone", "kind": received.pk, "reply": "1"}
    )
    member.post(f"/agent/collab/tasks/{task.pk}/act/", {"action": "milestone", "kind": inspected.pk})
    assert set(Milestone.objects.values_list("kind__name", flat=True)) == {"已收货", "已质检"}
    assert (
        Message.objects.filter(
            ticket=ticket, kind=MessageKind.PUBLIC, body_text__contains="仓库已收到"
        ).count()
        == 1
    )
    member.post(f"/agent/collab/tasks/{task.pk}/act/", {"action": "done"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_bad_milestone_time_is_a_message_not_a_500(ticket, inspect, received, agent_li, dept_chen):
    task = services.request_task(
        ticket, department=inspect.department, kind=inspect, description="验货", by=agent_li
    )
    member = _browser(dept_chen)
    answer = member.post(
        f"/agent/collab/tasks/{task.pk}/act/",
        {"action": "milestone", "kind": received.pk, "happened_at": "昨天"},
        follow=True,
    )
    assert answer.status_code == 200 and not Milestone.objects.exists()
    assert "YYYY-MM-DD" in answer.content.decode()


def test_approval_sync_and_review_pages_render(ticket, agent_li, lead_zhao, dept_chen, wh):
    assert _browser(lead_zhao).get("/agent/collab/approvals/").status_code == 200
    assert _browser(dept_chen).get("/agent/collab/approvals/").status_code == 404
    assert _browser(dept_chen).get("/agent/collab/syncs/").status_code == 200
    assert _browser(lead_zhao).get("/agent/collab/review/?month=2026-06").status_code == 200
    assert _browser(agent_li).get("/agent/collab/review/").status_code == 404
    assert Client().get("/agent/collab/").status_code == 302


def _at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.now("2026-07-02 10:00")
def test_monthly_review_causes_shares_trend_and_steps(ticket, inspect, agent_li, dept_chen, lead_zhao):
    parts = DelayCause.objects.create(name="等待配件")
    entry = DelayCause.objects.create(name="信息未及时录入系统")

    def task(due, finished, cause=None):
        made = Task.objects.create(
            ticket=ticket,
            department=inspect.department,
            kind=inspect,
            description="x",
            requested_by=agent_li,
            created_at=due - timedelta(hours=4),  # 13:00, in the warehouse's working hours
            due_at=due,
            status=TaskStatus.DONE,
            finished_at=finished,
            delay_cause=cause,
        )
        TaskEvent.objects.create(task=made, kind="requested", at=made.created_at)
        TaskEvent.objects.create(task=made, kind="accepted", at=made.created_at + timedelta(hours=1))
        TaskEvent.objects.create(task=made, kind="done", at=finished)
        return made

    task(_at("2026-06-10 17:00"), _at("2026-06-10 16:00"))  # on time
    task(_at("2026-06-10 17:00"), _at("2026-06-11 10:00"), parts)
    task(_at("2026-06-15 17:00"), _at("2026-06-16 10:00"), parts)
    task(_at("2026-06-17 17:00"), _at("2026-06-18 10:00"), entry)
    task(_at("2026-05-20 17:00"), _at("2026-05-21 10:00"), parts)  # May
    found = review.monthly_review(inspect.department, month="2026-06")
    assert (found.figures.due, found.figures.on_time, found.figures.late) == (4, 1, 3)
    assert found.figures.on_time_rate == 25.0 and found.before.on_time_rate == 0.0
    causes = {c.name: (c.count, c.share, c.last_month) for c in found.causes}
    assert causes == {"等待配件": (2, 66.7, 1), "信息未及时录入系统": (1, 33.3, 0)}
    accept = found.steps[0]  # asked → accepted: one working hour each
    assert accept.count == 4 and accept.working_hours == pytest.approx(1.0)
    # asked 13:00 → done 16:00 the same day is 3 h; → 10:00 the next day is 5 h + 1 h = 6 h
    total = found.steps[2]
    assert total.count == 4 and total.working_hours == pytest.approx((3 + 6 + 6 + 6) / 4)
    page = _browser(lead_zhao).get(f"/agent/collab/review/?department={inspect.department_id}&month=2026-06")
    html = page.content.decode()
    assert html.count('data-testid="collab-cause"') == 2 and "66.7%" in html
