"""Signing up for the portal: the account is made only by whoever can read the mailbox.

A sign-up used to log in at once and adopt the Customer known from earlier mails, so anyone who
knew a customer's address could read the customer's whole history (FAULTS X3). Now the form asks
only for a name and an address and mails a signed link; the password is chosen on the page that
link opens, so the account and its password come from the mailbox's owner, never from the person
who typed the address. Nothing is stored before that.

The answer to the form is the same whether or not the address already has an account (FAULTS X1):
an existing owner gets a mail saying so (with a log-in and a new-password link) instead. Mails per
address are capped so the form cannot flood a mailbox.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from kefu.accounts.models import Role, User
from kefu.accounts.services import create_user
from kefu.core.automail import send_templated
from kefu.core.ratelimit import RateLimited, hit
from kefu.customers.models import Customer
from kefu.customers.services import find_or_create_customer, normalise_email

from .errors import LinkInvalid
from .services import _unique_username

log = logging.getLogger(__name__)

SIGNUP_SALT = "kefu.intake.signup"
SIGNUP_MAX_AGE = timedelta(hours=24)
SIGNUP_MAILS_PER_ADDRESS = "3/3600"


class MailNotSent(Exception):
    """The mail server refused or was unreachable; the person may simply try again."""


def signup_token(*, email: str, name: str, language: str) -> str:
    return TimestampSigner(salt=SIGNUP_SALT).sign_object({"e": email, "n": name[:100], "l": language})


def _url(name: str, **kwargs: str) -> str:
    return settings.BASE_URL.rstrip("/") + reverse(name, kwargs=kwargs or None)


def _owner(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).order_by("pk").first()


def request_sign_up(*, name: str, email: str, language: str = "zh-hans") -> None:
    """Mail the link that finishes a sign-up, or, for an address with an account, a note saying so.

    Raises MailNotSent when the mail could not leave (both kinds of mail, so this tells nothing).
    """
    email = normalise_email(email)
    try:
        hit(f"signup-mail:{email}", SIGNUP_MAILS_PER_ADDRESS)
    except RateLimited:
        log.info("sign-up mails to one address capped")
        return
    owner = _owner(email)
    if owner is not None:
        _send(
            owner.email,
            owner.language or language,
            "exists",
            {
                "name": owner.name,
                "username": owner.username,
                "login": _url("accounts:login"),
                "reset": _url("accounts:password_reset"),
            },
        )
        return
    link = _url("portal:signup_confirm", token=signup_token(email=email, name=name, language=language))
    _send(email, language, "confirm", {"name": name or email, "link": link})


def _send(to: str, language: str, kind: str, extra: dict[str, str]) -> None:
    context = {
        "company": settings.KEFU_COMPANY,
        "hotline": settings.KEFU_HOTLINE,
        "hours": int(SIGNUP_MAX_AGE.total_seconds() // 3600),
        **extra,
    }
    try:
        send_templated(to=to, language=language, template=f"intake/email/signup_{kind}", context=context)
    except Exception as exc:
        log.warning("could not send the sign-up mail (%s)", kind, exc_info=True)
        raise MailNotSent from exc


def _taken() -> LinkInvalid:
    return LinkInvalid(
        gettext("An account with this email already exists. Log in, or ask for a new password."),
        code="email_taken",
    )


def read_signup_token(token: str) -> dict[str, str]:
    """The sign-up a link stands for ({email, name, language}), or LinkInvalid (forged, expired, used)."""
    try:
        data = TimestampSigner(salt=SIGNUP_SALT).unsign_object(token or "", max_age=SIGNUP_MAX_AGE)
    except (BadSignature, SignatureExpired, ValueError):
        raise LinkInvalid(gettext("This link is not valid or has expired. Please sign up again."))
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise LinkInvalid(gettext("This link is not valid or has expired. Please sign up again."))
    if _owner(data["e"]) is not None:  # the link was used, or the address got an account meanwhile
        raise _taken()
    return {"email": data["e"], "name": str(data.get("n") or ""), "language": str(data.get("l") or "zh-hans")}


def complete_sign_up(token: str, *, password: str) -> User:
    """Make the account with the password chosen on the link's page, linked to its Customer (the one
    known from earlier mails, if any). A second use of the link, or a race, makes nothing."""
    pending = read_signup_token(token)
    try:
        return _make_account(pending, password=password)
    except IntegrityError:  # the same link used at the same moment took the username first
        raise _taken()


@transaction.atomic
def _make_account(pending: dict[str, str], *, password: str) -> User:
    user = create_user(
        username=_unique_username(pending["email"]),
        password=password,
        role=Role.CUSTOMER,
        email=pending["email"],
        display_name=pending["name"],
        language=pending["language"],
    )
    customer = find_or_create_customer(
        email=pending["email"], name=pending["name"], language=pending["language"]
    )
    # Compare-and-set: a concurrent use of the link may have linked this customer since it was read.
    if not Customer.objects.filter(pk=customer.pk, user__isnull=True).update(user=user):
        raise _taken()  # the new user rolls back with the transaction
    if User.objects.filter(email__iexact=pending["email"]).count() > 1:
        raise _taken()
    return user
