"""The ticket figures of the metric registry, computed by hand on small histories built with the
real services: reopened, merged, on-hold tickets, and a first response across the 2026 National
Day holiday and its 调休 make-up Saturday (2026-10-10)."""

from __future__ import annotations

from datetime import date

import pytest

from kefu.accounts.services import system_user
from kefu.core import metrics
from kefu.tickets import services, tasks
from kefu.tickets.models import Channel, Ticket
from kefu.tickets.states import Status
from tests.clock import parse

OCT = {"start": date(2026, 10, 9), "end": date(2026, 10, 12)}


@pytest.fixture
def at(fixed_clock):
    """Move the test's clock to a local instant ("2026-10-09 10:00")."""

    def move(text: str) -> None:
        fixed_clock.move_to(parse(text))

    return move


def daily(key, start, end, **kw):
    series = metrics.compute(key, start=start, end=end, grain="day", **kw)
    return {(p.bucket, p.group): p.value for p in series.points}


@pytest.fixture
def october(at, make_ticket, customer_x, customer_y, agent_li, team_aftersales):
    """10-09: four tickets; t1 answered and solved; t2 put on hold (paused); t4 merged into t2.
    10-10 (a make-up Saturday): the customer writes on t1 again (reopened), solved again.
    10-12: t3 closed directly."""
    at("2026-10-09 09:00")
    t1 = make_ticket(customer_x, subject="发票抬头写错了", team=team_aftersales)
    at("2026-10-09 09:10")
    t2 = make_ticket(customer_x, subject="快递三天没动了", channel=Channel.EMAIL)
    at("2026-10-09 09:20")
    t3 = make_ticket(customer_y, subject="想换个颜色")
    at("2026-10-09 09:30")
    t4 = make_ticket(customer_x, subject="快递怎么还没到")
    at("2026-10-09 10:00")
    services.reply(t1, body="已为您重开发票。", by=agent_li)
    services.change_status(t1, to=Status.SOLVED, by=agent_li)
    at("2026-10-09 11:00")
    services.change_status(t2, to=Status.ON_HOLD, by=agent_li)
    at("2026-10-09 12:00")
    services.merge(t4, into=t2, by=agent_li)
    at("2026-10-10 10:00")
    services.reply(Ticket.objects.get(pk=t1.pk), body="抬头还是不对", by=customer_x.user)
    at("2026-10-10 15:00")
    services.change_status(Ticket.objects.get(pk=t1.pk), to=Status.SOLVED, by=agent_li)
    at("2026-10-12 09:00")
    services.change_status(Ticket.objects.get(pk=t3.pk), to=Status.CLOSED, by=agent_li)
    return t1, t2, t3, t4


def test_created_counts_every_arrival_merged_duplicates_too(october):
    t1, t2, t3, t4 = october
    assert daily("tickets_created", **OCT) == {(date(2026, 10, 9), ""): 4}
    assert daily("tickets_created", **OCT, by="channel") == {
        (date(2026, 10, 9), "email"): 1,
        (date(2026, 10, 9), "web"): 3,
    }
    drill = metrics.get("tickets_created").drill
    win = metrics.window(date(2026, 10, 9), date(2026, 10, 9))
    assert set(drill(win, "channel", "email")) == {t2}
    assert set(drill(win, None, None)) == {t1, t2, t3, t4}


def test_solved_counts_each_solve_and_not_the_merge(october):
    t1, _t2, t3, _t4 = october
    assert daily("tickets_solved", **OCT) == {
        (date(2026, 10, 9), ""): 1,
        (date(2026, 10, 10), ""): 1,  # t1 again, after the customer reopened it
        (date(2026, 10, 12), ""): 1,  # t3 closed directly
    }
    assert metrics.total("tickets_solved", **OCT) == 3
    drill = metrics.get("tickets_solved").drill
    assert set(drill(metrics.window(date(2026, 10, 10), date(2026, 10, 10)), None, None)) == {t1}
    assert set(drill(metrics.window(**OCT), "team", "none")) == {t3}


