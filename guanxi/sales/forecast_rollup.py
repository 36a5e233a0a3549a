"""The manager's forecast: rows per department, rolled up down the department tree.

A department's row adds up its own people and its sub-departments. Targets: a subject's
target of the period's own type counts, else the sum of its quarter (for a year) or month
targets; a department or team without any target of its own shows the sum of its
members' targets. An adjustment (ForecastOverride) replaces a figure in the "adjusted"
column of its row; a parent without an adjustment of its own adds up its children's
adjusted values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.core.choices import Scope
from guanxi.core.models import Department, Team, User
from guanxi.core.money import default_currency
from guanxi.sales import forecast_scope
from guanxi.sales.forecast_choices import ForecastFigure, PeriodType
from guanxi.sales.forecast_periods import MONTHS, Period
from guanxi.sales.forecast_queries import Figures, OwnerFigures, owner_figures
from guanxi.sales.models import ForecastOverride, Target

ADJUSTABLE = [choice.value for choice in ForecastFigure]


@dataclass
class ForecastRow:
    """Hold one row of the forecast: a total, a department, a team or a person."""

    kind: str
    pk: int | None
    name: str
    depth: int = 0
    parent_key: str = ""
    figures: Figures = field(default_factory=Figures)
    target: Decimal | None = None
    target_count: int | None = None
    history: dict[str, list[ForecastOverride]] = field(default_factory=dict)
    adjusted: dict[str, Decimal] = field(default_factory=dict)
    children: list[ForecastRow] = field(default_factory=list)
    manageable: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.pk or 0}"

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.target - self.figures.won

    @property
    def attainment_percent(self) -> Decimal | None:
        if not self.target:
            return None
        return (self.figures.won * 100 / self.target).quantize(Decimal("0.1"))

    def latest(self, figure: str) -> ForecastOverride | None:
        history = self.history.get(figure)
        return history[-1] if history else None

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Forecast:
    period: Period
    currency: str
    root: ForecastRow
    other_currencies: dict[str, Figures]
    skipped_targets: int = 0

    @property
    def rows(self) -> list[ForecastRow]:
        return list(self.root.walk())


class NotVisible(LookupError):
    """Raised when a user asks for the forecast of a department or team outside their scope."""


def _targets(period: Period, users: list[int], departments: list[int], teams: list[int]):
    """Return {(kind, pk): (amount, count)} of the targets making up the period, and skips."""
    types = [kind for kind, months in MONTHS.items() if months <= MONTHS[period.type]]
    subjects = Q(user_id__in=users) | Q(department_id__in=departments) | Q(team_id__in=teams)
    rows = Target.objects.filter(
        subjects,
        period_type__in=types,
        period_start__gte=period.start,
        period_start__lt=period.end,
    ).values_list(
        "user_id", "department_id", "team_id", "period_type", "amount", "count", "currency"
    )
    currency = default_currency()
    by_type: dict[tuple[str, int], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    skipped = 0
    for user_id, department_id, team_id, period_type, amount, count, code in rows:
        if code != currency:
            skipped += 1
            continue
        key = ("user", user_id) if user_id else ("department", department_id or 0)
        if team_id:
            key = ("team", team_id)
        by_type[key][period_type].append((amount, count))
    result = {}
    for key, per_type in by_type.items():
        for period_type in (period.type, PeriodType.QUARTER, PeriodType.MONTH):
            if per_type.get(period_type):
                chosen = per_type[period_type]
                counts = [count for _amount, count in chosen if count is not None]
                result[key] = (sum(a for a, _c in chosen), sum(counts) if counts else None)
                break
    return result, skipped


def _overrides(period: Period, users: list[int], departments: list[int]):
    rows = (
        ForecastOverride.objects.filter(
            Q(user_id__in=users) | Q(department_id__in=departments),
            period_type=period.type,
            period_start=period.start,
        )
        .select_related("created_by")
        .order_by("created_at", "id")
    )
    history: dict[tuple[str, int], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        key = ("user", row.user_id) if row.user_id else ("department", row.department_id)
        history[key][row.figure].append(row)
    return history


def _finish(row: ForecastRow, targets: dict, history: dict) -> None:
    """Fill a row's rollup, target and adjusted values from its children (post-order)."""
    for child in row.children:
        _finish(child, targets, history)
        row.figures.add(child.figures)
    own_target = targets.get((row.kind, row.pk))
    if own_target is not None:
        row.target, row.target_count = own_target
    elif row.children and any(child.target is not None for child in row.children):
        row.target = sum((child.target or Decimal("0")) for child in row.children)
        counts = [child.target_count for child in row.children if child.target_count is not None]
        row.target_count = sum(counts) if counts else None
    row.history = dict(history.get((row.kind, row.pk), {}))
    for figure in ADJUSTABLE:
        latest = row.latest(figure)
        if latest is not None:
            row.adjusted[figure] = latest.new_amount
        elif row.children:
            row.adjusted[figure] = sum(
                (child.adjusted[figure] for child in row.children), Decimal("0")
            )
        else:
            row.adjusted[figure] = getattr(row.figures, figure)


