"""Masking of personal data (CUS-10) for users whose roles must not see it.

A role may be set to mask personal data. A user all of whose roles mask it sees phone
numbers as 138****1234, emails as z***@example.com and ID numbers as 110***********1234 —
on list and detail screens, in search, in the API and in exports. Entities name their
personal fields in the registry (`personal_fields`); `display`, the API serialiser and the
export all pass through `shown` here, so no screen can forget it.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "****"


def masks_personal_data(user) -> bool:
    """Tell whether the user sees personal data masked: every one of their roles masks it."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    cached = getattr(user, "_guanxi_masks", None)
    if cached is None:
        flags = list(user.roles.values_list("mask_personal_data", flat=True))
        cached = bool(flags) and all(flags)
        user._guanxi_masks = cached
    return cached


def mask_phone(value: str) -> str:
    """Return 138****1234 for 13812341234 or +86 138 1234 1234; +44 207****0877 abroad."""
    text = str(value).strip()
    prefix = ""
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        if digits.startswith("86"):
            digits = digits[2:]
        else:
            prefix, digits = "+" + digits[:2] + " ", digits[2:]
    if len(digits) >= 7:
        return prefix + digits[:3] + MASK + digits[-4:]
    if len(digits) > 2:
        return prefix + "*" * (len(digits) - 2) + digits[-2:]
    return prefix + MASK


def mask_email(value: str) -> str:
    """Return z***@example.com for zhang@example.com."""
    local, at, domain = str(value).partition("@")
    if not at:
        return mask_text(value)
    return f"{local[:1]}***@{domain}"


def mask_id_number(value: str) -> str:
    """Return 110***********1234 for an 18-character resident ID number."""
    text = str(value).strip()
    if len(text) <= 7:
        return MASK
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_text(value: str) -> str:
    text = str(value).strip()
    return f"{text[:1]}***" if text else ""


MASKERS = {
    "phone": mask_phone,
    "email": mask_email,
    "id_number": mask_id_number,
    "text": mask_text,
}


def mask_value(kind: str, value: Any) -> Any:
    """Return the masked form of a value; empty values stay empty."""
    if value is None or value == "":
        return value
    return MASKERS.get(kind, mask_text)(value)


def shown(entity, key: str, value: Any, mask: bool) -> Any:
    """Return a field's value as this user may see it: masked when it is personal data."""
    if not mask:
        return value
    kind = entity.personal_fields.get(key)
    return value if kind is None else mask_value(kind, value)


def restore_masked(entity, data, instance) -> Any:
    """Return form data where an untouched masked value is put back to the stored one.

    A masking user's edit form shows 138****1234; saving it unchanged must keep the real
    number rather than overwrite it with the mask.
    """
    if instance is None or instance.pk is None or data is None:
        return data
    data = data.copy()
    for key, kind in entity.personal_fields.items():
        original = getattr(instance, key, None)
        if original in (None, ""):
            continue
        if key in data and data.get(key) == mask_value(kind, original):
            data[key] = original
    return data
