"""Stage changes on the timelines of the deal and of its customer (CUS-8)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import timeline
from guanxi.core.choices import Action
from guanxi.core.timeline import TimelineItem, TimelineSource
from guanxi.sales.models import Opportunity, StageChange


def _duration(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": rest // 3600}
    return _("%(hours)s h %(minutes)s min") % {"hours": rest // 3600, "minutes": rest % 3600 // 60}


def _items(changes, before, limit, *, with_deal: bool) -> list[TimelineItem]:
    if before is not None:
        changes = changes.filter(changed_at__lt=before)
    rows = changes.select_related("from_stage", "to_stage", "changed_by", "opportunity").order_by(
        "-changed_at", "-id"
    )[:limit]
    items = []
    for change in rows:
        if change.from_stage_id is None:
            title = _("Deal entered “%(to)s”") % {"to": change.to_stage.name}
        else:
            title = _("Stage: %(from)s → %(to)s") % {
                "from": change.from_stage.name,
                "to": change.to_stage.name,
            }
        if with_deal:
            title = f"{change.opportunity.name} · {title}"
        body = (
            _("%(time)s in the previous stage") % {"time": _duration(change.seconds_in_previous)}
            if change.from_stage_id
            else ""
        )
        items.append(
            TimelineItem(
                at=change.changed_at,
                kind="stage",
                title=title,
                body=body,
                actor_id=change.changed_by_id,
                actor_name=str(change.changed_by or ""),
                url=f"/opportunities/{change.opportunity_id}/",
            )
        )
    return items


def account_stage_changes(account, user, before, limit):
    """Return the stage moves of the customer's deals the user may see."""
    deals = Opportunity.objects.visible_to(user, Action.VIEW).filter(account=account).values("pk")
    return _items(StageChange.objects.filter(opportunity__in=deals), before, limit, with_deal=True)


def register() -> None:
    # The deal's own timeline shows its moves through its change history (stage A → B);
    # the customer's timeline gets them from here, with the time spent in each stage.
    timeline.register(
        "account",
        TimelineSource(
            kind="opportunity",
            label=gettext_lazy("Opportunities"),
            icon="target-arrow",
            items=account_stage_changes,
        ),
    )
