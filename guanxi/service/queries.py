"""Reads of customer care shared by the screens and the API: tasks, calendar, statistics.

Care tasks are activities, so who may see them follows the activities' data scope: a
sales rep sees the care of their own tasks, a manager with department scope their
department's, by the task owner.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, User
from guanxi.core.permissions import colleague_ids, user_scope
from guanxi.service.choices import CareStatus
from guanxi.service.models import CarePlan, CareTask

STATUS_FILTERS = (*CareStatus.values, "overdue")


def care_scope_q(user: User, action: str = Action.VIEW) -> Q | None:
    """Return the condition of the care tasks a user may see (None: all of them)."""
    scope = user_scope(user, "activity", action)
    if scope is None:
        return Q(pk__in=[])
    if scope == Scope.ALL:
        return None
    if scope == Scope.OWN:
        return Q(owner_id=user.pk)
    return Q(owner_id__in=colleague_ids(user, scope))


def visible_care_tasks(user: User, action: str = Action.VIEW) -> QuerySet:
    condition = care_scope_q(user, action)
    queryset = CareTask.objects.all()
    if condition is None:
        return queryset
    if condition == Q(pk__in=[]):
        return queryset.none()
    return queryset.filter(condition)


def department_members(department_id: int) -> list[int]:
    """Return the users of a department and of the departments under it."""
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        return []
    return list(
        User.objects.filter(department__path__startswith=department.path).values_list(
            "pk", flat=True
        )
    )


def care_task_list(
    user: User,
    *,
    plan: int | None = None,
    owner: int | None = None,
    department: int | None = None,
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet:
    """Return the care tasks a user may see, filtered, by due date."""
    tasks = visible_care_tasks(user)
    if plan:
        tasks = tasks.filter(plan_id=plan)
    if owner:
        tasks = tasks.filter(owner_id=owner)
    if department:
        tasks = tasks.filter(owner_id__in=department_members(department))
    if status == "overdue":
        tasks = tasks.filter(status=CareStatus.OPEN, due_date__lt=timezone.localdate())
    elif status in CareStatus.values:
        tasks = tasks.filter(status=status)
    if date_from:
        tasks = tasks.filter(due_date__gte=date_from)
    if date_to:
        tasks = tasks.filter(due_date__lte=date_to)
    return tasks.select_related("plan", "owner", "contact", "account", "activity").order_by(
        "due_date", "id"
    )


@dataclass
class StatsRow:
    """Care figures of one owner (or one plan, or everyone)."""

    key: int | None
    label: str
    created: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0
    cancelled: int = 0

    @property
    def open(self) -> int:
        return self.created - self.done - self.cancelled

    @property
    def done_rate(self) -> int:
        """Return the share of care done, in whole percent."""
        return round(100 * self.done / self.created) if self.created else 0

    def add(self, other: StatsRow) -> None:
        for name in ("created", "done", "on_time", "overdue", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Stats:
    start: datetime.date
    end: datetime.date
    owners: list[StatsRow] = field(default_factory=list)
    plans: list[StatsRow] = field(default_factory=list)
    total: StatsRow = field(default_factory=lambda: StatsRow(None, ""))


def care_stats(
    user: User,
    *,
    start: datetime.date,
    end: datetime.date,
    owner: int | None = None,
    department: int | None = None,
    today: datetime.date | None = None,
) -> Stats:
    """Count care per owner and per plan: tasks due in the period, done, on time, overdue."""
    today = today or timezone.localdate()
    tasks = care_task_list(
        user, owner=owner, department=department, date_from=start, date_to=end
    ).order_by()
    rows = tasks.values("owner_id", "plan_id").annotate(
        created=Count("pk"),
        done=Count("pk", filter=Q(status=CareStatus.DONE)),
        on_time=Count("pk", filter=Q(status=CareStatus.DONE, done_on_time=True)),
        overdue=Count("pk", filter=Q(status=CareStatus.OPEN, due_date__lt=today)),
        cancelled=Count("pk", filter=Q(status=CareStatus.CANCELLED)),
    )
    rows = list(rows)
    users = User.objects.in_bulk({row["owner_id"] for row in rows if row["owner_id"]})
    plans = CarePlan.objects.in_bulk({row["plan_id"] for row in rows})
    by_owner: dict[int | None, StatsRow] = {}
    by_plan: dict[int, StatsRow] = {}
    stats = Stats(start, end)
    for row in rows:
        counts = StatsRow(
            None,
            "",
            **{k: row[k] for k in ("created", "done", "on_time", "overdue", "cancelled")},
        )
        owner_id = row["owner_id"]
        if owner_id not in by_owner:
            by_owner[owner_id] = StatsRow(owner_id, str(users.get(owner_id, "—")))
        by_owner[owner_id].add(counts)
        plan_id = row["plan_id"]
        if plan_id not in by_plan:
            by_plan[plan_id] = StatsRow(plan_id, str(plans.get(plan_id, "—")))
        by_plan[plan_id].add(counts)
        stats.total.add(counts)
    stats.owners = sorted(by_owner.values(), key=lambda item: item.label)
    stats.plans = sorted(by_plan.values(), key=lambda item: item.label)
    return stats


def care_on_days(user: User, start: datetime.date, end: datetime.date) -> dict:
    """Return {occasion date: [care tasks]} of the care tasks a user may see in a range."""
    tasks = (
        visible_care_tasks(user)
        .filter(occasion_date__range=(start, end))
        .select_related("plan", "owner", "contact", "account", "activity")
        .order_by("occasion_date", "id")
    )
    days: dict[datetime.date, list[CareTask]] = {}
    for task in tasks:
        days.setdefault(task.occasion_date, []).append(task)
    return days


def period_bounds(period: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Return the first and last day of "month", "last_month", "quarter" or "year"."""
    if period == "year":
        return datetime.date(today.year, 1, 1), datetime.date(today.year, 12, 31)
    if period == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        start = datetime.date(today.year, first_month, 1)
        end = _month_end(datetime.date(today.year, first_month + 2, 1))
        return start, end
    if period == "last_month":
        last = today.replace(day=1) - datetime.timedelta(days=1)
        return last.replace(day=1), last
    return today.replace(day=1), _month_end(today)


def _month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)
