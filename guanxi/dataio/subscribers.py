"""Reactions of import/export to domain events."""

from guanxi.core import events
from guanxi.dataio.models import ImportRow


def forget_erased(event: events.Event) -> None:
    """Drop the values an import overwrote on a record whose person asked to be erased.

    Undo keeps working for the rest of the import; it simply has nothing to restore there.
    """
    ImportRow.objects.filter(
        run__entity=event.payload["entity"], object_id=event.payload["id"]
    ).update(before=None)


events.subscribe("*.erased", forget_erased)
