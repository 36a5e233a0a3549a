"""Whose funnel, forecast and targets a user may see and set.

Figures always come from `Opportunity.objects.visible_to(user, "view")`. The people a
forecast lists are those whose deals that scope covers (own → the user; department →
their department; department and below → their department tree; all → everyone). Targets
and forecast adjustments are set by the manager (`Department.manager`) of a department
above the person or department, or by an administrator; nobody sets their own.
"""

from __future__ import annotations

from django.db.models import Q

from guanxi.core.choices import Scope
from guanxi.core.models import Department, Team, User
from guanxi.core.permissions import cached_for, colleague_ids, user_scope

OPPORTUNITY = "opportunity"


def deal_scope(user: User) -> str | None:
    """Return the user's scope for viewing deals, None when they may see none."""
    return user_scope(user, OPPORTUNITY, "view")


def visible_people(user: User) -> list[int] | None:
    """Return the ids of the people whose deals the user may see; None means everyone."""
    scope = deal_scope(user)
    if scope is None:
        return []
    if scope == Scope.ALL:
        return None
    if scope == Scope.OWN:
        return [user.pk]
    return colleague_ids(user, scope)


def visible_department_q(user: User) -> Q | None:
    """Return a filter of the departments the user sees forecasts of; None means all."""
    scope = deal_scope(user)
    if scope == Scope.ALL:
        return None
    condition = Q(pk__in=[])
    if user.department_id and scope is not None:
        if scope == Scope.DEPARTMENT_TREE:
            condition = Q(path__startswith=user.department.path)
        else:
            condition = Q(pk=user.department_id)
    for path in managed_paths(user):
        condition |= Q(path__startswith=path)
    return condition


def managed_paths(user: User) -> list[str]:
    """Return the paths of the departments the user manages."""

    def compute():
        return sorted(Department.objects.filter(manager=user).values_list("path", flat=True))

    return cached_for(user, "sales:managed_paths", compute)


def is_administrator(user: User) -> bool:
    return bool(user.is_superuser or user.is_staff)


def _under(path: str | None, paths: list[str]) -> bool:
    return bool(path) and any(path.startswith(prefix) for prefix in paths)


def can_manage_user(actor: User, person: User) -> bool:
    """Tell whether the actor may set the person's targets and adjust their forecast."""
    if is_administrator(actor):
        return True
    if person.pk == actor.pk or person.department_id is None:
        return False
    return _under(person.department.path, managed_paths(actor))


def can_manage_department(actor: User, department: Department) -> bool:
    """Tell whether the actor manages the department or one above it."""
    if is_administrator(actor):
        return True
    paths = managed_paths(actor)
    if department.manager_id == actor.pk:
        # A manager's own department is set from above, unless they also manage a parent.
        return any(department.path.startswith(p) and p != department.path for p in paths)
    return _under(department.path, paths)


def can_manage_team(actor: User, team: Team) -> bool:
    if is_administrator(actor):
        return True
    return team.department_id is not None and _under(team.department.path, managed_paths(actor))


def managed_user_q(actor: User) -> Q | None:
    """Return a filter of the people whose targets the actor sets; None means everyone."""
    if is_administrator(actor):
        return None
    condition = Q(pk__in=[])
    for path in managed_paths(actor):
        condition |= Q(department__path__startswith=path)
    return condition & ~Q(pk=actor.pk)


def target_visibility_q(user: User) -> Q | None:
    """Return a filter of the targets the user may read; None means all."""
    if is_administrator(user) or deal_scope(user) == Scope.ALL:
        return None
    people = visible_people(user) or []
    condition = Q(user_id__in=sorted({user.pk, *people}))
    condition |= Q(team__members=user)
    if user.department_id:
        condition |= Q(department_id=user.department_id)
    departments = visible_department_q(user)
    if departments is not None:
        ids = list(Department.objects.filter(departments).values_list("id", flat=True))
        condition |= Q(department_id__in=ids) | Q(team__department_id__in=ids)
    for path in managed_paths(user):
        condition |= Q(user__department__path__startswith=path)
    return condition
