"""Scorecards: saved by supervisors, refused with the reason when they cannot score (no items,
weights not adding up to 100, an item without text or with an unknown answer kind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import User

from . import access
from .errors import BadScorecard, NotFound
from .models import ItemKind, Scorecard, ScorecardItem
from .scoring import WEIGHT_TOTAL

MAX_ITEMS = 60


def _text(value: Any, *, field: str, maximum: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise BadScorecard(_("This field is required."), field=field)
    if len(text) > maximum:
        raise BadScorecard(_("At most %(n)d characters.") % {"n": maximum}, field=field)
    return text


def _weight(value: Any, *, field: str) -> int:
    try:
        weight = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadScorecard(_("A weight is a whole number from 1 to 100."), field=field) from None
    if not 1 <= weight <= WEIGHT_TOTAL:
        raise BadScorecard(_("A weight is a whole number from 1 to 100."), field=field)
    return weight


def clean_items(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Checked item dicts; BadScorecard with the reason otherwise."""
    if isinstance(items, (str, bytes, Mapping)):
        raise BadScorecard(_("Items must be a list."), field="items")
    cleaned: list[dict[str, Any]] = []
    for n, raw in enumerate(list(items)[: MAX_ITEMS + 1]):
        if not isinstance(raw, Mapping):
            raise BadScorecard(_("Items must be a list."), field="items")
        if n >= MAX_ITEMS:
            raise BadScorecard(_("At most %(n)d items.") % {"n": MAX_ITEMS}, field="items")
        kind = str(raw.get("kind") or ItemKind.YES_NO)
        if kind not in ItemKind.values:
            raise BadScorecard(
                _("Unknown answer kind. Allowed: %(allowed)s") % {"allowed": ", ".join(ItemKind.values)},
                field=f"items[{n}].kind",
            )
        item_id = raw.get("id")
        cleaned.append(
            {
                "id": int(item_id) if str(item_id or "").isdigit() else None,
                "section": _text(raw.get("section"), field=f"items[{n}].section", maximum=100),
                "text": _text(raw.get("text"), field=f"items[{n}].text", maximum=300),
                "help_text": _text(
                    raw.get("help_text"), field=f"items[{n}].help_text", maximum=500, required=False
                ),
                "weight": _weight(raw.get("weight"), field=f"items[{n}].weight"),
                "kind": kind,
                "critical": bool(raw.get("critical"))
                and str(raw.get("critical")).lower() not in ("0", "false", "off"),
            }
        )
    if not cleaned:
        raise BadScorecard(_("A scorecard needs at least one item."), field="items")
    total = sum(i["weight"] for i in cleaned)
    if total != WEIGHT_TOTAL:
        raise BadScorecard(
            _("The weights add up to %(total)d; they must add up to %(want)d.")
            % {"total": total, "want": WEIGHT_TOTAL},
            field="items",
        )
    return cleaned


def save_scorecard(
    *,
    by: User,
    name: str,
    items: Iterable[Mapping[str, Any]],
    description: str = "",
    active: bool = True,
    scorecard: Scorecard | None = None,
) -> Scorecard:
    """Create or replace a scorecard and its items (items keep their id when given it, so reviews
    already made keep their answers). Only supervisors and administrators."""
    if not access.can_manage(by):
        raise NotFound(_("Scorecard not found."))
    name = _text(name, field="name", maximum=200)
    cleaned = clean_items(items)
    try:
        with transaction.atomic():
            return _save(scorecard, name=name, description=description, active=active, items=cleaned)
    except IntegrityError:
        raise BadScorecard(_("A scorecard with this name already exists."), field="name") from None


def _save(
    scorecard: Scorecard | None, *, name: str, description: str, active: bool, items: list[dict[str, Any]]
) -> Scorecard:
    if scorecard is None:
        scorecard = Scorecard()
    scorecard.name = name
    scorecard.description = str(description or "").strip()[:2000]
    scorecard.active = bool(active)
    sections: list[str] = []
    for item in items:
        if item["section"] not in sections:
            sections.append(item["section"])
    scorecard.sections = sections
    scorecard.save()
    existing = {i.pk: i for i in scorecard.items.all()} if scorecard.pk else {}
    kept: set[int] = set()
    ordered = sorted(items, key=lambda i: sections.index(i["section"]))
    for position, item in enumerate(ordered):
        row = existing.get(item["id"]) if item["id"] else None
        if row is None:
            row = ScorecardItem(scorecard=scorecard)
        row.section, row.text, row.help_text = item["section"], item["text"], item["help_text"]
        row.weight, row.kind, row.critical, row.position = (
            item["weight"],
            item["kind"],
            item["critical"],
            position,
        )
        row.save()
        kept.add(row.pk)
    scorecard.items.exclude(pk__in=kept).delete()
    return scorecard


def default_scorecard() -> Scorecard | None:
    return Scorecard.objects.filter(active=True).order_by("pk").first()
