"""Template tags of the plan page's actions and suggestions sections, and the plans list's overdue
badges (one query for the whole list)."""

from __future__ import annotations

from typing import Any

from django import template

from kefu.plans import actions
from kefu.plans.views_actions import section_context

register = template.Library()


@register.inclusion_tag("plans/_actions.html", takes_context=True)
def plan_actions_section(context: template.Context, plan: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        **section_context(plan, request.user),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.simple_tag
def plan_overdue_counts(plans: Any) -> dict[int, int]:
    return actions.overdue_counts([p.pk for p in plans])


@register.filter
def of(counts: dict[int, int], key: int) -> int:
    return counts.get(key, 0)
