"""Register activities with the generic layer: list, detail, form, API, export, import."""

from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guanxi.activities import richtext, services
from guanxi.activities.choices import ActivityKind, ActivityStatus, Outcome, Priority
from guanxi.activities.forms import ActivityForm
from guanxi.activities.models import Activity
from guanxi.core import registry, search
from guanxi.core.choices import Action
from guanxi.core.dedupe.merge import record_reference
from guanxi.core.permissions import register_visibility
from guanxi.core.registry import Column, Entity, Filter

PRIORITY_COLORS = {"low": "secondary", "normal": "azure", "high": "orange", "urgent": "red"}
STATUS_COLORS = {"planned": "blue", "in_progress": "yellow", "done": "green", "cancelled": "muted"}


def activity_search_keys(activity: Activity):
    """Find an activity by its subject, from its start or from any of its words."""
    yield search.normalize(activity.subject)
    yield from (search.normalize(word) for word in activity.subject.split()[1:6])


def status_badge(activity: Activity):
    label = activity.get_status_display()
    if activity.is_overdue:
        return format_html('<span class="badge bg-red-lt">{}</span>', _("Overdue"))
    color = STATUS_COLORS.get(activity.status, "secondary")
    return format_html('<span class="badge bg-{}-lt">{}</span>', color, label)


def priority_badge(activity: Activity):
    color = PRIORITY_COLORS.get(activity.priority, "secondary")
    return format_html(
        '<span class="badge bg-{}-lt">{}</span>', color, activity.get_priority_display()
    )


def linked_to(activity: Activity):
    if not activity.link_entity or not activity.link_id:
        return ""
    entity = registry.find(activity.link_entity)
    if entity is None:
        return ""
    return format_html(
        '<a href="/{}/{}/">{} #{}</a>',
        entity.plural,
        activity.link_id,
        entity.verbose_name,
        activity.link_id,
    )


def participant_visibility(user, action):
    """Let colleagues taking part in an activity see it (not change it)."""
    if action != Action.VIEW:
        return None
    participating = Activity.participant_users.through.objects.filter(user_id=user.pk).values(
        "activity_id"
    )
    return Q(pk__in=participating)


ACTIVITY = registry.register(
    Entity(
        name="activity",
        model=Activity,
        plural="activities",
        form_class=ActivityForm,
        icon="calendar-event",
        menu_order=30,
        select_related=("owner", "account"),
        prefetch_related=("participant_users", "participant_contacts"),
        ordering="-occurs_at",
        columns=[
            Column("subject", link=True),
            Column("kind"),
            Column("status", render=status_badge),
            Column("priority", render=priority_badge, default=False),
            Column("occurs_at"),
            Column("due_at", default=False),
            Column("account", order_by="account__name"),
            Column("link", label=_("Linked to"), sortable=False, default=False, render=linked_to),
            Column("outcome", default=False),
            # Free text (a room, an address): read, not sorted.
            Column("location", sortable=False, default=False),
            Column("owner", order_by="owner__username"),
            Column("completed_at", default=False),
            Column("created_at", default=False),
        ],
        filters=[
            Filter("kind", _("Kind"), choices=lambda: ActivityKind.choices),
            Filter("status", _("Status"), choices=lambda: ActivityStatus.choices),
            Filter("priority", _("Priority"), choices=lambda: Priority.choices),
            Filter("outcome", _("Outcome"), choices=lambda: Outcome.choices),
            Filter("owner", _("Owner"), kind="user"),
            Filter("account", _("Customer"), kind="related", lookup="account_id"),
            Filter("link_entity", _("Linked to"), kind="text", lookup="link_entity"),
            Filter("link_id", _("Linked record"), kind="related", lookup="link_id"),
            Filter("occurs_at", _("Date"), kind="date_range"),
            Filter("created_at", _("Creation date"), kind="date_range"),
        ],
        search_keys=activity_search_keys,
        search_subtitle=lambda activity: " · ".join(
            part
            for part in (
                activity.get_kind_display(),
                str(activity.account) if activity.account_id else "",
            )
            if part
        ),
        api_fields=[
            "id",
            "kind",
            "subject",
            "description",
            "status",
            "priority",
            "starts_at",
            "ends_at",
            "all_day",
            "due_at",
            "completed_at",
            "occurs_at",
            "location",
            "outcome",
            "outcome_note",
            "link_entity",
            "link_id",
            "account",
            "participant_users",
            "participant_contacts",
            "remind_before",
            "remind_at",
            "recurrence",
            "recurrence_interval",
            "recurrence_until",
            "series",
            "owner",
            "version",
            "created_at",
            "updated_at",
        ],
        bulk_edit_fields=["status", "priority", "owner", "kind"],
        export_fields=[
            "kind",
            "subject",
            "status",
            "priority",
            "starts_at",
            "ends_at",
            "due_at",
            "completed_at",
            "location",
            "account",
            "outcome",
            "outcome_note",
            "description",
            "owner",
            "created_at",
        ],
        detail_fields=[
            "kind",
            "status",
            "priority",
            "starts_at",
            "ends_at",
            "due_at",
            "completed_at",
            "location",
            "account",
            "participant_users",
            "participant_contacts",
            "outcome",
            "outcome_note",
            "remind_before",
            "recurrence",
            "owner",
        ],
        factory="guanxi.activities.tests.factories.ActivityFactory",
        detail_actions="activities/partials/activity_actions.html",
        overview_extra="activities/partials/activity_overview.html",
        after_write=services.after_write,
        event_payload=services.event_payload,
    )
)

register_visibility("activity", participant_visibility)
record_reference(Activity, "link_entity", "link_id")

registry.register_link("menu", registry.Link("web:my_day", _("My day"), icon="sun", order=5))

__all__ = ["ACTIVITY", "richtext"]
