"""Which opportunity fields a stage may require before a deal enters it, and the check."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from guanxi.core import customfields

# Fields of the opportunity a stage may require, besides its custom fields.
REQUIRABLE_FIELDS = (
    "amount",
    "expected_close",
    "source",
    "next_step",
    "partner",
    "description",
    "close_note",
)
# Requirements that are not fields: at least one contact, at least one product line.
RELATED_REQUIREMENTS = ("contacts", "lines")


def requirable_choices() -> list[tuple[str, str]]:
    """Return (key, label) of everything a stage may require, custom fields included."""
    from guanxi.sales.models import Opportunity

    meta = Opportunity._meta
    choices = [(name, str(meta.get_field(name).verbose_name)) for name in REQUIRABLE_FIELDS]
    choices += [("contacts", _("Contacts")), ("lines", _("Product lines"))]
    choices += [
        (f"custom.{definition.key}", str(definition.label))
        for definition in customfields.definitions("opportunity")
    ]
    return choices


def requirable_keys() -> list[str]:
    return [key for key, _label in requirable_choices()]


def _blank(value) -> bool:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return value == 0
    return value is None or value == "" or value == [] or value is False


def missing_fields(opportunity, stage) -> list[str]:
    """Return the labels of the fields the stage requires that the deal leaves empty."""
    labels = dict(requirable_choices())
    missing = []
    for key in stage.required_fields or []:
        if key == "contacts":
            empty = opportunity.pk is None or not opportunity.contact_roles.exists()
        elif key == "lines":
            empty = opportunity.pk is None or not opportunity.lines.exists()
        elif key.startswith("custom."):
            empty = _blank((opportunity.custom or {}).get(key[len("custom.") :]))
        else:
            empty = _blank(getattr(opportunity, f"{key}_id", getattr(opportunity, key, None)))
        if empty:
            missing.append(labels.get(key, key))
    return missing


def missing_message(stage, missing: list[str]) -> str:
    """Say, in the user's language, which fields to fill before entering the stage."""
    chinese = (get_language() or "").startswith("zh")
    return _("Fill in %(fields)s before moving the deal to “%(stage)s”.") % {
        "fields": ("、" if chinese else ", ").join(missing),
        "stage": stage.name,
    }
