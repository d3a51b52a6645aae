"""SLA compliance in the metric registry: met ÷ (met + breached), per target, on the day each timer
was decided; paused (on hold) and cancelled (merged) timers are not counted."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.core import metrics
from kefu.sla.models import SlaTimer, TimerState
from kefu.sla.sweep import sweep
from kefu.tickets import services
from kefu.tickets.models import Ticket
from kefu.tickets.states import Status
from tests.clock import parse

DAY = date(2026, 6, 10)


def t(ticket):
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def decided(fixed_clock, clock_policy, opened, run, agent_li):
    """Calendar-time targets: first response 1 h, resolution 10 h.
    ta: answered in 30 min (met), solved at 12:30 (resolution met).
    tb: not answered by 11:00, the sweep breaches it at 11:30; answered at 12:00 (still a breach).
    tc: put on hold at 10:10 (its clock pauses, no breach), then merged into tb (timers cancelled)."""

    def at(text):
        fixed_clock.move_to(parse(f"2026-06-10 {text}"))

    at("10:00")
    ta = opened(subject="发票抬头写错了")
    tb = opened(subject="快递三天没动了")
    tc = opened(subject="快递还没到")
    at("10:10")
    run(services.change_status, t(tc), to=Status.ON_HOLD, by=agent_li)
    at("10:30")
    run(services.reply, t(ta), body="已重开发票。", by=agent_li)
    at("11:30")
    run(sweep)
    at("12:00")
    run(services.reply, t(tb), body="已联系快递。", by=agent_li)
    at("12:30")
    run(services.change_status, t(ta), to=Status.SOLVED, by=agent_li)
    at("12:40")
    run(services.merge, t(tc), into=t(tb), by=agent_li)
    return ta, tb, tc


def test_compliance_is_met_over_decided_timers_by_target(decided):
    ta, tb, tc = decided
    states = set(SlaTimer.objects.values_list("ticket_id", "metric", "state"))
    assert (tb.pk, "first_response", TimerState.BREACHED) in states
    assert {s for (pk, _m, s) in states if pk == tc.pk} == {TimerState.CANCELLED}
    # first response: ta met, tb breached; resolution: ta met (tb's still runs)
    assert metrics.total("sla_compliance", start=DAY, end=DAY) == pytest.approx(200 / 3)
    series = metrics.compute("sla_compliance", start=DAY, end=DAY, by="target")
    assert {p.group: p.value for p in series.points} == {"first_response": 50.0, "resolution": 100.0}
    assert metrics.total("sla_compliance", start=DAY, end=DAY, filters={"target": ["resolution"]}) == 100.0
    drill = metrics.get("sla_compliance").drill
    assert set(drill(metrics.window(DAY, DAY), "target", "first_response")) == {ta, tb}
    assert metrics.total("sla_compliance", start=date(2026, 6, 11), end=date(2026, 6, 30)) is None
