"""A trainee answering an assessment twice at once makes one attempt (issue 20, bad input): the
partial unique constraint keeps one attempt in progress, the submit is a compare-and-set. Real
threads with their own connections (truly at once on PostgreSQL, taking turns on SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from kefu.accounts.services import create_api_token
from kefu.training import cases, services
from kefu.training.errors import AlreadySubmitted
from kefu.training.models import Attempt, CaseTask
from tests.routing.test_concurrency import _run_parallel

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_starts_and_two_submits_at_once_make_one_attempt(quiz, agent_li):
    q1, q2 = quiz.questions.all()
    answers = {f"q{q1.pk}": 1, f"q{q2.pk}": [0, 2]}
    connection.close()
    started = []
    errors = _run_parallel(lambda _i: started.append(services.start_attempt(quiz, by=agent_li).pk), [1, 2, 3])
    assert errors == [] and len(set(started)) == 1
    attempt = Attempt.objects.get()
    lost = []

    def submit(_i):
        try:
            services.submit_attempt(Attempt.objects.get(pk=attempt.pk), answers=answers, by=agent_li)
        except AlreadySubmitted:
            lost.append(_i)

    connection.close()
    errors = _run_parallel(submit, [1, 2])
    assert errors == [] and len(lost) == 1
    assert list(Attempt.objects.values_list("number", "status")) == [(1, "passed")]


def test_double_click_submit_through_the_api(quiz, agent_li):
    token = create_api_token(user=agent_li, name="t")[1]
    q1, q2 = quiz.questions.all()
    attempt = services.start_attempt(quiz, by=agent_li)
    statuses = []

    def post(_i):
        response = Client().post(
            f"/api/training/attempts/{attempt.pk}/submit",
            data={"answers": {f"q{q1.pk}": 1, f"q{q2.pk}": [0]}},
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
        statuses.append(response.status_code)

    connection.close()
    errors = _run_parallel(post, [1, 2])
    assert errors == []
    assert sorted(statuses) == [200, 409]
    assert Attempt.objects.count() == 1


@pytest.mark.fault("B5")
def test_case_task_job_twice_at_once_acts_once(agent_li, agent_wang):
    agent_li.seniority = 2
    agent_li.save()
    connection.close()
    errors = _run_parallel(lambda _i: cases.generate(quarter="2026Q2"), [1, 2, 3])
    assert errors == []
    assert list(CaseTask.objects.values_list("user__username", flat=True)) == ["agent_li"]
