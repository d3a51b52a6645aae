"""Read queries and access rules of the training app. Fail closed: only agents see training; a
person's progress, onboarding and scorecard are visible to that person, the lead of one of their
teams and supervisors (and, for progress and onboarding, their mentor). Anyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from kefu.accounts.models import Role, Team, User

from .errors import NotFound
from .models import (
    Assessment,
    Attempt,
    AttemptStatus,
    CaseTask,
    Course,
    Enrolment,
    Mentorship,
    Module,
    Onboarding,
    Session,
)


def can_learn(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_agent)


def can_manage(user: Any) -> bool:
    return bool(can_learn(user) and user.role in (Role.SUPERVISOR, Role.ADMIN))


def led_team_ids(user: Any) -> set[int]:
    if not can_learn(user):
        return set()
    return set(Team.objects.filter(lead=user).values_list("pk", flat=True))


def mentee_ids(user: Any) -> set[int]:
    if not can_learn(user):
        return set()
    return set(
        Mentorship.objects.filter(mentor=user, ended_on__isnull=True).values_list("mentee_id", flat=True)
    )


def can_see_scorecard(viewer: Any, person: User) -> bool:
    """The agent themselves, the lead of one of their teams, supervisors."""
    if not can_learn(viewer):
        return False
    if viewer.pk == person.pk or can_manage(viewer):
        return True
    teams = led_team_ids(viewer)
    return bool(teams) and person.teams.filter(pk__in=teams).exists()


def can_see_progress(viewer: Any, person: User) -> bool:
    """What the scorecard allows, plus the person's mentor and QA reviewers."""
    if can_see_scorecard(viewer, person):
        return True
    if not can_learn(viewer):
        return False
    return viewer.role == Role.QA or person.pk in mentee_ids(viewer)


def can_review(viewer: Any, attempt: Attempt) -> bool:
    """Markers: supervisors, QA reviewers, the trainee's lead or mentor — never the trainee."""
    if not can_learn(viewer) or viewer.pk == attempt.user_id:
        return False
    if can_manage(viewer) or viewer.role == Role.QA:
        return True
    return can_see_progress(viewer, attempt.user)


def access_person(viewer: Any, person_id: int, *, scorecard: bool = False) -> User:
    person = User.objects.filter(pk=person_id, is_active=True).first()
    allowed = can_see_scorecard if scorecard else can_see_progress
    if person is None or not person.is_agent or not allowed(viewer, person):
        raise NotFound("Not found.")
    return person


def list_courses(user: Any) -> QuerySet[Course]:
    if not can_learn(user):
        return Course.objects.none()
    return Course.objects.annotate(module_count=Count("modules")).order_by("track", "topic", "title")


def access_course(user: Any, course_id: int) -> Course:
    found = (
        list_courses(user)
        .filter(pk=course_id)
        .prefetch_related(
            Prefetch("modules", queryset=Module.objects.select_related("article", "assessment"))
        )
    )
    course = found.first()
    if course is None:
        raise NotFound("Not found.")
    return course


def access_assessment(user: Any, assessment_id: int) -> Assessment:
    if not can_learn(user):
        raise NotFound("Not found.")
    found = (
        Assessment.objects.filter(pk=assessment_id)
        .select_related("case")
        .prefetch_related("questions", "turns")
        .first()
    )
    if found is None:
        raise NotFound("Not found.")
    return found


def access_attempt(user: Any, attempt_id: int) -> Attempt:
    """The trainee's own attempt, or one they may review."""
    attempt = Attempt.objects.filter(pk=attempt_id).select_related("assessment", "user", "reviewer").first()
    if attempt is None or not can_learn(user):
        raise NotFound("Not found.")
    if attempt.user_id != user.pk and not can_review(user, attempt):
        raise NotFound("Not found.")
    return attempt


def list_enrolments(person: User) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(user=person)
        .select_related("course")
        .annotate(
            modules_total=Count("course__modules", distinct=True), modules_done=Count("done", distinct=True)
        )
        .order_by("completed_at", "due_on", "pk")
    )


def list_attempts(person: User) -> QuerySet[Attempt]:
    return Attempt.objects.filter(user=person).select_related("assessment").order_by("-started_at")


def list_to_mark(user: Any) -> QuerySet[Attempt]:
    """Attempts awaiting a reviewer that `user` may mark."""
    qs = Attempt.objects.filter(status=AttemptStatus.MARKING).select_related("assessment", "user")
    if not can_learn(user):
        return qs.none()
    if can_manage(user) or user.role == Role.QA:
        return qs.exclude(user=user).order_by("submitted_at")
    people = mentee_ids(user) | set(User.objects.filter(teams__lead=user).values_list("pk", flat=True))
    return qs.filter(user_id__in=people).exclude(user=user).order_by("submitted_at")


