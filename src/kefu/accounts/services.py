"""Use cases of accounts: tokens, users."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from kefu.core.clock import now

from .errors import TokenInvalid
from .models import SYSTEM_USERNAME, AccessSettings, ApiToken, AuditEntry, Notification, Role, User

TOKEN_PREFIX = "kf_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns it and the secret, which is never stored and shown only now."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=secret[:10],
        token_hash=hash_token(secret),
        expires_at=expires_at,
        auth_hash=User.objects.get(
            pk=user.pk
        ).get_session_auth_hash(),  # the stored password, not a stale copy
    )
    return token, secret


def revoke_api_token(token: ApiToken, *, by: User) -> ApiToken:
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now())
        token.refresh_from_db()
    return token


def authenticate_token(secret: str) -> User:
    """The active user behind a token, or TokenInvalid (expired, revoked, unknown, user disabled)."""
    token = (
        ApiToken.objects.select_related("user").filter(token_hash=hash_token(secret or "")).first()
        if secret
        else None
    )
    current = now()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise TokenInvalid(_("Invalid or revoked API token."))
    if token.auth_hash and not constant_time_compare(token.auth_hash, token.user.get_session_auth_hash()):
        raise TokenInvalid(_("The password was changed since this API token was made; create a new token."))
    if token.expires_at is not None and token.expires_at <= current:
        raise TokenInvalid(_("The API token has expired."))
    if token.last_used_at is None or (current - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=current)
    return token.user


def system_user() -> User:
    """The actor of automated changes (triage, SLA escalation, triggers): shown as "kefu 自动化".

    An agent role so the ticket services accept its changes; no password, so nobody logs in as it;
    left out of `list_agents`, so it is never offered or picked as an assignee.
    """
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"role": Role.AGENT, "display_name": "kefu 自动化", "email": ""}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def get_access_settings() -> AccessSettings:
    settings, _ = AccessSettings.objects.get_or_create(pk=1)
    return settings


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str | None,
    role: str = Role.CUSTOMER,
    email: str = "",
    display_name: str = "",
    language: str = "zh-hans",
) -> User:
    user = User(username=username, email=email, role=role, display_name=display_name, language=language)
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


def change_role(user: User, *, role: str, by: User) -> User:
    User.objects.filter(pk=user.pk).update(
        role=role, is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN
    )
    user.refresh_from_db()
    return user


# --------------------------------------------------------------------------- notifications


def notify(users: Iterable[User], *, kind: str, text: str, url: str = "", dedupe_key: str = "") -> int:
    """Tell people about something; returns how many new notices were written.

    With a `dedupe_key`, the same notice for the same person is written once however often it
    is sent (a task delivered twice, a sweep running on several nodes).
    """
    rows = [
        Notification(user=user, kind=kind[:40], text=text[:300], url=url[:300], dedupe_key=dedupe_key[:120])
        for user in {u.pk: u for u in users if u is not None and u.pk}.values()
    ]
    if not rows:
        return 0
    if dedupe_key:
        existing = set(
            Notification.objects.filter(
                dedupe_key=dedupe_key[:120], user__in=[r.user for r in rows]
            ).values_list("user_id", flat=True)
        )
        rows = [r for r in rows if r.user_id not in existing]
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def mark_notifications_read(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now())


def record_audit(
    *,
    actor: User | None,
    action: str,
    summary: str,
    row_count: int | None = None,
    detail: dict | None = None,
    ip: str = "",
) -> AuditEntry:
    """One append-only line of the audit log (FAULTS D3: every export, with who, what and how many)."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        summary=summary[:300],
        row_count=row_count,
        detail=detail or {},
        ip=ip or None,
    )
