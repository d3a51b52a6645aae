"""`kefu seed` gives its solved tickets survey answers (the analytics benchmark reads CSAT from them)."""

from __future__ import annotations

from kefu.core import metrics
from kefu.feedback.models import Survey
from kefu.feedback.seed import seed_surveys
from kefu.ops.seed import seed
from kefu.tickets.models import Ticket
from kefu.tickets.states import DONE_STATUSES


def test_seeded_solved_tickets_have_surveys(db):
    seed(tickets=120, customers=10, progress=False, batch=50)
    done = Ticket.objects.filter(status__in=DONE_STATUSES, solved_at__isnull=False).count()
    assert done > 0
    assert Survey.objects.count() == done
    answered = Survey.objects.filter(answered_at__isnull=False)
    assert 0.3 * done < answered.count() < 0.9 * done
    assert not answered.filter(score__isnull=True).exists()
    first = list(Survey.objects.order_by("ticket_id").values_list("ticket_id", "score"))
    assert seed_surveys(seed=1) == 0  # a re-run adds nothing
    Survey.objects.all().delete()
    seed_surveys(seed=1)
    assert (
        list(Survey.objects.order_by("ticket_id").values_list("ticket_id", "score")) == first
    )  # deterministic
    answered = Survey.objects.filter(answered_at__isnull=False)
    last = answered.order_by("-answered_at").values_list("answered_at", flat=True).first()
    start = answered.order_by("answered_at").values_list("answered_at", flat=True).first()
    figure = metrics.total(
        "csat",
        start=start.astimezone(metrics.local_zone()).date(),
        end=last.astimezone(metrics.local_zone()).date(),
    )
    assert figure is not None and 60 < figure < 100
