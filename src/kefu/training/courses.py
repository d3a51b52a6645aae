"""Courses, their modules, enrolment (by role or by hand) and progress.

A course without modules is refused; an assessment module needs an assessment with a pass mark
(assessments.py refuses one without). A course is complete for a person when every module is done:
reading and practice modules are marked done by the trainee, an assessment module when one of
their attempts passes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Role, User
from kefu.core.clock import now
from kefu.knowledge.models import Article

from .errors import Conflict, ValidationFailed
from .models import (
    Assessment,
    AttemptStatus,
    Course,
    Enrolment,
    Module,
    ModuleDone,
    ModuleKind,
    Topic,
    Track,
)


@dataclass(frozen=True)
class ModuleSpec:
    kind: str
    title: str
    instructions: str = ""
    article_id: int | None = None
    assessment_id: int | None = None


def _check_module(order: int, spec: ModuleSpec) -> dict[str, object]:
    field = f"modules.{order - 1}"
    if spec.kind not in ModuleKind.values:
        raise ValidationFailed(_("Unknown module kind %(k)s.") % {"k": spec.kind}, field=f"{field}.kind")
    title = (spec.title or "").strip()
    if not title:
        raise ValidationFailed(_("Every module needs a title."), field=f"{field}.title")
    article = None
    if spec.article_id is not None:
        article = Article.objects.filter(pk=spec.article_id).first()
        if article is None:
            raise ValidationFailed(_("No such knowledge article."), field=f"{field}.article_id")
    assessment = None
    if spec.kind == ModuleKind.ASSESSMENT:
        assessment = Assessment.objects.filter(pk=spec.assessment_id).first() if spec.assessment_id else None
        if assessment is None:
            raise ValidationFailed(
                _("An assessment module needs an existing assessment."), field=f"{field}.assessment_id"
            )
    elif spec.kind == ModuleKind.READING and article is None:
        raise ValidationFailed(
            _("A reading module names a knowledge-base article or case."), field=f"{field}.article_id"
        )
    return {
        "kind": spec.kind,
        "title": title[:200],
        "instructions": spec.instructions,
        "article": article,
        "assessment": assessment,
    }


@transaction.atomic
def create_course(
    *, title: str, track: str, topic: str, modules: list[ModuleSpec], description: str = "", by: User | None
) -> Course:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("A course needs a title."), field="title")
    if track not in Track.values:
        raise ValidationFailed(_("Unknown track."), field="track")
    if topic not in Topic.values:
        raise ValidationFailed(_("Unknown topic."), field="topic")
    if not modules:
        raise ValidationFailed(_("A course needs at least one module."), field="modules")
    rows = [_check_module(i, spec) for i, spec in enumerate(modules, start=1)]
    if Course.objects.filter(title=title).exists():
        raise Conflict(_("A course with this title exists already."), field="title", code="duplicate")
    course = Course.objects.create(
        title=title[:200], track=track, topic=topic, description=description, created_by=by
    )
    Module.objects.bulk_create(Module(course=course, order=i, **row) for i, row in enumerate(rows, start=1))  # type: ignore[arg-type]
    return course


def _enrol(course: Course, user: User, *, due_on: date, by: User | None, via_role: str) -> bool:
    try:
        with transaction.atomic():
            Enrolment.objects.create(
                course=course, user=user, due_on=due_on, assigned_by=by, via_role=via_role, created_at=now()
            )
    except IntegrityError:
        return False
    return True


def enrol(course: Course, *, users: list[User], due_on: date, by: User | None) -> int:
    """Enrol people by hand; someone enrolled already keeps their enrolment. Returns how many joined."""
    for user in users:
        if not user.is_agent:
            raise ValidationFailed(_("Only agents can be enrolled."), field="user_ids")
    return sum(_enrol(course, u, due_on=due_on, by=by, via_role="") for u in users)


def enrol_role(course: Course, *, role: str, due_on: date, by: User | None) -> int:
    """Enrol every active agent holding `role`; safe to run again (adds only newcomers)."""
    if role not in Role.values or role in (Role.CUSTOMER, Role.DEPARTMENT):
        raise ValidationFailed(_("Unknown agent role."), field="role")
    people = list(User.objects.filter(role=role, is_active=True))
    return sum(_enrol(course, u, due_on=due_on, by=by, via_role=role) for u in people)


def _complete_if_done(enrolment: Enrolment) -> Enrolment:
    modules = list(enrolment.course.modules.all())
    done = set(ModuleDone.objects.filter(enrolment=enrolment).values_list("module_id", flat=True))
    if enrolment.completed_at is None and modules and all(m.pk in done for m in modules):
        Enrolment.objects.filter(pk=enrolment.pk, completed_at__isnull=True).update(completed_at=now())
        enrolment.refresh_from_db()
    return enrolment


@transaction.atomic
def mark_module_done(enrolment: Enrolment, *, module: Module, by: User) -> Enrolment:
    """The trainee marks a reading or practice module done (an assessment module is done by passing)."""
    if module.course_id != enrolment.course_id:
        raise ValidationFailed(_("This module belongs to another course."), field="module_id")
    if by.pk != enrolment.user_id:
        raise ValidationFailed(_("Only the trainee marks their own modules."), field="module_id")
    if module.kind == ModuleKind.ASSESSMENT:
        raise Conflict(_("An assessment module is done when an attempt passes."), code="needs_pass")
    ModuleDone.objects.get_or_create(enrolment=enrolment, module=module, defaults={"done_at": now()})
    return _complete_if_done(enrolment)


def on_attempt_passed(*, user_id: int, assessment_id: int) -> None:
    """Marks the assessment modules of the trainee's enrolments done (called inside the marking)."""
    for module in Module.objects.filter(assessment_id=assessment_id).select_related("course"):
        enrolment = Enrolment.objects.filter(course=module.course, user_id=user_id).first()
        if enrolment is None:
            continue
        ModuleDone.objects.get_or_create(enrolment=enrolment, module=module, defaults={"done_at": now()})
        _complete_if_done(enrolment)


def passed(user: User, assessment: Assessment) -> bool:
    return assessment.attempts.filter(user=user, status=AttemptStatus.PASSED).exists()
