"""Higher apps add parts to the ticket pages through core.extensions, without upward imports."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import format_html

from kefu.core import extensions


@pytest.fixture
def hooks():
    saved = (
        dict(extensions._ticket_panels),
        dict(extensions._compose_tools),
        dict(extensions._row_badges),
        dict(extensions._nav_links),
        dict(extensions._top_bar),
    )
    yield extensions
    for registry, copy in zip(
        (
            extensions._ticket_panels,
            extensions._compose_tools,
            extensions._row_badges,
            extensions._nav_links,
            extensions._top_bar,
        ),
        saved,
        strict=True,
    ):
        registry.clear()
        registry.update(copy)


def test_panels_tools_badges_and_links_show_on_the_agent_pages(
    client, hooks, agent_li, customer_x, make_ticket
):
    ticket = make_ticket(customer_x, subject="快递三天没动")
    hooks.register_ticket_panel(
        "t-panel", lambda request, t: format_html("<div id='t-panel'>{}</div>", t.number)
    )
    hooks.register_compose_tool("t-tool", lambda request, t: "<button id='t-tool'>话术</button>")
    hooks.register_row_badges(
        "t-badge", lambda request, rows: {t.pk: "<span id='t-badge'>剩余 35 分钟</span>" for t in rows}
    )
    hooks.register_nav(extensions.NavLink(50, "t-nav", "知识库", "agent:queue"))
    client.force_login(agent_li)

    page = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
    assert f"<div id='t-panel'>{ticket.number}</div>" in page
    assert "<button id='t-tool'>话术</button>" in page
    assert 'data-nav="t-nav"' in page

    queue = client.get(reverse("agent:queue"), {"view": "all"}).content.decode()
    assert "<span id='t-badge'>剩余 35 分钟</span>" in queue


def test_a_failing_part_is_left_out_and_the_page_still_works(
    client, hooks, agent_li, customer_x, make_ticket
):
    ticket = make_ticket(customer_x, subject="发票")

    def broken(request, t):
        raise RuntimeError("index missing")

    hooks.register_ticket_panel("broken", broken)
    hooks.register_row_badges("broken", lambda request, rows: 1 / 0)
    client.force_login(agent_li)
    assert client.get(reverse("agent:ticket", args=[ticket.pk])).status_code == 200
    assert client.get(reverse("agent:queue"), {"view": "all"}).status_code == 200


def test_portal_links_are_only_for_the_portal_area(client, hooks, customer_x):
    hooks.register_nav(extensions.NavLink(10, "help", "帮助中心", "portal:home", area="portal"))
    client.force_login(customer_x.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert 'data-nav="help"' in page
    assert extensions.nav_links(customer_x.user, "agent") == []


def test_top_bar_parts_show_on_every_page_and_a_failing_one_is_left_out(client, hooks, customer_x):
    hooks.register_top_bar(
        "t-top", lambda request: format_html("<span id='t-top'>{}</span>", request.user.name)
    )

    def broken(request):
        raise RuntimeError("presence table missing")

    hooks.register_top_bar("t-broken", broken)
    client.force_login(customer_x.user)
    page = client.get("/portal/")
    assert page.status_code == 200 and "<span id='t-top'>张小明</span>" in page.content.decode()


def test_links_of_one_menu_share_a_dropdown_and_an_empty_menu_is_not_shown(
    client, hooks, agent_li, lead_zhao
):
    hooks._nav_links.clear()
    hooks.register_nav(extensions.NavLink(10, "t-kb", "知识库", "agent:queue"))
    hooks.register_nav(extensions.NavLink(20, "t-rules", "规则", "agent:queue", menu="settings"))
    hooks.register_nav(
        extensions.NavLink(
            30, "t-sla", "SLA", "agent:queue", menu="settings", visible=lambda u: u.role == "supervisor"
        )
    )
    entries = extensions.nav_links(lead_zhao, "agent")
    assert [e["key"] for e in entries] == ["t-kb", "settings"]
    assert [i["key"] for i in entries[1]["links"]] == ["t-rules", "t-sla"]

    hooks._nav_links.pop("t-rules")
    assert [e["key"] for e in extensions.nav_links(agent_li, "agent")] == ["t-kb"]

    client.force_login(lead_zhao)
    page = client.get(reverse("agent:queue")).content.decode()
    assert 'data-nav-menu="settings"' in page and 'data-nav="t-sla"' in page
