"""Form widgets shared by all apps."""

from django import forms
from django.urls import reverse


class AutocompleteSelect(forms.Select):
    """Render a foreign-key select holding only the chosen option; options load as you type.

    A select over a million customers cannot list them all; the page's script turns this
    into a search box that asks the entity's autocomplete endpoint, which is scoped.
    """

    def __init__(self, *, entity: str, attrs=None, choices=()):
        super().__init__(attrs=attrs, choices=choices)
        self.entity = entity

    def get_context(self, name, value, attrs):
        attrs = {
            **(attrs or {}),
            "data-autocomplete": reverse("web:autocomplete", args=[self.entity]),
        }
        return super().get_context(name, value, attrs)

    def optgroups(self, name, value, attrs=None):
        selected = {str(item) for item in value if item not in (None, "")}
        groups = []
        if not selected:
            groups.append((None, [self.create_option(name, "", "---------", False, 0)], 0))
            return groups
        queryset = self.choices.queryset.filter(pk__in=selected)
        options = [
            self.create_option(name, str(record.pk), str(record), True, index)
            for index, record in enumerate(queryset)
        ]
        groups.append((None, options, 0))
        return groups


class AutocompleteSelectMultiple(AutocompleteSelect, forms.SelectMultiple):
    """Render a many-to-many select holding only the chosen options; more load as you type."""

    allow_multiple_selected = True
