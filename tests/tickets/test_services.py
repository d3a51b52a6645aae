"""The ticket core through its services: what an agent or customer would notice."""

import pytest
from django.core.files.storage import default_storage

from kefu.core.errors import ValidationFailed
from kefu.tickets import selectors, services
from kefu.tickets.errors import InvalidTransition, StaleVersion
from kefu.tickets.models import Attachment, EventKind, Message, MessageKind, Ticket, TicketEvent
from kefu.tickets.services import Upload
from kefu.tickets.states import Status


@pytest.fixture
def ticket(customer_x, team_aftersales, make_ticket):
    return make_ticket(
        customer_x, subject="快递三天没动了", body="订单 20261101 的快递三天没有更新", team=team_aftersales
    )


def test_first_contact_owner_is_the_first_agent_who_replied_and_stays(ticket, agent_li, agent_wang):
    services.reply(ticket, body="您好，我来帮您查询。", by=agent_li)
    services.assign(ticket, to=agent_wang, by=agent_li)
    services.reply(ticket, body="已联系快递公司。", by=agent_wang)
    ticket.refresh_from_db()
    assert ticket.first_contact_owner == agent_li
    assert ticket.assignee == agent_wang
    assert ticket.first_response_at is not None


@pytest.mark.fault("D1")
def test_every_change_is_one_event_with_old_and_new(ticket, agent_li):
    services.update_ticket(ticket, by=agent_li, version=ticket.version, priority="high", type="after_sales")
    rows = list(ticket.events.filter(kind=EventKind.CHANGED).values_list("field", "old_value", "new_value"))
    assert ("priority", "normal", "high") in rows
    assert ("type", "consultation", "after_sales") in rows
    # Saving the same values again writes nothing and does not bump the version.
    version = ticket.version
    services.update_ticket(ticket, by=agent_li, version=ticket.version, priority="high")
    assert ticket.version == version
    assert ticket.events.filter(kind=EventKind.CHANGED, field="priority").count() == 1


@pytest.mark.fault("D1")
def test_stale_edit_is_refused_with_who_and_when(ticket, agent_li, agent_wang):
    li_copy = Ticket.objects.get(pk=ticket.pk)
    wang_copy = Ticket.objects.get(pk=ticket.pk)
    services.update_ticket(wang_copy, by=agent_wang, version=wang_copy.version, status=Status.PENDING)
    with pytest.raises(StaleVersion) as err:
        services.update_ticket(li_copy, by=agent_li, version=li_copy.version, status=Status.SOLVED)
    assert "王芳" in err.value.message
    assert err.value.status == 409
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING  # never silently overwritten


def test_invalid_transition_has_a_clear_error(ticket, agent_li):
    services.change_status(ticket, to=Status.SOLVED, by=agent_li)
    with pytest.raises(InvalidTransition) as err:
        services.update_ticket(ticket, by=agent_li, version=ticket.version, status=Status.PENDING)
    assert "Solved" in err.value.message or "已解决" in err.value.message
    assert err.value.field == "status"
    with pytest.raises(ValidationFailed):
        services.update_ticket(ticket, by=agent_li, version=ticket.version, status="bogus")


def test_solve_close_and_reopen(ticket, agent_li, customer_x):
    services.change_status(ticket, to=Status.SOLVED, by=agent_li)
    assert ticket.solved_at is not None
    services.change_status(ticket, to=Status.CLOSED, by=agent_li)
    # The customer writes again: the ticket reopens.
    services.reply(ticket, body="问题又出现了", by=customer_x.user)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.closed_at is None


def test_customer_may_only_close_or_reopen(ticket, customer_x):
    with pytest.raises(InvalidTransition):
        services.change_status(ticket, to=Status.ON_HOLD, by=customer_x.user)
    services.change_status(ticket, to=Status.CLOSED, by=customer_x.user)
    services.change_status(ticket, to=Status.OPEN, by=customer_x.user)
    assert ticket.status == Status.OPEN


def test_merge_moves_messages_and_events_and_points_to_survivor(customer_x, make_ticket, agent_li):
    a = make_ticket(customer_x, subject="发票抬头写错了", body="请帮我改发票抬头")
    b = make_ticket(customer_x, subject="发票问题", body="同一张发票，补充一下税号")
    services.add_note(b, body="与另一张工单重复", by=agent_li)
    services.merge(b, into=a, by=agent_li)
    b.refresh_from_db()
    assert b.merged_into == a and b.status == Status.CLOSED
    assert Message.objects.filter(ticket=b).count() == 0
    assert Message.objects.filter(ticket=a).count() == 3
    assert TicketEvent.objects.filter(ticket=a, kind=EventKind.MERGED_IN).exists()
    # The merged ticket disappears from lists and search; the survivor is found by either text.
    assert b.pk not in [t.pk for t in selectors.list_tickets(agent_li, selectors.TicketFilters()).items]
    assert [h.ticket.pk for h in selectors.search_tickets(agent_li, "税号")] == [a.pk]
    with pytest.raises(ValidationFailed):
        services.merge(a, into=a, by=agent_li)


def test_link_and_parent(customer_x, make_ticket, agent_li):
    a = make_ticket(customer_x, subject="主工单")
    b = make_ticket(customer_x, subject="子工单")
    services.link(a, to=b, by=agent_li)
    services.link(b, to=a, by=agent_li)  # the same link, once
    assert a.links_out.count() + a.links_in.count() == 1
    services.set_parent(b, parent=a, by=agent_li)
    with pytest.raises(ValidationFailed):
        services.set_parent(a, parent=b, by=agent_li)


