"""API authentication: bearer tokens (only their hash is stored) or the browser session."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone, translation
from ninja.security import HttpBearer, django_auth

from guanxi.core.models import ApiToken, User

TOKEN_PREFIX = "gx_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user: User, name: str = "") -> str:
    """Create an API token for a user and return its key; the key is shown only once."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=key[:10], key_hash=hash_key(key))
    return key


class TokenAuth(HttpBearer):
    """Authenticate `Authorization: Bearer <token>`."""

    def authenticate(self, request, token: str):
        api_token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(token)).first()
        if api_token is None or not api_token.user.is_active:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = api_token.user
        if api_token.user.language and not request.headers.get("Accept-Language"):
            translation.activate(api_token.user.language)
        return api_token.user


AUTH = [TokenAuth(), django_auth]
