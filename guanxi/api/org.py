"""Organisation endpoints: departments, teams, users, roles (administrators only).

The endpoints validate with the same forms as the settings screens (`guanxi.web.views.org`)
and write through the same services, so both answer with the same messages. A PATCH
overlays the sent fields on the record's current values before validating.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from guanxi.api.errors import ApiError, form_errors, invalid
from guanxi.core.models import Department, Role, Team, User
from guanxi.core.org import (
    check_manageable,
    department_delete_blocker,
    role_delete_blocker,
    role_save,
    user_search,
)
from guanxi.core.org_forms import DepartmentForm, RoleForm, TeamForm, UserAccountForm

router = Router(tags=["organisation"])

MAX_LIMIT = 500


# --- Schemas ----------------------------------------------------------------------------


class DepartmentIn(Schema):
    name: str | None = None
    parent: int | None = None
    manager: int | None = None


class DepartmentOut(Schema):
    id: int
    name: str
    parent: int | None
    manager: int | None
    path: str


class DepartmentList(Schema):
    count: int
    items: list[DepartmentOut]


class TeamIn(Schema):
    name: str | None = None
    department: int | None = None
    leader: int | None = None
    members: list[int] | None = None


class TeamOut(Schema):
    id: int
    name: str
    department: int | None
    leader: int | None
    members: list[int]


class TeamList(Schema):
    count: int
    items: list[TeamOut]


class UserIn(Schema):
    username: str | None = None
    password: str | None = None
    email: str | None = None
    display_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    department: int | None = None
    manager: int | None = None
    roles: list[int] | None = None
    language: str | None = None
    time_zone: str | None = None
    is_active: bool | None = None
    is_staff: bool | None = None


class UserOut(Schema):
    id: int
    username: str
    email: str
    display_name: str
    first_name: str
    last_name: str
    phone: str
    department: int | None
    manager: int | None
    roles: list[int]
    language: str
    time_zone: str
    is_active: bool
    is_staff: bool
    is_superuser: bool
    last_login: datetime.datetime | None


class UserList(Schema):
    count: int
    items: list[UserOut]


class PermissionIn(Schema):
    entity: str
    actions: list[str] = []
    scope: str | None = None


class PermissionOut(Schema):
    entity: str
    actions: list[str]
    scope: str


class RoleIn(Schema):
    name: str | None = None
    description: str | None = None
    max_accounts: int | None = None
    mask_personal_data: bool | None = None
    permissions: list[PermissionIn] | None = None


class RoleOut(Schema):
    id: int
    name: str
    description: str
    max_accounts: int | None
    mask_personal_data: bool
    permissions: list[PermissionOut]


class RoleList(Schema):
    count: int
    items: list[RoleOut]


# --- Helpers ----------------------------------------------------------------------------


def require_admin(request) -> User:
    """Return the acting user, or raise PermissionDenied unless they are an administrator."""
    user = request.auth
    if not (user.is_superuser or user.is_staff):
        raise PermissionDenied
    return user


def page(queryset: QuerySet, limit: int, offset: int) -> tuple[int, list]:
    """Return the exact count (organisation tables are small) and one page of rows."""
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    return queryset.count(), list(queryset[offset : offset + limit])


def get_or_404(queryset: QuerySet, pk: int):
    instance = queryset.filter(pk=pk).first()
    if instance is None:
        raise ApiError(404, _("Not found."))
    return instance


def not_valid(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, _("The data is not valid."), errors)


def validation_errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in error.message_dict.items()}
    return {"__all__": [str(m) for m in error.messages]}


def overlay(base: dict[str, Any], payload: Schema, *, skip: tuple[str, ...] = ()) -> dict:
    """Return the current values with the fields the client sent laid over them."""
    data = dict(base)
    sent = payload.dict(exclude_unset=True)
    data.update({key: value for key, value in sent.items() if key not in skip})
    return data


# --- Departments ------------------------------------------------------------------------


def department_out(department: Department) -> dict:
    return {
        "id": department.pk,
        "name": department.name,
        "parent": department.parent_id,
        "manager": department.manager_id,
        "path": department.path,
    }


def department_values(department: Department) -> dict:
    return {
        "name": department.name,
        "parent": department.parent_id,
        "manager": department.manager_id,
    }


def department_save(form: DepartmentForm) -> Department:
    if not form.is_valid():
        raise invalid(form)
    department = form.save()
    if department is None:
        raise invalid(form)
    return department


@router.get("/departments", response=DepartmentList, operation_id="departments_list")
def department_list(request, q: str | None = None, limit: int = 50, offset: int = 0):
    """List departments in tree order."""
    require_admin(request)
    queryset = Department.objects.all()
    if q:
        queryset = queryset.filter(name__icontains=q)
    count, items = page(queryset, limit, offset)
    return {"count": count, "items": [department_out(item) for item in items]}


@router.post("/departments", response={201: DepartmentOut}, operation_id="departments_create")
def department_create(request, payload: DepartmentIn):
    require_admin(request)
    form = DepartmentForm(overlay({}, payload))
    return Status(201, department_out(department_save(form)))


@router.get("/departments/{int:pk}", response=DepartmentOut, operation_id="departments_get")
def department_get(request, pk: int):
    require_admin(request)
    return department_out(get_or_404(Department.objects.all(), pk))


@router.patch("/departments/{int:pk}", response=DepartmentOut, operation_id="departments_update")
def department_update(request, pk: int, payload: DepartmentIn):
    """Rename or move a department; moving it moves everything below it too."""
    require_admin(request)
    department = get_or_404(Department.objects.all(), pk)
    form = DepartmentForm(overlay(department_values(department), payload), instance=department)
    return department_out(department_save(form))


@router.delete("/departments/{int:pk}", response={204: None}, operation_id="departments_delete")
def department_delete(request, pk: int):
    """Delete a department that has no sub-departments and no users."""
    require_admin(request)
    department = get_or_404(Department.objects.all(), pk)
    reason = department_delete_blocker(department)
    if reason:
        raise ApiError(409, reason)
    department.delete()
    return Status(204, None)


# --- Teams ------------------------------------------------------------------------------


def team_out(team: Team) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "department": team.department_id,
        "leader": team.leader_id,
        "members": sorted(member.pk for member in team.members.all()),
    }


def team_values(team: Team) -> dict:
    return {
        "name": team.name,
        "department": team.department_id,
        "leader": team.leader_id,
        "members": list(team.members.values_list("pk", flat=True)),
    }


def team_save(form: TeamForm) -> Team:
    if not form.is_valid():
        raise invalid(form)
    with transaction.atomic():
        return form.save()


@router.get("/teams", response=TeamList, operation_id="teams_list")
def team_list(request, q: str | None = None, limit: int = 50, offset: int = 0):
    require_admin(request)
    queryset = Team.objects.prefetch_related("members")
    if q:
        queryset = queryset.filter(name__icontains=q)
    count, items = page(queryset, limit, offset)
    return {"count": count, "items": [team_out(item) for item in items]}


@router.post("/teams", response={201: TeamOut}, operation_id="teams_create")
def team_create(request, payload: TeamIn):
    require_admin(request)
    return Status(201, team_out(team_save(TeamForm(overlay({"members": []}, payload)))))


@router.get("/teams/{int:pk}", response=TeamOut, operation_id="teams_get")
def team_get(request, pk: int):
    require_admin(request)
    return team_out(get_or_404(Team.objects.all(), pk))


@router.patch("/teams/{int:pk}", response=TeamOut, operation_id="teams_update")
def team_update(request, pk: int, payload: TeamIn):
    require_admin(request)
    team = get_or_404(Team.objects.all(), pk)
    form = TeamForm(overlay(team_values(team), payload), instance=team)
    return team_out(team_save(form))


@router.delete("/teams/{int:pk}", response={204: None}, operation_id="teams_delete")
def team_delete(request, pk: int):
    require_admin(request)
    get_or_404(Team.objects.all(), pk).delete()
    return Status(204, None)


# --- Users ------------------------------------------------------------------------------

NEW_USER_VALUES = {
    "username": "",
    "email": "",
    "display_name": "",
    "first_name": "",
    "last_name": "",
    "phone": "",
    "department": None,
    "manager": None,
    "roles": [],
    "language": "",
    "time_zone": "",
    "is_active": True,
    "is_staff": False,
}


def user_out(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "department": user.department_id,
        "manager": user.manager_id,
        "roles": sorted(role.pk for role in user.roles.all()),
        "language": user.language,
        "time_zone": user.time_zone,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "last_login": user.last_login,
    }


def user_values(user: User) -> dict:
    values = {field: getattr(user, field) for field in NEW_USER_VALUES}
    values.update(
        department=user.department_id,
        manager=user.manager_id,
        roles=list(user.roles.values_list("pk", flat=True)),
    )
    return values


def user_save(form: UserAccountForm, payload: UserIn, *, creating: bool) -> User:
    """Validate the fields and the password together, then save them in one transaction."""
    errors = {} if form.is_valid() else form_errors(form)
    sent = payload.dict(exclude_unset=True)
    password = sent.get("password")
    if creating or "password" in sent:
        if not password:
            errors["password"] = [_("This field is required.")]
        else:
            try:
                validate_password(password, form.instance)
            except ValidationError as error:
                errors["password"] = [str(message) for message in error.messages]
    if errors:
        raise not_valid(errors)
    with transaction.atomic():
        user = form.save(commit=False)
        if password:
            user.set_password(password)
        user.save()
        form.save_m2m()
    return user


@router.get("/users", response=UserList, operation_id="users_list")
def user_list(
    request,
    q: str | None = None,
    department: int | None = None,
    is_active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
):
    """List users; `q` searches username, names and email."""
    require_admin(request)
    queryset = User.objects.prefetch_related("roles").order_by("username")
    queryset = user_search(queryset, q or "")
    if department is not None:
        queryset = queryset.filter(department_id=department)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    count, items = page(queryset, limit, offset)
    return {"count": count, "items": [user_out(item) for item in items]}


@router.post("/users", response={201: UserOut}, operation_id="users_create")
def user_create(request, payload: UserIn):
    """Create a user; `username` and `password` are required, the password is validated."""
    actor = require_admin(request)
    form = UserAccountForm(overlay(NEW_USER_VALUES, payload, skip=("password",)), actor=actor)
    return Status(201, user_out(user_save(form, payload, creating=True)))


@router.get("/users/{int:pk}", response=UserOut, operation_id="users_get")
def user_get(request, pk: int):
    require_admin(request)
    return user_out(get_or_404(User.objects.all(), pk))


@router.patch("/users/{int:pk}", response=UserOut, operation_id="users_update")
def user_update(request, pk: int, payload: UserIn):
    """Change a user; sending `password` sets a new one."""
    actor = require_admin(request)
    user = get_or_404(User.objects.all(), pk)
    check_manageable(actor, user)
    data = overlay(user_values(user), payload, skip=("password",))
    form = UserAccountForm(data, instance=user, actor=actor)
    return user_out(user_save(form, payload, creating=False))


@router.delete("/users/{int:pk}", response={204: None}, operation_id="users_delete")
def user_delete(request, pk: int):
    """Deactivate a user; users are never deleted, as records refer to them."""
    actor = require_admin(request)
    user = get_or_404(User.objects.all(), pk)
    check_manageable(actor, user)
    if user.pk == actor.pk:
        raise not_valid({"is_active": [_("You cannot deactivate your own account.")]})
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return Status(204, None)


# --- Roles ------------------------------------------------------------------------------


def role_out(role: Role) -> dict:
    grants = sorted(role.permissions.all(), key=lambda grant: grant.entity)
    return {
        "id": role.pk,
        "name": role.name,
        "description": role.description,
        "max_accounts": role.max_accounts,
        "mask_personal_data": role.mask_personal_data,
        "permissions": [
            {"entity": grant.entity, "actions": list(grant.actions), "scope": grant.scope}
            for grant in grants
        ],
    }


def role_write(form: RoleForm, payload: RoleIn) -> Role:
    """Save the name and, when sent, the grants in one transaction; bad grants change nothing."""
    if not form.is_valid():
        raise invalid(form)
    if payload.permissions is None:
        with transaction.atomic():
            return form.save()
    permissions = [grant.dict() for grant in payload.permissions]
    entities = [grant["entity"] for grant in permissions]
    repeated = sorted({entity for entity in entities if entities.count(entity) > 1})
    if repeated:
        # role_set_permissions would hit the one-grant-per-entity constraint (a 500).
        message = _("Each entity may appear only once: %(entities)s")
        raise not_valid({"permissions": [message % {"entities": ", ".join(repeated)}]})
    try:
        return role_save(form=form, permissions=permissions)
    except ValidationError as error:
        raise not_valid(validation_errors(error)) from None


@router.get("/roles", response=RoleList, operation_id="roles_list")
def role_list(request, q: str | None = None, limit: int = 50, offset: int = 0):
    require_admin(request)
    queryset = Role.objects.prefetch_related("permissions")
    if q:
        queryset = queryset.filter(name__icontains=q)
    count, items = page(queryset, limit, offset)
    return {"count": count, "items": [role_out(item) for item in items]}


@router.post("/roles", response={201: RoleOut}, operation_id="roles_create")
def role_create(request, payload: RoleIn):
    """Create a role with its grants: [{"entity", "actions", "scope"}]."""
    require_admin(request)
    form = RoleForm(overlay({"description": ""}, payload, skip=("permissions",)))
    return Status(201, role_out(role_write(form, payload)))


@router.get("/roles/{int:pk}", response=RoleOut, operation_id="roles_get")
def role_get(request, pk: int):
    require_admin(request)
    return role_out(get_or_404(Role.objects.all(), pk))


@router.patch("/roles/{int:pk}", response=RoleOut, operation_id="roles_update")
def role_update(request, pk: int, payload: RoleIn):
    """Change a role; sending `permissions` replaces all of its grants."""
    require_admin(request)
    role = get_or_404(Role.objects.all(), pk)
    base = {
        "name": role.name,
        "description": role.description,
        "max_accounts": role.max_accounts,
        "mask_personal_data": role.mask_personal_data,
    }
    form = RoleForm(overlay(base, payload, skip=("permissions",)), instance=role)
    return role_out(role_write(form, payload))


@router.delete("/roles/{int:pk}", response={204: None}, operation_id="roles_delete")
def role_delete(request, pk: int):
    """Delete a role that no user has."""
    require_admin(request)
    role = get_or_404(Role.objects.all(), pk)
    reason = role_delete_blocker(role)
    if reason:
        raise ApiError(409, reason)
    role.delete()
    return Status(204, None)
