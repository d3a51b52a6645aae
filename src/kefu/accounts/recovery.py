"""Use cases of getting back into an account: the "forgot password" mail and setting a new password.

The answer to "send me a reset link" is the same, in the same time, whether or not the address has
an account (FAULTS X1): the view only queues `send_password_reset`, which looks the address up and
mails in the worker. Links come from Django's token generator: bound to the user's password hash
and last login, so a link works once (the new password retires it) and for PASSWORD_RESET_TIMEOUT.
Mails per address are capped, so the form cannot be used to flood someone's mailbox.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from kefu.core.automail import send_templated
from kefu.core.ratelimit import RateLimited, hit

from .models import User

log = logging.getLogger(__name__)

# At most this many reset mails to one address per hour, however many times the form is sent.
RESET_MAILS_PER_ADDRESS = "3/3600"
# Reset requests from one client address per hour (a 429 page past it).
RESET_REQUESTS_PER_IP = "20/3600"


def request_password_reset(email: str, *, ip: str) -> None:
    """Queue the lookup and the mail; RateLimited (429 with Retry-After) when one client asks too often.

    Queued, not looked up here: the answer says nothing about whether the address has an account.
    """
    hit(f"reset-ip:{ip or 'unknown'}", RESET_REQUESTS_PER_IP)
    from . import tasks  # tasks imports this module

    try:
        tasks.send_password_reset.delay(email)
    except Exception:  # the broker is down: better a slower answer than no mail
        log.warning("queue unavailable; sending the password reset mail inline", exc_info=True)
        send_password_reset(email)


def reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)},
    )
    return settings.BASE_URL.rstrip("/") + path


def send_password_reset(email: str) -> int:
    """Mail a reset link to each active account with this address; the number of mails sent."""
    email = (email or "").strip()
    if not email:
        return 0
    try:
        hit(f"reset-mail:{email.lower()}", RESET_MAILS_PER_ADDRESS)
    except RateLimited:
        log.info("password reset mails to one address capped")
        return 0
    sent = 0
    for user in User.objects.filter(email__iexact=email, is_active=True):
        if not user.has_usable_password() and not user.is_customer:
            continue  # staff without a password sign in another way; customers may set their first one
        context = {
            "name": user.name,
            "username": user.username,
            "link": reset_link(user),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            "company": settings.KEFU_COMPANY,
            "hotline": settings.KEFU_HOTLINE,
        }
        try:
            send_templated(
                to=user.email,
                language=user.language or settings.LANGUAGE_CODE,
                template="accounts/email/reset",
                context=context,
            )
        except Exception:  # the person can ask again; nothing else depends on this mail
            log.warning("could not send the password reset mail to user %s", user.pk, exc_info=True)
            continue
        sent += 1
    return sent
