"""REST endpoints of the sla app (mounted at /api/sla/ in kefu/api.py): a ticket's SLA timers."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kefu.core.errors import NotFound
from kefu.tickets import selectors as ticket_selectors

from . import selectors

router = Router(tags=["sla"])


class TimerOut(Schema):
    metric: str
    state: str = Field(description="running, paused, met, breached")
    business_time: bool = Field(description="Counted in the calendar's working hours")
    target_seconds: int
    started_at: datetime
    due_at: datetime | None
    remaining_seconds: int = Field(description="Time left in the timer's measure; negative when overdue")
    text: str = Field(description='What the ticket page shows, e.g. "剩余 35 分钟"')


@router.get("/tickets/{ticket_id}/timers", response={200: list[TimerOut]}, summary="SLA timers of a ticket")
def ticket_timers(request: HttpRequest, ticket_id: int):
    user = request.auth
    if not getattr(user, "is_agent", False):
        raise NotFound("Not found.")
    ticket = ticket_selectors.access_ticket(user, ticket_id)
    return [
        TimerOut(
            metric=v.timer.metric,
            state=v.timer.state,
            business_time=v.timer.business_time,
            target_seconds=v.timer.target_seconds,
            started_at=v.timer.started_at,
            due_at=v.due_at,
            remaining_seconds=int(v.left.total_seconds()),
            text=v.text,
        )
        for v in selectors.ticket_timers(ticket.pk)
    ]