def test_backlog_is_what_is_open_at_the_end_of_each_day(october):
    t1, t2, t3, _t4 = october
    # 10-09: 4 created − t1 solved − t4 merged = t2 (on hold, still to do) and t3
    assert daily("backlog", **OCT) == {
        (date(2026, 10, 9), ""): 2,
        (date(2026, 10, 10), ""): 2,  # t1 reopened (+1) and solved again (−1)
        (date(2026, 10, 11), ""): 2,
        (date(2026, 10, 12), ""): 1,  # t3 closed
    }
    # a window that starts later carries the level from before it
    assert daily("backlog", date(2026, 10, 11), date(2026, 10, 11)) == {(date(2026, 10, 11), ""): 2}
    # a week's stock is its last day's
    week = metrics.compute("backlog", start=date(2026, 10, 5), end=date(2026, 10, 11), grain="week")
    assert [(p.bucket, p.value) for p in week.points] == [(date(2026, 10, 5), 2)]
    assert daily("backlog", date(2026, 10, 9), date(2026, 10, 9), by="channel") == {
        (date(2026, 10, 9), "email"): 1,
        (date(2026, 10, 9), "web"): 1,
    }
    drill = metrics.get("backlog").drill
    assert set(drill(metrics.window(date(2026, 10, 9), date(2026, 10, 9)), None, None)) == {t2, t3}
    assert set(drill(metrics.window(date(2026, 10, 10), date(2026, 10, 10)), None, None)) == {t2, t3}
    assert set(drill(metrics.window(**OCT), None, None)) == {t2}
    assert set(drill(metrics.window(**OCT), "channel", "web")) == set()


def test_the_backlog_ages_by_whole_days_since_creation(october):
    _t1, t2, _t3, _t4 = october
    by_age = daily("backlog", date(2026, 10, 11), date(2026, 10, 12), by="age")
    assert by_age[(date(2026, 10, 11), "1-2d")] == 2  # t2 and t3, created two days before
    assert by_age[(date(2026, 10, 12), "3-6d")] == 1  # t2, three days old
    assert by_age[(date(2026, 10, 12), "1-2d")] == 0
    assert daily("backlog_aged", date(2026, 10, 11), date(2026, 10, 12)) == {
        (date(2026, 10, 11), ""): 0,
        (date(2026, 10, 12), ""): 1,
    }
    drill = metrics.get("backlog_aged").drill
    assert set(drill(metrics.window(date(2026, 10, 12), date(2026, 10, 12)), None, None)) == {t2}
    assert set(drill(metrics.window(date(2026, 10, 11), date(2026, 10, 11)), None, None)) == set()
    assert (
        metrics.total("backlog", start=date(2026, 10, 12), end=date(2026, 10, 12), filters={"age": ["3-6d"]})
        == 1
    )


