"""`{{ category|topic:LANGUAGE_CODE }}`: a knowledge category named in the reader's language."""

from django import template

register = template.Library()


@register.filter
def topic(category, language: str = "") -> str:
    if category is None:
        return ""
    return category.label("en" if str(language).lower().startswith("en") else "zh-hans")
