"""Permissions: which actions a user may take on an entity, and on which records (PLT-2).

A role grants, per entity, a set of actions within a data scope. A user's grant for an
(entity, action) pair is the widest scope any of their roles gives. Shares widen the
records a user may view or edit one by one. Superusers have every permission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from guanxi.core.choices import SCOPE_RANK, Action, Scope, ShareAccess

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from guanxi.core.models import User

# Which share access levels let a user take an action on a shared record.
SHARE_ACCESS_FOR_ACTION = {
    Action.VIEW: [ShareAccess.READ, ShareAccess.EDIT],
    Action.EXPORT: [ShareAccess.READ, ShareAccess.EDIT],
    Action.EDIT: [ShareAccess.EDIT],
}


# Per entity, functions that widen what a user may see beyond owner scope and shares, e.g.
# the customers of the public pools a user's roles give access to. Apps register them.
VisibilityProvider = Callable[["User", str], "Q | None"]
_visibility_providers: dict[str, list[VisibilityProvider]] = {}


def register_visibility(entity: str, provider: VisibilityProvider) -> None:
    """Let `provider(user, action)` add records the user may act on (a Q, or None for none).

    It is asked only for users who hold the action on the entity in a scope narrower than
    all; a user with no grant at all gains nothing from it.
    """
    providers = _visibility_providers.setdefault(entity, [])
    if provider not in providers:
        providers.append(provider)


class OutOfScope(PermissionDenied):
    """Raised when a write would leave a record outside the acting user's data scope."""


def entity_of(model: type[Model] | Model) -> str:
    """Return the entity name of a model, e.g. "account"."""
    return getattr(model, "entity_name", None) or model._meta.model_name


def user_grants(user: User) -> dict[str, dict[str, str]]:
    """Return {entity: {action: widest scope}} for a user, read once per user object."""
    cached = getattr(user, "_guanxi_grants", None)
    if cached is not None:
        return cached
    from guanxi.core.models import RolePermission

    grants: dict[str, dict[str, str]] = {}
    rows = RolePermission.objects.filter(role__users=user).values_list("entity", "actions", "scope")
    for entity, actions, scope in rows:
        for action in actions:
            current = grants.setdefault(entity, {}).get(action)
            if current is None or SCOPE_RANK[scope] > SCOPE_RANK[current]:
                grants[entity][action] = scope
    user._guanxi_grants = grants
    return grants


def forget_grants(user: User) -> None:
    """Drop the grants cached on a user object after their roles changed."""
    for attribute in ("_guanxi_grants", "_guanxi_team_ids", "_guanxi_scope_cache", "_guanxi_masks"):
        if hasattr(user, attribute):
            delattr(user, attribute)


def user_scope(user: User, entity: str, action: str) -> str | None:
    """Return the widest scope in which `user` may take `action` on `entity`, or None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Scope.ALL
    return user_grants(user).get(entity, {}).get(action)


def can(user: User, entity: str, action: str) -> bool:
    """Tell whether the user may take the action on at least some records of the entity."""
    return user_scope(user, entity, action) is not None


def require(user: User, entity: str, action: str) -> str:
    """Return the user's scope for the action, or raise PermissionDenied."""
    scope = user_scope(user, entity, action)
    if scope is None:
        raise PermissionDenied
    return scope


def team_ids(user: User) -> list[int]:
    cached = getattr(user, "_guanxi_team_ids", None)
    if cached is None:
        cached = list(user.teams.values_list("id", flat=True))
        user._guanxi_team_ids = cached
    return cached


def cached_for(user: User, key: str, compute):
    """Return `compute()`, remembered on the user object with the other scope facts."""
    return _cached(user, key, compute)


def _cached(user: User, key: str, compute):
    cache = user.__dict__.setdefault("_guanxi_scope_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def shared_ids(user: User, entity: str, action: str) -> list[int]:
    """Return the ids of the entity's records shared with the user (or their teams)."""
    from guanxi.core.models import Share

    access = SHARE_ACCESS_FOR_ACTION.get(action)
    if not access:
        return []

    def compute():
        target = Q(user=user)
        teams = team_ids(user)
        if teams:
            target |= Q(team_id__in=teams)
        shares = Share.objects.filter(target, entity=entity, access__in=access)
        return sorted(set(shares.values_list("object_id", flat=True)))

    return _cached(user, f"shares:{entity}:{action}", compute)


def colleague_ids(user: User, scope: str) -> list[int]:
    """Return the ids of the users whose records a department scope covers."""
    from guanxi.core.models import User as UserModel

    if not user.department_id:
        return [user.pk]

    def compute():
        members = UserModel.objects.all()
        if scope == Scope.DEPARTMENT:
            members = members.filter(department_id=user.department_id)
        else:
            members = members.filter(department__path__startswith=user.department.path)
        return sorted({user.pk, *members.values_list("id", flat=True)})

    return _cached(user, f"colleagues:{scope}", compute)


def scope_q(user: User, model: type[Model], action: str) -> Q | None:
    """Return the filter for the records the user may act on; None means all.

    Owner and share ids are read first and passed as lists: `owner_id IN (…) OR id IN (…)`
    lets the database combine two index scans, where the same with subqueries makes
    PostgreSQL scan the whole table.
    """
    entity = entity_of(model)
    scope = user_scope(user, entity, action)
    if scope is None:
        return Q(pk__in=[])
    if scope == Scope.ALL:
        return None
    owner_field = getattr(model, "owner_field", "owner")
    if scope == Scope.OWN:
        condition = Q(**{owner_field: user.pk})
    else:
        condition = Q(**{f"{owner_field}__in": colleague_ids(user, scope)})
    shared = shared_ids(user, entity, action)
    if shared:
        condition |= Q(pk__in=shared)
    for provider in _visibility_providers.get(entity, ()):
        extra = provider(user, action)
        if extra is not None:
            condition |= extra
    return condition


def scope_filter(queryset: QuerySet, user: User, action: str) -> QuerySet:
    """Return `queryset` narrowed to the records the user may take `action` on."""
    condition = scope_q(user, queryset.model, action)
    if condition is None:
        return queryset
    if condition == Q(pk__in=[]):
        return queryset.none()
    return queryset.filter(condition)


def ensure_in_scope(user: User, instance: Model, action: str) -> None:
    """Raise OutOfScope unless the saved record lies in the user's scope for the action."""
    model = type(instance)
    if not scope_filter(model._default_manager.all(), user, action).filter(pk=instance.pk).exists():
        raise OutOfScope
