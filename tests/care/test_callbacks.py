"""Callbacks (回访): seeded monthly sample + complex email cases, worked once, "problem persists"
reopens the ticket to its owner."""

from __future__ import annotations

from datetime import datetime

import pytest

from kefu.care import callbacks
from kefu.care.errors import AlreadyWorked, BadOutcome
from kefu.care.models import Callback, CallbackReason, Outcome
from kefu.tickets import services as tickets
from kefu.tickets.models import Channel, EventKind, Priority, Ticket, TicketEvent, TicketType
from kefu.tickets.states import Status
from tests.clock import SHANGHAI


def _solve(ticket, agent, *, at: datetime):
    tickets.update_ticket(ticket, by=agent, version=None, assignee=agent)
    ticket.refresh_from_db()
    tickets.update_ticket(ticket, by=agent, version=None, status=Status.SOLVED)
    Ticket.objects.filter(pk=ticket.pk).update(solved_at=at)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def solved(open_ticket, customer_x, agent_li):
    def make(n=1, *, at=datetime(2026, 5, 15, 12, tzinfo=SHANGHAI), **kw):
        return [_solve(open_ticket(customer_x, subject=f"问题 {i}", **kw), agent_li, at=at) for i in range(n)]

    return make


def test_sample_is_seeded_and_a_rerun_creates_nothing(solved, settings):
    settings.KEFU_CARE = {"callback_percent": 30}
    made = solved(40)
    expected = {t.pk for t in made if callbacks.sampled(t.pk, "2026-05")}
    assert 0 < len(expected) < 40  # 30 % of 40 tickets, by the hash
    assert callbacks.generate(period="2026-05") == len(expected)
    assert set(Callback.objects.values_list("ticket_id", flat=True)) == expected
    assert callbacks.generate(period="2026-05") == 0
    assert Callback.objects.count() == len(expected)
    assert set(Callback.objects.values_list("reason", flat=True)) == {CallbackReason.SAMPLE}
    # another seed picks other tickets
    settings.KEFU_CARE = {"callback_percent": 30, "callback_seed": "other"}
    assert {t.pk for t in made if callbacks.sampled(t.pk, "2026-05")} != expected


def test_only_tickets_solved_in_the_month(solved, settings):
    settings.KEFU_CARE = {"callback_percent": 100}
    solved(2, at=datetime(2026, 4, 30, 23, 59, tzinfo=SHANGHAI))
    may = solved(3, at=datetime(2026, 5, 1, 0, 0, tzinfo=SHANGHAI))
    solved(1, at=datetime(2026, 6, 1, 0, 0, tzinfo=SHANGHAI))
    assert callbacks.generate(period="2026-05") == 3
    assert set(Callback.objects.values_list("ticket_id", flat=True)) == {t.pk for t in may}


def test_every_complex_email_case_is_called_back(solved, settings, agent_li):
    settings.KEFU_CARE = {"callback_percent": 0, "complex_min_replies": 2}
    (by_type,) = solved(channel=Channel.EMAIL, type=TicketType.TECHNICAL)
    (by_priority,) = solved(channel=Channel.EMAIL, priority=Priority.URGENT)
    (by_replies,) = solved(channel=Channel.EMAIL)
    for _i in range(2):
        tickets.reply(by_replies, body="我们在处理。", by=agent_li)
    (simple,) = solved(channel=Channel.EMAIL)
    (web_complex,) = solved(channel=Channel.WEB, type=TicketType.TECHNICAL)
    assert callbacks.generate(period="2026-05") == 3
    assert set(Callback.objects.values_list("ticket_id", flat=True)) == {
        by_type.pk,
        by_priority.pk,
        by_replies.pk,
    }
    assert set(Callback.objects.values_list("reason", flat=True)) == {CallbackReason.COMPLEX}
    assert simple.pk and web_complex.pk  # neither sampled (0 %) nor complex by email


def test_callback_is_assigned_to_the_owner_with_a_script(solved, settings, agent_li):
    settings.KEFU_CARE = {"callback_percent": 100}
    (ticket,) = solved()
    callbacks.generate(period="2026-05")
    callback = Callback.objects.get()
    assert callback.assignee == agent_li
    assert ticket.number in callback.script


def test_bad_month_and_bad_outcome(solved, settings, agent_li):
    from kefu.care.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        callbacks.generate(period="2026-13")
    settings.KEFU_CARE = {"callback_percent": 100}
    solved()
    callbacks.generate(period="2026-05")
    with pytest.raises(BadOutcome):
        callbacks.work(Callback.objects.get(), outcome="happy", by=agent_li)
    assert Callback.objects.get().outcome == ""


def test_worked_twice_keeps_the_first_outcome(solved, settings, agent_li, agent_wang):
    settings.KEFU_CARE = {"callback_percent": 100}
    solved()
    callbacks.generate(period="2026-05")
    # both agents opened the list before either saved
    mine, theirs = Callback.objects.get(), Callback.objects.get()
    callbacks.work(mine, outcome=Outcome.SATISFIED, notes="很满意", by=agent_li)
    with pytest.raises(AlreadyWorked):
        callbacks.work(theirs, outcome=Outcome.NOT_REACHED, by=agent_wang)
    stored = Callback.objects.get()
    assert (stored.outcome, stored.notes, stored.worked_by) == (Outcome.SATISFIED, "很满意", agent_li)


def test_problem_persists_reopens_the_ticket_to_its_owner(solved, settings, agent_li, agent_wang):
    settings.KEFU_CARE = {"callback_percent": 100}
    (ticket,) = solved()
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None, first_contact_owner=agent_li)
    callbacks.generate(period="2026-05")
    callbacks.work(Callback.objects.get(), outcome=Outcome.PROBLEM_PERSISTS, notes="还是漏水", by=agent_wang)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.assignee == agent_li
    events = TicketEvent.objects.filter(ticket=ticket, actor=agent_wang)
    assert events.filter(kind=EventKind.CHANGED, field="status", new_value=Status.OPEN).exists()
    assert events.filter(kind=EventKind.NOTED).exists()
    assert "还是漏水" in ticket.messages.filter(kind="internal").last().body_text
