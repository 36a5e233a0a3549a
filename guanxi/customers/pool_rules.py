"""The return rule of public pools: owned customers left too long go back to their pool.

A customer's follow-up clock starts when its owner got it and again at every follow-up; the
deal clock starts when its owner got it. A pool may return customers after N days without a
follow-up, or after N days without an open deal, and warns the owner some days before —
once per customer and clock, not every night. Customers of no pool follow the default pool.
A pool's conditions (the condition language of automation rules) narrow the rule to the
customers that meet them, e.g. only level C customers go back. The return itself is the
`return_to_pool` automation action, which an automation rule can also run.

Candidates are read through the partial index (pool, owned_at) of owned customers in
keyset batches, so a night's run over a million customers never loads them all at once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core.choices import NotificationCategory
from guanxi.core.services import notify
from guanxi.customers.models import Account, Pool
from guanxi.customers.ownership import accounts_with_open_deals
from guanxi.workflow import conditions
from guanxi.workflow.actions import ActionContext, get_action

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
DAY = datetime.timedelta(days=1)


@dataclass
class RuleRun:
    """Count what one run of the rules did."""

    returned: int = 0
    warned: int = 0
    pools: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    pk: int
    owner_id: int
    owned_at: datetime.datetime
    last_followed_up_at: datetime.datetime | None
    pool_warned_at: datetime.datetime | None

    @property
    def follow_up_clock(self) -> datetime.datetime:
        return max(self.owned_at, self.last_followed_up_at or self.owned_at)


def pools_apply_rules(
    *, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE
) -> RuleRun:
    """Return overdue customers to their pools and warn owners of those soon due."""
    now = now or timezone.now()
    run = RuleRun()
    for pool in Pool.objects.filter(is_active=True).order_by("pk"):
        if not pool.has_rule:
            continue
        run.pools.append(pool.name)
        segments = [Q(pool=pool)] + ([Q(pool__isnull=True)] if pool.is_default else [])
        for segment in segments:
            for rows in _candidate_batches(pool, segment, now, batch_size):
                returned, warned = _apply_batch(pool, rows, now)
                run.returned += returned
                run.warned += warned
    logger.info("Pool rules: %s returned, %s warned", run.returned, run.warned)
    return run


def _may_be_due(pool: Pool, now: datetime.datetime) -> Q:
    """Return the condition of customers that are due or within their warning days."""
    condition = Q(pk__in=[])
    if pool.days_without_follow_up:
        cutoff = now - DAY * (pool.days_without_follow_up - pool.warning_days)
        condition |= Q(owned_at__lt=cutoff) & (
            Q(last_followed_up_at__isnull=True) | Q(last_followed_up_at__lt=cutoff)
        )
    if pool.days_without_deal:
        condition |= Q(owned_at__lt=now - DAY * (pool.days_without_deal - pool.warning_days))
    return condition


def _candidate_batches(
    pool: Pool, segment: Q, now: datetime.datetime, batch_size: int
) -> Iterator[list[Row]]:
    """Yield owned customers of a segment that may be due or warned, keyset-paged."""
    base = Account.objects.filter(segment, _may_be_due(pool, now), owner__isnull=False).order_by(
        "owned_at", "pk"
    )
    last: tuple[datetime.datetime, int] | None = None
    while True:
        page = base
        if last is not None:
            page = page.filter(Q(owned_at__gt=last[0]) | Q(owned_at=last[0], pk__gt=last[1]))
        rows = [
            Row(*values)
            for values in page.values_list(
                "pk", "owner_id", "owned_at", "last_followed_up_at", "pool_warned_at"
            )[:batch_size]
        ]
        if not rows:
            return
        last = (rows[-1].owned_at, rows[-1].pk)
        yield rows


def _due_at(pool: Pool, row: Row, has_deal: bool) -> tuple[datetime.datetime | None, str]:
    """Return when the customer falls due and why, or (None, "") if no rule catches it."""
    due: list[tuple[datetime.datetime, str]] = []
    if pool.days_without_follow_up:
        due.append((row.follow_up_clock + DAY * pool.days_without_follow_up, "follow_up"))
    if pool.days_without_deal and not has_deal:
        due.append((row.owned_at + DAY * pool.days_without_deal, "deal"))
    if not due:
        return None, ""
    return min(due)


def _apply_batch(pool: Pool, rows: list[Row], now: datetime.datetime) -> tuple[int, int]:
    with_deals = set()
    if pool.days_without_deal:
        with_deals = accounts_with_open_deals([row.pk for row in rows])
    to_return: dict[int, str] = {}
    to_warn: dict[int, datetime.datetime] = {}
    for row in rows:
        due_at, why = _due_at(pool, row, row.pk in with_deals)
        if due_at is None:
            continue
        if due_at <= now:
            to_return[row.pk] = why
        elif due_at - DAY * pool.warning_days <= now and _not_warned(row):
            to_warn[row.pk] = due_at
    if pool.has_conditions and (to_return or to_warn):
        meeting = _meeting_conditions(pool, [*to_return, *to_warn])
        to_return = {pk: why for pk, why in to_return.items() if pk in meeting}
        to_warn = {pk: due for pk, due in to_warn.items() if pk in meeting}
    returned = _return_batch(pool, rows, to_return, now) if to_return else 0
    warned = _warn_batch(pool, to_warn, now) if to_warn else 0
    return returned, warned


def _meeting_conditions(pool: Pool, ids: list[int]) -> set[int]:
    """Return which of the customers meet the pool's conditions (in the database if it can)."""
    accounts = Account.objects.filter(pk__in=ids)
    condition = conditions.to_q("account", pool.conditions)
    if condition is not None:
        return set(accounts.filter(condition).values_list("pk", flat=True))
    return {
        account.pk
        for account in accounts
        if conditions.matches("account", pool.conditions, account)
    }


