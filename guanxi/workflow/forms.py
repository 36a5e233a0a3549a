"""Form parts the workflow screens share: the condition tree field and its editor."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from guanxi.workflow import conditions


class ConditionsWidget(forms.Widget):
    """Edit a condition tree: groups of field / comparison / value rows (all or any).

    The page gets the entity's fields as JSON and builds the rows; what is posted is the
    tree as JSON in one hidden input, so a browser without the script still round-trips.
    """

    template_name = "workflow/widgets/conditions.html"

    def __init__(self, entity_name: str = "", attrs=None):
        super().__init__(attrs)
        self.entity_name = entity_name

    def format_value(self, value: Any) -> str:
        if value in (None, ""):
            return json.dumps({"match": "all", "rules": []})
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["fields_json"] = (
            json.dumps(conditions.editor_fields(self.entity_name), ensure_ascii=False)
            if self.entity_name
            else "[]"
        )
        return context


class ConditionsField(forms.Field):
    """A condition tree on an entity's records, validated with `conditions.validate`.

    Set `entity_name` when the form is built (a rule's entity may come from the form
    itself, in which case the form calls `set_entity` before validation).
    """

    widget = ConditionsWidget
    default_error_messages = {"invalid": _("The conditions are not valid.")}

    def __init__(self, *, entity_name: str = "", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.set_entity(entity_name)

    def set_entity(self, entity_name: str) -> None:
        self.entity_name = entity_name
        self.widget.entity_name = entity_name

    def to_python(self, value: Any) -> dict[str, Any]:
        if value in (None, ""):
            return {"match": "all", "rules": []}
        if isinstance(value, dict):
            return value
        try:
            parsed = json.loads(value)
        except (TypeError, ValueError) as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        if not isinstance(parsed, dict):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def validate(self, value: dict[str, Any]) -> None:
        super().validate(value)

    def clean(self, value: Any) -> dict[str, Any]:
        tree = self.to_python(value)
        if not self.entity_name:
            return tree
        cleaned, errors = conditions.validate(self.entity_name, tree)
        if errors:
            raise ValidationError(errors, code="invalid")
        return cleaned
