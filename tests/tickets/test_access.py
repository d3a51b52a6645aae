"""Who sees which ticket, for every persona (DESIGN.md): fail closed, not-yours = missing."""

import pytest

from kefu.accounts.services import change_role, get_access_settings
from kefu.tickets import selectors, services
from kefu.tickets.errors import TicketNotFound


@pytest.fixture
def aftersales_ticket(customer_x, team_aftersales, make_ticket):
    return make_ticket(customer_x, subject="退货地址是哪里", team=team_aftersales)


def sees(user, ticket) -> bool:
    try:
        selectors.access_ticket(user, ticket.pk)
        return True
    except TicketNotFound:
        return False


@pytest.mark.fault("A2")
def test_persona_matrix(
    aftersales_ticket,
    agent_li,
    agent_wang,
    agent_tech,
    lead_zhao,
    qa_sun,
    dept_chen,
    customer_x,
    customer_y,
    admin_user,
):
    t = aftersales_ticket
    assert sees(customer_x.user, t)
    assert not sees(customer_y.user, t)
    assert sees(agent_li, t) and sees(agent_wang, t)
    assert not sees(agent_tech, t)  # another team's queue
    assert sees(lead_zhao, t) and sees(qa_sun, t) and sees(admin_user, t)
    assert not sees(dept_chen, t)  # not shared with the warehouse yet


@pytest.mark.fault("A2")
def test_missing_and_foreign_look_the_same(aftersales_ticket, customer_y):
    with pytest.raises(TicketNotFound) as foreign:
        selectors.access_ticket(customer_y.user, aftersales_ticket.pk)
    with pytest.raises(TicketNotFound) as missing:
        selectors.access_ticket(customer_y.user, 999_999)
    assert foreign.value.as_dict() == missing.value.as_dict()


@pytest.mark.fault("D2")
def test_department_sees_only_what_is_shared(
    aftersales_ticket, dept_chen, warehouse, agent_li, customer_x, make_ticket
):
    other = make_ticket(customer_x, subject="另一个问题")
    services.share_with_department(aftersales_ticket, department=warehouse, by=agent_li)
    assert sees(dept_chen, aftersales_ticket)
    assert not sees(dept_chen, other)


def test_admin_option_lets_all_agents_see_all(aftersales_ticket, agent_tech):
    assert not sees(agent_tech, aftersales_ticket)
    options = get_access_settings()
    options.agents_see_all = True
    options.save()
    assert sees(agent_tech, aftersales_ticket)


def test_assigned_agent_sees_ticket_outside_their_team(aftersales_ticket, agent_tech, lead_zhao):
    services.assign(aftersales_ticket, to=agent_tech, by=lead_zhao)
    assert sees(agent_tech, aftersales_ticket)


def test_organisation_sharing(customer_x, make_ticket, db):
    from tests.factories import CustomerFactory, OrganisationFactory, UserFactory

    org = OrganisationFactory(name="杭州某科技有限公司")
    customer_x.organisation = org
    customer_x.save()
    colleague_user = UserFactory(username="colleague", role="customer")
    colleague = CustomerFactory(user=colleague_user, organisation=org)
    ticket = make_ticket(customer_x)
    assert not sees(colleague_user, ticket)
    org.share_tickets = True
    org.save()
    colleague_user.refresh_from_db()
    assert sees(colleague_user, ticket)
    assert colleague.pk != customer_x.pk


@pytest.mark.fault("A2")
def test_role_downgrade_loses_access_at_once(aftersales_ticket, agent_li):
    assert sees(agent_li, aftersales_ticket)
    change_role(agent_li, role="customer", by=agent_li)
    assert not sees(agent_li, aftersales_ticket)


@pytest.mark.fault("A2")
def test_inactive_or_anonymous_see_nothing(aftersales_ticket, agent_li):
    from django.contrib.auth.models import AnonymousUser

    assert not sees(AnonymousUser(), aftersales_ticket)
    agent_li.is_active = False
    agent_li.save()
    assert not sees(agent_li, aftersales_ticket)