def _not_warned(row: Row) -> bool:
    """Tell whether the owner has not been warned since the clock last started."""
    return row.pool_warned_at is None or row.pool_warned_at < row.follow_up_clock


def _reason(pool: Pool, why: str) -> str:
    if why == "deal":
        return _("No open deal for %(days)s days") % {"days": pool.days_without_deal}
    return _("No follow-up for %(days)s days") % {"days": pool.days_without_follow_up}


@transaction.atomic
def _return_batch(pool: Pool, rows: list[Row], to_return: dict[int, str], now) -> int:
    seen = {row.pk: row for row in rows}
    locked = (
        Account.objects.select_for_update()
        .filter(pk__in=sorted(to_return), owner__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    accounts = (
        Account.objects.filter(pk__in=list(locked)).select_related("owner", "pool").order_by("pk")
    )
    count = 0
    for account in accounts:
        row = seen[account.pk]
        if (account.owner_id, account.owned_at, account.last_followed_up_at) != (
            row.owner_id,
            row.owned_at,
            row.last_followed_up_at,
        ):
            continue  # changed hands or was followed up since it was read: judge it next time
        _return_one(pool, account, to_return[account.pk], now)
        count += 1
    return count


def _return_one(pool: Pool, account: Account, why: str, now: datetime.datetime) -> None:
    """Return one customer through the `return_to_pool` automation action, as no user.

    The reason reads in the active language: the history keeps it in the site's, the
    owner is told in theirs.
    """
    context = ActionContext(
        entity_name="account",
        record=account,
        event={"name": "pool.rules", "payload": {"pool_id": pool.pk}},
        rule=pool,
        actor=None,
        extra={"now": now, "reason": lazy(_reason, str)(pool, why)},
    )
    get_action("return_to_pool").run(context, {"pool": pool.pk, "reason": ""})


@transaction.atomic
def _warn_batch(pool: Pool, to_warn: dict[int, datetime.datetime], now) -> int:
    accounts = Account.objects.filter(pk__in=sorted(to_warn), owner__isnull=False).select_related(
        "owner"
    )
    count = 0
    for account in accounts:
        owner = account.owner
        days = max(-((now - to_warn[account.pk]) // DAY), 1)  # whole days, rounded up
        if owner.is_active:
            with override(owner.language or settings.LANGUAGE_CODE):
                notify(
                    recipient=owner,
                    title=_(
                        "Customer %(record)s goes back to the public pool %(pool)s "
                        "in %(days)s days unless you follow up"
                    )
                    % {"record": account, "pool": pool, "days": days},
                    url=reverse("web:account_detail", args=[account.pk]),
                    category=NotificationCategory.POOL,
                )
        count += 1
    Account.objects.filter(pk__in=[a.pk for a in accounts]).update(pool_warned_at=now)
    return count
