"""Activities on timelines: a record's own and, for customers, all those with the customer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.activities import richtext
from guanxi.activities.queries import activities_of
from guanxi.core import registry
from guanxi.core.timeline import TimelineItem, TimelineSource


def activity_item(activity) -> TimelineItem:
    status = "" if activity.status == "planned" else f" · {activity.get_status_display()}"
    outcome = f" · {activity.get_outcome_display()}" if activity.outcome else ""
    return TimelineItem(
        at=activity.occurs_at,
        kind="activity",
        title=_("%(kind)s: %(subject)s%(status)s%(outcome)s")
        % {
            "kind": activity.get_kind_display(),
            "subject": activity.subject,
            "status": status,
            "outcome": outcome,
        },
        body=richtext.plain_text(activity.description),
        actor_id=activity.owner_id,
        actor_name=str(activity.owner) if activity.owner_id else "",
        url=f"/activities/{activity.pk}/",
        action=activity.kind,
    )


def record_activities(record, user, before, limit):
    entity = registry.for_model(type(record))
    queryset = activities_of(entity.name, record, user)
    if before is not None:
        queryset = queryset.filter(occurs_at__lt=before)
    return [activity_item(activity) for activity in queryset[:limit]]


SOURCE = TimelineSource(
    kind="activity",
    label=gettext_lazy("Activities"),
    icon="calendar-event",
    items=record_activities,
)
