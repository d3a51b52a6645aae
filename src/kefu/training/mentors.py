"""Mentors (导师): who may mentor, and the pairing of a mentor with 2–3 new hires.

Eligibility reads years of service from the person's seniority and their satisfaction and QA score
by key from the metric registry (`csat`, `qa_score` filtered to the agent over the last 90 days);
a figure the registry does not hold is left out. Pairing a mentor who already has 3 mentees is not
refused: it is warned about, recorded on the pairing and written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core import metrics

from . import periods
from .errors import Conflict, ValidationFailed
from .models import Mentorship

MIN_YEARS = 2
MIN_CSAT = 95.0
MIN_QA = 90.0
MAX_MENTEES = 3
WINDOW_DAYS = 90


@dataclass(frozen=True)
class Eligibility:
    years: int
    csat: float | None
    qa_score: float | None
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def figure(key: str, person: User, start: date, end: date) -> float | None:
    """A registered figure for one agent, or None when it is not registered or has no data."""
    try:
        metric = metrics.get(key)
    except metrics.MetricError:
        return None
    filters = {"agent": [str(person.pk)]} if "agent" in metric.dimensions else None
    if filters is None:
        return None
    return metrics.total(key, start=start, end=end, filters=filters)


def eligibility(person: User, *, today: date | None = None) -> Eligibility:
    end = today or periods.today()
    start = end - timedelta(days=WINDOW_DAYS - 1)
    csat = figure("csat", person, start, end)
    qa = figure("qa_score", person, start, end)
    reasons: list[str] = []
    if not person.is_agent:
        reasons.append(_("not an agent"))
    if person.seniority < MIN_YEARS:
        reasons.append(_("%(n)d years of service (needs %(m)d)") % {"n": person.seniority, "m": MIN_YEARS})
    if csat is None:
        reasons.append(_("no satisfaction answers in 90 days"))
    elif csat < MIN_CSAT:
        reasons.append(_("satisfaction %(v).1f%% (needs %(m).0f%%)") % {"v": csat, "m": MIN_CSAT})
    if qa is not None and qa < MIN_QA:
        reasons.append(_("QA score %(v).1f (needs %(m).0f)") % {"v": qa, "m": MIN_QA})
    return Eligibility(years=person.seniority, csat=csat, qa_score=qa, reasons=reasons)


def mentor_of(person: User) -> User | None:
    found = Mentorship.objects.filter(mentee=person, ended_on__isnull=True).select_related("mentor").first()
    return found.mentor if found else None


def pair(
    *, mentor: User, mentee: User, by: User | None, started_on: date | None = None, replace: bool = False
) -> Mentorship:
    """Pair a mentor with a mentee; above 3 mentees → warned and recorded (`over_limit`, `warning`)."""
    if not mentor.is_agent:
        raise ValidationFailed(_("A mentor must be an agent."), field="mentor_id")
    if not mentee.is_agent:
        raise ValidationFailed(_("A mentee must be an agent."), field="mentee_id")
    if mentor.pk == mentee.pk:
        raise ValidationFailed(_("Nobody mentors themselves."), field="mentee_id")
    day = started_on or periods.today()
    current = Mentorship.objects.filter(mentee=mentee, ended_on__isnull=True).first()
    if current is not None and current.mentor_id == mentor.pk:
        return current
    if current is not None and not replace:
        raise Conflict(_("This person has a mentor already."), code="has_mentor", field="mentee_id")
    load = Mentorship.objects.filter(mentor=mentor, ended_on__isnull=True).count()
    warnings: list[str] = []
    if load >= MAX_MENTEES:
        warnings.append(
            _("%(m)s already mentors %(n)d people (the limit is %(k)d).")
            % {"m": mentor.name, "n": load, "k": MAX_MENTEES}
        )
    check = eligibility(mentor, today=day)
    if not check.eligible:
        warnings.append(_("Not eligible as a mentor: %(r)s.") % {"r": "; ".join(check.reasons)})
    try:
        with transaction.atomic():
            if current is not None:
                Mentorship.objects.filter(pk=current.pk).update(ended_on=day)
            made = Mentorship.objects.create(
                mentor=mentor,
                mentee=mentee,
                started_on=day,
                paired_by=by,
                over_limit=load >= MAX_MENTEES,
                warning=" ".join(warnings)[:300],
            )
            if warnings:
                from kefu.accounts.services import record_audit

                record_audit(
                    actor=by,
                    action="training.mentor_warning",
                    summary=made.warning,
                    detail={"mentor": mentor.pk, "mentee": mentee.pk, "mentees_before": load},
                )
    except IntegrityError:
        raise Conflict(_("This person has a mentor already."), code="has_mentor", field="mentee_id") from None
    return made


def end(mentorship: Mentorship, *, on: date | None = None) -> Mentorship:
    Mentorship.objects.filter(pk=mentorship.pk, ended_on__isnull=True).update(ended_on=on or periods.today())
    mentorship.refresh_from_db()
    return mentorship