@pytest.mark.fault("F3", "F4")
def test_attachments_are_stored_and_bad_ones_rejected_while_the_reply_is_saved(ticket, agent_li, settings):
    settings.KEFU_ATTACHMENT_MAX_BYTES = 1000
    posted = services.reply(
        ticket,
        body="请查看附件",
        by=agent_li,
        attachments=[
            Upload("../../etc/发货单.pdf", b"%PDF-1.4 ok", "application/pdf"),
            Upload("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
            Upload("big.png", b"x" * 2000, "image/png"),
        ],
    )
    assert len(posted.rejected) == 2
    assert any("virus.exe" in r for r in posted.rejected) and any("big.png" in r for r in posted.rejected)
    stored = Attachment.objects.get(message=posted.message)
    assert stored.filename == "发货单.pdf" and ".." not in stored.file.name
    assert default_storage.open(stored.file.name).read() == b"%PDF-1.4 ok"
    assert ticket.events.filter(kind=EventKind.ATTACHMENT_REJECTED).count() == 2


@pytest.mark.fault("U1")
def test_script_and_javascript_links_are_sanitised(ticket, agent_li):
    posted = services.reply(
        ticket,
        body="<script>alert(1)</script> 点这里",
        by=agent_li,
        body_html='<p onclick="x()">hi <a href="javascript:alert(1)">link</a><script>alert(2)</script></p>',
    )
    html = posted.message.body_html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html
    assert "<script>" in posted.message.body_text  # the text is kept as written, and escaped when shown
    note = services.add_note(ticket, body="<img src=x onerror=alert(1)>", by=agent_li).message
    assert "<img" not in note.body_html and "&lt;img" in note.body_html  # shown as text, not run


def test_oversized_and_empty_fields_name_the_field(customer_x, agent_li, ticket):
    with pytest.raises(ValidationFailed) as err:
        services.update_ticket(ticket, by=agent_li, version=ticket.version, subject="长" * 301)
    assert err.value.field == "subject"
    with pytest.raises(ValidationFailed) as err:
        services.reply(ticket, body="字" * 100_001, by=agent_li)
    assert err.value.field == "body"
    with pytest.raises(ValidationFailed) as err:
        services.reply(ticket, body="   ", by=agent_li)
    assert err.value.field == "body"


def test_internal_notes_are_staff_only(ticket, customer_x, dept_chen, warehouse, agent_li):
    with pytest.raises(ValidationFailed):
        services.add_note(ticket, body="我想看内部备注", by=customer_x.user)
    services.share_with_department(ticket, department=warehouse, by=agent_li)
    services.add_note(ticket, body="仓库已核实，明天补发", by=dept_chen)
    kinds = set(selectors.list_messages(customer_x.user, ticket).values_list("kind", flat=True))
    assert kinds == {MessageKind.PUBLIC}
    assert MessageKind.INTERNAL in set(
        selectors.list_messages(agent_li, ticket).values_list("kind", flat=True)
    )


def test_an_automated_reply_is_neither_the_first_response_nor_the_first_owner(ticket, agent_li):
    """An auto-receipt from kefu-bot must not satisfy 首问负责 or the first-response SLA."""
    from kefu.accounts.services import system_user

    services.reply(
        ticket, body="我们已收到您的来信，预计 24–48 小时内回复。", by=system_user(), automated=True
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None and ticket.first_contact_owner_id is None
    assert ticket.status == Status.NEW
    assert ticket.events.filter(kind=EventKind.REPLIED).count() == 1  # still in the history
    services.reply(ticket, body="您好，我是李娜，马上为您查询。", by=agent_li)
    ticket.refresh_from_db()
    assert ticket.first_contact_owner_id == agent_li.pk and ticket.first_response_at is not None


def test_a_customer_without_a_login_follows_up_by_mail(ticket, agent_li):
    ticket = services.change_status(ticket, to=Status.SOLVED, by=agent_li)
    auto = services.customer_follow_up(
        ticket, body="I am out of office until Monday.", channel="email", automatic=True
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED  # an out-of-office answer does not reopen
    assert ticket.events.filter(message=auto.message).get().kind == "auto_received"  # nor "customer replied"
    posted = services.customer_follow_up(
        ticket,
        body="还是没有收到退款",
        channel="email",
        attachments=(Upload("截图.png", b"\x89PNG\r\n\x1a\n0", "image/png"),),
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.solved_at is None
    for message in (auto.message, posted.message):
        assert message.from_customer and message.author_id is None and message.kind == MessageKind.PUBLIC
    assert posted.message.attachments.count() == 1
    assert (
        ticket.events.filter(kind=EventKind.CUSTOMER_REPLIED, actor__isnull=True).count() == 1
    )  # the out-of-office answer is not a reply
    with pytest.raises(ValidationFailed):
        services.customer_follow_up(ticket, body="   ", channel="email")


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("订单号 YS20261101000123 想退货", "YS20261101000123"),
        ("我的订单：20261101998877 还没发货", "20261101998877"),
        ("Order #4471123 arrived broken", "4471123"),
        ("order number: ab12345678", "AB12345678"),
        ("快递单号 SF1234567890 查不到", ""),  # a tracking number, not an order
        ("电话 13800138000 请回电", ""),
        ("订单 12 太短", ""),
    ],
)
def test_the_order_number_is_read_from_the_first_message(customer_x, make_ticket, text, ref):
    ticket = make_ticket(customer_x, subject="咨询", body=text)
    assert Ticket.objects.get(pk=ticket.pk).order_ref == ref
