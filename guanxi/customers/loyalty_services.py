"""Writes of the loyalty programme's settings and of classification rules (administrators).

Each write is one transaction. Changing membership levels moves accounts to the level
their lifetime points now reach; changing earning rules refreshes which events earn.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.jobs import job_start
from guanxi.core.models import Job, User
from guanxi.customers import classification, points
from guanxi.customers.models import ClassificationRule, EarningRule, MembershipLevel


@transaction.atomic
def level_save(*, actor: User, form) -> MembershipLevel:
    """Save a valid membership level form and re-level the accounts."""
    level = form.save()
    points.levels_recompute()
    return level


@transaction.atomic
def level_delete(*, actor: User, level: MembershipLevel) -> None:
    """Delete a membership level; its members move to the level their points reach."""
    level.delete()
    points.levels_recompute()


@transaction.atomic
def earning_rule_save(*, actor: User, form) -> EarningRule:
    """Save a valid earning rule form."""
    rule = form.save()
    transaction.on_commit(points.earning_rules_changed)
    return rule


@transaction.atomic
def earning_rule_delete(*, actor: User, rule: EarningRule) -> None:
    """Delete an earning rule; points earned by it stay in the ledgers."""
    rule.delete()
    transaction.on_commit(points.earning_rules_changed)


@transaction.atomic
def classification_rule_save(*, actor: User, form) -> ClassificationRule:
    """Save a valid classification rule form; accounts follow it at the next run."""
    rule = form.save()
    transaction.on_commit(classification.rules_changed)
    return rule


@transaction.atomic
def classification_rule_delete(*, actor: User, rule: ClassificationRule) -> None:
    """Delete a classification rule; the values it set stay until another rule changes them."""
    rule.delete()
    transaction.on_commit(classification.rules_changed)


@transaction.atomic
def classification_apply_start(*, actor: User) -> Job:
    """Start applying the classification rules to every account in the background."""
    from guanxi.customers import tasks  # noqa: F401  (registers the job handler)

    return job_start(
        user=actor,
        kind="classify_accounts",
        title=_("Apply classification rules"),
        params={},
    )
