"""Who approves a step (审批人): rules resolved against the requester when a step starts.

A step's `approver` is one of:
- `{"kind": "user", "user": id}` — a named user;
- `{"kind": "role", "role": id}` — the users with that role in the requester's department;
- `{"kind": "manager"}` — the requester's manager (上级);
- `{"kind": "manager_of_manager"}` — the manager's manager;
- `{"kind": "department_head", "levels": n}` — the manager (负责人) of the requester's
  department (n = 0) or of the department n levels above it.

Only active users are returned. An empty answer is for the caller to handle: refuse the
submit, skip the step, or mark a running instance stuck.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.models import Department, Role, User

KINDS = {
    "user": gettext_lazy("A named user"),
    "role": gettext_lazy("A role in the requester's department"),
    "manager": gettext_lazy("The requester's manager"),
    "manager_of_manager": gettext_lazy("The manager's manager"),
    "department_head": gettext_lazy("The head of a department up the tree"),
}
MAX_LEVELS = 10


def validate(approver: Any) -> tuple[dict[str, Any], list[str]]:
    """Return an approver rule in its stored shape and the error messages."""
    if not isinstance(approver, dict) or approver.get("kind") not in KINDS:
        return {}, [_("Choose who approves: one of %(kinds)s.") % {"kinds": ", ".join(KINDS)}]
    kind = approver["kind"]
    if kind == "user":
        user_id = _int(approver.get("user"))
        if user_id is None or not User.objects.filter(pk=user_id, is_active=True).exists():
            return {}, [_("Choose an active user as the approver.")]
        return {"kind": kind, "user": user_id}, []
    if kind == "role":
        role_id = _int(approver.get("role"))
        if role_id is None or not Role.objects.filter(pk=role_id).exists():
            return {}, [_("Choose the role whose holders approve.")]
        return {"kind": kind, "role": role_id}, []
    if kind == "department_head":
        levels = _int(approver.get("levels", 0))
        if levels is None or not 0 <= levels <= MAX_LEVELS:
            return {}, [_("Enter how many levels up, from 0 to %(max)s.") % {"max": MAX_LEVELS}]
        return {"kind": kind, "levels": levels}, []
    return {"kind": kind}, []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def resolve(approver: dict[str, Any], requester: User) -> list[User]:
    """Return the active users an approver rule names for a requester, in a stable order."""
    kind = approver.get("kind")
    found: list[User] = []
    if kind == "user":
        found = list(User.objects.filter(pk=approver.get("user")))
    elif kind == "role":
        if requester.department_id:
            found = list(
                User.objects.filter(
                    department_id=requester.department_id, roles__id=approver.get("role")
                )
                .distinct()
                .order_by("username")
            )
    elif kind == "manager":
        found = [requester.manager] if requester.manager_id else []
    elif kind == "manager_of_manager":
        manager = requester.manager
        found = [manager.manager] if manager is not None and manager.manager_id else []
    elif kind == "department_head":
        department = _department_up(requester, approver.get("levels", 0))
        found = [department.manager] if department and department.manager_id else []
    return [user for user in found if user is not None and user.is_active]


def _department_up(requester: User, levels: int) -> Department | None:
    if not requester.department_id:
        return None
    department = requester.department
    ids = [int(part) for part in department.path.strip("/").split("/") if part]
    if not ids:
        ids = [department.pk]
    index = len(ids) - 1 - int(levels or 0)
    if index < 0:
        return None
    if ids[index] == department.pk:
        return department
    return Department.objects.select_related("manager").filter(pk=ids[index]).first()


def describe(approver: dict[str, Any]) -> str:
    """Return an approver rule as words for lists and the approval page."""
    kind = approver.get("kind")
    if kind == "user":
        user = User.objects.filter(pk=approver.get("user")).first()
        return str(user) if user else _("A user who no longer exists")
    if kind == "role":
        role = Role.objects.filter(pk=approver.get("role")).first()
        return _("%(role)s in the requester's department") % {"role": role or "?"}
    if kind == "department_head":
        levels = approver.get("levels", 0)
        if not levels:
            return _("The head of the requester's department")
        return _("The head of the department %(n)s levels up") % {"n": levels}
    return str(KINDS.get(kind, kind))
