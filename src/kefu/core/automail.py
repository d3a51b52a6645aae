"""Mails kefu writes by itself (confirmations, password resets): rendered in the reader's language and
marked automatic, so auto-responders never answer them (RFC 3834; FAULTS E2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

AUTOMATIC = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}

# Who kefu's own mails come from: the mail app registers its service mailbox here, so a survey or
# a confirmation comes from the address customers already write to, not from DEFAULT_FROM_EMAIL.
_sender: Callable[[], str | None] | None = None


def register_sender(sender: Callable[[], str | None]) -> None:
    global _sender
    _sender = sender


def sender() -> str | None:
    """The From of kefu's own mails (None: Django's DEFAULT_FROM_EMAIL)."""
    return _sender() if _sender is not None else None


def send_templated(
    *,
    to: str | Sequence[str],
    language: str,
    template: str,
    context: dict[str, Any],
    headers=None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """`<template>_subject.txt` and `<template>_body.txt` rendered in `language`, sent as one mail to
    every address in `to`, with (filename, content, mimetype) attachments; raises on failure."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
    recipients = [to] if isinstance(to, str) else list(to)
    mail = EmailMessage(
        subject=subject, body=body, from_email=sender(), to=recipients, headers=headers or AUTOMATIC
    )
    for name, content, mimetype in attachments:
        mail.attach(name, content, mimetype)
    mail.send()
