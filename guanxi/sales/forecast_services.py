"""Writes of targets and forecast adjustments: checked against who manages whom."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.core import audit, events
from guanxi.core.choices import AuditAction
from guanxi.core.models import Department, Team, User
from guanxi.core.money import default_currency
from guanxi.sales import forecast_scope
from guanxi.sales.forecast_choices import ForecastFigure, PeriodType
from guanxi.sales.forecast_periods import Period
from guanxi.sales.forecast_queries import Figures, owner_figures
from guanxi.sales.models import ForecastOverride, Opportunity, Target

MAX_AMOUNT = Decimal("9999999999999999.99")


class InvalidValue(ValueError):
    """Raised for a value a target or adjustment cannot take; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def ensure_can_manage(actor: User, *, user=None, team=None, department=None) -> None:
    """Raise PermissionDenied unless the actor may set the subject's targets and forecast."""
    if user is not None:
        allowed = forecast_scope.can_manage_user(actor, user)
    elif team is not None:
        allowed = forecast_scope.can_manage_team(actor, team)
    elif department is not None:
        allowed = forecast_scope.can_manage_department(actor, department)
    else:
        raise InvalidValue("user", _("Choose a person, a team or a department."))
    if not allowed:
        raise PermissionDenied


def _check_amount(amount: Decimal | None, field: str) -> Decimal:
    if amount is None or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidValue(field, _("Give an amount of 0 or more."))
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def target_set(
    *,
    actor: User,
    period: Period,
    amount: Decimal,
    count: int | None = None,
    currency: str = "",
    user: User | None = None,
    team: Team | None = None,
    department: Department | None = None,
) -> Target:
    """Create or change the target of a person, team or department for one period."""
    if sum(subject is not None for subject in (user, team, department)) != 1:
        raise InvalidValue("user", _("Choose exactly one of a person, a team or a department."))
    ensure_can_manage(actor, user=user, team=team, department=department)
    amount = _check_amount(amount, "amount")
    if count is not None and count < 0:
        raise InvalidValue("count", _("Give a number of 0 or more."))
    target, created = Target.objects.select_for_update().get_or_create(
        user=user,
        team=team,
        department=department,
        period_type=period.type,
        period_start=period.start,
        defaults={"amount": amount, "count": count, "currency": currency or default_currency()},
    )
    if created:
        target.created_by = target.updated_by = actor
        target.save(update_fields=["created_by", "updated_by"])
        audit.record(
            actor=actor, entity="target", instance=target, action=AuditAction.CREATE, changes={}
        )
    else:
        before = audit.snapshot(target)
        target.amount, target.count = amount, count
        target.currency = currency or target.currency
        target.updated_by = actor
        target.save()
        changes = audit.diff(before, audit.snapshot(target))
        audit.record(
            actor=actor,
            entity="target",
            instance=target,
            action=AuditAction.UPDATE,
            changes=changes,
        )
    events.emit("target.saved", target_id=target.pk, actor_id=actor.pk)
    return target


@transaction.atomic
def target_delete(*, actor: User, target: Target) -> None:
    """Remove a target the actor manages."""
    ensure_can_manage(actor, user=target.user, team=target.team, department=target.department)
    audit.record(
        actor=actor, entity="target", instance=target, action=AuditAction.DELETE, changes={}
    )
    pk = target.pk
    target.delete()
    events.emit("target.deleted", target_id=pk, actor_id=actor.pk)


def subject_figures(actor: User, period: Period, *, user=None, department=None) -> Figures:
    """Return the computed figures of a person or a department tree the actor may see."""
    deals = Opportunity.objects.visible_to(actor, "view")
    if user is not None:
        deals = deals.filter(owner=user)
    else:
        deals = deals.filter(owner__department__path__startswith=department.path)
    total = Figures()
    for figures in owner_figures(actor, period, deals=deals).by_owner.values():
        total.add(figures)
    return total


@transaction.atomic
def forecast_override(
    *,
    actor: User,
    period: Period,
    figure: str,
    new_amount: Decimal,
    comment: str,
    user: User | None = None,
    department: Department | None = None,
) -> ForecastOverride:
    """Adjust a person's or department's forecast figure, keeping the computed value."""
    if (user is None) == (department is None):
        raise InvalidValue("user", _("Choose either a person or a department."))
    if figure not in ForecastFigure.values:
        raise InvalidValue("figure", _("Choose commit, best case or weighted pipeline."))
    ensure_can_manage(actor, user=user, department=department)
    new_amount = _check_amount(new_amount, "new_amount")
    comment = (comment or "").strip()
    if not comment:
        raise InvalidValue("comment", _("Say why the figure is adjusted."))
    computed = subject_figures(actor, period, user=user, department=department)
    override = ForecastOverride.objects.create(
        user=user,
        department=department,
        period_type=period.type,
        period_start=period.start,
        figure=figure,
        currency=default_currency(),
        old_amount=getattr(computed, figure),
        new_amount=new_amount,
        comment=comment[:300],
        created_by=actor,
    )
    events.emit("forecast.adjusted", override_id=override.pk, actor_id=actor.pk)
    return override


@transaction.atomic
def target_grid_save(
    *, actor: User, year: int, cells: dict[tuple[str, int, int], Decimal | None], subjects: dict
) -> int:
    """Save a year's grid of monthly targets (None clears a cell); return how many changed.

    `cells` maps (kind, subject id, month) to an amount; `subjects` maps (kind, id) to the
    person or department. Every cell is checked first: one refused cell saves nothing.
    """
    for kind, pk, _month in cells:
        subject = subjects.get((kind, pk))
        if subject is None:
            raise PermissionDenied
        ensure_can_manage(actor, **{kind: subject})
    existing = {
        (
            ("user", t.user_id) if t.user_id else ("department", t.department_id),
            t.period_start.month,
        ): t
        for t in Target.objects.filter(
            period_type=PeriodType.MONTH,
            period_start__year=year,
        ).filter(
            Q(user_id__in=[pk for kind, pk, _m in cells if kind == "user"])
            | Q(department_id__in=[pk for kind, pk, _m in cells if kind == "department"])
        )
    }
    changed = 0
    for (kind, pk, month), amount in sorted(cells.items()):
        current = existing.get(((kind, pk), month))
        if amount is None:
            if current is not None:
                target_delete(actor=actor, target=current)
                changed += 1
            continue
        if current is not None and current.amount == amount:
            continue
        target_set(
            actor=actor,
            period=Period(PeriodType.MONTH, datetime.date(year, month, 1)),
            amount=amount,
            count=current.count if current else None,
            **{kind: subjects[(kind, pk)]},
        )
        changed += 1
    return changed
