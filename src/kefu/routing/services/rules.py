"""Supervisor-edited rules: keyword triage rules and assignment rules, validated at save."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.accounts.models import Department, Role, Skill, Team, User
from kefu.customers.models import Tier
from kefu.routing.errors import RuleInvalid
from kefu.routing.models import AssignmentRule, KeywordRule, RoutingSettings, TriageField
from kefu.tickets.models import Category, Channel, Priority, TicketType

FIELDS = tuple(TriageField.values)


def _require_supervisor(by: User) -> None:
    from kefu.core.errors import PermissionDenied

    if not (by.is_active and by.role in (Role.SUPERVISOR, Role.ADMIN)):
        raise PermissionDenied(_("Only supervisors and administrators can change routing rules."))


def check_value(field: str, value: str) -> str:
    """The stored form of `value` for `field`, or RuleInvalid saying why it is not one."""
    value = (value or "").strip()
    if field not in FIELDS:
        raise RuleInvalid(
            _("Unknown field %(f)s; use one of: %(all)s.") % {"f": field or "-", "all": ", ".join(FIELDS)},
            field="field",
        )
    if not value:
        raise RuleInvalid(_("Give the value to set."), field="value")
    if field == "type":
        by_label = {str(label): key for key, label in TicketType.choices}
        value = by_label.get(value, value)
        if value not in TicketType.values:
            raise RuleInvalid(
                _("Unknown ticket type %(v)s; use one of: %(all)s.")
                % {"v": value, "all": ", ".join(TicketType.values)},
                field="value",
            )
    elif field == "priority":
        by_label = {str(label): key for key, label in Priority.choices}
        value = by_label.get(value, value)
        if value not in Priority.values:
            raise RuleInvalid(
                _("Unknown priority %(v)s; use one of: %(all)s.")
                % {"v": value, "all": ", ".join(Priority.values)},
                field="value",
            )
    else:
        table = {"category": Category, "team": Team, "department": Department}[field]
        if not table.objects.filter(name=value).exists():
            raise RuleInvalid(
                _("There is no %(what)s named %(v)s.") % {"what": table._meta.verbose_name, "v": value},
                field="value",
            )
    return value


def validate_keyword_rule(*, keywords: str, field: str, value: str) -> tuple[str, str]:
    words = [k for k in (keywords or "").replace("，", ",").replace(",", " ").split() if k]
    if not words:
        raise RuleInvalid(_("Give at least one keyword."), field="keywords")
    if any(len(w) > 100 for w in words):
        raise RuleInvalid(_("A keyword is longer than 100 characters."), field="keywords")
    return ", ".join(words)[:500], check_value(field, value)


@transaction.atomic
def save_keyword_rule(
    *,
    by: User,
    keywords: str,
    field: str,
    value: str,
    position: int = 100,
    is_active: bool = True,
    rule: KeywordRule | None = None,
) -> KeywordRule:
    _require_supervisor(by)
    keywords, value = validate_keyword_rule(keywords=keywords, field=field, value=value)
    rule = rule or KeywordRule()
    rule.keywords, rule.field, rule.value = keywords, field, value
    rule.position, rule.is_active = position, is_active
    rule.save()
    return rule


@transaction.atomic
def delete_rule(rule: KeywordRule | AssignmentRule, *, by: User) -> None:
    _require_supervisor(by)
    rule.delete()


CONDITIONS: dict[str, list[str]] = {
    "channel": list(Channel.values),
    "type": list(TicketType.values),
    "priority": list(Priority.values),
    "tier": list(Tier.values),
}


@transaction.atomic
def save_assignment_rule(
    *,
    by: User,
    name: str,
    position: int = 100,
    is_active: bool = True,
    conditions: dict[str, str] | None = None,
    team: Team | None = None,
    skill: Skill | None = None,
    language: str = "",
    senior_only: bool = False,
    rule: AssignmentRule | None = None,
) -> AssignmentRule:
    """Conditions: channel, type, priority, tier, keyword (blank = any). Unknown field or value → RuleInvalid."""
    _require_supervisor(by)
    name = (name or "").strip()
    if not name:
        raise RuleInvalid(_("Give the rule a name."), field="name")
    conditions = {k: (v or "").strip() for k, v in (conditions or {}).items()}
    for key, val in conditions.items():
        if key == "keyword":
            if len(val) > 100:
                raise RuleInvalid(_("The keyword is longer than 100 characters."), field="keyword")
            continue
        if key not in CONDITIONS:
            raise RuleInvalid(
                _("Unknown condition field %(f)s; use one of: %(all)s.")
                % {"f": key, "all": ", ".join([*CONDITIONS, "keyword"])},
                field=key,
            )
        if val and val not in CONDITIONS[key]:
            raise RuleInvalid(
                _("%(v)s is not a valid %(f)s; use one of: %(all)s.")
                % {"v": val, "f": key, "all": ", ".join(CONDITIONS[key])},
                field=key,
            )
    if team is None and skill is None and not language and not senior_only:
        raise RuleInvalid(_("A rule must choose a team, a skill, a language or senior agents."), field="team")
    rule = rule or AssignmentRule()
    rule.name, rule.position, rule.is_active = name[:100], position, is_active
    for key in (*CONDITIONS, "keyword"):
        setattr(rule, key, conditions.get(key, getattr(rule, key, "") if rule.pk else ""))
    rule.team, rule.skill, rule.language, rule.senior_only = team, skill, language[:10], senior_only
    rule.save()
    return rule


def get_settings() -> RoutingSettings:
    row = RoutingSettings.objects.order_by("pk").first()
    if row is None:
        row, _created = RoutingSettings.objects.get_or_create(pk=1)
    return row


@transaction.atomic
def update_settings(*, by: User, **values: Any) -> RoutingSettings:
    _require_supervisor(by)
    row = get_settings()
    threshold = values.get("threshold", row.threshold)
    if not 0 <= float(threshold) <= 1:
        raise RuleInvalid(_("The threshold is a probability between 0 and 1."), field="threshold")
    for key in ("threshold", "daily_cap", "chat_cap", "first_contact_days", "auto_assign"):
        if key in values:
            setattr(row, key, values[key])
    row.save()
    return row
