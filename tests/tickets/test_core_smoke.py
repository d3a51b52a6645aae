import pytest

from kefu.core.errors import NotFound
from kefu.tickets import selectors, services
from kefu.tickets.errors import InvalidTransition, StaleVersion
from kefu.tickets.models import EventKind
from kefu.tickets.selectors import TicketFilters


@pytest.mark.django_db
def test_ticket_lifecycle_search_and_conflict(customer_x, agent_li, agent_wang, team_aftersales, make_ticket):
    ticket = make_ticket(customer_x, subject="申请退款", body="收到的衣服有破洞，我要退款", team=team_aftersales)
    assert ticket.number.startswith("KF-")
    services.assign(ticket, to=agent_li, by=agent_li)
    services.reply(ticket, body="您好，已为您登记退款。", by=agent_li)
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.first_contact_owner == agent_li

    stale = ticket.version - 1
    with pytest.raises(StaleVersion) as err:
        services.update_ticket(ticket, by=agent_wang, version=stale, priority="high")
    assert "李娜" in err.value.message
    with pytest.raises(InvalidTransition):
        services.update_ticket(ticket, by=agent_li, version=ticket.version, status="new")

    hits = selectors.search_tickets(agent_li, "退款")
    assert [h.ticket.pk for h in hits] == [ticket.pk]
    assert "<mark>退款</mark>" in hits[0].subject_html
    assert selectors.search_tickets(customer_x.user, "破洞")
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds[0] == EventKind.CREATED and EventKind.REPLIED in kinds


@pytest.mark.django_db
def test_customer_cannot_see_other_customers_ticket(customer_x, customer_y, make_ticket):
    ticket = make_ticket(customer_x)
    with pytest.raises(NotFound):
        selectors.access_ticket(customer_y.user, ticket.pk)
    assert selectors.search_tickets(customer_y.user, "发货") == []
    page = selectors.list_tickets(customer_y.user, TicketFilters())
    assert page.items == []
