"""Courses, enrolment and progress; the bad input of issue 20: a course without modules and an
assessment without a pass mark are refused."""

from __future__ import annotations

import pytest

from kefu.training import services
from kefu.training.assessments import QuestionSpec
from kefu.training.courses import ModuleSpec
from kefu.training.errors import Conflict, ValidationFailed
from kefu.training.models import Course, Enrolment
from kefu.training.selectors import list_enrolments


def test_course_without_modules_is_refused(db, lead_zhao):
    with pytest.raises(ValidationFailed) as err:
        services.create_course(title="空课程", track="new_hire", topic="basic", modules=[], by=lead_zhao)
    assert err.value.field == "modules"
    assert not Course.objects.exists()


def test_assessment_without_pass_mark_is_refused(db):
    with pytest.raises(ValidationFailed) as err:
        services.create_assessment(
            title="无及格线",
            kind="quiz",
            pass_mark=None,
            questions=[QuestionSpec(kind="single", text="?", choices=["a", "b"], correct=[0])],
        )
    assert err.value.field == "pass_mark"
    with pytest.raises(ValidationFailed):
        services.create_assessment(
            title="零分",
            kind="quiz",
            pass_mark=0,
            questions=[QuestionSpec(kind="single", text="?", choices=["a", "b"], correct=[0])],
        )


def test_reading_module_needs_an_article(db, lead_zhao):
    with pytest.raises(ValidationFailed) as err:
        services.create_course(
            title="x",
            track="new_hire",
            topic="basic",
            modules=[ModuleSpec(kind="reading", title="读")],
            by=lead_zhao,
        )
    assert err.value.field == "modules.0.article_id"


def test_enrol_by_role_and_by_hand_once(course, agent_li, agent_wang, lead_zhao, due):
    assert services.enrol_role(course, role="agent", due_on=due, by=lead_zhao) == 2
    assert services.enrol_role(course, role="agent", due_on=due, by=lead_zhao) == 0
    assert services.enrol(course, users=[agent_li], due_on=due, by=lead_zhao) == 0
    assert Enrolment.objects.filter(course=course).count() == 2
    assert set(Enrolment.objects.values_list("via_role", flat=True)) == {"agent"}


def test_progress_reading_then_passing_completes_the_course(course, quiz, agent_li, lead_zhao, due):
    services.enrol(course, users=[agent_li], due_on=due, by=lead_zhao)
    enrolment = Enrolment.objects.get()
    reading, test_module = list(course.modules.all())
    with pytest.raises(Conflict):
        services.mark_module_done(enrolment, module=test_module, by=agent_li)
    services.mark_module_done(enrolment, module=reading, by=agent_li)
    row = list_enrolments(agent_li).get()
    assert (row.modules_done, row.modules_total, row.completed_at) == (1, 2, None)
    attempt = services.start_attempt(quiz, by=agent_li)
    q1, q2 = quiz.questions.all()
    services.submit_attempt(attempt, answers={f"q{q1.pk}": 1, f"q{q2.pk}": [0, 2]}, by=agent_li)
    row = list_enrolments(agent_li).get()
    assert row.modules_done == 2 and row.completed_at is not None
