"""Onboarding programmes (新人入职培训): a programme is a sequence of stages, each with an entry
condition (the stage before it signed off) and an exit condition (the sign-off of the mentor or the
supervisor, plus a course completed or an assessment passed when the stage names one). Each new
hire's onboarding records the sign-offs, the mentor's daily feedback and the confirmation (转正)
decision; its length is counted in calendar days from the start to that decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kefu.accounts.models import Role, User
from kefu.core.clock import now
from kefu.core.metrics import local_zone

from . import mentors, periods
from .errors import Conflict, NotFound, StageNotReady, ValidationFailed
from .models import (
    AttemptStatus,
    DailyFeedback,
    Enrolment,
    Onboarding,
    OnboardingStatus,
    Programme,
    SignoffBy,
    Stage,
    StageKind,
    StageSignoff,
)

DEFAULT_NAME = gettext_noop("Four-week new-hire programme")
# The plan's four weeks: (kind, title, days, daily quota, sign-off by, daily feedback, entry, exit).
DEFAULT_STAGES = [
    (
        StageKind.SHADOWING,
        gettext_noop("Week 1: shadowing a senior"),
        5,
        3,
        SignoffBy.MENTOR,
        False,
        gettext_noop("Paired with a named senior and a mentor"),
        gettext_noop("Handled 3 tickets a day together with the senior; the mentor signs off"),
    ),
    (
        StageKind.DRILLS,
        gettext_noop("Week 2: drills on the case library"),
        5,
        0,
        SignoffBy.MENTOR,
        False,
        gettext_noop("Shadowing signed off"),
        gettext_noop("The basic course is complete; the mentor signs off"),
    ),
    (
        StageKind.SUPERVISED,
        gettext_noop("Week 3: supervised independent work"),
        5,
        0,
        SignoffBy.MENTOR,
        True,
        gettext_noop("Drills signed off"),
        gettext_noop(
            "Works alone with the mentor listening and giving feedback every day; the mentor signs off"
        ),
    ),
    (
        StageKind.PRESSURE_TEST,
        gettext_noop("Week 4: simulated pressure test"),
        5,
        0,
        SignoffBy.SUPERVISOR,
        False,
        gettext_noop("Supervised work signed off"),
        gettext_noop("The scenario test is passed; the supervisor signs off"),
    ),
]


def default_programme(*, course_id: int | None = None, assessment_id: int | None = None) -> Programme:
    """The default template (created once; re-running changes nothing but fills links left empty)."""
    with transaction.atomic():
        programme, created = Programme.objects.get_or_create(name=DEFAULT_NAME, defaults={"is_default": True})
        for order, (kind, title, days, quota, signer, daily, entry, exit_) in enumerate(DEFAULT_STAGES, 1):
            stage, _made = Stage.objects.get_or_create(
                programme=programme,
                order=order,
                defaults={
                    "kind": kind,
                    "title": title,
                    "days": days,
                    "daily_ticket_quota": quota,
                    "signoff_by": signer,
                    "daily_feedback": daily,
                    "entry_condition": entry,
                    "exit_condition": exit_,
                },
            )
            if kind == StageKind.DRILLS and course_id and stage.course_id is None:
                Stage.objects.filter(pk=stage.pk).update(course_id=course_id)
            if kind == StageKind.PRESSURE_TEST and assessment_id and stage.assessment_id is None:
                Stage.objects.filter(pk=stage.pk).update(assessment_id=assessment_id)
    return programme


def _agent(user: User | None, field: str) -> User | None:
    if user is not None and not user.is_agent:
        raise ValidationFailed(_("Only agents can take part in an onboarding."), field=field)
    return user


def start(
    *,
    user: User,
    programme: Programme,
    senior: User | None,
    mentor: User | None,
    supervisor: User | None,
    started_on: date,
    by: User,
) -> Onboarding:
    """Enrol a new hire in a programme; pairs the mentor (a warning above 3 mentees is recorded)."""
    _agent(user, "user_id")
    _agent(senior, "senior_id")
    _agent(supervisor, "supervisor_id")
    if not programme.stages.exists():
        raise ValidationFailed(_("This programme has no stages."), field="programme_id")
    if senior is not None and senior.pk == user.pk:
        raise ValidationFailed(_("A new hire cannot shadow themselves."), field="senior_id")
    try:
        with transaction.atomic():
            onboarding = Onboarding.objects.create(
                user=user, programme=programme, senior=senior, supervisor=supervisor, started_on=started_on
            )
            if mentor is not None:
                mentors.pair(mentor=mentor, mentee=user, by=by, started_on=started_on, replace=True)
    except IntegrityError:
        raise Conflict(
            _("This person is already in an onboarding programme."), code="already_onboarding"
        ) from None
    return onboarding


@dataclass(frozen=True)
class StageView:
    stage: Stage
    starts_on: date
    ends_on: date
    signoff: StageSignoff | None
    current: bool
    course_done: bool | None  # None when the stage names no course
    assessment_passed: bool | None


def stages(onboarding: Onboarding) -> list[StageView]:
    """Every stage with its planned dates, sign-off and exit conditions met (one query each kind)."""
    rows = list(onboarding.programme.stages.select_related("course", "assessment"))
    signed = {
        s.stage_id: s for s in StageSignoff.objects.filter(onboarding=onboarding).select_related("signed_by")
    }
    done_courses = set(
        Enrolment.objects.filter(user_id=onboarding.user_id, completed_at__isnull=False).values_list(
            "course_id", flat=True
        )
    )
    passed = set(
        onboarding.user.training_attempts.filter(status=AttemptStatus.PASSED).values_list(
            "assessment_id", flat=True
        )
    )
    views: list[StageView] = []
    day = onboarding.started_on
    current_found = onboarding.status != OnboardingStatus.ACTIVE
    for stage in rows:
        ends = day + timedelta(days=max(stage.days, 1) - 1)
        sign = signed.get(stage.pk)
        current = not current_found and sign is None
        current_found = current_found or current
        views.append(
            StageView(
                stage=stage,
                starts_on=day,
                ends_on=ends,
                signoff=sign,
                current=current,
                course_done=(stage.course_id in done_courses) if stage.course_id else None,
                assessment_passed=(stage.assessment_id in passed) if stage.assessment_id else None,
            )
        )
        day = ends + timedelta(days=1)
    return views


def _may_sign(onboarding: Onboarding, stage: Stage, by: User) -> bool:
    if by.pk == onboarding.user_id:
        return False
    if by.role in (Role.SUPERVISOR, Role.ADMIN) or by.pk == onboarding.supervisor_id:
        return True
    return stage.signoff_by == SignoffBy.MENTOR and mentors.mentor_of(onboarding.user) == by


def sign_off(onboarding: Onboarding, *, stage_id: int, by: User, note: str = "") -> StageSignoff:
    """The mentor (or, for the pressure test, the supervisor) signs a stage off: stages in order, and
    only once its course is complete and its assessment passed."""
    if onboarding.status != OnboardingStatus.ACTIVE:
        raise Conflict(_("This onboarding is decided already."), code="decided")
    views = stages(onboarding)
    view = next((v for v in views if v.stage.pk == stage_id), None)
    if view is None:
        raise NotFound(_("No such stage in this programme."), field="stage_id")
    if not _may_sign(onboarding, view.stage, by):
        raise NotFound(_("No such stage in this programme."), field="stage_id")
    if view.signoff is not None:
        raise Conflict(_("This stage is signed off already."), code="already_signed")
    if not view.current:
        raise StageNotReady(_("Sign off the earlier stages first."), field="stage_id")
    if view.course_done is False:
        raise StageNotReady(_("The stage's course is not complete yet."), field="stage_id")
    if view.assessment_passed is False:
        raise StageNotReady(_("The stage's assessment is not passed yet."), field="stage_id")
    try:
        with transaction.atomic():
            return StageSignoff.objects.create(
                onboarding=onboarding, stage=view.stage, signed_by=by, signed_at=now(), note=note[:4000]
            )
    except IntegrityError:
        raise Conflict(_("This stage is signed off already."), code="already_signed") from None


def give_feedback(
    onboarding: Onboarding, *, note: str, tickets: int = 0, by: User, day: date | None = None
) -> DailyFeedback:
    """The mentor's feedback of the day (one per day) during supervised work."""
    if mentors.mentor_of(onboarding.user) != by and by.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise NotFound(_("Not found."))
    if not note.strip():
        raise ValidationFailed(_("Write the feedback."), field="note")
    if not 0 <= tickets <= 200:
        raise ValidationFailed(_("Tickets of the day: 0 to 200."), field="tickets")
    try:
        with transaction.atomic():
            return DailyFeedback.objects.create(
                onboarding=onboarding,
                day=day or periods.today(),
                by=by,
                tickets=tickets,
                note=note.strip()[:4000],
            )
    except IntegrityError:
        raise Conflict(_("Today's feedback is written already."), code="already_given") from None


