"""The agent workspace through the Django test client, persona by persona (DESIGN.md)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kefu.accounts.models import Role
from kefu.customers.models import Tier
from kefu.tickets import services
from kefu.tickets.models import Attachment, MessageKind, Priority, Ticket
from kefu.tickets.states import Status
from tests.factories import UserFactory


def client_for(user) -> Client:
    """A logged-in browser that reads English, so assertions do not depend on the zh catalog."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def ticket_a(customer_x, team_aftersales, make_ticket):
    return make_ticket(
        customer_x, subject="退货地址是哪里", body="我想退货，请告诉我退货地址。", team=team_aftersales
    )


@pytest.fixture
def ticket_b(customer_y, team_tech, make_ticket):
    return make_ticket(customer_y, subject="App 登录一直失败", body="登录时提示密码错误。", team=team_tech)


def ticket_url(ticket, name="agent:ticket") -> str:
    return reverse(name, args=[ticket.pk])


# --------------------------------------------------------------------------- who sees what


def test_queue_shows_each_agent_their_teams_tickets(ticket_a, ticket_b, agent_li, agent_tech, lead_zhao):
    li = page(client_for(agent_li).get("/agent/?view=all"))
    assert ticket_a.subject in li and ticket_b.subject not in li

    tech = page(client_for(agent_tech).get("/agent/?view=all"))
    assert ticket_b.subject in tech and ticket_a.subject not in tech

    lead = page(client_for(lead_zhao).get("/agent/?view=all"))
    assert ticket_a.subject in lead and ticket_b.subject in lead


@pytest.mark.fault("A2")
def test_agent_of_another_team_gets_404_on_the_ticket(ticket_a, agent_tech):
    assert client_for(agent_tech).get(ticket_url(ticket_a)).status_code == 404


@pytest.mark.fault("D2")
def test_department_member_sees_only_shared_tickets_and_may_only_note(
    ticket_a, ticket_b, dept_chen, warehouse, agent_li
):
    services.share_with_department(ticket_a, department=warehouse, by=agent_li)
    chen = client_for(dept_chen)

    queue = page(chen.get("/agent/"))
    assert ticket_a.subject in queue and ticket_b.subject not in queue
    assert chen.get(ticket_url(ticket_b)).status_code == 404

    detail = page(chen.get(ticket_url(ticket_a)))
    assert 'data-testid="note-form"' in detail
    assert 'data-testid="reply-form"' not in detail and 'data-testid="properties-form"' not in detail

    noted = chen.post(ticket_url(ticket_a, "agent:note"), {"body": "仓库已查到包裹，明天发出。"})
    assert noted.status_code == 302
    assert ticket_a.messages.filter(kind=MessageKind.INTERNAL, author=dept_chen).exists()

    assert chen.post(ticket_url(ticket_a, "agent:reply"), {"body": "hi"}).status_code == 403
    refused = chen.post(
        ticket_url(ticket_a, "agent:update"), {"version": ticket_a.version, "priority": "urgent"}
    )
    assert refused.status_code == 403
    ticket_a.refresh_from_db()
    assert ticket_a.priority == Priority.NORMAL
    assert not ticket_a.messages.filter(author=dept_chen, kind=MessageKind.PUBLIC).exists()


@pytest.mark.fault("A2")
def test_customers_and_strangers_are_kept_out(ticket_a, customer_x):
    customer = client_for(customer_x.user)
    assert customer.get("/agent/").url == "/portal/"
    assert (
        customer.get(ticket_url(ticket_a)).status_code == 404
    )  # even their own ticket: the portal is theirs
    assert customer.post(ticket_url(ticket_a, "agent:note"), {"body": "x"}).status_code == 404

    anonymous = client_for(None).get(ticket_url(ticket_a))
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous.url


# --------------------------------------------------------------------------- queue views, filters, paging


def test_views_and_counts(ticket_a, make_ticket, customer_x, team_aftersales, agent_li, agent_wang):
    mine = make_ticket(customer_x, subject="发票抬头开错了", team=team_aftersales)
    services.assign(mine, to=agent_li, by=agent_li)
    services.assign(
        make_ticket(customer_x, subject="王芳的工单", team=team_aftersales), to=agent_wang, by=agent_wang
    )
    li = client_for(agent_li)

    body = page(li.get("/agent/?view=mine"))
    assert "发票抬头开错了" in body and ticket_a.subject not in body and "王芳的工单" not in body
    body = page(li.get("/agent/?view=unassigned"))
    assert ticket_a.subject in body and "发票抬头开错了" not in body

    counts = page(li.get("/agent/counts/?view=mine"))
    assert 'data-testid="count-mine">1<' in counts
    assert 'data-testid="count-unassigned">1<' in counts
    assert 'data-testid="count-open">3<' in counts


