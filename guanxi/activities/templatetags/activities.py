"""Template tags of activities."""

from django import template
from django.utils.text import capfirst

from guanxi.activities import links
from guanxi.core import registry

register = template.Library()


@register.simple_tag
def linked_record(activity, user):
    """Return {label, url} of the record an activity is linked to, as the user may see it."""
    entity = registry.find(activity.link_entity or "")
    if entity is None or not activity.link_id:
        return None
    record = links.linked_record(entity.name, activity.link_id, user)
    if record is None:
        return {"label": f"{capfirst(entity.verbose_name)} #{activity.link_id}", "url": ""}
    return {
        "label": f"{capfirst(entity.verbose_name)}: {record}",
        "url": f"/{entity.plural}/{record.pk}/",
    }


@register.simple_tag
def can_send_messages(user) -> bool:
    """Tell whether a user may send email and SMS from records (sending logs an activity)."""
    from guanxi.core.choices import Action
    from guanxi.core.permissions import can

    return can(user, "activity", Action.CREATE)
