"""Template helpers of the generic layer."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from guanxi.core import display
from guanxi.core.queries import field_value

register = template.Library()


@register.simple_tag
def entity_url(entity, view: str, pk=None) -> str:
    """Return the URL of an entity's generic view, e.g. {% entity_url entity 'detail' pk %}."""
    args = [pk] if pk is not None else []
    return reverse(entity.url_name(view), args=args)


@register.simple_tag
def cell(entity, column, record, definitions=None):
    """Return the display text of a list cell."""
    if column.render is not None:
        return column.render(record)
    return display.record_value(entity, record, column.key, definitions)


@register.simple_tag
def value_of(entity, record, key, definitions=None, mask=False):
    """Return a field's display text on a detail page, formatted as in the list."""
    if mask and key in entity.personal_fields:
        return display.record_value(entity, record, key, definitions, mask=True)
    for column in entity.columns:
        if column.key == key and column.render is not None:
            return column.render(record)
    related = _related_entity(entity, key)
    target = getattr(record, key, None) if related else None
    if target is not None:
        return format_html(
            '<a href="{}">{}</a>', reverse(related.url_name("detail"), args=[target.pk]), target
        )
    return display.record_value(entity, record, key, definitions)


def _related_entity(entity, key):
    """Return the registered entity a foreign key points to, if any."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    from guanxi.core import registry

    try:
        field = entity.model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    if isinstance(field, models.ForeignKey):
        return registry.for_model(field.related_model)
    return None


@register.simple_tag
def label_of(entity, key, definitions=None):
    return capfirst(display.field_label(entity, key, definitions))


@register.simple_tag(takes_context=True)
def querystring_with(context, **changes) -> str:
    """Return the current query string with some parameters replaced (None removes)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def raw_field(record, key):
    return field_value(record, key)


@register.filter
def styled(bound_field):
    """Render a form field's widget with the Tabler (Bootstrap) classes it needs."""
    from django import forms

    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return bound_field.as_widget()
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return bound_field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(bound_field) -> bool:
    from django import forms

    return isinstance(bound_field.field.widget, forms.CheckboxInput)