def test_filters_narrow_the_queue_and_bad_values_get_a_message(ticket_a, ticket_b, lead_zhao, customer_x):
    services.update_ticket(ticket_a, by=lead_zhao, version=None, priority=Priority.URGENT)
    customer_x.tier = Tier.VIP
    customer_x.save()
    lead = client_for(lead_zhao)

    body = page(lead.get("/agent/?view=all&priority=urgent"))
    assert ticket_a.subject in body and ticket_b.subject not in body
    body = page(lead.get("/agent/?view=all&tier=vip"))
    assert ticket_a.subject in body and ticket_b.subject not in body

    bad = lead.get("/agent/?view=all&status=nonsense")
    assert bad.status_code == 422
    assert "nonsense" in page(bad)
    assert lead.get("/agent/?view=everything").status_code == 422
    assert lead.get("/agent/?cursor=%%%garbage").status_code == 422


def test_queue_pages_with_a_cursor_and_no_n_plus_one(
    customer_x, team_aftersales, agent_li, make_ticket, django_assert_max_num_queries
):
    for n in range(53):
        make_ticket(customer_x, subject=f"批量工单{n:02d}", team=team_aftersales)
    li = client_for(agent_li)

    with django_assert_max_num_queries(15):
        first = li.get("/agent/?view=all")
    assert first.status_code == 200
    rows = first.context["page"].items
    assert len(rows) == 50
    next_url = first.context["next_url"]
    assert next_url and "cursor=" in next_url

    # htmx "next page" asks for the rows only, which carry no layout.
    more = li.get(next_url, headers={"HX-Request": "true", "HX-Target": "queue-more"})
    rest = more.context["page"].items
    assert len(rest) == 3 and "<html" not in page(more)
    assert not {t.pk for t in rows} & {t.pk for t in rest}
    assert more.context["next_url"] == ""


# --------------------------------------------------------------------------- search


def test_search_ranks_and_highlights(make_ticket, customer_x, team_aftersales, agent_li, agent_tech):
    hit = make_ticket(
        customer_x, subject="发票抬头开错了", body="请帮我重新开发票，抬头写错了。", team=team_aftersales
    )
    make_ticket(customer_x, subject="物流太慢", body="快递三天没动。", team=team_aftersales)

    body = page(client_for(agent_li).get("/agent/search/?q=发票"))
    assert "<mark>发票</mark>" in body
    assert reverse("agent:ticket", args=[hit.pk]) in body
    assert "物流太慢" not in body

    # Search never reveals tickets the agent may not see.
    assert (
        "发票"
        not in page(client_for(agent_tech).get("/agent/search/?q=发票")).split(
            'data-testid="search-results"'
        )[1]
    )


@pytest.mark.fault("U1")
def test_search_escapes_what_it_shows(make_ticket, customer_x, team_aftersales, agent_li):
    make_ticket(customer_x, subject="<script>alert(1)</script> 发票问题", team=team_aftersales)
    body = page(client_for(agent_li).get("/agent/search/?q=发票"))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body


# --------------------------------------------------------------------------- the ticket page


def test_ticket_page_shows_conversation_notes_customer_and_history(
    ticket_a, agent_li, agent_wang, customer_x
):
    services.add_note(ticket_a, body="客户是老客户，优先处理。", by=agent_wang)
    services.update_ticket(ticket_a, by=agent_wang, version=None, priority=Priority.HIGH)
    body = page(client_for(agent_li).get(ticket_url(ticket_a)))

    assert ticket_a.subject in body
    assert "客户是老客户，优先处理。" in body and "kefu-msg-internal" in body
    assert 'data-testid="customer-panel"' in body and customer_x.email in body
    history = body.split('data-testid="history"')[1]
    assert "王芳" in history and "Priority" in history and "High" in history


