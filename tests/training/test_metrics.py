"""training_coverage, training_pass_rate and onboarding_days on hand-computed fixtures."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.core import metrics
from kefu.core.clock import now
from kefu.training import services
from kefu.training.models import Enrolment
from kefu.training.periods import today


def test_coverage_is_trained_over_due_per_team(
    course, agent_li, agent_wang, agent_tech, lead_zhao, team_aftersales, team_tech
):
    day = today()
    services.enrol(course, users=[agent_li, agent_wang, agent_tech], due_on=day, by=lead_zhao)
    Enrolment.objects.filter(user=agent_li).update(completed_at=now())
    # due today: li (done), wang, tech → 1 of 3; aftersales 1 of 2, tech 0 of 1
    assert metrics.total("training_coverage", start=day, end=day) == pytest.approx(100 / 3)
    by_team = {
        p.group: p.value for p in metrics.compute("training_coverage", start=day, end=day, by="team").points
    }
    assert by_team == {str(team_aftersales.pk): 50.0, str(team_tech.pk): 0.0}
    later = day + timedelta(days=30)
    assert metrics.total("training_coverage", start=later, end=later) is None


def test_pass_rate_is_passed_over_marked(quiz, agent_li, agent_wang, agent_tech):
    q1, q2 = quiz.questions.all()
    right = {f"q{q1.pk}": 1, f"q{q2.pk}": [0, 2]}
    wrong = {f"q{q1.pk}": 0, f"q{q2.pk}": [1]}
    for who, answers in ((agent_li, right), (agent_wang, wrong), (agent_tech, right)):
        services.submit_attempt(services.start_attempt(quiz, by=who), answers=answers, by=who)
    services.start_attempt(quiz, by=agent_wang)  # open: not marked, not counted
    day = today()
    assert metrics.total("training_pass_rate", start=day, end=day) == pytest.approx(200 / 3)
    assert (
        metrics.total("training_pass_rate", start=day, end=day, filters={"agent": [str(agent_wang.pk)]})
        == 0.0
    )
