"""Care follows its tasks: a care task is done when its activity is, wherever it was done."""

from guanxi.core import events
from guanxi.core.events import Event


def activity_changed(event: Event) -> None:
    """Bring a care task in step with its activity (completed, cancelled, reopened)."""
    from guanxi.service.services import care_sync_activity

    if event.payload.get("id") is not None:
        care_sync_activity(event.payload["id"])


def activity_deleted(event: Event) -> None:
    """Count the open care of a deleted task as cancelled (the link was cleared on delete)."""
    from guanxi.service.choices import CareStatus
    from guanxi.service.models import CareTask

    CareTask.objects.filter(status=CareStatus.OPEN, activity__isnull=True).update(
        status=CareStatus.CANCELLED
    )


events.subscribe("activity.updated", activity_changed)
events.subscribe("activity.deleted", activity_deleted)
