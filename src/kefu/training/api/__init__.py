"""REST endpoints of the training app (mounted at /api/training/).

Agents read courses and take assessments; supervisors create courses, assessments, sessions and
onboardings, enrol people and pair mentors. A person's progress, onboarding and scorecard answer
404 to anyone who may not see them (the scorecard: the agent, their lead and supervisors only).
Refusals: 422 for bad input (a course without modules, an assessment without a pass mark…), 409 for
a second submit of one attempt (`already_submitted`), a stage not ready (`stage_not_ready`)…"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from kefu.accounts.models import User
from kefu.training import mentors, onboarding, periods, scorecard, selectors, services
from kefu.training.assessments import QuestionSpec
from kefu.training.courses import ModuleSpec
from kefu.training.errors import NotFound, PermissionDenied, ValidationFailed
from kefu.training.models import Course, Enrolment, Module, Programme

from .schemas import (
    TrainingAnswersIn,
    TrainingAssessmentIn,
    TrainingAssessmentOut,
    TrainingAttemptOut,
    TrainingAttendanceIn,
    TrainingCaseTaskOut,
    TrainingCount,
    TrainingCourseIn,
    TrainingCourseOut,
    TrainingDecisionIn,
    TrainingEligibilityOut,
    TrainingEnrolIn,
    TrainingEnrolmentOut,
    TrainingFeedbackIn,
    TrainingLineOut,
    TrainingMarksIn,
    TrainingModuleOut,
    TrainingOnboardingIn,
    TrainingOnboardingOut,
    TrainingPairIn,
    TrainingPairOut,
    TrainingProgressOut,
    TrainingQuestionOut,
    TrainingScorecardOut,
    TrainingSessionIn,
    TrainingSessionOut,
    TrainingSignoffIn,
    TrainingStageOut,
    TrainingTeamFigureOut,
    TrainingTurnOut,
)

router = Router(tags=["training"])


def _agent(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.can_learn(user):
        raise NotFound("Not found.")
    return user


def _manager(request: HttpRequest) -> User:
    user = _agent(request)
    if not selectors.can_manage(user):
        raise PermissionDenied("Supervisors only.")
    return user


def _people(ids: list[int], field: str) -> list[User]:
    found = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(set(ids)):
        raise ValidationFailed("Unknown person.", field=field)
    return found


def _person(person_id: int | None, field: str) -> User | None:
    if person_id is None:
        return None
    return _people([person_id], field)[0]


def _course_out(course: Course) -> TrainingCourseOut:
    return TrainingCourseOut(
        id=course.pk,
        title=course.title,
        track=course.track,
        topic=course.topic,
        description=course.description,
        modules=[
            TrainingModuleOut(
                id=m.pk,
                order=m.order,
                kind=m.kind,
                title=m.title,
                article_id=m.article_id,
                assessment_id=m.assessment_id,
            )
            for m in course.modules.all()
        ],
    )


@router.get("/courses", response=list[TrainingCourseOut], summary="Courses with their modules")
def list_courses(request: HttpRequest):
    user = _agent(request)
    return [_course_out(c) for c in selectors.list_courses(user).prefetch_related("modules")]


@router.post("/courses", response={201: TrainingCourseOut}, summary="Create a course (at least one module)")
def create_course(request: HttpRequest, body: TrainingCourseIn):
    user = _manager(request)
    course = services.create_course(
        title=body.title,
        track=body.track,
        topic=body.topic,
        description=body.description,
        by=user,
        modules=[
            ModuleSpec(m.kind, m.title, m.instructions, m.article_id, m.assessment_id) for m in body.modules
        ],
    )
    return Status(201, _course_out(course))


@router.get("/courses/{course_id}", response=TrainingCourseOut, summary="One course")
def get_course(request: HttpRequest, course_id: int):
    return _course_out(selectors.access_course(_agent(request), course_id))


@router.post("/courses/{course_id}/enrolments", response=TrainingCount, summary="Enrol by role or by hand")
def enrol(request: HttpRequest, course_id: int, body: TrainingEnrolIn):
    user = _manager(request)
    course = selectors.access_course(user, course_id)
    if bool(body.role) == bool(body.user_ids):
        raise ValidationFailed("Give either a role or user_ids.", field="role")
    if body.role:
        return TrainingCount(created=services.enrol_role(course, role=body.role, due_on=body.due_on, by=user))
    return TrainingCount(
        created=services.enrol(course, users=_people(body.user_ids, "user_ids"), due_on=body.due_on, by=user)
    )


@router.post(
    "/enrolments/{enrolment_id}/modules/{module_id}/done",
    response=TrainingEnrolmentOut,
    summary="Mark a module done",
)
def module_done(request: HttpRequest, enrolment_id: int, module_id: int):
    user = _agent(request)
    enrolment = Enrolment.objects.filter(pk=enrolment_id, user=user).select_related("course").first()
    module = Module.objects.filter(pk=module_id).first()
    if enrolment is None or module is None:
        raise NotFound("Not found.")
    services.mark_module_done(enrolment, module=module, by=user)
    row = selectors.list_enrolments(user).get(pk=enrolment.pk)
    return _enrolment_out(row)


def _enrolment_out(e: Enrolment) -> TrainingEnrolmentOut:
    return TrainingEnrolmentOut(
        id=e.pk,
        course_id=e.course_id,
        course=e.course.title,
        due_on=e.due_on,
        completed_at=e.completed_at,
        modules_done=e.modules_done,  # type: ignore[attr-defined]
        modules_total=e.modules_total,
    )  # type: ignore[attr-defined]


@router.get(
    "/people/{person_id}/progress", response=TrainingProgressOut, summary="A person's courses and attempts"
)
def progress(request: HttpRequest, person_id: int):
    person = selectors.access_person(_agent(request), person_id)
    return TrainingProgressOut(
        user_id=person.pk,
        enrolments=[_enrolment_out(e) for e in selectors.list_enrolments(person)],
        attempts=list(selectors.list_attempts(person)[:200]),
    )


@router.post(
    "/assessments", response={201: TrainingAssessmentOut}, summary="Create an assessment (pass mark required)"
)
def create_assessment(request: HttpRequest, body: TrainingAssessmentIn):
    _manager(request)
    made = services.create_assessment(
        title=body.title,
        kind=body.kind,
        pass_mark=body.pass_mark,
        max_attempts=body.max_attempts,
        questions=[QuestionSpec(q.kind, q.text, q.choices, q.correct, q.points) for q in body.questions],
        turns=body.turns,
        case_id=body.case_id,
        scorecard_id=body.scorecard_id,
    )
    return Status(201, _assessment_out(made))


def _assessment_out(a: Any) -> TrainingAssessmentOut:
    return TrainingAssessmentOut(
        id=a.pk,
        title=a.title,
        kind=a.kind,
        pass_mark=a.pass_mark,
        max_attempts=a.max_attempts,
        case_id=a.case_id,
        questions=[
            TrainingQuestionOut(id=q.pk, kind=q.kind, text=q.text, choices=q.choices, points=q.points)
            for q in a.questions.all()
        ],
        turns=[TrainingTurnOut(id=t.pk, order=t.order, customer_text=t.customer_text) for t in a.turns.all()],
    )


@router.get(
    "/assessments/{assessment_id}",
    response=TrainingAssessmentOut,
    summary="An assessment (without the answers)",
)
def get_assessment(request: HttpRequest, assessment_id: int):
    return _assessment_out(selectors.access_assessment(_agent(request), assessment_id))


@router.post(
    "/assessments/{assessment_id}/attempts",
    response=TrainingAttemptOut,
    summary="Start (or resume) an attempt",
)
def start_attempt(request: HttpRequest, assessment_id: int):
    user = _agent(request)
    return services.start_attempt(selectors.access_assessment(user, assessment_id), by=user)


@router.get("/attempts/{attempt_id}", response=TrainingAttemptOut, summary="One attempt")
def get_attempt(request: HttpRequest, attempt_id: int):
    return selectors.access_attempt(_agent(request), attempt_id)


@router.post(
    "/attempts/{attempt_id}/submit", response=TrainingAttemptOut, summary="Submit an attempt's answers"
)
def submit_attempt(request: HttpRequest, attempt_id: int, body: TrainingAnswersIn):
    user = _agent(request)
    attempt = selectors.access_attempt(user, attempt_id)
    if attempt.user_id != user.pk:
        raise NotFound("Not found.")
    return services.submit_attempt(attempt, answers=body.answers, by=user)


@router.post(
    "/attempts/{attempt_id}/mark", response=TrainingAttemptOut, summary="Mark an attempt awaiting review"
)
def mark_attempt(request: HttpRequest, attempt_id: int, body: TrainingMarksIn):
    user = _agent(request)
    attempt = selectors.access_attempt(user, attempt_id)
    if not selectors.can_review(user, attempt):
        raise NotFound("Not found.")
    return services.mark_attempt(attempt, marks=body.marks, by=user, note=body.note)


def _onboarding_out(o: Any) -> TrainingOnboardingOut:
    mentor = mentors.mentor_of(o.user)
    return TrainingOnboardingOut(
        id=o.pk,
        user_id=o.user_id,
        mentor_id=mentor.pk if mentor else None,
        senior_id=o.senior_id,
        started_on=o.started_on,
        status=o.status,
        days=o.days,
        stages=[
            TrainingStageOut(
                id=v.stage.pk,
                order=v.stage.order,
                kind=v.stage.kind,
                title=v.stage.title,
                starts_on=v.starts_on,
                ends_on=v.ends_on,
                daily_ticket_quota=v.stage.daily_ticket_quota,
                signoff_by=v.stage.signoff_by,
                signed_by_id=v.signoff.signed_by_id if v.signoff else None,
                signed_at=v.signoff.signed_at if v.signoff else None,
                current=v.current,
            )
            for v in onboarding.stages(o)
        ],
    )


@router.post("/onboardings", response={201: TrainingOnboardingOut}, summary="Start a new hire's onboarding")
def start_onboarding(request: HttpRequest, body: TrainingOnboardingIn):
    user = _manager(request)
    if body.programme_id is None:
        programme = services.default_programme()
    else:
        found = Programme.objects.filter(pk=body.programme_id).first()
        if found is None:
            raise ValidationFailed("No such programme.", field="programme_id")
        programme = found
    made = services.start_onboarding(
        user=_people([body.user_id], "user_id")[0],
        programme=programme,
        senior=_person(body.senior_id, "senior_id"),
        mentor=_person(body.mentor_id, "mentor_id"),
        supervisor=_person(body.supervisor_id, "supervisor_id"),
        started_on=body.started_on,
        by=user,
    )
    return Status(201, _onboarding_out(made))


@router.get("/onboardings/{onboarding_id}", response=TrainingOnboardingOut, summary="A new hire's programme")
def get_onboarding(request: HttpRequest, onboarding_id: int):
    return _onboarding_out(selectors.access_onboarding(_agent(request), onboarding_id))


@router.post(
    "/onboardings/{onboarding_id}/signoffs", response=TrainingOnboardingOut, summary="Sign a stage off"
)
def sign_off(request: HttpRequest, onboarding_id: int, body: TrainingSignoffIn):
    user = _agent(request)
    found = selectors.access_onboarding(user, onboarding_id)
    services.sign_off(found, stage_id=body.stage_id, by=user, note=body.note)
    return _onboarding_out(found)


@router.post(
    "/onboardings/{onboarding_id}/feedback",
    response=TrainingOnboardingOut,
    summary="The mentor's daily feedback",
)
def feedback(request: HttpRequest, onboarding_id: int, body: TrainingFeedbackIn):
    user = _agent(request)
    found = selectors.access_onboarding(user, onboarding_id)
    services.give_feedback(found, note=body.note, tickets=body.tickets, by=user)
    return _onboarding_out(found)


@router.post(
    "/onboardings/{onboarding_id}/decision", response=TrainingOnboardingOut, summary="Confirmation (转正)"
)
def decide(request: HttpRequest, onboarding_id: int, body: TrainingDecisionIn):
    user = _agent(request)
    found = selectors.access_onboarding(user, onboarding_id)
    return _onboarding_out(services.decide(found, confirmed=body.confirmed, note=body.note, by=user))


@router.post(
    "/mentorships", response={201: TrainingPairOut}, summary="Pair a mentor and a mentee (warns above 3)"
)
def pair(request: HttpRequest, body: TrainingPairIn):
    user = _manager(request)
    made = services.pair(
        mentor=_people([body.mentor_id], "mentor_id")[0],
        mentee=_people([body.mentee_id], "mentee_id")[0],
        by=user,
    )
    return Status(201, made)


@router.get("/people/{person_id}/eligibility", response=TrainingEligibilityOut, summary="Mentor eligibility")
def eligibility(request: HttpRequest, person_id: int):
    person = selectors.access_person(_agent(request), person_id)
    found = services.eligibility(person)
    return TrainingEligibilityOut(
        user_id=person.pk,
        eligible=found.eligible,
        years=found.years,
        csat=found.csat,
        qa_score=found.qa_score,
        reasons=found.reasons,
    )


@router.get(
    "/people/{person_id}/scorecard", response=TrainingScorecardOut, summary="An agent's month against targets"
)
def agent_scorecard(request: HttpRequest, person_id: int, month: str = ""):
    person = selectors.access_person(_agent(request), person_id, scorecard=True)
    month = month or periods.month_name(periods.today())
    lines = scorecard.agent_month(person, month=month)
    return TrainingScorecardOut(
        user_id=person.pk,
        month=month,
        lines=[
            TrainingLineOut(
                key=li.key,
                name=str(li.name),
                unit=li.unit,
                value=li.value,
                target=li.target,
                met=li.met,
                measured=li.measured,
            )
            for li in lines
        ],
    )


@router.post(
    "/sessions", response={201: TrainingSessionOut}, summary="Schedule a workshop, class or mentor meeting"
)
def create_session(request: HttpRequest, body: TrainingSessionIn):
    user = _agent(request)
    course = None
    if body.course_id is not None:
        course = Course.objects.filter(pk=body.course_id).first()
        if course is None:
            raise ValidationFailed("No such course.", field="course_id")
    invitees = _people(body.user_ids, "user_ids")
    if not selectors.can_manage(user) and not {u.pk for u in invitees} <= selectors.mentee_ids(user):
        raise PermissionDenied("Supervisors, or mentors with their mentees, only.")
    made = services.create_session(
        kind=body.kind,
        title=body.title,
        starts_at=body.starts_at,
        host=user,
        invitees=invitees,
        course=course,
        notes=body.notes,
    )
    return Status(201, made)


@router.post(
    "/sessions/{session_id}/attendance", response=TrainingSessionOut, summary="Record attendance and notes"
)
def attendance(request: HttpRequest, session_id: int, body: TrainingAttendanceIn):
    user = _agent(request)
    session = selectors.access_session(user, session_id)
    if session.host_id != user.pk and not selectors.can_manage(user):
        raise NotFound("Not found.")
    return services.record_attendance(session, present_ids=body.present_ids, notes=body.notes)


@router.get(
    "/teams", response=list[TrainingTeamFigureOut], summary="Coverage (trained ÷ due) and pass rate per team"
)
def teams(request: HttpRequest, month: str = ""):
    user = _agent(request)
    start, end = periods.month(month or periods.month_name(periods.today()))
    team_ids = None if selectors.can_manage(user) else selectors.led_team_ids(user)
    return [
        TrainingTeamFigureOut(
            team_id=r["team"].pk,
            team=r["team"].name,
            coverage=r["coverage"],
            trained=r["trained"],
            due=r["due"],
            pass_rate=r["pass_rate"],
        )
        for r in selectors.team_figures(start=start, end=end, team_ids=team_ids)
    ]


@router.get("/case-tasks", response=list[TrainingCaseTaskOut], summary="Reusable-case tasks of a quarter")
def case_tasks(request: HttpRequest, quarter: str = ""):
    user = _agent(request)
    quarter = quarter or periods.quarter_name(periods.today())
    periods.quarter(quarter)
    return list(selectors.list_case_tasks(user, quarter=quarter.upper())[:500])
