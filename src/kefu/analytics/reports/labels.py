"""What a metric's group code means to a reader: agent 12 → 李娜, type complaint → 投诉, "" → 未分配."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Team, User
from kefu.core.choices import label
from kefu.customers.models import Tier
from kefu.tickets.models import Category, Channel, Priority, TicketType

_CHOICES = {"channel": Channel, "type": TicketType, "priority": Priority, "tier": Tier}


def _ids(groups: Iterable[str]) -> list[int]:
    return [int(g) for g in groups if str(g).isdigit()]


def group_labels(dimension: str, groups: Iterable[str]) -> dict[str, str]:
    """{group code: label in the active language}, one query per call (not per group)."""
    groups = [str(g) for g in groups]
    found: dict[str, str] = {}
    if dimension in _CHOICES:
        found = {g: label(_CHOICES[dimension], g) for g in groups if g}
    elif dimension == "target":  # an SLA target: first response, resolution…
        from kefu.sla.models import Metric as SlaTarget

        found = {g: label(SlaTarget, g) for g in groups if g}
    elif dimension == "agent":
        found = {str(u.pk): u.name for u in User.objects.filter(pk__in=_ids(groups))}
    elif dimension == "team":
        found = {
            str(pk): name for pk, name in Team.objects.filter(pk__in=_ids(groups)).values_list("pk", "name")
        }
    elif dimension == "department":
        found = {
            str(pk): name
            for pk, name in Department.objects.filter(pk__in=_ids(groups)).values_list("pk", "name")
        }
    elif dimension == "category":
        found = {
            str(c.pk): str(c) for c in Category.objects.filter(pk__in=_ids(groups)).select_related("parent")
        }
    out = {}
    for g in groups:
        if g in found:
            out[g] = found[g]
        elif not g:
            out[g] = _("Unassigned") if dimension in ("agent", "team", "department") else _("None")
        else:
            out[g] = g
    return out
