"""The ticket figures of the metric registry (core.metrics): volume, response times, work.

Registered by TicketsConfig.ready(); read them by key (`metrics.compute("tickets_created", …)`),
never by importing this package from another app. Each metric's `formula` says in words what
its `rows` compute in SQL; the modules say how (volume.py, responses.py, work.py, business.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kefu.core import metrics
from kefu.core.metrics import Metric

from . import business, responses, volume, work
from .common import TICKET_DIMENSIONS

APP = "tickets"


def definitions() -> list[Metric]:
    return [
        Metric(
            key="tickets_created",
            name=_("Tickets created"),
            description=_("New tickets that arrived, on every channel."),
            unit="count",
            direction="higher",
            aggregate="count",
            formula=_(
                "Number of tickets whose creation time falls on the day (local time). Tickets later "
                "merged into another count too: they arrived."
            ),
            rows=volume.created_rows,
            drill=volume.created_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
            day_of="created",
        ),
        Metric(
            key="tickets_solved",
            name=_("Tickets solved"),
            description=_("Tickets that were solved or closed."),
            unit="count",
            direction="higher",
            aggregate="count",
            formula=_(
                "Number of distinct tickets with a status change from new, open, pending or on hold "
                "to solved or closed on the day. A ticket solved, reopened and solved again on "
                "another day counts on both days; a merge is not a solve."
            ),
            rows=volume.solved_rows,
            drill=volume.solved_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="backlog",
            name=_("Backlog"),
            description=_("Unsolved tickets (new, open, pending or on hold) at the end of the day."),
            unit="count",
            direction="lower",
            aggregate="stock",
            formula=_(
                "Tickets open at the end of the day = tickets created up to then − changes to solved "
                "or closed + reopenings − duplicates merged while open. Pending and on-hold tickets "
                "are part of it. Cut by age: whole days since the ticket was created (0, 1–2, 3–6, "
                "7–29, 30 or more)."
            ),
            rows=volume.backlog_rows,
            drill=volume.backlog_drill,
            dimensions=volume.BACKLOG_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="backlog_aged",
            name=_("Aged backlog"),
            description=_("Unsolved tickets created three or more days before the end of the day."),
            unit="count",
            direction="lower",
            aggregate="stock",
            formula=_(
                "The backlog at the end of the day, counting only tickets created three or more "
                "whole days earlier (age buckets 3–6, 7–29, 30 days or more)."
            ),
            rows=volume.backlog_aged_rows,
            drill=volume.backlog_aged_drill,
            dimensions=volume.BACKLOG_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="first_response_minutes",
            name=_("First response time"),
            description=_("Average time from a ticket's arrival to the first reply a person wrote."),
            unit="minutes",
            direction="lower",
            aggregate="mean",
            formula=_(
                "Σ (first reply − creation) in calendar minutes ÷ number of tickets first answered on "
                "the day. Automatic receipts do not count as a reply. Agent: who gave the first reply."
            ),
            rows=responses.first_response_rows,
            drill=responses.first_response_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
            target=20.0,
        ),
        Metric(
            key="first_response_business_minutes",
            name=_("First response time (business hours)"),
            description=_("Average working time from a ticket's arrival to its first reply."),
            unit="minutes",
            direction="lower",
            aggregate="mean",
            formula=_(
                "Σ working minutes between creation and the first reply, on the business calendar of "
                "the ticket's team (holidays and make-up workdays included), ÷ number of tickets "
                "first answered on the day."
            ),
            rows=responses.first_response_business_rows,
            drill=responses.first_response_business_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="next_response_minutes",
            name=_("Next response time"),
            description=_(
                "Average time from a customer's message to the next reply, after the first response."
            ),
            unit="minutes",
            direction="lower",
            aggregate="mean",
            formula=_(
                "For each customer message that follows a reply (the first message of the customer's "
                "turn): next reply by a person − the message, in calendar minutes; Σ ÷ number of such "
                "messages answered on the day. Automatic mail from the customer (out of office) does "
                "not count. Agent: who replied."
            ),
            rows=responses.next_response_rows,
            drill=responses.next_response_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="resolution_hours",
            name=_("Resolution time"),
            description=_("Average time from a ticket's arrival to its solution."),
            unit="hours",
            direction="lower",
            aggregate="mean",
            formula=_(
                "Σ (solve − creation) in calendar hours ÷ number of solves on the day. A reopened "
                "ticket solved again counts again, from its creation; time pending or on hold is "
                "included."
            ),
            rows=responses.resolution_rows,
            drill=responses.resolution_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="handling_minutes",
            name=_("Average handling time"),
            description=_("Agents' working time per ticket, measured from the event log."),
            unit="minutes",
            direction="lower",
            aggregate="mean",
            formula=_(
                "Each reply or internal note written by a person counts the time since the ticket's "
                "previous event, at most 10 minutes; Σ ÷ number of tickets replied to or noted on the "
                "day. Agent: who wrote."
            ),
            rows=work.handling_rows,
            drill=work.handling_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
            target=3.0,
        ),
        Metric(
            key="fcr_rate",
            name=_("First-contact resolution"),
            description=_("Share of tickets solved at the first contact."),
            unit="percent",
            direction="higher",
            aggregate="ratio",
            formula=_(
                "Tickets solved for the first time on the day with exactly one reply by a person, "
                "never handed to a second agent (at most one assignment) and not reopened within 7 "
                "days ÷ tickets solved for the first time on the day. The last 7 days are provisional."
            ),
            rows=work.fcr_rows,
            drill=work.fcr_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="reopen_rate",
            name=_("Reopen rate"),
            description=_("Share of solved tickets that were reopened within 7 days."),
            unit="percent",
            direction="lower",
            aggregate="ratio",
            formula=_(
                "Solves on the day followed by a reopening of the ticket within 7 days ÷ solves on "
                "the day. The last 7 days are provisional."
            ),
            rows=work.reopen_rows,
            drill=work.reopen_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
        Metric(
            key="tickets_per_agent_day",
            name=_("Tickets per agent per day"),
            description=_("How many tickets an agent answers in a working day."),
            unit="count",
            direction="higher",
            aggregate="mean",
            formula=_(
                "Σ over agents of the distinct tickets each replied to on the day ÷ number of agents "
                "who replied that day (an agent-day counts when the agent wrote at least one reply)."
            ),
            rows=work.per_agent_rows,
            drill=work.per_agent_drill,
            dimensions=TICKET_DIMENSIONS,
            app=APP,
        ),
    ]


def register_all() -> None:
    for metric in definitions():
        metrics.register(metric)


__all__ = ["business", "definitions", "register_all"]
