"""Reads of the calendar: whose activities, in a range, and the colleagues one may pick."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.activities import queries
from guanxi.activities.calendar_grid import MAX_SPAN_DAYS
from guanxi.activities.choices import ActivityKind
from guanxi.activities.models import Activity
from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, Team, User
from guanxi.core.permissions import colleague_ids, team_ids, user_scope

# The most activities one calendar range reads; a month grid never needs more.
RANGE_LIMIT = 2000


@dataclass(frozen=True)
class Whose:
    """Whose calendar is shown: "mine", or one user, team or department's."""

    kind: str = "mine"
    pk: int | None = None

    @classmethod
    def parse(cls, value: str | None) -> Whose:
        """Read `mine`, `user:12`, `team:3` or `department:4`; anything else is mine."""
        kind, _sep, pk = (value or "").partition(":")
        if kind in ("user", "team", "department") and pk.isdigit():
            return cls(kind, int(pk))
        return cls()

    @property
    def value(self) -> str:
        return "mine" if self.kind == "mine" else f"{self.kind}:{self.pk}"


def whose_condition(user: User, whose: Whose) -> Q:
    """Return the condition of the activities of the chosen person, team or department.

    A person's or a group's calendar holds what they own and what they take part in.
    """
    if whose.kind == "mine":
        return queries.mine(user)
    if whose.kind == "user":
        members = [whose.pk]
    elif whose.kind == "team":
        members = list(User.objects.filter(teams=whose.pk).values_list("pk", flat=True))
    else:
        department = Department.objects.filter(pk=whose.pk).first()
        members = (
            list(
                User.objects.filter(department__path__startswith=department.path).values_list(
                    "pk", flat=True
                )
            )
            if department
            else []
        )
    participating = Activity.participant_users.through.objects.filter(user_id__in=members).values(
        "activity_id"
    )
    return Q(owner_id__in=members) | Q(pk__in=participating)


def calendar_activities(
    user: User,
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    whose: Whose = Whose(),
    kind: str = "",
) -> QuerySet:
    """Return the activities the user may see that a calendar range shows, in one query.

    An activity shows when it takes place in the range, or when it began up to
    MAX_SPAN_DAYS earlier and is still going on (a three-day trade fair); both read the
    `occurs_at` index as one range.
    """
    queryset = (
        Activity.objects.visible_to(user, Action.VIEW)
        .filter(
            whose_condition(user, whose),
            occurs_at__gte=start - datetime.timedelta(days=MAX_SPAN_DAYS),
            occurs_at__lt=end,
        )
        .filter(Q(occurs_at__gte=start) | Q(ends_at__gt=start))
    )
    if kind in ActivityKind.values:
        queryset = queryset.filter(kind=kind)
    return queryset.select_related("owner").order_by("occurs_at", "id")


def pickable(user: User) -> dict[str, list]:
    """Return the colleagues, teams and departments whose calendars the user may open.

    They follow the user's data scope on activities: with "own" only the user; with a
    department scope the department's (or tree's) people; with "all" everyone.
    """
    scope = user_scope(user, "activity", Action.VIEW)
    if scope is None or scope == Scope.OWN:
        return {"users": [], "teams": [], "departments": []}
    users = User.objects.filter(is_active=True).exclude(pk=user.pk)
    teams = Team.objects.all()
    departments = Department.objects.all()
    if scope != Scope.ALL:
        users = users.filter(pk__in=colleague_ids(user, scope))
        teams = teams.filter(pk__in=team_ids(user))
        if user.department_id is None:
            departments = departments.none()
        elif scope == Scope.DEPARTMENT:
            departments = departments.filter(pk=user.department_id)
        else:
            departments = departments.filter(path__startswith=user.department.path)
    return {
        "users": list(users.order_by("username")[:500]),
        "teams": list(teams.order_by("name")[:200]),
        "departments": list(departments.order_by("path")[:200]),
    }


def whose_label(user: User, whose: Whose) -> str:
    """Return the name of the calendar shown, e.g. "My calendar" or a colleague's name."""
    model = {"user": User, "team": Team, "department": Department}.get(whose.kind)
    if model is None:
        return _("My calendar")
    record = model.objects.filter(pk=whose.pk).first()
    return str(record) if record else _("My calendar")
