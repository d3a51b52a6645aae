"""NPS: each month a sample of the customers served in the last 12 months is asked 0–10.

`sample(period=)` (periodic, safe to run twice: one question per customer and month, a unique
constraint) picks `nps_sample_percent` % of the customers with a ticket in the 12 months before the
month, by a stable hash of (seed, month, customer) — the same month always picks the same people.
`send_due` mails each question once (compare-and-set claim), with a signed link (salt SALT).
`answer` records the first answer only. Promoters answer 9–10, detractors 0–6; NPS = % promoters −
% detractors (metrics.py).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.urls import reverse

from kefu.core import automail
from kefu.core.clock import now
from kefu.core.metrics import local_zone
from kefu.customers.models import Customer
from kefu.tickets.models import Ticket

from . import config
from .errors import BadLink, Expired, OutOfRange
from .models import NpsSurvey

log = logging.getLogger("kefu.feedback")
SALT = "kefu.feedback.nps"
CLAIM_FOR = timedelta(minutes=10)


def this_month() -> date:
    return now().astimezone(local_zone()).date().replace(day=1)


def picked(seed: str, period: date, customer_id: int, percent: float) -> bool:
    digest = hashlib.sha256(f"{seed}:{period.isoformat()}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10000 < percent * 100


def sample(*, period: date | None = None) -> int:
    """Create the month's NPS questions; returns how many were new."""
    period = (period or this_month()).replace(day=1)
    percent = float(config.get("nps_sample_percent"))
    seed = str(config.get("nps_seed"))
    at = now()
    since = at - timedelta(days=365)
    served = (
        Ticket.objects.filter(created_at__gte=since, merged_into__isnull=True)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    ids = Customer.objects.filter(pk__in=served).exclude(email="").values_list("pk", flat=True)
    chosen = [pk for pk in ids.iterator() if picked(seed, period, pk, percent)]
    expires = at + timedelta(days=config.get("nps_expiry_days"))
    rows = [NpsSurvey(customer_id=pk, period=period, created_at=at, expires_at=expires) for pk in chosen]
    before = NpsSurvey.objects.filter(period=period).count()
    NpsSurvey.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return NpsSurvey.objects.filter(period=period).count() - before


def token_for(survey: NpsSurvey) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(survey.pk))


def link_for(survey: NpsSurvey, score: int | None = None) -> str:
    path = reverse("feedback:nps", args=[token_for(survey)])
    if score is not None:
        path += f"?score={score}"
    return settings.BASE_URL.rstrip("/") + path


def survey_from_token(token: str) -> NpsSurvey:
    max_age = timedelta(days=config.get("nps_expiry_days"))
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise Expired("This survey link has expired.") from None
    except signing.BadSignature:
        raise BadLink("This survey link is not valid.") from None
    survey = NpsSurvey.objects.select_related("customer").filter(pk=int(value)).first()
    if survey is None:
        raise BadLink("This survey link is not valid.")
    return survey


@dataclass(frozen=True)
class Answer:
    survey: NpsSurvey
    recorded: bool


def answer(survey: NpsSurvey, *, score: Any, comment: str = "") -> Answer:
    text = str(score).strip()
    if text not in {str(n) for n in range(11)}:
        raise OutOfRange("Choose a score from 0 to 10.", field="score")
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > 2000:
        raise OutOfRange("A comment may be at most 2000 characters.", field="comment")
    at = now()
    if survey.answered_at is None and survey.expires_at <= at:
        raise Expired("This survey has closed.")
    won = NpsSurvey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        score=int(text), comment=comment, answered_at=at
    )
    survey.refresh_from_db()
    return Answer(survey, recorded=bool(won))


def send(survey_id: int) -> bool:
    at = now()
    stale = Q(send_claimed_at__isnull=True) | Q(send_claimed_at__lt=at - CLAIM_FOR)
    claimed = NpsSurvey.objects.filter(
        Q(pk=survey_id, sent_at__isnull=True, answered_at__isnull=True, expires_at__gt=at) & stale
    ).update(send_claimed_at=at)
    if not claimed:
        return False
    survey = NpsSurvey.objects.select_related("customer").get(pk=survey_id)
    customer = survey.customer
    try:
        automail.send_templated(
            to=customer.email,
            language=customer.language or settings.LANGUAGE_CODE,
            template="feedback/nps",
            context={
                "survey": survey,
                "customer": customer,
                "links": [(n, link_for(survey, n)) for n in range(11)],
                "company": getattr(settings, "KEFU_COMPANY", ""),
            },
        )
    except Exception:
        NpsSurvey.objects.filter(pk=survey_id).update(send_claimed_at=None)
        log.warning("NPS survey %s could not be mailed; will retry", survey_id, exc_info=True)
        return False
    NpsSurvey.objects.filter(pk=survey_id).update(send_claimed_at=None, sent_at=at)
    return True


def send_due() -> int:
    ids = NpsSurvey.objects.filter(sent_at__isnull=True, answered_at__isnull=True, expires_at__gt=now())
    return sum(send(pk) for pk in list(ids.values_list("pk", flat=True)[:500]))


def trend(*, months: int = 12) -> list[dict[str, Any]]:
    """NPS per month over the last `months` (by the month asked), oldest first."""
    from django.db.models import Count

    start = this_month()
    for _ in range(months - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    found = (
        NpsSurvey.objects.filter(period__gte=start)
        .values("period")
        .annotate(
            asked=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False)),
            promoters=Count("pk", filter=Q(score__gte=9)),
            detractors=Count("pk", filter=Q(score__lte=6)),
        )
        .order_by("period")
    )
    out = []
    for r in found:
        nps = round(100.0 * (r["promoters"] - r["detractors"]) / r["answered"], 1) if r["answered"] else None
        out.append({**r, "nps": nps})
    return out
