"""Survey answers for the benchmark seed (`kefu seed`): every seeded solved or closed ticket gets its
CSAT survey, sent when it was solved, about 60 % answered within three days with a realistic spread
(mostly 4s and 5s). Deterministic per ticket (seed, id) and written with bulk_create in batches; a
re-run only adds the surveys of tickets that have none, so a top-up of the seed tops these up too."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction

from kefu.core.clock import now
from kefu.tickets.models import Ticket
from kefu.tickets.states import DONE_STATUSES

from . import config
from .models import AnswerVia, Survey

ANSWERED_SHARE = 0.6
SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 4, 8, 30, 55)
REASONS = tuple(config.REASONS)
BATCH = 5000


def seed_surveys(*, seed: int = 1, batch: int = BATCH) -> int:
    """Create the missing surveys of solved/closed tickets; returns how many were created."""
    expiry = timedelta(days=config.get("csat_expiry_days"))
    mail_channels = set(config.get("csat_mail_channels"))
    todo = (
        Ticket.objects.filter(status__in=DONE_STATUSES, merged_into__isnull=True, solved_at__isnull=False)
        .exclude(pk__in=Survey.objects.values("ticket_id"))
        .order_by("pk")
        .values_list("pk", "customer_id", "channel", "solved_at")
    )
    current = now()
    created = 0
    rows: list[Survey] = []
    for pk, customer_id, channel, solved_at in todo.iterator(chunk_size=batch):
        rng = random.Random(seed * 1_000_003 + pk)
        survey = Survey(
            ticket_id=pk,
            customer_id=customer_id,
            channel=channel,
            created_at=solved_at,
            expires_at=solved_at + expiry,
            by_mail=channel in mail_channels,
            sent_at=solved_at,
        )
        answer_at = solved_at + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
        if rng.random() < ANSWERED_SHARE and answer_at <= current:
            score = rng.choices(SCORES, SCORE_WEIGHTS)[0]
            survey.score = score
            survey.answered_at = answer_at
            survey.answered_via = AnswerVia.MAIL if survey.by_mail else AnswerVia.PORTAL
            survey.reasons = [rng.choice(REASONS)] if rng.random() < 0.4 else []
        rows.append(survey)
        if len(rows) >= batch:
            created += _write(rows)
            rows = []
    if rows:
        created += _write(rows)
    return created


def _write(rows: list[Survey]) -> int:
    with transaction.atomic():
        Survey.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)
