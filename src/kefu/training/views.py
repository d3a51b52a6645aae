"""Agent pages of the training app (thin: parse, authorise through selectors, call one service).
A person's pages answer 404 to anyone who may not see them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.models import AGENT_ROLES, Role, User
from kefu.core.errors import DomainError

from . import cases, mentors, onboarding, periods, scorecard, selectors, services
from .models import AssessmentKind, AttemptStatus, Enrolment, Module, OnboardingStatus


def _agent(request: HttpRequest) -> Any:
    if not selectors.can_learn(request.user):
        raise Http404()
    return request.user


def _guard(request: HttpRequest, fn: Any, ok: str) -> bool:
    try:
        fn()
    except DomainError as err:
        messages.error(request, err.message)
        return False
    messages.success(request, ok)
    return True


def home(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    quarter = periods.quarter_name(periods.today())
    context = {
        "person": user,
        "enrolments": list(selectors.list_enrolments(user)),
        "attempts": list(selectors.list_attempts(user)[:20]),
        "case_task": selectors.list_case_tasks(user, quarter=quarter).filter(user=user).first(),
        "quarter": quarter,
        "onboardings": list(selectors.visible_onboardings(user).filter(status=OnboardingStatus.ACTIVE)[:50]),
        "mine": selectors.visible_onboardings(user).filter(user=user).first(),
        "to_mark": list(selectors.list_to_mark(user)[:50]),
        "mentees": list(selectors.list_mentorships(user)),
        "manages": selectors.can_manage(user) or bool(selectors.led_team_ids(user)),
        "courses": list(selectors.list_courses(user)),
    }
    return render(request, "training/home.html", context)


def course(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_course(user, pk)
    enrolment = Enrolment.objects.filter(course=found, user=user).first()
    done = set(enrolment.done.values_list("module_id", flat=True)) if enrolment else set()
    return render(request, "training/course.html", {"course": found, "enrolment": enrolment, "done": done})


@require_POST
def module_done(request: HttpRequest, pk: int, module_id: int) -> HttpResponse:
    user = _agent(request)
    enrolment = Enrolment.objects.filter(course_id=pk, user=user).first()
    module = Module.objects.filter(pk=module_id, course_id=pk).first()
    if enrolment is None or module is None:
        raise Http404()
    _guard(request, lambda: services.mark_module_done(enrolment, module=module, by=user), _("Module done."))
    return redirect("training:course", pk=pk)


@require_POST
def start(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    assessment = selectors.access_assessment(user, pk)
    try:
        attempt = services.start_attempt(assessment, by=user)
    except DomainError as err:
        messages.error(request, err.message)
        return redirect("training:home")
    return redirect("training:attempt", pk=attempt.pk)


def attempt(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    try:
        found = selectors.access_attempt(user, pk)
    except DomainError as err:
        raise Http404() from err
    assessment = selectors.access_assessment(user, found.assessment_id)
    questions = list(assessment.questions.all())
    turns = list(assessment.turns.all())
    items = list(assessment.scorecard.items.all()) if assessment.scorecard_id else []  # type: ignore[union-attr]
    context = {
        "attempt": found,
        "assessment": assessment,
        "questions": [(q, found.answers.get(f"q{q.pk}"), found.marks.get(f"q{q.pk}")) for q in questions],
        "turns": [(t, found.answers.get(f"t{t.pk}", "")) for t in turns],
        "items": [(i, found.marks.get(str(i.pk))) for i in items],
        "is_scenario": assessment.kind == AssessmentKind.SCENARIO,
        "can_answer": found.user_id == user.pk and found.status == AttemptStatus.OPEN,
        "can_mark": found.status == AttemptStatus.MARKING and selectors.can_review(user, found),
    }
    return render(request, "training/attempt.html", context)


@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_attempt(user, pk)
    if found.user_id != user.pk:
        raise Http404()
    multi = set(request.POST.getlist("multi"))
    answers: dict[str, Any] = {}
    for key in request.POST:
        if key.startswith(("q", "t")) and key[1:].isdigit():
            answers[key] = request.POST.getlist(key) if key in multi else request.POST.get(key)
    _guard(request, lambda: services.submit_attempt(found, answers=answers, by=user), _("Answers submitted."))
    return redirect("training:attempt", pk=pk)


@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_attempt(user, pk)
    if not selectors.can_review(user, found):
        raise Http404()
    marks = {k[2:]: v for k, v in request.POST.items() if k.startswith("m_")}
    note = request.POST.get("note", "")
    _guard(
        request, lambda: services.mark_attempt(found, marks=marks, by=user, note=note), _("Attempt marked.")
    )
    return redirect("training:attempt", pk=pk)


def onboarding_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    try:
        found = selectors.access_onboarding(user, pk)
    except DomainError as err:
        raise Http404() from err
    mentor = mentors.mentor_of(found.user)
    views = onboarding.stages(found)
    context = {
        "onboarding": found,
        "stages": views,
        "mentor": mentor,
        "feedback": list(found.feedback.select_related("by")[:30]),
        "enrolments": list(selectors.list_enrolments(found.user)),
        "attempts": list(selectors.list_attempts(found.user)[:10]),
        "all_signed": all(v.signoff for v in views),
        "is_mentor": mentor is not None and mentor.pk == user.pk,
        "is_supervisor": selectors.can_manage(user) or found.supervisor_id == user.pk,
        "is_self": found.user_id == user.pk,
        "done_count": sum(1 for v in views if v.signoff),
    }
    return render(request, "training/onboarding.html", context)


@require_POST
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_onboarding(user, pk)
    stage_id = (
        int(request.POST.get("stage_id", "0") or 0) if request.POST.get("stage_id", "").isdigit() else 0
    )
    note = request.POST.get("note", "")
    _guard(
        request,
        lambda: services.sign_off(found, stage_id=stage_id, by=user, note=note),
        _("Stage signed off."),
    )
    return redirect("training:onboarding", pk=pk)


@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_onboarding(user, pk)
    raw = request.POST.get("tickets", "0")
    tickets = int(raw) if raw.isdigit() else -1
    note = request.POST.get("note", "")
    _guard(
        request,
        lambda: services.give_feedback(found, note=note, tickets=tickets, by=user),
        _("Feedback saved."),
    )
    return redirect("training:onboarding", pk=pk)


@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    found = selectors.access_onboarding(user, pk)
    confirmed = request.POST.get("decision") == "confirm"
    note = request.POST.get("note", "")
    _guard(
        request,
        lambda: services.decide(found, confirmed=confirmed, note=note, by=user),
        _("Decision recorded."),
    )
    return redirect("training:onboarding", pk=pk)


def mentor_page(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    rows = []
    for pairing in selectors.list_mentorships(user):
        mentee = pairing.mentee
        rows.append(
            {
                "pairing": pairing,
                "enrolments": list(selectors.list_enrolments(mentee)),
                "onboarding": selectors.visible_onboardings(user).filter(user=mentee).first(),
                "attempts": list(selectors.list_attempts(mentee)[:5]),
            }
        )
    context = {"rows": rows, "eligibility": mentors.eligibility(user), "limit": mentors.MAX_MENTEES}
    return render(request, "training/mentor.html", context)


def team(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    led = selectors.led_team_ids(user)
    if not selectors.can_manage(user) and not led:
        raise Http404()
    try:
        month = request.GET.get("month") or periods.month_name(periods.today())
        start_day, end_day = periods.month(month)
        quarter = request.GET.get("quarter") or periods.quarter_name(periods.today())
        periods.quarter(quarter)
    except DomainError as err:
        messages.error(request, err.message)
        month, quarter = periods.month_name(periods.today()), periods.quarter_name(periods.today())
        start_day, end_day = periods.month(month)
    tasks = list(selectors.list_case_tasks(user, quarter=quarter.upper()))
    context = {
        "month": month,
        "quarter": quarter.upper(),
        "teams": selectors.team_figures(
            start=start_day, end=end_day, team_ids=None if selectors.can_manage(user) else led
        ),
        "by_course": selectors.pass_rates(by="course"),
        "by_cohort": selectors.pass_rates(by="cohort"),
        "tasks": tasks,
        "tasks_done": sum(1 for t in tasks if t.done_at),
        "onboardings": list(selectors.visible_onboardings(user)[:50]),
        "sessions": list(selectors.list_sessions(user)[:20]),
        "can_manage": selectors.can_manage(user),
        "agents": list(
            User.objects.filter(is_active=True, role__in=sorted(AGENT_ROLES)).order_by("display_name")
        ),
        "courses": list(selectors.list_courses(user)),
        "roles": [(r.value, r.label) for r in Role if r in AGENT_ROLES],
        "today": periods.today(),
    }
    return render(request, "training/team.html", context)


def _user(request: HttpRequest, field: str) -> Any:
    raw = request.POST.get(field, "")
    return User.objects.filter(pk=int(raw), is_active=True).first() if raw.isdigit() else None


def _day(request: HttpRequest, field: str) -> Any:
    try:
        return date.fromisoformat(request.POST.get(field, ""))
    except ValueError:
        return None


@require_POST
def start_onboarding(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    if not selectors.can_manage(user):
        raise Http404()
    hire, started = _user(request, "user_id"), _day(request, "started_on")
    if hire is None or started is None:
        messages.error(request, _("Choose the new hire and the start date."))
        return redirect("training:team")
    made: list[Any] = []

    def run() -> None:
        made.append(
            services.start_onboarding(
                user=hire,
                programme=services.default_programme(),
                senior=_user(request, "senior_id"),
                mentor=_user(request, "mentor_id"),
                supervisor=user,
                started_on=started,
                by=user,
            )
        )

    if _guard(request, run, _("Onboarding started.")):
        return redirect("training:onboarding", pk=made[0].pk)
    return redirect("training:team")


@require_POST
def enrol(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    if not selectors.can_manage(user):
        raise Http404()
    raw = request.POST.get("course_id", "")
    found = selectors.list_courses(user).filter(pk=int(raw)).first() if raw.isdigit() else None
    due, role, person = _day(request, "due_on"), request.POST.get("role", ""), _user(request, "user_id")
    if found is None or due is None or bool(role) == bool(person):
        messages.error(request, _("Choose a course, a due date, and either a role or a person."))
        return redirect("training:team")
    if role:
        _guard(request, lambda: services.enrol_role(found, role=role, due_on=due, by=user), _("Enrolled."))
    else:
        _guard(request, lambda: services.enrol(found, users=[person], due_on=due, by=user), _("Enrolled."))
    return redirect("training:team")


@require_POST
def refresh_cases(request: HttpRequest) -> HttpResponse:
    user = _agent(request)
    if not selectors.can_manage(user):
        raise Http404()
    quarter = periods.quarter_name(periods.today())
    made, done = cases.generate(quarter=quarter), cases.refresh(quarter=quarter)
    messages.success(request, _("%(m)d case tasks added, %(d)d done.") % {"m": made, "d": done})
    return redirect("training:team")


def scorecard_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _agent(request)
    try:
        person = selectors.access_person(user, pk, scorecard=True)
        month = request.GET.get("month") or periods.month_name(periods.today())
        lines = scorecard.agent_month(person, month=month)
    except DomainError as err:
        raise Http404() from err
    return render(request, "training/scorecard.html", {"person": person, "month": month, "lines": lines})
