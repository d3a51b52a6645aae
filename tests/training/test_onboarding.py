"""The four-week programme: stages in order with entry/exit conditions, the mentor's sign-offs, the
supervisor's pressure test and the confirmation (转正) as a recorded decision, its length in days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.accounts.models import AuditEntry
from kefu.core import metrics
from kefu.training import services
from kefu.training.errors import Conflict, NotFound, StageNotReady
from kefu.training.models import Enrolment
from kefu.training.onboarding import stages
from kefu.training.periods import today


@pytest.fixture
def programme(course, quiz):
    return services.default_programme(course_id=course.pk, assessment_id=quiz.pk)


@pytest.fixture
def onboarding(programme, newbie, senior_qian, lead_zhao, course):
    services.enrol(course, users=[newbie], due_on=today() + timedelta(days=14), by=lead_zhao)
    return services.start_onboarding(
        user=newbie,
        programme=programme,
        senior=senior_qian,
        mentor=senior_qian,
        supervisor=lead_zhao,
        started_on=today() - timedelta(days=25),
        by=lead_zhao,
    )


def test_default_programme_is_the_plans_four_weeks_and_idempotent(programme, course, quiz):
    again = services.default_programme(course_id=course.pk, assessment_id=quiz.pk)
    assert again.pk == programme.pk
    rows = list(programme.stages.all())
    assert [s.kind for s in rows] == ["shadowing", "drills", "supervised", "pressure_test"]
    assert rows[0].daily_ticket_quota == 3
    assert rows[2].daily_feedback and rows[3].signoff_by == "supervisor"
    assert rows[1].course_id == course.pk and rows[3].assessment_id == quiz.pk


def test_stages_sign_off_in_order_with_their_exit_conditions(
    onboarding, senior_qian, lead_zhao, newbie, quiz, course
):
    s1, s2, s3, s4 = [v.stage for v in stages(onboarding)]
    with pytest.raises(StageNotReady):
        services.sign_off(onboarding, stage_id=s2.pk, by=senior_qian)  # week 1 first
    with pytest.raises(NotFound):
        services.sign_off(onboarding, stage_id=s1.pk, by=newbie)  # not their own
    services.sign_off(onboarding, stage_id=s1.pk, by=senior_qian, note="跟岗顺利")
    with pytest.raises(Conflict):
        services.sign_off(onboarding, stage_id=s1.pk, by=senior_qian)
    with pytest.raises(StageNotReady):
        services.sign_off(onboarding, stage_id=s2.pk, by=senior_qian)  # the basic course is not done
    enrolment = Enrolment.objects.get(user=newbie)
    services.mark_module_done(enrolment, module=course.modules.get(kind="reading"), by=newbie)
    q1, q2 = quiz.questions.all()
    attempt = services.start_attempt(quiz, by=newbie)
    services.submit_attempt(attempt, answers={f"q{q1.pk}": 1, f"q{q2.pk}": [0, 2]}, by=newbie)
    services.sign_off(onboarding, stage_id=s2.pk, by=senior_qian)
    services.give_feedback(onboarding, note="语气很好，记录要完整", tickets=12, by=senior_qian)
    with pytest.raises(Conflict):
        services.give_feedback(onboarding, note="again", by=senior_qian)
    services.sign_off(onboarding, stage_id=s3.pk, by=senior_qian)
    with pytest.raises(NotFound):
        services.sign_off(onboarding, stage_id=s4.pk, by=senior_qian)  # the pressure test is the supervisor's
    services.sign_off(onboarding, stage_id=s4.pk, by=lead_zhao)
    assert all(v.signoff for v in stages(onboarding))


def test_confirmation_is_a_recorded_decision_with_its_length(onboarding, lead_zhao, senior_qian):
    with pytest.raises(StageNotReady):
        services.decide(onboarding, confirmed=True, note="", by=lead_zhao)
    for view in stages(onboarding):
        view.stage.course_id = view.stage.assessment_id = None
        view.stage.save()
        services.sign_off(onboarding, stage_id=view.stage.pk, by=lead_zhao)
    with pytest.raises(NotFound):
        services.decide(onboarding, confirmed=True, note="", by=senior_qian)  # the supervisor decides
    done = services.decide(onboarding, confirmed=True, note="表现稳定", by=lead_zhao)
    assert (done.status, done.days, done.decided_by) == ("confirmed", 25, lead_zhao)
    assert AuditEntry.objects.filter(action="training.confirmation").count() == 1
    with pytest.raises(Conflict):
        services.decide(onboarding, confirmed=False, note="x", by=lead_zhao)
    day = today()
    assert metrics.total("onboarding_days", start=day, end=day) == 25.0


def test_one_active_onboarding_per_person(onboarding, programme, newbie, lead_zhao):
    with pytest.raises(Conflict):
        services.start_onboarding(
            user=newbie,
            programme=programme,
            senior=None,
            mentor=None,
            supervisor=lead_zhao,
            started_on=today(),
            by=lead_zhao,
        )