def _person_row(person: User, figures: OwnerFigures, actor: User, depth: int, parent: str):
    row = ForecastRow("user", person.pk, str(person.get_full_name() or person), depth, parent)
    row.figures.add(figures.by_owner.get(person.pk, Figures()))
    row.manageable = forecast_scope.can_manage_user(actor, person)
    return row


def _prune(row: ForecastRow) -> bool:
    """Drop departments without any visible person below them; tell whether row stays."""
    row.children = [child for child in row.children if _prune(child)]
    return row.kind == "user" or bool(row.children)


def forecast_for_departments(actor: User, period: Period, root: Department | None) -> Forecast:
    """Return the forecast rolled up over a department tree (None: every visible one)."""
    visible = forecast_scope.visible_department_q(actor)
    departments = Department.objects.select_related("manager")
    if visible is not None:
        departments = departments.filter(visible)
    if root is not None:
        if not departments.filter(pk=root.pk).exists():
            raise NotVisible
        departments = departments.filter(path__startswith=root.path)
    departments = list(departments.order_by("path"))
    department_ids = [d.pk for d in departments]
    allowed = forecast_scope.visible_people(actor)
    people = User.objects.filter(is_active=True).select_related("department")
    in_tree = Q(department_id__in=department_ids)
    if root is None:
        in_tree |= Q(department__isnull=True)
    if root is None and forecast_scope.deal_scope(actor) == Scope.OWN:
        # Someone who sees only their own deals gets their own row, not their department's.
        departments, department_ids, in_tree = [], [], Q(pk=actor.pk)
    people = people.filter(in_tree)
    if allowed is not None:
        people = people.filter(pk__in=allowed)
    people = list(people.order_by("username"))
    figures = owner_figures(actor, period, owners=[p.pk for p in people])
    top = ForecastRow("department", root.pk, root.name) if root else None
    if top is None:
        top = ForecastRow("total", None, _("Whole company"))
    top.manageable = root is not None and forecast_scope.can_manage_department(actor, root)
    built: dict[int, ForecastRow] = {}
    if root is not None:
        built[root.pk] = top
    for department in departments:
        if department.pk in built:
            continue
        parent = built.get(department.parent_id, top)
        row = ForecastRow("department", department.pk, department.name, parent.depth + 1)
        row.parent_key = parent.key
        row.manageable = forecast_scope.can_manage_department(actor, department)
        parent.children.append(row)
        built[department.pk] = row
    for person in people:
        parent = built.get(person.department_id, top) if person.department_id else top
        parent.children.append(_person_row(person, figures, actor, parent.depth + 1, parent.key))
    _prune(top)
    targets, skipped = _targets(period, [p.pk for p in people], department_ids, [])
    _finish(top, targets, _overrides(period, [p.pk for p in people], department_ids))
    return Forecast(
        period, figures.currency, top, dict(sorted(figures.other_currencies.items())), skipped
    )


def forecast_for_team(actor: User, period: Period, team: Team) -> Forecast:
    """Return the forecast of a team: a row for the team and one per visible member."""
    allowed = forecast_scope.visible_people(actor)
    members = team.members.filter(is_active=True).select_related("department")
    if allowed is not None:
        members = members.filter(pk__in=allowed)
    members = list(members.order_by("username"))
    if not members and not forecast_scope.can_manage_team(actor, team):
        raise NotVisible
    figures = owner_figures(actor, period, owners=[m.pk for m in members])
    top = ForecastRow("team", team.pk, team.name)
    top.manageable = forecast_scope.can_manage_team(actor, team)
    top.children = [_person_row(m, figures, actor, 1, top.key) for m in members]
    targets, skipped = _targets(period, [m.pk for m in members], [], [team.pk])
    _finish(top, targets, _overrides(period, [m.pk for m in members], []))
    return Forecast(
        period, figures.currency, top, dict(sorted(figures.other_currencies.items())), skipped
    )
