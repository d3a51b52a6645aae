"""The weekly QA sample: a share per agent plus every low-CSAT, complaint, reopened and new-hire
ticket, spread over the QA reviewers; once per week however many workers run it (B5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection

from kefu.core import events
from kefu.feedback.models import Survey
from kefu.quality import sampling, selectors, services
from kefu.quality.models import Sample, SamplingRun
from kefu.tickets import services as tickets
from kefu.tickets.models import Ticket, TicketType
from tests.clock import SHANGHAI
from tests.factories import UserFactory
from tests.routing.test_concurrency import _run_parallel

pytestmark = pytest.mark.now("2026-06-10 10:00")  # a Wednesday: last week is 1–7 June
LAST_WEEK = datetime(2026, 6, 3, 12, tzinfo=SHANGHAI)


@pytest.fixture
def veteran(team_aftersales):
    return UserFactory(
        username="veteran", display_name="老员工", role="agent", seniority=3, teams=[team_aftersales]
    )


def reasons():
    return {s.ticket_id: s.reasons for s in Sample.objects.all()}


def test_last_week_is_monday_to_sunday():
    assert sampling.last_week() == date(2026, 6, 1)
    start, end = sampling.bounds(date(2026, 6, 1))
    assert (start.isoformat(), end.isoformat()) == ("2026-06-01T00:00:00+08:00", "2026-06-08T00:00:00+08:00")


def test_share_per_agent_is_a_percentage_with_a_minimum(settings):
    assert [sampling.share(n) for n in (3, 5, 40, 100, 101, 300)] == [3, 5, 5, 5, 6, 15]
    settings.KEFU_QUALITY = {"sample_percent": 50, "sample_min": 2}
    assert [sampling.share(n) for n in (1, 3, 6)] == [1, 2, 3]


def test_random_share_plus_every_flagged_ticket(settings, veteran, qa_sun, solved_ticket):
    settings.KEFU_QUALITY = {"sample_percent": 10, "sample_min": 2}
    plain = [solved_ticket(veteran, at=LAST_WEEK + timedelta(hours=i)) for i in range(6)]
    complaint = solved_ticket(veteran, type=TicketType.COMPLAINT)
    low = solved_ticket(veteran)
    Survey.objects.create(
        ticket=low,
        customer=low.customer,
        channel="web",
        created_at=LAST_WEEK,
        expires_at=LAST_WEEK + timedelta(days=7),
        score=2,
        answered_at=LAST_WEEK,
    )
    reopened = solved_ticket(veteran)
    with events.muted():
        tickets.update_ticket(reopened, by=veteran, version=None, status="open")
        tickets.update_ticket(Ticket.objects.get(pk=reopened.pk), by=veteran, version=None, status="solved")
    Ticket.objects.filter(pk=reopened.pk).update(solved_at=LAST_WEEK)
    solved_ticket(veteran, at=LAST_WEEK - timedelta(days=7), type=TicketType.COMPLAINT)  # the week before
    solved_ticket(veteran, at=datetime(2026, 6, 8, 9, tzinfo=SHANGHAI))  # this week

    assert services.sample_week() > 0
    found = reasons()
    assert "complaint" in found[complaint.pk]
    assert "low_csat" in found[low.pk]
    assert "reopened" in found[reopened.pk]
    # 9 solved last week → 10 % is 1, at least 2 random ones
    assert sum("random" in r for r in found.values()) == 2
    assert {complaint.pk, low.pk, reopened.pk} <= set(found)
    assert set(found) <= {*(t.pk for t in plain), complaint.pk, low.pk, reopened.pk}
    assert set(Sample.objects.values_list("reviewer_id", flat=True)) == {qa_sun.pk}
    assert Sample.objects.filter(agent=veteran).count() == len(found)
    run = SamplingRun.objects.get()
    assert (run.week, run.solved, run.sampled) == (date(2026, 6, 1), 9, len(found))
    # the reviewer's queue shows them
    assert {e.sample.ticket_id for e in selectors.list_queue(qa_sun)} == set(found)


def test_new_hire_first_30_tickets_are_all_sampled(settings, agent_li, veteran, qa_sun, solved_ticket):
    settings.KEFU_QUALITY = {"sample_percent": 5, "sample_min": 1, "new_hire_tickets": 3}
    assert agent_li.seniority == 0  # a new hire: accounts keeps seniority (years), no hire date
    mine = [solved_ticket(agent_li, at=LAST_WEEK + timedelta(hours=i)) for i in range(5)]
    [solved_ticket(veteran, at=LAST_WEEK + timedelta(hours=i)) for i in range(5)]
    services.sample_week()
    found = reasons()
    assert {t.pk for t in mine[:3]} <= set(found)
    assert all("new_hire" in found[t.pk] for t in mine[:3])
    assert sum(1 for s in Sample.objects.filter(agent=veteran)) == 1


def test_samples_go_round_the_reviewers_never_to_the_agent(settings, veteran, qa_sun, solved_ticket):
    settings.KEFU_QUALITY = {"sample_percent": 100, "sample_min": 1}
    qa_zhou = UserFactory(username="qa_zhou", role="qa")
    [solved_ticket(veteran, at=LAST_WEEK + timedelta(hours=i)) for i in range(4)]
    services.sample_week()
    loads = sorted(Sample.objects.filter(reviewer__isnull=False).values_list("reviewer_id", flat=True))
    assert loads.count(qa_sun.pk) == 2 and loads.count(qa_zhou.pk) == 2


def test_a_week_is_sampled_once(veteran, solved_ticket):
    solved_ticket(veteran)
    assert services.sample_week() == 1
    assert services.sample_week() == 0
    assert Sample.objects.count() == 1


@pytest.mark.fault("B5")
@pytest.mark.django_db(transaction=True)
def test_three_workers_sampling_the_same_week_act_once(settings):
    settings.KEFU_QUALITY = {"sample_percent": 100, "sample_min": 1}
    from tests.factories import CustomerFactory

    agent = UserFactory(username="solver", role="agent", seniority=2)
    UserFactory(username="qa_a", role="qa")
    with events.muted():
        for i in range(6):
            ticket = tickets.open_ticket(
                customer=CustomerFactory(email=f"b5-{i}@x.cn"), subject=f"问题{i}", body="请处理", by=None
            ).ticket
            tickets.update_ticket(ticket, by=agent, version=None, assignee=agent, status="solved")
    Ticket.objects.update(solved_at=LAST_WEEK)
    connection.close()
    results = []
    errors = _run_parallel(lambda _i: results.append(sampling.run()), [1, 2, 3])
    assert errors == []
    assert sorted(results) == [0, 0, 6]
    assert SamplingRun.objects.count() == 1
    assert Sample.objects.count() == 6
