"""While a department works a task the ticket waits on it (on hold), so its resolution clock stops;
when the last task closes the clock runs again. Runs the real SLA handler after commit."""

from __future__ import annotations

from kefu.collaboration import services
from kefu.sla.models import Metric, SlaTimer, TimerState
from kefu.sla.services import TargetSpec, save_policy


def _resolution(ticket):
    return (
        SlaTimer.objects.filter(ticket=ticket, metric=Metric.RESOLUTION)
        .exclude(state=TimerState.CANCELLED)
        .get()
    )


def test_the_resolution_clock_stops_while_the_department_works(
    make_ticket, customer_x, inspect, agent_li, dept_chen, django_capture_on_commit_callbacks
):
    save_policy(
        by=None,
        name="测试：日历时间",
        position=50,
        warn_percent=80,
        targets=[TargetSpec(Metric.RESOLUTION, 10 * 3600, business_time=False)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(customer_x, subject="退货")
    assert _resolution(ticket).state == TimerState.RUNNING
    with django_capture_on_commit_callbacks(execute=True):
        task = services.request_task(
            ticket, department=inspect.department, kind=inspect, description="验货", by=agent_li
        )
    assert _resolution(ticket).state == TimerState.PAUSED
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_task(task, by=dept_chen)
    assert _resolution(ticket).state == TimerState.RUNNING
