"""Loyalty points (客户积分): ledger writes, membership levels, expiry, earning rules (CUS-6).

Every write locks the account row, appends one ledger entry carrying the balance after
it, and moves `Account.points_balance` by the same amount, so the ledger always sums to
the balance. The balance never goes below zero unless the `POINTS_ALLOW_NEGATIVE`
setting or the account's membership level allows it.

Earned points (and positive adjustments) are lots with a count of unspent points.
Redemptions and negative adjustments spend the lots that expire first (lots that never
expire last, older before newer), so the nightly expiry only removes points that were
earned and never spent. While a balance is negative, new points pay the debt first.
Invariant: the unspent points of all lots add up to the balance when it is positive,
and to zero otherwise.
"""

from __future__ import annotations

import datetime
import logging
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit, events
from guanxi.core.choices import Action, AuditAction
from guanxi.core.models import User
from guanxi.core.permissions import ensure_in_scope, require
from guanxi.customers.choices import PointsKind
from guanxi.customers.models import Account, EarningRule, MembershipLevel, PointsEntry

logger = logging.getLogger(__name__)

MAX_POINTS = 100_000_000
EARNING_EVENTS_CACHE_KEY = "guanxi:earning-rule-events"
PAST_TENSE = {
    PointsKind.EARN: "earned",
    PointsKind.REDEEM: "redeemed",
    PointsKind.ADJUST: "adjusted",
    PointsKind.EXPIRE: "expired",
}


class PointsError(Exception):
    """Raised when a points write is refused; `message` is shown to the user."""

    def __init__(self, message: str, field: str = "points"):
        super().__init__(message)
        self.message = message
        self.field = field


def points_permission(user: User, account: Account, kind: str) -> None:
    """Raise PermissionDenied unless the user may write this kind of entry on the account.

    Earning and redeeming need edit permission on the account; adjusting, a correction
    outside the programme's rules, needs the assign permission too (managers).
    """
    require(user, "account", Action.EDIT)
    if kind == PointsKind.ADJUST:
        require(user, "account", Action.ASSIGN)
    ensure_in_scope(user, account, Action.EDIT)


def level_for(lifetime: int) -> MembershipLevel | None:
    """Return the highest level whose threshold the lifetime points reach."""
    return MembershipLevel.objects.filter(threshold__lte=lifetime).order_by("-threshold").first()


def _allows_negative(account: Account) -> bool:
    if getattr(settings, "POINTS_ALLOW_NEGATIVE", False):
        return True
    level = account.membership_level
    return bool(level and level.allow_negative)


def _check_points(points, *, signed: bool = False) -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise PointsError(_("Enter a whole number of points."))
    if (points == 0 if signed else points <= 0) or abs(points) > MAX_POINTS:
        if signed:
            raise PointsError(_("Enter a number of points other than zero."))
        raise PointsError(_("Enter a positive number of points."))
    return points


def _check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise PointsError(_("Say why the points change."), field="reason")
    return reason[:200]


def _spend_lots(account: Account, points: int) -> None:
    """Take `points` from the account's unspent lots, first-expiring first."""
    lots = PointsEntry.objects.filter(account=account, remaining__gt=0).order_by(
        F("expires_at").asc(nulls_last=True), "id"
    )
    changed = []
    for lot in lots.iterator(chunk_size=200):
        if points <= 0:
            break
        taken = min(lot.remaining, points)
        lot.remaining -= taken
        points -= taken
        changed.append(lot)
    PointsEntry.objects.bulk_update(changed, ["remaining"])