@pytest.mark.fault("F1", "F2")
def test_reply_note_and_attachment_flow(ticket_a, agent_li, customer_y):
    li = client_for(agent_li)
    sent = li.post(
        ticket_url(ticket_a, "agent:reply"),
        {
            "body": "退货地址：上海市浦东新区XX路1号。",
            "attachments": [SimpleUploadedFile("地址.txt", b"address")],
        },
    )
    assert sent.status_code == 302
    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.OPEN and ticket_a.first_contact_owner == agent_li

    body = page(li.get(sent.url))
    assert "退货地址：上海市浦东新区XX路1号。" in body
    attachment = Attachment.objects.get(ticket=ticket_a, filename__endswith=".txt")
    download_url = reverse("agent:attachment", args=[attachment.pk])
    assert download_url in body

    download = li.get(download_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"address"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"

    assert client_for(customer_y.user).get(download_url).status_code == 404

    noted = li.post(ticket_url(ticket_a, "agent:note"), {"body": "已经发了地址"})
    assert noted.status_code == 302
    assert ticket_a.messages.filter(kind=MessageKind.INTERNAL, body_text="已经发了地址").exists()


def test_reply_can_set_the_status_in_the_same_step(ticket_a, agent_li):
    client_for(agent_li).post(
        ticket_url(ticket_a, "agent:reply"), {"body": "已处理。", "submit_as": "solved"}
    )
    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.SOLVED


def test_forbidden_attachment_is_refused_but_the_reply_is_saved(ticket_a, agent_li):
    li = client_for(agent_li)
    response = li.post(
        ticket_url(ticket_a, "agent:reply"),
        {
            "body": "请看附件。",
            "attachments": [SimpleUploadedFile("virus.exe", b"MZ..."), SimpleUploadedFile("ok.txt", b"fine")],
        },
        follow=True,
    )
    body = page(response)
    assert "virus.exe" in body and "not allowed" in body  # shown as a warning
    assert "请看附件。" in body
    assert list(ticket_a.attachments.values_list("filename", flat=True)) == ["ok.txt"]


def test_empty_reply_is_refused_with_a_message(ticket_a, agent_li):
    response = client_for(agent_li).post(ticket_url(ticket_a, "agent:reply"), {"body": "   "})
    assert response.status_code == 422
    assert 'data-testid="reply-error"' in page(response)
    assert ticket_a.messages.count() == 1


@pytest.mark.fault("D1")
def test_stale_save_shows_the_conflict_banner_and_overwrites_nothing(ticket_a, agent_li, agent_wang):
    li = client_for(agent_li)
    form_version = li.get(ticket_url(ticket_a)).context["ticket"].version

    # 王芳 saves first…
    client_for(agent_wang).post(
        ticket_url(ticket_a, "agent:update"),
        {"version": form_version, "status": "new", "priority": "urgent", "type": ticket_a.type, "tags": ""},
    )
    # …then 李娜 saves the form she loaded before that.
    response = li.post(
        ticket_url(ticket_a, "agent:update"),
        {"version": form_version, "status": "new", "priority": "low", "type": ticket_a.type, "tags": ""},
    )
    assert response.status_code == 409
    banner = page(response).split('data-testid="conflict-banner"')[1].split("Reload</a>")[0]
    assert "王芳" in banner and "changed by" in banner
    ticket_a.refresh_from_db()
    assert ticket_a.priority == Priority.URGENT


def test_invalid_status_transition_is_explained(ticket_a, agent_li):
    services.change_status(ticket_a, to=Status.SOLVED, by=agent_li)
    ticket_a.refresh_from_db()
    response = client_for(agent_li).post(
        ticket_url(ticket_a, "agent:update"), {"version": ticket_a.version, "status": "pending"}
    )
    assert response.status_code == 422
    body = page(response)
    assert 'data-error-code="invalid_transition"' in body
    assert "cannot go from" in body
    ticket_a.refresh_from_db()
    assert ticket_a.status == Status.SOLVED


def test_properties_form_saves_fields(ticket_a, agent_li, agent_wang, team_aftersales):
    response = client_for(agent_li).post(
        ticket_url(ticket_a, "agent:update"),
        {
            "version": ticket_a.version,
            "status": "pending",
            "priority": "high",
            "type": "complaint",
            "category": "",
            "assignee": agent_wang.pk,
            "team": team_aftersales.pk,
            "tags": "退货, 加急",
        },
    )
    assert response.status_code == 302
    ticket_a.refresh_from_db()
    assert (ticket_a.status, ticket_a.priority, ticket_a.type) == ("pending", "high", "complaint")
    assert ticket_a.assignee == agent_wang
    assert sorted(ticket_a.tags.values_list("name", flat=True)) == ["加急", "退货"]


def test_assign_to_me(ticket_a, agent_li):
    li = client_for(agent_li)
    assert "data-kefu-assign-me" in page(li.get(ticket_url(ticket_a)))
    li.post(ticket_url(ticket_a, "agent:assign_me"), {"version": ticket_a.version})
    ticket_a.refresh_from_db()
    assert ticket_a.assignee == agent_li
    assert ticket_a.subject in page(li.get("/agent/?view=mine"))


def test_merge_by_number_and_link(ticket_a, make_ticket, customer_x, team_aftersales, agent_li):
    duplicate = make_ticket(customer_x, subject="退货地址？", body="再问一次退货地址。", team=team_aftersales)
    related = make_ticket(customer_x, subject="退款什么时候到账", team=team_aftersales)
    li = client_for(agent_li)

    merged = li.post(ticket_url(duplicate, "agent:merge"), {"into": ticket_a.number})
    assert merged.url.startswith(ticket_url(ticket_a))
    assert "再问一次退货地址。" in page(li.get(ticket_url(ticket_a)))
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == ticket_a.pk

    li.post(ticket_url(ticket_a, "agent:link"), {"to": str(related.pk)})
    linked = page(li.get(ticket_url(ticket_a))).split('data-testid="linked-tickets"')[1]
    assert related.number in linked

    missing = li.post(ticket_url(ticket_a, "agent:link"), {"to": "KF-999999"})
    assert missing.status_code == 422 and "KF-999999" in page(missing)


def test_share_with_department(ticket_a, agent_li, dept_chen, warehouse):
    client_for(agent_li).post(ticket_url(ticket_a, "agent:share"), {"department": warehouse.pk})
    assert client_for(dept_chen).get(ticket_url(ticket_a)).status_code == 200


# --------------------------------------------------------------------------- presence and shortcuts


def test_presence_shows_who_else_is_viewing_and_replying(ticket_a, agent_li, agent_wang):
    wang, li = client_for(agent_wang), client_for(agent_li)
    wang.get(ticket_url(ticket_a))

    body = page(li.get(ticket_url(ticket_a)))
    presence = body.split('data-testid="presence"')[1].split("</div>")[0]
    assert "王芳" in presence and 'data-presence="viewing"' in presence
    assert "李娜" not in presence  # not yourself

    wang.post(ticket_url(ticket_a, "agent:presence"), {"replying": "1"})
    beat = page(li.post(ticket_url(ticket_a, "agent:presence"), {"replying": "0"}))
    assert "王芳" in beat and 'data-presence="replying"' in beat
    # 王芳 in turn sees 李娜 viewing.
    assert "李娜" in page(wang.post(ticket_url(ticket_a, "agent:presence"), {"replying": "1"}))


@pytest.mark.fault("A2")
def test_presence_heartbeat_needs_access(ticket_a, agent_tech):
    assert client_for(agent_tech).post(ticket_url(ticket_a, "agent:presence")).status_code == 404


def test_keyboard_shortcuts_are_wired(ticket_a, agent_li):
    li = client_for(agent_li)
    for url in ("/agent/", ticket_url(ticket_a)):
        body = page(li.get(url))
        assert "kefu/kefu.js" in body and 'data-testid="shortcuts-help"' in body
    body = page(li.get(ticket_url(ticket_a)))
    assert 'id="reply-body"' in body and 'id="note-body"' in body and 'id="kefu-search"' in body
    script = (settings.BASE_DIR / "static/kefu/kefu.js").read_text()
    for key in (
        'case "j"',
        'case "k"',
        'case "r"',
        'case "n"',
        'case "a"',
        'case "/"',
        'case "?"',
        "isTyping",
    ):
        assert key in script


@pytest.mark.fault("U2")
def test_get_never_changes_state(ticket_a, agent_li):
    li = client_for(agent_li)
    for name in ("agent:assign_me", "agent:update", "agent:reply", "agent:merge"):
        assert li.get(ticket_url(ticket_a, name)).status_code == 405
    ticket_a.refresh_from_db()
    assert ticket_a.assignee is None


@pytest.mark.fault("U2")
def test_post_without_csrf_token_is_refused(ticket_a, agent_li):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent_li)
    assert strict.post(ticket_url(ticket_a, "agent:assign_me"), {"version": 1}).status_code == 403


@pytest.mark.fault("X2")
def test_inactive_agent_is_out(ticket_a, team_aftersales):
    gone = UserFactory(username="gone", role=Role.AGENT, teams=[team_aftersales], is_active=False)
    client = Client()
    client.force_login(gone)
    assert client.get(ticket_url(ticket_a)).status_code in (302, 404)
