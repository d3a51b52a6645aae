"""The training pages: a new hire's programme, signing a stage off from the page, taking a quiz,
the scorecard (404 to anyone but the agent, their lead and supervisors), the team page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from kefu.training import services
from kefu.training.models import Attempt, StageSignoff
from kefu.training.periods import today


def login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def onboarding(course, quiz, newbie, senior_qian, lead_zhao):
    programme = services.default_programme(course_id=course.pk, assessment_id=quiz.pk)
    services.enrol(course, users=[newbie], due_on=today() + timedelta(days=7), by=lead_zhao)
    return services.start_onboarding(
        user=newbie,
        programme=programme,
        senior=senior_qian,
        mentor=senior_qian,
        supervisor=lead_zhao,
        started_on=today(),
        by=lead_zhao,
    )


def test_programme_page_and_mentor_signs_off_from_it(onboarding, senior_qian, agent_tech):
    page = login(senior_qian).get(f"/agent/training/onboarding/{onboarding.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="stage"') == 4 and "钱资深" in html
    stage = onboarding.programme.stages.get(order=1)
    done = login(senior_qian).post(
        f"/agent/training/onboarding/{onboarding.pk}/sign/", {"stage_id": stage.pk, "note": "好"}
    )
    assert done.status_code == 302
    assert StageSignoff.objects.filter(onboarding=onboarding, stage=stage).exists()
    assert login(agent_tech).get(f"/agent/training/onboarding/{onboarding.pk}/").status_code == 404


def test_trainee_takes_a_quiz_from_the_course_page(course, quiz, newbie, onboarding):
    client = login(newbie)
    assert "基础培训" in client.get(f"/agent/training/courses/{course.pk}/").content.decode()
    started = client.post(f"/agent/training/assessments/{quiz.pk}/start/")
    attempt = Attempt.objects.get()
    assert started.url == f"/agent/training/attempts/{attempt.pk}/"
    q1, q2 = quiz.questions.all()
    client.post(started.url + "submit/", {f"q{q1.pk}": "1", f"q{q2.pk}": ["0", "2"], "multi": f"q{q2.pk}"})
    attempt.refresh_from_db()
    assert (attempt.status, attempt.score) == ("passed", 100.0)
    assert "passed" in client.get(started.url).content.decode().lower()


def test_scorecard_page_only_for_agent_lead_and_supervisor(
    agent_li, agent_wang, lead_zhao, qa_sun, customer_x
):
    url = f"/agent/training/scorecard/{agent_li.pk}/?month=2026-06"
    page = login(agent_li).get(url)
    assert page.status_code == 200 and page.content.decode().count('data-testid="scorecard-line"') == 7
    assert login(lead_zhao).get(url).status_code == 200
    for other in (agent_wang, qa_sun, customer_x.user):
        assert login(other).get(url).status_code == 404
    assert login(agent_li).get(f"/agent/training/scorecard/{agent_li.pk}/?month=junk").status_code == 404


def test_home_and_team_pages(onboarding, newbie, lead_zhao, agent_li):
    assert login(newbie).get("/agent/training/").status_code == 200
    team = login(lead_zhao).get("/agent/training/team/")
    assert team.status_code == 200 and "新人小陈" in team.content.decode()
    assert login(agent_li).get("/agent/training/team/").status_code == 404


@pytest.mark.now("2026-06-10 10:00")
def test_supervisor_starts_an_onboarding_and_enrols_from_the_team_page(
    course, newbie, senior_qian, lead_zhao, agent_li
):
    from kefu.training.models import Enrolment, Onboarding

    client = login(lead_zhao)
    bad = client.post("/agent/training/team/onboarding/", {"user_id": newbie.pk, "started_on": "junk"})
    assert bad.status_code == 302 and not Onboarding.objects.exists()
    made = client.post(
        "/agent/training/team/onboarding/",
        {
            "user_id": newbie.pk,
            "started_on": "2026-06-08",
            "mentor_id": senior_qian.pk,
            "senior_id": senior_qian.pk,
        },
    )
    onboarding = Onboarding.objects.get()
    assert made.url == f"/agent/training/onboarding/{onboarding.pk}/"
    assert (onboarding.user, onboarding.senior, onboarding.supervisor) == (newbie, senior_qian, lead_zhao)
    client.post(
        "/agent/training/team/enrol/", {"course_id": course.pk, "due_on": "2026-06-30", "role": "agent"}
    )
    assert set(Enrolment.objects.values_list("user__username", flat=True)) == {
        "agent_li",
        "agent_wang",
        "new_hire",
    }
    assert login(agent_li).post("/agent/training/team/enrol/", {"course_id": course.pk}).status_code == 404
