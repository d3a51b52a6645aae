"""Helpers of the automation tests: run event handlers after commit like the real worker does."""

from __future__ import annotations

import pytest

from kefu.tickets import services as tickets


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit(): ...` runs the after-commit handlers (triggers) of what happens inside."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def ticket_for(make_ticket, on_commit):
    """Open a ticket through intake with the triggers reacting to it."""

    def make(customer, **kw):
        with on_commit():
            ticket = make_ticket(customer, **kw)
        ticket.refresh_from_db()
        return ticket

    return make


def set_status(ticket, status, by):
    return tickets.change_status(ticket, to=status, by=by)
