"""Reactions of the customers app to domain events: earning points, re-classifying."""

from guanxi.core import events
from guanxi.customers import classification, points


def classify_changed_account(event: events.Event) -> None:
    """Re-apply the classification rules to an account that was saved or earned points."""
    account_id = event.payload.get("account_id") or event.payload.get("id")
    if account_id:
        classification.classify_accounts(ids=[account_id])


events.subscribe("*", points.earn_for_event)
events.subscribe("account.created", classify_changed_account)
events.subscribe("account.updated", classify_changed_account)
events.subscribe("points.*", classify_changed_account)
