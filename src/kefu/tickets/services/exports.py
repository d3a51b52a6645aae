"""The ticket list taken out of kefu as CSV or Excel: the queue's own filters, in the reader's language.

Every export is written to the audit log first (who, which filters, how many rows; FAULTS D3), and
every text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR or LF first, also
after invisible characters, full-width forms) is prefixed with an apostrophe by
`kefu.core.exports.safe_cell`, shared with every other export (analytics' metrics and reports).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import SEES_ALL_ROLES, User
from kefu.accounts.services import record_audit
from kefu.core.errors import PermissionDenied, ValidationFailed
from kefu.core.exports import safe_cell
from kefu.tickets.selectors import TicketFilters, filter_tickets

EXPORT_MAX_ROWS = 100_000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS = (
    gettext_lazy("Ticket"),
    gettext_lazy("Subject"),
    gettext_lazy("Customer"),
    gettext_lazy("Email"),
    gettext_lazy("Customer tier"),
    gettext_lazy("Status"),
    gettext_lazy("Priority"),
    gettext_lazy("Type"),
    gettext_lazy("Channel"),
    gettext_lazy("Category"),
    gettext_lazy("Team"),
    gettext_lazy("Assignee"),
    gettext_lazy("First-contact owner"),
    gettext_lazy("Tags"),
    gettext_lazy("Created"),
    gettext_lazy("First response"),
    gettext_lazy("Solved"),
    gettext_lazy("Updated"),
)


def can_export(user: User) -> bool:
    # A list with every customer's address is a bulk copy of personal data: supervisors, QA and admins.
    return user.is_authenticated and user.role in SEES_ALL_ROLES


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _rows(user: User, filters: TicketFilters) -> Iterator[list[str]]:
    tickets = (
        filter_tickets(user, filters)
        .select_related("customer", "category", "team", "assignee", "first_contact_owner")
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )
    for ticket in tickets.iterator(chunk_size=2000):
        customer = ticket.customer
        yield [
            safe_cell(value)
            for value in (
                ticket.number,
                ticket.subject,
                customer.name,
                customer.email,
                customer.get_tier_display(),
                ticket.get_status_display(),
                ticket.get_priority_display(),
                ticket.get_type_display(),
                ticket.get_channel_display(),
                ticket.category.name if ticket.category else "",
                ticket.team.name if ticket.team else "",
                ticket.assignee.name if ticket.assignee else "",
                ticket.first_contact_owner.name if ticket.first_contact_owner else "",
                ", ".join(sorted(tag.name for tag in ticket.tags.all())),
                _when(ticket.created_at),
                _when(ticket.first_response_at),
                _when(ticket.solved_at),
                _when(ticket.updated_at),
            )
        ]


def _csv(rows: Iterator[list[str]]) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 without mangling Chinese only with the BOM
    writer = csv.writer(out)
    writer.writerow([str(c) for c in COLUMNS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx(rows: Iterator[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tickets"))
    sheet.append([str(c) for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_tickets(user: User, filters: TicketFilters, *, fmt: str, ip: str = "") -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the tickets `user` sees under `filters`."""
    if not can_export(user):
        raise PermissionDenied(_("Only supervisors, QA reviewers and administrators may export tickets."))
    if fmt not in FORMATS:
        raise ValidationFailed(_("Unknown export format: %(value)s.") % {"value": fmt[:10]}, field="format")
    count = filter_tickets(user, filters).count()
    if count > EXPORT_MAX_ROWS:
        raise ValidationFailed(
            _(
                "%(count)d tickets match; an export holds at most %(max)d. Narrow the filters (a status, a team, a period)."
            )
            % {"count": count, "max": EXPORT_MAX_ROWS},
            field="view",
        )
    chosen = {name: value for name, value in asdict(filters).items() if value not in ("", None)}
    record_audit(
        actor=user,
        action="tickets.export",
        summary=_("Ticket export (%(format)s): %(filters)s")
        % {"format": fmt.upper(), "filters": ", ".join(f"{k}={v}" for k, v in chosen.items())},
        row_count=count,
        detail={"format": fmt, "filters": chosen},
        ip=ip,
    )
    body = (_csv if fmt == "csv" else _xlsx)(_rows(user, filters))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"kefu-tickets-{stamp}.{fmt}", FORMATS[fmt], body