def _write(
    *,
    actor: User | None,
    account: Account,
    kind: str,
    points: int,
    reason: str,
    source: str = "",
    source_ref: str = "",
    expires_at: datetime.datetime | None = None,
) -> PointsEntry:
    """Append one entry to a locked account's ledger and keep the account in step."""
    before = account.points_balance
    balance = before + points
    if points < 0 and balance < 0 and not _allows_negative(account):
        raise PointsError(
            _("Not enough points: the balance is %(balance)s, %(points)s were asked for.")
            % {"balance": before, "points": -points}
        )
    remaining = 0
    if points > 0:
        remaining = max(0, points - max(0, -before))  # a debt is paid first
    elif kind != PointsKind.EXPIRE:
        _spend_lots(account, min(-points, max(before, 0)))
    entry = PointsEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        balance_after=balance,
        remaining=remaining,
        expires_at=expires_at,
        reason=reason,
        actor=actor if actor is not None and actor.is_authenticated else None,
        source=source,
        source_ref=source_ref,
    )
    lifetime = account.points_lifetime + (
        points if kind in (PointsKind.EARN, PointsKind.ADJUST) else 0
    )
    old_level = account.membership_level
    level = level_for(lifetime)
    Account.objects.filter(pk=account.pk).update(
        points_balance=balance, points_lifetime=lifetime, membership_level=level
    )
    account.points_balance, account.points_lifetime = balance, lifetime
    account.membership_level = level
    changes = {"points_balance": [before, balance]}
    if (old_level and old_level.pk) != (level and level.pk):
        changes["membership_level"] = [_level_ref(old_level), _level_ref(level)]
    audit.record(
        actor=actor, entity="account", instance=account, action=AuditAction.UPDATE, changes=changes
    )
    events.emit(
        f"points.{PAST_TENSE[kind]}",
        account_id=account.pk,
        entry_id=entry.pk,
        points=points,
        balance=balance,
        level_id=level.pk if level else None,
        actor_id=getattr(actor, "pk", None),
        source=source,
        source_ref=source_ref,
    )
    if changes.get("membership_level"):
        events.emit(
            "account.level_changed",
            account_id=account.pk,
            level_id=level.pk if level else None,
            previous_level_id=old_level.pk if old_level else None,
        )
    return entry


def _level_ref(level: MembershipLevel | None):
    return {"id": level.pk, "repr": level.name} if level else None


def _locked(account: Account) -> Account:
    return (
        Account.objects.select_for_update(of=("self",))
        .select_related("membership_level")
        .get(pk=account.pk)
    )


@transaction.atomic
def points_earn(
    *,
    actor: User | None,
    account: Account,
    points: int,
    reason: str,
    source: str = "",
    source_ref: str = "",
    expires_at: datetime.datetime | None = None,
) -> PointsEntry:
    """Add earned points to an account, optionally expiring at a time."""
    if actor is not None:
        points_permission(actor, account, PointsKind.EARN)
    points = _check_points(points)
    reason = _check_reason(reason)
    locked = _locked(account)
    return _write(
        actor=actor,
        account=locked,
        kind=PointsKind.EARN,
        points=points,
        reason=reason,
        source=source,
        source_ref=source_ref,
        expires_at=expires_at,
    )


@transaction.atomic
def points_redeem(
    *, actor: User | None, account: Account, points: int, reason: str, source: str = ""
) -> PointsEntry:
    """Spend points of an account; refused beyond the balance unless credit is allowed."""
    if actor is not None:
        points_permission(actor, account, PointsKind.REDEEM)
    points = _check_points(points)
    reason = _check_reason(reason)
    locked = _locked(account)
    return _write(
        actor=actor,
        account=locked,
        kind=PointsKind.REDEEM,
        points=-points,
        reason=reason,
        source=source,
    )


@transaction.atomic
def points_adjust(*, actor: User | None, account: Account, points: int, reason: str) -> PointsEntry:
    """Correct an account's points up or down (a signed number), with the reason."""
    if actor is not None:
        points_permission(actor, account, PointsKind.ADJUST)
    points = _check_points(points, signed=True)
    reason = _check_reason(reason)
    locked = _locked(account)
    return _write(actor=actor, account=locked, kind=PointsKind.ADJUST, points=points, reason=reason)


