"""Register the automation actions and what the sales and customers apps plug into them."""

from guanxi.workflow import (  # noqa: F401  (each module registers its actions)
    action_assign,
    action_messages,
    action_notify,
    action_pool,
    action_records,
    action_tasks,
    action_webhook,
)


def _open_lead_counts(user_ids: list[int]) -> dict[int, int]:
    from guanxi.sales.lead_services import open_lead_counts

    return open_lead_counts(user_ids)


action_assign.register_open_counts("lead", _open_lead_counts)
action_assign.register_assigner("lead", action_assign.assign_lead)
action_assign.register_assigner("account", action_assign.assign_account)
