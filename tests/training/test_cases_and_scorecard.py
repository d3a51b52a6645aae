"""Quarterly reusable cases done when the agent's case is published; the agent scorecard reads its
figures by key from the registry, visible to the agent, their lead and supervisors only."""

from __future__ import annotations

import pytest

from kefu.core.clock import now
from kefu.knowledge.models import Article, Kind
from kefu.knowledge.states import Status
from kefu.training import cases, scorecard, services
from kefu.training.errors import NotFound
from kefu.training.models import CaseTask
from kefu.training.selectors import access_person

from .test_mentors import answered


@pytest.mark.now("2026-06-10 10:00")
def test_case_task_done_when_their_case_is_published(agent_li, agent_wang):
    agent_li.seniority = 2
    agent_li.save()
    assert cases.generate(quarter="2026Q2") == 1
    task = CaseTask.objects.get()
    assert (task.quarter, str(task.due_on)) == ("2026Q2", "2026-06-30")
    draft = Article.objects.create(title="退款争议处理", kind=Kind.CASE, status=Status.DRAFT, author=agent_li)
    Article.objects.create(
        title="别人的案例", kind=Kind.CASE, status=Status.PUBLISHED, author=agent_wang, published_at=now()
    )
    assert cases.refresh(quarter="2026Q2") == 0
    draft.status, draft.published_at = Status.PUBLISHED, now()
    draft.save()
    assert cases.refresh(quarter="2026Q2") == 1
    assert cases.refresh(quarter="2026Q2") == 0
    task.refresh_from_db()
    assert task.article == draft and task.done_at is not None


@pytest.mark.now("2026-06-20 10:00")
def test_scorecard_reads_by_key_against_team_targets(make_ticket, customer_x, agent_li, team_aftersales):
    answered(make_ticket, customer_x, agent_li, [5, 4, 2])  # 2 of 3 satisfied
    services.set_target(team_aftersales, key="csat", target=60)
    lines = {li.key: li for li in scorecard.agent_month(agent_li, month="2026-06")}
    assert lines["csat"].value == pytest.approx(200 / 3)
    assert lines["csat"].target == 60 and lines["csat"].met is True
    assert lines["complaint_rate"].measured and lines["complaint_rate"].value == 0.0  # 3 consultations
    assert lines["training_coverage"].value is None  # nothing due: no figure, not 0 %


def test_scorecard_visible_to_agent_lead_and_supervisors_only(
    agent_li, agent_wang, lead_zhao, agent_tech, team_aftersales, qa_sun
):
    assert access_person(agent_li, agent_li.pk, scorecard=True) == agent_li
    assert access_person(lead_zhao, agent_li.pk, scorecard=True) == agent_li
    team_aftersales.lead = agent_wang
    team_aftersales.save()
    assert access_person(agent_wang, agent_li.pk, scorecard=True) == agent_li  # the team's lead
    for other in (agent_tech, qa_sun):
        with pytest.raises(NotFound):
            access_person(other, agent_li.pk, scorecard=True)


def test_target_key_must_be_a_scorecard_figure(team_aftersales):
    from kefu.training.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.set_target(team_aftersales, key="nps", target=1)