@pytest.fixture
def answered(at, make_ticket, customer_x, agent_li, team_aftersales, django_capture_on_commit_callbacks):
    """Two first responses across holidays, on the office calendar (9:00–12:00, 13:30–18:00):
    - ta: asked Wednesday 09-30 17:30, answered Thursday 10-08 09:30, after National Day
      (10-01..10-07): 30 + 30 = 60 working minutes; 7 days 16 hours = 11040 calendar minutes.
    - tb: asked Friday 10-09 17:00, answered Monday 10-12 10:00: Friday 60 + the make-up
      Saturday 10-10 (450) + Monday 60 = 570 working minutes; 65 hours = 3900 calendar minutes.
      An automatic receipt at 17:01 is not a response."""
    at("2026-09-30 17:30")
    ta = make_ticket(customer_x, subject="国庆前下的单", team=team_aftersales)
    at("2026-10-08 09:30")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(ta, body="您好，已经发货。", by=agent_li)
    at("2026-10-09 17:00")
    tb = make_ticket(customer_x, subject="周五下午的问题", team=team_aftersales, channel=Channel.EMAIL)
    at("2026-10-09 17:01")
    services.reply(tb, body="我们已收到您的邮件。", by=system_user(), automated=True)
    at("2026-10-12 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        services.reply(Ticket.objects.get(pk=tb.pk), body="您好，已处理。", by=agent_li)
    return ta, tb


def test_first_response_in_calendar_minutes(answered, agent_li):
    ta, tb = answered
    found = daily("first_response_minutes", date(2026, 9, 30), date(2026, 10, 12))
    assert found == {
        (date(2026, 10, 8), ""): pytest.approx(11040, abs=0.1),
        (date(2026, 10, 12), ""): pytest.approx(3900, abs=0.1),
    }
    total = metrics.total("first_response_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12))
    assert total == pytest.approx((11040 + 3900) / 2, abs=0.1)
    assert daily("first_response_minutes", date(2026, 10, 12), date(2026, 10, 12), by="agent") == {
        (date(2026, 10, 12), str(agent_li.pk)): pytest.approx(3900, abs=0.1)
    }
    drill = metrics.get("first_response_minutes").drill
    assert set(drill(metrics.window(date(2026, 10, 1), date(2026, 10, 31)), "channel", "email")) == {tb}


def test_first_response_in_business_minutes_skips_holidays_and_counts_the_makeup_saturday(answered):
    ta, tb = answered
    stored = dict(Ticket.objects.values_list("pk", "first_response_business_seconds"))
    assert stored[ta.pk] == pytest.approx(60 * 60, abs=2) and stored[tb.pk] == pytest.approx(570 * 60, abs=2)
    found = daily("first_response_business_minutes", date(2026, 9, 30), date(2026, 10, 12))
    assert found == {
        (date(2026, 10, 8), ""): pytest.approx(60, abs=0.1),
        (date(2026, 10, 12), ""): pytest.approx(570, abs=0.1),
    }
    assert metrics.total(
        "first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12)
    ) == pytest.approx(315, abs=0.1)


def test_history_written_without_reactions_is_filled_later(answered):
    ta, tb = answered
    Ticket.objects.update(first_response_business_seconds=None)  # as `kefu seed` or the demo leave it
    assert (
        metrics.total("first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12))
        is None
    )
    assert tasks.fill_business_minutes.delay().get() == 2  # the periodic task
    assert tasks.fill_business_minutes.delay().get() == 0  # a second run finds nothing to do
    assert metrics.total(
        "first_response_business_minutes", start=date(2026, 9, 30), end=date(2026, 10, 12)
    ) == pytest.approx(315, abs=0.1)


@pytest.fixture
def worked(at, make_ticket, customer_x, customer_y, agent_li, agent_wang, lead_zhao):
    """One morning (Wednesday 06-10) of four tickets, and t3 reopened on Friday 06-12.
    t1: two replies (not first contact), the customer writes twice in one turn.
    t2: one reply after an automatic receipt: resolved at first contact.
    t3: one reply, solved, reopened two days later (within 7 days), solved again.
    t4: one reply, but handed from Li to Wang (two assignments)."""
    at("2026-06-10 09:00")
    t1 = make_ticket(customer_x, subject="发票抬头写错了")
    at("2026-06-10 09:05")
    t2 = make_ticket(customer_y, subject="怎么修改收货地址", channel=Channel.EMAIL)
    at("2026-06-10 09:06")
    services.reply(t2, body="已收到您的邮件。", by=system_user(), automated=True)
    at("2026-06-10 09:10")
    t3 = make_ticket(customer_x, subject="优惠券用不了")
    at("2026-06-10 09:15")
    t4 = make_ticket(customer_y, subject="退货运费谁出")
    steps = [
        ("09:20", lambda: services.reply(t(t1), body="您好，请提供正确的抬头。", by=agent_li)),
        ("09:25", lambda: services.add_note(t(t1), body="客户是老客户", by=agent_li)),
        ("09:30", lambda: services.reply(t(t1), body="抬头是某某公司", by=customer_x.user)),
        ("09:33", lambda: services.reply(t(t1), body="税号是 123", by=customer_x.user)),
        ("09:45", lambda: services.reply(t(t1), body="已重开。", by=agent_li)),
        ("09:50", lambda: services.assign(t(t4), to=agent_li, by=lead_zhao)),
        ("09:55", lambda: services.assign(t(t4), to=agent_wang, by=lead_zhao)),
        ("10:00", lambda: services.change_status(t(t1), to=Status.SOLVED, by=agent_li)),
        ("10:05", lambda: services.reply(t(t2), body="在订单页修改即可。", by=agent_wang)),
        ("10:06", lambda: services.change_status(t(t2), to=Status.SOLVED, by=agent_wang)),
        ("10:10", lambda: services.reply(t(t3), body="已为您补发优惠券。", by=agent_li)),
        ("10:11", lambda: services.change_status(t(t3), to=Status.SOLVED, by=agent_li)),
        ("10:20", lambda: services.reply(t(t4), body="运费由我们承担。", by=agent_wang)),
        ("10:21", lambda: services.change_status(t(t4), to=Status.SOLVED, by=agent_wang)),
    ]
    for when, step in steps:
        at(f"2026-06-10 {when}")
        step()
    at("2026-06-12 10:00")
    services.reply(t(t3), body="还是用不了", by=customer_x.user)
    at("2026-06-12 10:30")
    services.reply(t(t3), body="再试一次？", by=agent_li)
    at("2026-06-12 10:31")
    services.change_status(t(t3), to=Status.SOLVED, by=agent_li)
    return t1, t2, t3, t4


def t(ticket):
    return Ticket.objects.get(pk=ticket.pk)


WED, FRI = date(2026, 6, 10), date(2026, 6, 12)


def approx(mapping):
    return {k: pytest.approx(v, abs=0.02) for k, v in mapping.items()}


def test_next_response_starts_at_the_first_message_of_the_customers_turn(worked, agent_li):
    t1, _t2, t3, _t4 = worked
    # t1: 09:30 → 09:45 (the 09:33 message is the same turn); t3: Friday 10:00 → 10:30
    assert daily("next_response_minutes", WED, FRI) == approx({(WED, ""): 15, (FRI, ""): 30})
    assert metrics.total("next_response_minutes", start=WED, end=FRI) == pytest.approx(22.5, abs=0.02)
    assert daily("next_response_minutes", WED, FRI, by="agent") == approx(
        {(WED, str(agent_li.pk)): 15, (FRI, str(agent_li.pk)): 30}
    )
    assert set(metrics.get("next_response_minutes").drill(metrics.window(WED, FRI), None, None)) == {t1, t3}


def test_resolution_counts_each_solve_from_the_creation(worked):
    # Wednesday: 60, 61, 61 and 66 minutes; Friday: t3 again, 09:10 Wednesday → 10:31 Friday
    assert daily("resolution_hours", WED, FRI) == approx({(WED, ""): 248 / 4 / 60, (FRI, ""): 49 + 21 / 60})
    assert daily("resolution_hours", WED, WED, by="channel") == approx(
        {(WED, "email"): 61 / 60, (WED, "web"): (60 + 61 + 66) / 3 / 60}
    )


def test_handling_time_is_capped_work_between_events(worked, agent_li, agent_wang):
    # t1: reply 09:20 (20 min after creation → 10), note 09:25 (5), reply 09:45 (12 → 10) = 25;
    # t2, t3, t4: one reply each, all more than 10 minutes after the previous event = 10 each
    assert daily("handling_minutes", WED, FRI) == approx({(WED, ""): 55 / 4, (FRI, ""): 10})
    assert daily("handling_minutes", WED, WED, by="agent") == approx(
        {(WED, str(agent_li.pk)): 35 / 2, (WED, str(agent_wang.pk)): 20 / 2}
    )


def test_first_contact_resolution_needs_one_reply_one_owner_and_no_reopening(worked):
    _t1, t2, _t3, _t4 = worked
    # Wednesday's first solves: t1 (two replies), t2 (yes), t3 (reopened Friday), t4 (two owners)
    assert daily("fcr_rate", WED, FRI) == {(WED, ""): 25.0}  # Friday's solve of t3 is not a first one
    assert set(metrics.get("fcr_rate").drill(metrics.window(WED, FRI), None, None)) == {t2}
    assert daily("fcr_rate", WED, WED, by="channel") == {(WED, "email"): 100.0, (WED, "web"): 0.0}


def test_reopen_rate_is_the_share_of_solves_reopened_within_seven_days(worked):
    _t1, _t2, t3, _t4 = worked
    assert daily("reopen_rate", WED, FRI) == {(WED, ""): 25.0, (FRI, ""): 0.0}
    assert set(metrics.get("reopen_rate").drill(metrics.window(WED, WED), None, None)) == {t3}


def test_tickets_per_agent_per_day(worked, agent_li, agent_wang):
    assert daily("tickets_per_agent_day", WED, FRI) == {(WED, ""): 2.0, (FRI, ""): 1.0}
    assert daily("tickets_per_agent_day", WED, WED, by="agent") == {
        (WED, str(agent_li.pk)): 2.0,
        (WED, str(agent_wang.pk)): 2.0,
    }
    assert metrics.total("tickets_per_agent_day", start=WED, end=FRI) == pytest.approx(5 / 3)


def test_days_are_local_days_at_both_ends(at, make_ticket, customer_x):
    """00:10 and 07:59 in Shanghai are the previous day in UTC; 23:50 is still the same day."""
    for when, subject in (("00:10", "凌晨的问题"), ("07:59", "早上的问题"), ("23:50", "深夜的问题")):
        at(f"2026-06-10 {when}")
        make_ticket(customer_x, subject=subject)
    assert daily("tickets_created", date(2026, 6, 9), date(2026, 6, 11)) == {(date(2026, 6, 10), ""): 3}


def test_the_local_day_uses_native_date_arithmetic_only_for_fixed_offset_zones():
    from zoneinfo import ZoneInfo

    assert metrics.fixed_offset(ZoneInfo("Asia/Shanghai")) == 8 * 3600
    assert metrics.fixed_offset(ZoneInfo("Europe/Berlin")) is None  # summer time: Django's own way
