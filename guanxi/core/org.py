"""Services of the organisation: the department tree and role permissions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, Role, RolePermission, User


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
    for item in permissions:
        entity = item.get("entity")
        actions = list(dict.fromkeys(item.get("actions") or []))
        scope = item.get("scope")
        if registry.find(entity) is None:
            errors.append(_("Unknown entity: %(entity)s") % {"entity": entity})
            continue
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
