"""Sessions: workshops, classes and mentor–mentee meetings, with attendance and notes."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User

from .errors import ValidationFailed
from .models import Attendance, Course, Session, SessionKind


@transaction.atomic
def create_session(
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    host: User | None,
    invitees: list[User],
    course: Course | None = None,
    notes: str = "",
) -> Session:
    if kind not in SessionKind.values:
        raise ValidationFailed(_("Unknown session kind."), field="kind")
    if not title.strip():
        raise ValidationFailed(_("A session needs a title."), field="title")
    if not invitees:
        raise ValidationFailed(_("Invite at least one person."), field="user_ids")
    if any(not u.is_agent for u in invitees):
        raise ValidationFailed(_("Only agents can be invited."), field="user_ids")
    session = Session.objects.create(
        kind=kind, title=title.strip()[:200], starts_at=starts_at, host=host, course=course, notes=notes
    )
    Attendance.objects.bulk_create(Attendance(session=session, user=u) for u in invitees)
    return session


@transaction.atomic
def record_attendance(session: Session, *, present_ids: list[int], notes: str | None = None) -> Session:
    """Marks who came (everyone else invited: absent) and saves the session notes."""
    invited = set(session.attendance.values_list("user_id", flat=True))
    unknown = set(present_ids) - invited
    if unknown:
        raise ValidationFailed(_("Only invited people can attend."), field="present_ids")
    session.attendance.update(present=False)
    session.attendance.filter(user_id__in=present_ids).update(present=True)
    if notes is not None:
        Session.objects.filter(pk=session.pk).update(notes=notes)
        session.notes = notes
    return session