@transaction.atomic
def points_expire(
    *,
    actor: User | None,
    account: Account,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> PointsEntry | None:
    """Expire the unspent points of the account's lots that expired by `at` (default now)."""
    at = at or timezone.now()
    locked = _locked(account)
    due = PointsEntry.objects.filter(account=locked, remaining__gt=0, expires_at__lte=at)
    total = due.aggregate(total=Sum("remaining"))["total"] or 0
    if total <= 0:
        return None
    due.update(remaining=0)
    return _write(
        actor=actor,
        account=locked,
        kind=PointsKind.EXPIRE,
        points=-total,
        reason=reason,  # empty: the kind says it all, in the reader's language
    )


def points_expire_due(*, at: datetime.datetime | None = None, batch_size: int = 500) -> int:
    """Expire every account's due points, one short transaction per account; return entries."""
    at = at or timezone.now()
    written = 0
    last = 0
    while True:
        ids = list(
            PointsEntry.objects.filter(remaining__gt=0, expires_at__lte=at, account_id__gt=last)
            .order_by("account_id")
            .values_list("account_id", flat=True)
            .distinct()[:batch_size]
        )
        if not ids:
            return written
        for account_id in ids:
            if points_expire(actor=None, account=Account(pk=account_id), at=at):
                written += 1
        last = ids[-1]


def levels_recompute() -> int:
    """Put every account on the level its lifetime points reach, after the levels changed.

    One UPDATE per level band: the work is in the database, whatever the account count.
    """
    levels = list(MembershipLevel.objects.order_by("threshold"))
    unlevelled = Account.objects.exclude(membership_level=None)
    if not levels:
        return unlevelled.update(membership_level=None)
    count = unlevelled.filter(points_lifetime__lt=levels[0].threshold).update(membership_level=None)
    for index, level in enumerate(levels):
        band = Account.objects.filter(points_lifetime__gte=level.threshold)
        if index + 1 < len(levels):
            band = band.filter(points_lifetime__lt=levels[index + 1].threshold)
        count += band.exclude(membership_level=level).update(membership_level=level)
    return count


def ledger_total(account: Account) -> int:
    """Return the sum of an account's ledger (equal to its balance)."""
    return PointsEntry.objects.filter(account=account).aggregate(total=Sum("points"))["total"] or 0


# --- Earning rules: points for domain events --------------------------------------------


def earning_events() -> frozenset[str]:
    """Return the names of the events some active earning rule listens to (cached)."""
    names = cache.get(EARNING_EVENTS_CACHE_KEY)
    if names is None:
        names = frozenset(
            EarningRule.objects.filter(active=True).values_list("event", flat=True).distinct()
        )
        cache.set(EARNING_EVENTS_CACHE_KEY, names, 300)
    return names


def earning_rules_changed() -> None:
    """Forget the cached event names after an earning rule was saved or deleted."""
    cache.delete(EARNING_EVENTS_CACHE_KEY)


def rule_points(rule: EarningRule, amount: Decimal) -> int:
    """Return the points a rule gives for an amount: fixed points plus points per unit."""
    variable = (amount * rule.points_per_unit).to_integral_value(rounding=ROUND_FLOOR)
    return int(rule.points_fixed + max(variable, Decimal(0)))


def earn_for_event(event: events.Event) -> None:
    """Earn points by the active rules of an event.

    Payload: `account_id` (required), `amount` (decimal string or number, for points per
    unit), `id` (the source record; earning happens once per rule and source record).
    """
    if event.name not in earning_events():
        return
    payload = event.payload
    account = Account.objects.filter(pk=payload.get("account_id") or 0).first()
    if account is None:
        logger.warning("Event %s names no known account: %s", event.name, payload)
        return
    try:
        amount = Decimal(str(payload.get("amount") or 0))
    except InvalidOperation:
        logger.warning("Event %s has an amount that is not a number: %s", event.name, payload)
        return
    for rule in EarningRule.objects.filter(event=event.name, active=True):
        _earn_by_rule(rule, account, amount, payload.get("id"))


def _earn_by_rule(rule: EarningRule, account: Account, amount: Decimal, source_id) -> None:
    points = rule_points(rule, amount)
    if points <= 0:
        return
    source_ref = f"{rule.pk}:{source_id}" if source_id not in (None, "") else ""
    expires_at = None
    if rule.valid_days:
        expires_at = timezone.now() + datetime.timedelta(days=rule.valid_days)
    with transaction.atomic():
        locked = _locked(account)
        if (
            source_ref
            and PointsEntry.objects.filter(
                account=locked, source=rule.event, source_ref=source_ref
            ).exists()
        ):
            return
        _write(
            actor=None,
            account=locked,
            kind=PointsKind.EARN,
            points=points,
            reason=rule.name,
            source=rule.event,
            source_ref=source_ref[:60],
            expires_at=expires_at,
        )
