"""The repeat-dispatch rate has one definition: the registered metric, the selector and the routing
page all read routing.metrics."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kefu.core import metrics
from kefu.routing.selectors import repeat_dispatch_rate
from kefu.tickets import services
from kefu.tickets.models import Ticket
from tests.clock import SHANGHAI, parse

WED, THU = date(2026, 6, 10), date(2026, 6, 11)


def t(ticket):
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def dispatched(fixed_clock, make_ticket, customer_x, customer_y, agent_li, agent_wang, lead_zhao):
    """ta: Li on Wednesday, Wang on Thursday (repeated, counted on Wednesday); tb: Li only;
    tc: Wang on Thursday then unassigned (taking a ticket away is no dispatch); td: never assigned."""

    def at(text):
        fixed_clock.move_to(parse(text))

    at("2026-06-10 10:00")
    ta = make_ticket(customer_x, subject="发票抬头写错了")
    tb = make_ticket(customer_y, subject="快递三天没动了")
    make_ticket(customer_y, subject="想换个颜色")
    at("2026-06-10 10:05")
    services.assign(t(ta), to=agent_li, by=lead_zhao)
    at("2026-06-10 10:10")
    services.assign(t(tb), to=agent_li, by=lead_zhao)
    at("2026-06-11 10:00")
    services.assign(t(ta), to=agent_wang, by=lead_zhao)
    tc = make_ticket(customer_x, subject="优惠券用不了")
    at("2026-06-11 10:30")
    services.assign(t(tc), to=agent_wang, by=lead_zhao)
    at("2026-06-11 10:40")
    services.assign(t(tc), to=None, by=lead_zhao)
    return ta, tb, tc


def test_the_metric_counts_a_ticket_on_the_day_of_its_first_dispatch(dispatched, agent_wang):
    ta, _tb, _tc = dispatched
    series = metrics.compute("repeat_dispatch_rate", start=WED, end=THU, grain="day")
    assert [(p.bucket, p.num, p.den, p.value) for p in series.points] == [(WED, 1, 2, 50.0), (THU, 0, 1, 0.0)]
    assert metrics.total("repeat_dispatch_rate", start=WED, end=THU) == pytest.approx(100 / 3)
    by_agent = metrics.compute("repeat_dispatch_rate", start=WED, end=WED, by="agent")
    assert {p.group: p.value for p in by_agent.points}[str(agent_wang.pk)] == 100.0
    assert list(metrics.get("repeat_dispatch_rate").drill(metrics.window(WED, THU), None, None)) == [ta]


def test_the_routing_page_and_the_selector_read_the_same_definition(dispatched, client, lead_zhao):
    assert repeat_dispatch_rate() == {"assigned": 3, "repeated": 1, "rate": pytest.approx(1 / 3)}
    wednesday = repeat_dispatch_rate(
        since=datetime(2026, 6, 10, tzinfo=SHANGHAI), until=datetime(2026, 6, 11, tzinfo=SHANGHAI)
    )
    assert wednesday == {"assigned": 2, "repeated": 1, "rate": 0.5}
    assert wednesday["rate"] * 100 == metrics.total("repeat_dispatch_rate", start=WED, end=WED)
    client.force_login(lead_zhao)
    html = client.get("/agent/routing/").content.decode()
    assert "33% (1 / 3)" in " ".join(html.split())
