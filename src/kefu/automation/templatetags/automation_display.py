"""Template filters for the automation lists: `{{ action|action_label }}`, `{{ rule.minutes|duration }}`."""

from django import template

from kefu.automation import display

register = template.Library()
register.filter("action_label", display.action_label)
register.filter("duration", display.duration)
