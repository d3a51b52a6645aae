"""Mails kefu writes by itself (confirmations, password resets): rendered in the reader's language and
marked automatic, so auto-responders never answer them (RFC 3834; FAULTS E2)."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

AUTOMATIC = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def send_templated(*, to: str, language: str, template: str, context: dict[str, Any], headers=None) -> None:
    """`<template>_subject.txt` and `<template>_body.txt` rendered in `language`, sent; raises on failure."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    EmailMessage(subject=subject, body=body, to=[to], headers=headers or AUTOMATIC).send()
