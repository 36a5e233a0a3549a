"""Reactions of the customers app to domain events: earning points, re-classifying."""

from guanxi.core import events
from guanxi.customers import classification, points

# Metrics a ledger write changes: only rules testing them need a re-run after one.
POINTS_METRICS = ("points_balance", "points_lifetime", "membership_level")


def classify_saved_account(event: events.Event) -> None:
    """Re-apply the classification rules to an account a user created or changed."""
    if event.payload.get("id"):
        classification.classify_accounts(ids=[event.payload["id"]], cached_rules=True)


def classify_after_points(event: events.Event) -> None:
    """Re-apply the rules to an account whose points changed, when a rule looks at points."""
    account_id = event.payload.get("account_id")
    if account_id and classification.rules_use(POINTS_METRICS):
        classification.classify_accounts(ids=[account_id], cached_rules=True)


events.subscribe("*", points.earn_for_event)
events.subscribe("account.created", classify_saved_account)
events.subscribe("account.updated", classify_saved_account)
events.subscribe("points.*", classify_after_points)
