"""Use cases of accounts: tokens, users."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.core.clock import now

from .errors import TokenInvalid
from .models import AccessSettings, ApiToken, Role, User

TOKEN_PREFIX = "kf_"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_api_token(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns it and the secret, which is never stored and shown only now."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[:10], token_hash=hash_token(secret), expires_at=expires_at
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
    if token.expires_at is not None and token.expires_at <= current:
        raise TokenInvalid(_("The API token has expired."))
    if token.last_used_at is None or (current - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=current)
    return token.user


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
