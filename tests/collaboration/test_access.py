"""Who sees what (FAULTS D2): a department member reaches only their department's tasks on tickets
shared with it — every page, form and API route of another department's task answers 404, like a
missing one — and the bad inputs of the brief answer 4xx with a reason."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.collaboration import services, syncs
from kefu.collaboration.models import Task, TaskStatus
from kefu.tickets.models import TicketShare
from tests.api.conftest import Api
from tests.factories import DepartmentFactory


@pytest.fixture
def api():
    return Api()


def _browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def qc_task(ticket, qc, agent_li):
    dept, _member, kind = qc
    return services.request_task(ticket, department=dept, kind=kind, description="出具质检报告", by=agent_li)


@pytest.mark.fault("D2")
def test_a_member_never_reaches_another_departments_task(api, qc_task, dept_chen, received, inspect):
    pk = qc_task.pk
    assert api.get(dept_chen, "/collab/tasks").json() == []
    for method, path, body in [
        ("GET", f"/collab/tasks/{pk}", None),
        ("POST", f"/collab/tasks/{pk}/accept", {}),
        ("POST", f"/collab/tasks/{pk}/done", {}),
        ("POST", f"/collab/tasks/{pk}/reject", {"reason": "不是我们的"}),
        ("POST", f"/collab/tasks/{pk}/blocked", {"blocked": True}),
        ("POST", f"/collab/tasks/{pk}/milestones", {"kind_id": received.pk}),
        ("POST", f"/collab/tasks/{pk}/cause", {"delay_cause_id": 1}),
    ]:
        answer = api.call(dept_chen, method, path, body)
        assert answer.status_code == 404, (path, answer.content)
        assert answer.json()["code"] == "not_found"
    browser = _browser(dept_chen)
    assert browser.get(f"/agent/collab/tasks/{pk}/").status_code == 404
    assert browser.post(f"/agent/collab/tasks/{pk}/act/", {"action": "accept"}).status_code == 404
    page = browser.get("/agent/collab/")
    assert page.status_code == 200 and "出具质检报告" not in page.content.decode()
    assert Task.objects.get(pk=pk).status == TaskStatus.REQUESTED


@pytest.mark.fault("D2")
def test_a_task_on_a_ticket_no_longer_shared_is_404(api, ticket, inspect, agent_li, dept_chen):
    task = services.request_task(
        ticket, department=inspect.department, kind=inspect, description="验货", by=agent_li
    )
    assert api.get(dept_chen, f"/collab/tasks/{task.pk}").status_code == 200
    TicketShare.objects.filter(ticket=ticket).delete()
    assert api.get(dept_chen, f"/collab/tasks/{task.pk}").status_code == 404
    assert api.post(dept_chen, f"/collab/tasks/{task.pk}/accept").status_code == 404
    browser = _browser(dept_chen)
    assert browser.get(f"/agent/collab/tasks/{task.pk}/").status_code == 404
    assert browser.get(f"/agent/tickets/{ticket.pk}/").status_code == 404


@pytest.mark.fault("D2")
def test_members_and_customers_cannot_ask_review_or_decide(api, ticket, inspect, dept_chen, customer_x, qc):
    browser = _browser(dept_chen)
    assert (
        browser.post(
            f"/agent/collab/tickets/{ticket.pk}/ask/", {"kind": inspect.pk, "description": "x"}
        ).status_code
        == 404
    )
    body = {"department_id": inspect.department_id, "kind_id": inspect.pk, "description": "x"}
    assert api.post(dept_chen, f"/collab/tickets/{ticket.pk}/tasks", body).status_code == 404
    other = qc[0]
    assert api.get(dept_chen, f"/collab/review?department={other.pk}&month=2026-06").status_code == 404
    assert (
        api.get(dept_chen, f"/collab/review?department={inspect.department_id}&month=2026-06").status_code
        == 200
    )
    assert api.get(dept_chen, "/collab/approvals").status_code == 404
    for path in ("/collab/tasks", "/collab/approvals"):
        assert api.get(customer_x.user, path).status_code == 404
    assert _browser(customer_x.user).get("/agent/collab/").status_code in (302, 404)
    assert (
        _browser(dept_chen).get(f"/agent/collab/review/?department={other.pk}").context["department"].pk
        == dept_chen.department_id
    )


def test_an_agent_asks_through_the_api_and_the_member_works_it(
    api, ticket, inspect, received, agent_li, dept_chen
):
    body = {"department_id": inspect.department_id, "kind_id": inspect.pk, "description": "请验货"}
    made = api.post(agent_li, f"/collab/tickets/{ticket.pk}/tasks", body)
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert [t["id"] for t in api.get(dept_chen, "/collab/tasks?open=true").json()] == [pk]
    assert api.post(dept_chen, f"/collab/tasks/{pk}/accept").json()["status"] == "accepted"
    again = api.post(dept_chen, f"/collab/tasks/{pk}/accept")
    assert again.status_code == 409 and again.json()["code"] == "already_done"
    m = api.post(dept_chen, f"/collab/tasks/{pk}/milestones", {"kind_id": received.pk})
    assert m.status_code == 201 and m.json()["on_time"] and m.json()["replied"]
    assert api.post(dept_chen, f"/collab/tasks/{pk}/done", {}).json()["status"] == "done"
    assert api.get(agent_li, f"/collab/tasks/{pk}").json()["milestones"][0]["name"] == "已收货"


def test_bad_input_is_refused_with_a_reason(api, ticket, inspect, agent_li, dept_chen, wh):
    bare = DepartmentFactory(name="技术部")
    from kefu.collaboration.models import TaskKind

    kind = TaskKind.objects.create(department=bare, name="远程诊断", target_minutes=60)
    body = {"department_id": bare.pk, "kind_id": kind.pk, "description": "请远程诊断"}
    no_calendar = api.post(agent_li, f"/collab/tickets/{ticket.pk}/tasks", body)
    assert no_calendar.status_code == 422
    assert (
        no_calendar.json()["code"] == "department_not_ready" and no_calendar.json()["field"] == "department"
    )
    syncs.configure(bare)
    no_members = api.post(agent_li, f"/collab/tickets/{ticket.pk}/tasks", body)
    assert no_members.status_code == 422 and no_members.json()["code"] == "department_not_ready"
    assert no_members.json()["message"] != no_calendar.json()["message"]
    empty = api.post(
        agent_li,
        f"/collab/tickets/{ticket.pk}/tasks",
        {**body, "department_id": wh.pk, "kind_id": inspect.pk, "description": " "},
    )
    assert empty.status_code == 422 and empty.json()["field"] == "description"
    wrong_kind = api.post(agent_li, f"/collab/tickets/{ticket.pk}/tasks", {**body, "department_id": wh.pk})
    assert wrong_kind.status_code == 404
    task = services.request_task(ticket, department=wh, kind=inspect, description="验货", by=agent_li)
    no_reason = api.post(dept_chen, f"/collab/tasks/{task.pk}/reject", {"reason": ""})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    browser = _browser(dept_chen)
    page = browser.post(
        f"/agent/collab/tasks/{task.pk}/act/", {"action": "reject", "reason": ""}, follow=True
    )
    assert page.status_code == 200 and Task.objects.get(pk=task.pk).status == TaskStatus.REQUESTED
    assert api.post(dept_chen, f"/collab/tasks/{task.pk}/milestones", {"kind_id": 999999}).status_code == 404
    assert api.post(dept_chen, f"/collab/tasks/{task.pk}/milestones", {"kind_id": "x"}).status_code == 422


def test_the_task_list_costs_the_same_queries_for_more_tasks(api, ticket, inspect, agent_li, dept_chen):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def ask(n):
        for i in range(n):
            services.request_task(
                ticket, department=inspect.department, kind=inspect, description=f"验货{i}", by=agent_li
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            answer = api.get(dept_chen, "/collab/tasks")
        assert answer.status_code == 200
        return len(queries), len(answer.json())

    ask(2)
    count()  # the first call also makes the API token
    few, listed = count()
    ask(4)
    many, listed_many = count()
    assert (listed, listed_many) == (2, 6)
    assert many == few