def visible_onboardings(user: Any) -> QuerySet[Onboarding]:
    qs = Onboarding.objects.select_related("user", "programme", "senior", "supervisor")
    if not can_learn(user):
        return qs.none()
    if can_manage(user) or user.role == Role.QA:
        return qs
    mentored = Mentorship.objects.filter(mentor=user, mentee=OuterRef("user"), ended_on__isnull=True)
    return qs.filter(
        Q(user=user) | Q(senior=user) | Q(supervisor=user) | Q(user__teams__lead=user) | Exists(mentored)
    ).distinct()


def access_onboarding(user: Any, onboarding_id: int) -> Onboarding:
    found = visible_onboardings(user).filter(pk=onboarding_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def list_sessions(user: Any) -> QuerySet[Session]:
    if not can_learn(user):
        return Session.objects.none()
    qs = Session.objects.select_related("host", "course").prefetch_related("attendance__user")
    if can_manage(user):
        return qs
    return qs.filter(Q(host=user) | Q(attendance__user=user)).distinct()


def access_session(user: Any, session_id: int) -> Session:
    found = list_sessions(user).filter(pk=session_id).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def list_case_tasks(user: Any, *, quarter: str) -> QuerySet[CaseTask]:
    """Supervisors see everyone's, a lead their teams', an agent their own."""
    qs = CaseTask.objects.filter(quarter=quarter).select_related("user", "article")
    if not can_learn(user):
        return qs.none()
    if can_manage(user):
        return qs.order_by("user__display_name", "pk")
    teams = led_team_ids(user)
    return qs.filter(Q(user=user) | Q(user__teams__in=teams)).distinct().order_by("user__display_name", "pk")


def list_mentorships(mentor: User) -> QuerySet[Mentorship]:
    return Mentorship.objects.filter(mentor=mentor, ended_on__isnull=True).select_related("mentee")


def team_figures(*, start: Any, end: Any, team_ids: set[int] | None) -> list[dict[str, Any]]:
    """Training coverage and pass rate per team, read by key from the registry (our own figures)."""
    from kefu.core import metrics

    teams = Team.objects.order_by("name")
    if team_ids is not None:
        teams = teams.filter(pk__in=team_ids)
    coverage = {
        p.group: p for p in metrics.compute("training_coverage", start=start, end=end, by="team").points
    }
    passing = {
        p.group: p for p in metrics.compute("training_pass_rate", start=start, end=end, by="team").points
    }
    rows = []
    for team in teams:
        c, p = coverage.get(str(team.pk)), passing.get(str(team.pk))
        rows.append(
            {
                "team": team,
                "coverage": c.value if c else None,
                "trained": int(c.num) if c else 0,
                "due": int(c.den) if c else 0,
                "pass_rate": p.value if p else None,
                "passed": int(p.num) if p else 0,
                "marked": int(p.den) if p else 0,
            }
        )
    return rows


def pass_rates(*, by: str) -> list[dict[str, Any]]:
    """Pass rate of marked attempts per course (through its assessment modules) or per cohort (the
    month the trainee's onboarding started; "—" without one)."""
    marked = Attempt.objects.filter(status__in=[AttemptStatus.PASSED, AttemptStatus.FAILED])
    passed = Count("pk", filter=Q(status=AttemptStatus.PASSED), distinct=True)
    total = Count("pk", distinct=True)
    out: list[dict[str, Any]] = []
    if by == "course":
        found = (
            marked.filter(assessment__modules__isnull=False)
            .values("assessment__modules__course_id", "assessment__modules__course__title")
            .annotate(passed=passed, total=total)
            .order_by("assessment__modules__course__title")
        )
        for r in found:
            out.append(
                {"label": r["assessment__modules__course__title"], "passed": r["passed"], "total": r["total"]}
            )
    else:
        starts = dict(Onboarding.objects.values_list("user_id", "started_on"))
        sums: dict[str, list[int]] = {}
        for user_id, status in marked.values_list("user_id", "status"):
            day = starts.get(user_id)
            label = f"{day.year:04d}-{day.month:02d}" if day else "—"
            acc = sums.setdefault(label, [0, 0])
            acc[0] += status == AttemptStatus.PASSED
            acc[1] += 1
        out = [{"label": k, "passed": v[0], "total": v[1]} for k, v in sorted(sums.items())]
    for row in out:
        row["rate"] = round(100.0 * row["passed"] / row["total"], 1) if row["total"] else None
    return out
