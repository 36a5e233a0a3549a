"""Services of the organisation: the department tree and role permissions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, Role, RolePermission, Territory, User


def _path_for(department: Department) -> str:
    parent_path = department.parent.path if department.parent_id else "/"
    return f"{parent_path}{department.pk}/"


@transaction.atomic
def department_create(
    *, name: str, parent: Department | None = None, manager: User | None = None
) -> Department:
    """Create a department under `parent` (or at the top) and place it in the tree."""
    department = Department.objects.create(name=name, parent=parent, manager=manager)
    department.path = _path_for(department)
    department.save(update_fields=["path"])
    return department


@transaction.atomic
def department_update(
    *, department: Department, name: str, parent: Department | None, manager: User | None
) -> Department:
    """Rename or move a department; moving it moves everything below it too."""
    if parent is not None and (
        parent.pk == department.pk or parent.path.startswith(department.path)
    ):
        raise ValidationError(
            {"parent": _("A department cannot be placed under itself or one of its own.")}
        )
    old_path = department.path
    department.name = name
    department.parent = parent
    department.manager = manager
    department.path = _path_for(department)
    department.save()
    if old_path != department.path:
        Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk).update(
            path=Concat(Value(department.path), Substr("path", len(old_path) + 1))
        )
    return department


@transaction.atomic
def role_set_permissions(*, role: Role, permissions: list[dict]) -> Role:
    """Replace a role's grants with [{"entity", "actions", "scope"}, ...], validated."""
    from guanxi.core import registry

    errors = []
    rows = []
    seen: set[str] = set()
    for item in permissions:
        entity = item.get("entity")
        actions = list(dict.fromkeys(item.get("actions") or []))
        scope = item.get("scope")
        if registry.find(entity) is None:
            errors.append(_("Unknown entity: %(entity)s") % {"entity": entity})
            continue
        if entity in seen:
            errors.append(_("Each entity may appear only once: %(entity)s") % {"entity": entity})
            continue
        seen.add(entity)
        bad = [action for action in actions if action not in Action.values]
        if bad:
            errors.append(_("Unknown action: %(action)s") % {"action": ", ".join(bad)})
        if scope not in Scope.values:
            errors.append(_("Unknown data scope: %(scope)s") % {"scope": scope})
        if actions:
            rows.append(RolePermission(role=role, entity=entity, actions=actions, scope=scope))
    if errors:
        raise ValidationError({"permissions": errors})
    RolePermission.objects.filter(role=role).delete()
    RolePermission.objects.bulk_create(rows)
    return role


def check_manageable(actor: User, target: User) -> None:
    """Refuse when a staff member who is not a superuser would change a superuser's account."""
    if target.is_superuser and not actor.is_superuser:
        raise PermissionDenied


def department_delete_blocker(department: Department) -> str | None:
    """Return why a department cannot be deleted yet, or None when it can."""
    if department.children.exists():
        return _("This department has sub-departments. Move or delete them first.")
    users = department.users.count()
    if users:
        return ngettext(
            "%(count)d user belongs to this department. Move them to another department first.",
            "%(count)d users belong to this department. Move them to another department first.",
            users,
        ) % {"count": users}
    return None


def role_delete_blocker(role: Role) -> str | None:
    """Return why a role cannot be deleted yet, or None when it can."""
    users = role.users.count()
    if users:
        return ngettext(
            "%(count)d user has this role. Take it away from them first.",
            "%(count)d users have this role. Take it away from them first.",
            users,
        ) % {"count": users}
    return None


def territory_delete_blocker(territory: Territory) -> str | None:
    """Return why a territory cannot be deleted yet, or None when it can."""
    if territory.children.exists():
        return _("This territory has sub-territories. Move or delete them first.")
    return None


def role_save(*, form, permissions: list[dict]) -> Role:
    """Save a role's name and its grants in one transaction; bad grants change nothing."""
    with transaction.atomic():
        role = form.save()
        role_set_permissions(role=role, permissions=permissions)
    return role


def user_search(queryset, query: str):
    """Return the users of `queryset` whose username, names or email contain `query`."""
    query = query.strip()
    if not query:
        return queryset
    return queryset.filter(
        Q(username__icontains=query)
        | Q(display_name__icontains=query)
        | Q(first_name__icontains=query)
        | Q(last_name__icontains=query)
        | Q(email__icontains=query)
    )
