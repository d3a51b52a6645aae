"""Mentors: eligibility from seniority and satisfaction (read by key), pairing 1:2–3, above the
limit warned and recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import AuditEntry, Role
from kefu.core.clock import now
from kefu.feedback.models import Survey
from kefu.training import services
from kefu.training.errors import Conflict
from kefu.training.models import Mentorship
from tests.factories import UserFactory


def answered(make_ticket, customer, agent, scores):
    for i, score in enumerate(scores):
        ticket = make_ticket(customer, subject=f"满意度{agent.pk}-{i}")
        ticket.assignee = agent
        ticket.save(update_fields=["assignee"])
        Survey.objects.create(
            ticket=ticket,
            customer=customer,
            channel="web",
            created_at=now() - timedelta(days=3),
            expires_at=now() + timedelta(days=3),
            score=score,
            answered_at=now() - timedelta(days=2),
        )


def test_eligibility_reads_seniority_and_satisfaction(make_ticket, customer_x, senior_qian, agent_li):
    answered(make_ticket, customer_x, senior_qian, [5] * 19 + [3])  # 95 %
    answered(make_ticket, customer_x, agent_li, [5, 5, 2])
    ok = services.eligibility(senior_qian)
    assert ok.eligible and ok.csat == pytest.approx(95.0) and ok.years == 3
    no = services.eligibility(agent_li)
    assert not no.eligible and no.csat == pytest.approx(200 / 3)
    assert len(no.reasons) == 2  # seniority 0 and satisfaction 66.7 %


def test_pairing_above_three_is_warned_and_recorded(senior_qian, lead_zhao, team_aftersales):
    mentees = [UserFactory(username=f"mentee{i}", role=Role.AGENT, teams=[team_aftersales]) for i in range(4)]
    made = [services.pair(mentor=senior_qian, mentee=m, by=lead_zhao) for m in mentees]
    assert [m.over_limit for m in made] == [False, False, False, True]
    assert "3" in made[3].warning
    assert AuditEntry.objects.filter(action="training.mentor_warning").exists()
    assert Mentorship.objects.filter(mentor=senior_qian, ended_on__isnull=True).count() == 4
    with pytest.raises(Conflict):
        services.pair(mentor=lead_zhao, mentee=mentees[0], by=lead_zhao)
    again = services.pair(mentor=senior_qian, mentee=mentees[0], by=lead_zhao)
    assert again.pk == made[0].pk
