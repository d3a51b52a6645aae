"""Macros: several actions in one click, in one transaction, refused as a whole on a stale page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kefu.automation import services
from kefu.automation.errors import RuleInvalid
from kefu.automation.models import Macro
from kefu.tickets import services as tickets
from kefu.tickets.models import MessageKind, Ticket, TicketShare


@pytest.fixture
def to_warehouse(lead_zhao, warehouse):
    return services.save_macro(
        by=lead_zhao,
        name="转仓储处理",
        actions=[
            {"type": "share", "value": "仓储"},
            {"type": "set_status", "value": "on_hold"},
            {"type": "add_note", "body": "已转仓储核实库存，{{ agent_name }} 跟进"},
        ],
    )


@pytest.fixture
def refunded(lead_zhao):
    reply = services.save_canned_reply(
        by=lead_zhao,
        title="退款已处理",
        body="{{ customer_name }} 您好，您的退款已原路退回，请注意查收。",
        shared=True,
    )
    return services.save_macro(
        by=lead_zhao,
        name="退款已处理",
        actions=[{"type": "reply", "canned_reply": reply.pk}, {"type": "set_status", "value": "solved"}],
    )


def test_one_click_applies_every_action(client, agent_li, customer_x, make_ticket, to_warehouse, warehouse):
    ticket = make_ticket(customer_x)
    client.force_login(agent_li)
    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert "转仓储处理" in page and 'data-testid="macro-panel"' in page
    response = client.post(
        reverse("automation:macro_apply", args=[to_warehouse.pk, ticket.pk]), {"version": ticket.version}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "on_hold"
    assert TicketShare.objects.filter(ticket=ticket, department=warehouse).exists()
    note = ticket.messages.get(kind=MessageKind.INTERNAL)
    assert note.body_text == "已转仓储核实库存，李娜 跟进"
    assert note.author == agent_li


def test_a_canned_reply_and_solved(agent_li, customer_x, make_ticket, refunded):
    ticket = make_ticket(customer_x)
    services.apply_macro(refunded, ticket=ticket, by=agent_li, version=ticket.version)
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    reply = ticket.messages.filter(kind=MessageKind.PUBLIC, author=agent_li).get()
    assert reply.body_text == "张小明 您好，您的退款已原路退回，请注意查收。"


@pytest.mark.fault("D1")
def test_a_stale_page_gets_the_conflict_message_and_nothing_is_applied(
    client, agent_li, agent_wang, customer_x, make_ticket, to_warehouse
):
    ticket = make_ticket(customer_x)
    seen = ticket.version
    tickets.change_status(
        Ticket.objects.get(pk=ticket.pk), to="pending", by=agent_wang
    )  # someone else, meanwhile
    client.force_login(agent_li)
    response = client.post(
        reverse("automation:macro_apply", args=[to_warehouse.pk, ticket.pk]), {"version": seen}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "王芳" in body and 'data-testid="conflict-banner"' in body
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert not ticket.messages.filter(kind=MessageKind.INTERNAL).exists()
    assert not ticket.shares.exists()


def test_personal_macros_stay_personal(client, agent_li, agent_wang, customer_x, make_ticket):
    mine = services.save_macro(
        by=agent_li, name="我的", actions=[{"type": "add_tags", "value": ["跟进"]}], shared=False
    )
    ticket = make_ticket(customer_x)
    client.force_login(agent_wang)
    response = client.post(
        reverse("automation:macro_apply", args=[mine.pk, ticket.pk]), {"version": ticket.version}
    )
    assert response.status_code == 404
    client.force_login(agent_li)
    client.post(reverse("automation:macro_apply", args=[mine.pk, ticket.pk]), {"version": ticket.version})
    assert list(ticket.tags.values_list("name", flat=True)) == ["跟进"]


def test_agents_cannot_save_shared_macros_and_bad_actions_are_refused(agent_li, lead_zhao):
    with pytest.raises(Exception) as err:
        services.save_macro(
            by=agent_li, name="共享", actions=[{"type": "add_tags", "value": ["x"]}], shared=True
        )
    assert err.value.status == 403
    with pytest.raises(RuleInvalid) as err:
        services.save_macro(by=lead_zhao, name="坏", actions=[{"type": "share", "value": "财务部"}])
    assert err.value.field == "actions[0].value"


@pytest.mark.fault("A2")
def test_a_macro_on_a_ticket_you_cannot_see_is_not_found(
    client, agent_tech, customer_x, make_ticket, to_warehouse, team_aftersales
):
    ticket = make_ticket(customer_x, team=team_aftersales)
    client.force_login(agent_tech)
    response = client.post(
        reverse("automation:macro_apply", args=[to_warehouse.pk, ticket.pk]), {"version": ticket.version}
    )
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status != "on_hold"


@pytest.mark.fault("U1")
def test_names_written_by_one_role_are_inert_for_another(
    client, agent_li, lead_zhao, customer_x, make_ticket
):
    payload = "<img src=x onerror=alert(1)>"
    services.save_macro(by=lead_zhao, name=f"宏{payload}", actions=[{"type": "add_tags", "value": [payload]}])
    services.save_canned_reply(by=lead_zhao, title=f"话术{payload}", body=f"正文{payload}", shared=True)
    ticket = make_ticket(customer_x)
    client.force_login(agent_li)
    for url in (
        reverse("agent:ticket", args=[ticket.pk]),
        reverse("automation:home"),
        "/agent/automation/macro/",
    ):
        html = client.get(url).content.decode()
        assert payload not in html
    html = client.get(reverse("automation:canned_search"), {"ticket": ticket.pk}).content.decode()
    assert payload not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_macros_are_managed_in_the_ui_by_their_owner_or_supervisors(
    client, agent_li, lead_zhao, to_warehouse
):
    client.force_login(agent_li)
    assert client.get(f"/agent/automation/macro/{to_warehouse.pk}/").status_code == 404  # shared: supervisors
    response = client.post(
        "/agent/automation/macro/new/",
        {
            "name": "我的跟进",
            "a_type": ["add_tags"],
            "a_value": ["跟进"],
            "a_text": [""],
            "shared": "0",
            "active": "0",
        },
    )
    assert response.status_code == 302
    mine = Macro.objects.get(name="我的跟进")
    assert mine.owner == agent_li and not mine.active
    assert "我的跟进" in client.get("/agent/automation/macro/").content.decode()  # inactive, still listed
    assert client.get(f"/agent/automation/macro/{mine.pk}/").status_code == 200
    client.force_login(lead_zhao)
    assert client.get(f"/agent/automation/macro/{mine.pk}/").status_code == 404  # personal: its owner only
    assert client.get(f"/agent/automation/macro/{to_warehouse.pk}/").status_code == 200
