"""The API's error shape: {"detail": ..., "errors": {field: [messages]}} with a 4xx code."""

from __future__ import annotations

from django.utils.translation import gettext as _


class ApiError(Exception):
    """Raised by endpoints to answer with a documented error."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}
        self.extra = extra or {}


def form_errors(form) -> dict[str, list[str]]:
    """Return a form's errors keyed by API field names (custom fields as custom.<key>)."""
    errors: dict[str, list[str]] = {}
    for name, messages in form.errors.items():
        key = "__all__" if name == "__all__" else name
        if key.startswith("custom_"):
            key = "custom." + key[len("custom_") :]
        errors[key] = [str(message) for message in messages]
    return errors


def invalid(form) -> ApiError:
    return ApiError(400, _("The data is not valid."), form_errors(form))


def body(detail: str, errors: dict | None = None) -> dict:
    return {"detail": detail, "errors": errors or {}}
