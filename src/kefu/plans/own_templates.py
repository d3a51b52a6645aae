"""Templates users save from a plan: its kind, sections and goals without figures (metric, title,
target, direction, filters, core, weight — no baseline, no values). A saved template is listed beside
the built-in ones and used the same way (`blueprints.create_from_template`, `kefu plan create
--template my-…`): the review and the baselines are filled from the data of the new period."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.core.clock import now

from . import selectors
from .blueprints import BLUEPRINTS, Blueprint, GoalDefault
from .errors import Conflict, PermissionDenied, ValidationFailed
from .models import Plan, PlanTemplate
from .services import SECTION_FIELDS

KEY = re.compile(r"[a-z0-9][a-z0-9-]{1,49}")
PREFIX = "my-"


def _key_for(name: str, key: str) -> str:
    if key:
        key = key.strip().lower()
        if not KEY.fullmatch(key):
            raise ValidationFailed(
                _("A template key is 2–50 lower-case letters, digits and hyphens."), field="key"
            )
        if key in BLUEPRINTS or PlanTemplate.objects.filter(key=key).exists():
            raise Conflict(
                _("The template key %(key)s is taken.") % {"key": key}, field="key", code="key_taken"
            )
        return key
    base = (PREFIX + slugify(name))[:44].rstrip("-")
    if base == PREFIX.rstrip("-") or len(base) <= len(PREFIX):
        base = PREFIX + "template"
    key, n = base, 1
    while key in BLUEPRINTS or PlanTemplate.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


@transaction.atomic
def save_as_template(plan: Plan, *, name: str, by: User, key: str = "") -> PlanTemplate:
    """Keep `plan`'s kind, sections and goals (without figures) as a template named `name`."""
    if not selectors.can_read(by):
        raise PermissionDenied(_("Only staff save plan templates."))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("A template needs a name."), field="name")
    if len(name) > 200:
        raise ValidationFailed(_("A template's name is at most 200 characters."), field="name")
    goals = [
        {
            "metric": g.metric,
            "title": g.title,
            "target": g.target,
            "direction": g.direction,
            "unit": g.unit,
            "filters": g.filters,
            "core": g.core,
            "weight": g.weight,
        }
        for g in plan.goals.all()
    ]
    try:
        with transaction.atomic():
            return PlanTemplate.objects.create(
                key=_key_for(name, key),
                name=name,
                kind=plan.kind,
                sections={field: getattr(plan, field) for field in SECTION_FIELDS if getattr(plan, field)},
                goals=goals,
                created_by=by,
                created_at=now(),
            )
    except IntegrityError:
        raise Conflict(_("The template key is taken; try again."), field="key", code="key_taken") from None


def as_blueprint(template: PlanTemplate) -> Blueprint:
    goals = tuple(
        GoalDefault(
            metric=g.get("metric", ""),
            title_zh=g["title"],
            title_en=g["title"],
            target=float(g["target"]),
            core=bool(g.get("core", True)),
            weight=int(g.get("weight", 1)),
            direction="" if g.get("metric") else g.get("direction", "higher"),
            unit=g.get("unit", ""),
            filters=dict(g.get("filters") or {}),
        )
        for g in template.goals
    )
    return Blueprint(
        key=template.key,
        kind=template.kind,
        title_zh=template.name,
        title_en=template.name,
        sections_zh=dict(template.sections),
        sections_en=dict(template.sections),
        goals=goals,
    )


def find(key: str) -> Blueprint | None:
    found = PlanTemplate.objects.filter(key=key).first()
    return as_blueprint(found) if found else None


def saved() -> dict[str, Blueprint]:
    return {t.key: as_blueprint(t) for t in PlanTemplate.objects.all()}


def all_blueprints() -> dict[str, Blueprint]:
    """The built-in templates, then the saved ones."""
    return {**BLUEPRINTS, **saved()}
