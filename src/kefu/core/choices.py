"""Showing stored codes in words."""

from __future__ import annotations

from django.db import models


def label(choices: type[models.TextChoices], value: str) -> str:
    """The label of a stored code (complaint → 投诉, in the active language); an unknown code as stored."""
    return str(choices(value).label) if value in choices.values else value
