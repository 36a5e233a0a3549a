"""Reads and extension points of customer ownership and the public pool (公海, CUS-9).

Later modules plug in here without the customers app knowing them:
- `register_open_deals(provider)`: `provider(account_ids) -> set of ids with an open deal`,
  used by the "days without a deal" return rule. With no provider, no customer has one.
- `register_related_mover(key, label, mover)`: `mover(actor=, account=, old_owner=,
  new_owner=) -> number of records moved`, called by a transfer that includes the
  customer's open deals and tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Max, Q
from django.utils.translation import gettext as _

from guanxi.core.choices import Action
from guanxi.core.permissions import cached_for, register_visibility
from guanxi.customers.models import Account, OwnershipPeriod, Pool

if TYPE_CHECKING:
    from guanxi.core.models import User

OpenDealsProvider = Callable[[list[int]], Iterable[int]]
_open_deal_providers: list[OpenDealsProvider] = []


@dataclass(frozen=True)
class RelatedMover:
    key: str
    label: Any
    move: Callable[..., int]


_related_movers: dict[str, RelatedMover] = {}


def register_open_deals(provider: OpenDealsProvider) -> None:
    """Add a source of "this customer has an open deal" (sales registers one)."""
    if provider not in _open_deal_providers:
        _open_deal_providers.append(provider)


def unregister_open_deals(provider: OpenDealsProvider) -> None:
    if provider in _open_deal_providers:
        _open_deal_providers.remove(provider)


def accounts_with_open_deals(account_ids: list[int]) -> set[int]:
    """Return which of the customers have an open deal, by every registered provider."""
    found: set[int] = set()
    for provider in _open_deal_providers:
        found.update(provider(account_ids))
    return found


def register_related_mover(key: str, label: Any, move: Callable[..., int]) -> None:
    """Let a transfer also move a kind of record owned with the customer (deals, tasks)."""
    _related_movers[key] = RelatedMover(key, label, move)


def unregister_related_mover(key: str) -> None:
    _related_movers.pop(key, None)


def related_movers() -> list[RelatedMover]:
    return list(_related_movers.values())


def accessible_pool_ids(user: User) -> list[int]:
    """Return the ids of the active pools the user's roles give access to (all for superusers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []

    def compute() -> list[int]:
        pools = Pool.objects.filter(is_active=True)
        if not user.is_superuser:
            pools = pools.filter(roles__users=user)
            # A pool named for departments opens to them and the departments below them.
            department_ids = _department_and_above(user)
            restricted = Pool.objects.filter(departments__isnull=False)
            pools = pools.exclude(
                pk__in=restricted.exclude(departments__in=department_ids).values("pk")
            )
        return sorted(set(pools.values_list("id", flat=True)))

    return cached_for(user, "pools", compute)


def _department_and_above(user: User) -> list[int]:
    """Return the ids of the user's department and of every department above it."""
    department = user.department
    if department is None:
        return []
    return [int(part) for part in department.path.strip("/").split("/") if part]


def accessible_pools(user: User):
    return Pool.objects.filter(pk__in=accessible_pool_ids(user)).order_by("name")


def pool_visibility(user: User, action: str) -> Q | None:
    """Let users see, and those who may assign hand out, the customers of their pools."""
    if action not in (Action.VIEW, Action.ASSIGN):
        return None
    pool_ids = accessible_pool_ids(user)
    if not pool_ids:
        return None
    return Q(pool_id__in=pool_ids, owner__isnull=True)


register_visibility("account", pool_visibility)


def pool_accounts(user: User, pool: Pool):
    """Return the unowned customers of a pool the user may see, newest in the pool first."""
    return (
        Account.objects.visible_to(user, Action.VIEW)
        .filter(pool=pool, owner__isnull=True)
        .order_by("-pooled_at", "-id")
    )


def owned_count(user: User) -> int:
    return Account.objects.filter(owner=user).count()


def account_cap(user: User) -> int | None:
    """Return how many customers the user may own, or None for no limit.

    The highest limit set on any of the user's roles counts, as the widest scope does for
    permissions; roles without a limit do not lift it.
    """
    if user.is_superuser:
        return None
    return user.roles.aggregate(cap=Max("max_accounts"))["cap"]


def cap_problem(owner: User, adding: int) -> str | None:
    """Return why the owner may not be given `adding` more customers, or None if they may."""
    cap = account_cap(owner)
    if cap is None or adding == 0:
        return None
    owned = owned_count(owner)
    if owned + adding <= cap:
        return None
    return _(
        "%(user)s may own at most %(cap)s customers and owns %(owned)s already, "
        "so %(left)s more can be added."
    ) % {"user": owner, "cap": cap, "owned": owned, "left": max(cap - owned, 0)}


def ownership_history(account: Account):
    """Return who owned the customer and when, newest first."""
    return OwnershipPeriod.objects.filter(account=account).select_related(
        "owner", "started_by", "ended_by", "pool"
    )
