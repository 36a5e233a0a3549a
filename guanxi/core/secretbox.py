"""Secrets kept at rest (a mailbox password): encrypted with a key derived from SECRET_KEY.

Fernet (AES-128-CBC with an HMAC-SHA256 tag, from the audited `cryptography` package)
both hides and authenticates the value: a token altered in the database, or sealed under
another SECRET_KEY, does not open. Changing SECRET_KEY therefore means entering such
passwords again; `SecretUnreadable` says so.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac

PURPOSE = "guanxi.core.secretbox"


class SecretUnreadable(Exception):
    """Raised when a stored secret was sealed under another key or was altered."""


def _fernet() -> Fernet:
    digest = salted_hmac(
        PURPOSE, "fernet-key", secret=settings.SECRET_KEY, algorithm="sha256"
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(value: str) -> str:
    """Return a token that holds `value` encrypted and authenticated ("" stays "")."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode()).decode("ascii")


def unseal(token: str) -> str:
    """Return the value a token from `seal` holds; raise SecretUnreadable if it cannot."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable from error
