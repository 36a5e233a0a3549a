"""Placeholders in message templates: {{ account.name }}, {{ contact.name }}, {{ user.name }}.

Email and SMS templates are written with placeholders filled from the record a message is
sent from (a customer, a contact, later a deal or ticket), the person it goes to and the
user sending it. Values are read through a fixed list of keys per object, never by
evaluating the template: a template cannot reach data it was not offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_0-9]+)\s*\}\}")


@dataclass(frozen=True)
class Placeholder:
    key: str  # "account.name"
    label: Any


# object → {field: label}
FIELDS: dict[str, dict[str, Any]] = {
    "account": {
        "name": _("Customer name"),
        "number": _("Customer number"),
        "city": _("City"),
        "phone": _("Phone"),
        "email": _("Email"),
        "owner": _("Customer owner"),
    },
    "contact": {
        "name": _("Contact name"),
        "title": _("Job title"),
        "mobile": _("Mobile"),
        "email": _("Email"),
        "birthday": _("Birthday"),
    },
    "user": {
        "name": _("Your name"),
        "email": _("Your email"),
        "phone": _("Your phone"),
    },
    "today": {"date": _("Today's date")},
}


def available() -> list[Placeholder]:
    """Return every placeholder a template may use, for the template editor's help."""
    return [
        Placeholder(f"{obj}.{field}", label)
        for obj, fields in FIELDS.items()
        for field, label in fields.items()
    ]


def _value(obj: Any, field: str) -> str:
    if obj is None:
        return ""
    if field == "name" and hasattr(obj, "get_full_name") and not hasattr(obj, "account_id"):
        return getattr(obj, "display_name", "") or _user_name(obj)
    value = getattr(obj, field, "")
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _user_name(user) -> str:
    """Return a user's name as it is written: 王丽 family name first, "Li Wang" in Latin."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if re.search(r"[\u3400-\u9fff]", first + last):
        return f"{last}{first}"
    return user.get_full_name() or user.get_username()


def context_for(*, record=None, contact=None, user=None) -> dict[str, Any]:
    """Return the objects placeholders read: the record's customer, the contact, the user."""
    from guanxi.customers.models import Account, Contact

    account = None
    if isinstance(record, Account):
        account = record
    elif isinstance(record, Contact):
        contact = contact or record
    if account is None and contact is not None:
        account = contact.account
    if account is None and record is not None and getattr(record, "account_id", None):
        account = record.account
    return {"account": account, "contact": contact, "user": user, "today": None}


def render(text: str, context: dict[str, Any]) -> str:
    """Fill the placeholders of a template text; unknown ones are left out (empty)."""

    def replace(match: re.Match) -> str:
        obj, field = match.group(1), match.group(2)
        if field not in FIELDS.get(obj, {}):
            return ""
        if obj == "today":
            return date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
        return _value(context.get(obj), field)

    return PLACEHOLDER.sub(replace, text or "")


def unknown(text: str) -> list[str]:
    """Return the placeholders of a text that do not exist, to refuse the template."""
    return [
        f"{obj}.{field}"
        for obj, field in PLACEHOLDER.findall(text or "")
        if field not in FIELDS.get(obj, {})
    ]