def decide(onboarding: Onboarding, *, confirmed: bool, note: str, by: User) -> Onboarding:
    """Confirmation (转正) as a recorded decision by a supervisor: confirmed needs every stage signed."""
    if by.role not in (Role.SUPERVISOR, Role.ADMIN) and by.pk != onboarding.supervisor_id:
        raise NotFound(_("Not found."))
    if by.pk == onboarding.user_id:
        raise NotFound(_("Not found."))
    if confirmed and any(v.signoff is None for v in stages(onboarding)):
        raise StageNotReady(_("Every stage must be signed off before confirmation."))
    if not note.strip() and not confirmed:
        raise ValidationFailed(_("Say why the new hire is not confirmed."), field="note")
    decided = now()
    days = (decided.astimezone(local_zone()).date() - onboarding.started_on).days
    status = OnboardingStatus.CONFIRMED if confirmed else OnboardingStatus.NOT_CONFIRMED
    with transaction.atomic():
        won = Onboarding.objects.filter(
            pk=onboarding.pk, status=OnboardingStatus.ACTIVE, version=onboarding.version
        ).update(
            status=status,
            decided_at=decided,
            decided_by=by,
            decision_note=note.strip()[:4000],
            days=max(days, 0) if confirmed else None,
            version=onboarding.version + 1,
        )
        if not won:
            raise Conflict(_("This onboarding is decided already."), code="decided")
        from kefu.accounts.services import record_audit

        record_audit(
            actor=by,
            action="training.confirmation",
            summary=f"{onboarding.user.name}: {status}",
            detail={"onboarding": onboarding.pk, "confirmed": confirmed, "days": days},
        )
    onboarding.refresh_from_db()
    return onboarding
