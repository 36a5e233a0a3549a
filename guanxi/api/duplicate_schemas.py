"""Schemas and helpers of the duplicate check and merge in the API (CUS-5)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Schema

from guanxi.api.errors import ApiError
from guanxi.core import dedupe
from guanxi.core.choices import Action
from guanxi.core.permissions import can
from guanxi.core.registry import Entity


class DuplicateOut(Schema):
    id: int
    name: str
    score: float
    reasons: list[str]


class DuplicateConflict(Schema):
    detail: str
    errors: dict[str, list[str]]
    duplicates: list[DuplicateOut]
    hidden_duplicates: int


class MergeIn(Schema):
    duplicates: list[int]
    fields: dict[str, int] = {}
    version: int | None = None


def check_duplicates(request, entity: Entity, form, allow_duplicate: bool, record=None) -> None:
    """Refuse a write that looks like existing records: 409 with the ones the user may see.

    `allow_duplicate=true` saves anyway, for users with the "save duplicates" permission.
    """
    if entity.duplicates is None:
        return
    if allow_duplicate:
        if not can(request.auth, entity.name, Action.SAVE_DUPLICATE):
            raise ApiError(403, _("You are not allowed to save duplicates."))
        return
    if record is not None:
        sources = {source for rule in entity.duplicates.fields for source in rule.sources}
        if not sources & set(form.changed_data):
            return
    check = dedupe.duplicate_check(
        entity.name, form.cleaned_data, user=request.auth, exclude_pk=getattr(record, "pk", None)
    )
    if not check:
        return
    raise ApiError(
        409,
        _("This looks like a record that already exists. Send allow_duplicate=true to save it."),
        extra={
            "duplicates": [
                {
                    "id": match.record.pk,
                    "name": str(match.record),
                    "score": match.score,
                    "reasons": match.reasons,
                }
                for match in check.matches
            ],
            "hidden_duplicates": check.hidden,
        },
    )
