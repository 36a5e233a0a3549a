"""Register the automation actions and what the sales and customers apps plug into them."""

from django.db.models import Count

from guanxi.workflow import (  # noqa: F401  (each module registers its actions)
    action_assign,
    action_messages,
    action_notify,
    action_pool,
    action_records,
    action_tasks,
    action_webhook,
)


def _counts(queryset) -> dict[int, int]:
    rows = queryset.values("owner_id").annotate(total=Count("pk")).order_by()
    return {row["owner_id"]: row["total"] for row in rows}


def _open_lead_counts(user_ids: list[int]) -> dict[int, int]:
    from guanxi.sales.lead_services import open_lead_counts

    return open_lead_counts(user_ids)


def _open_deal_counts(user_ids: list[int]) -> dict[int, int]:
    from guanxi.sales.models import Opportunity

    return _counts(
        Opportunity.objects.filter(owner_id__in=user_ids, stage__is_won=False, stage__is_lost=False)
    )


def _open_activity_counts(user_ids: list[int]) -> dict[int, int]:
    from guanxi.activities.choices import OPEN_STATUSES
    from guanxi.activities.models import Activity

    return _counts(Activity.objects.filter(owner_id__in=user_ids, status__in=OPEN_STATUSES))


# "Least open records" counts what is still to be worked on: open leads, open deals, open
# activities; other records count whenever owned.
action_assign.register_open_counts("lead", _open_lead_counts)
action_assign.register_open_counts("opportunity", _open_deal_counts)
action_assign.register_open_counts("activity", _open_activity_counts)
action_assign.register_assigner("lead", action_assign.assign_lead)
action_assign.register_assigner("account", action_assign.assign_account)
