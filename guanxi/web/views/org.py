"""Organisation screens: users, departments, teams, roles, territories (PLT-1, PLT-2).

Only administrators (staff) reach these screens. Departments move through the services of
`guanxi.core.org` so their materialised paths stay right, and a role's permission matrix is
saved with `role_set_permissions` in the same transaction as its name. The forms
(`guanxi.core.org_forms`) and the "may this be deleted?" rules (`guanxi.core.org`) are
shared with the organisation API, so screens and API answer with the same messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanxi.core import registry
from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, Role, Team, Territory, User
from guanxi.core.org import (
    check_manageable,
    department_delete_blocker,
    role_delete_blocker,
    role_save,
    territory_delete_blocker,
    user_search,
)
from guanxi.core.org_forms import (
    DepartmentForm,
    PermissionMatrixForm,
    RoleForm,
    TeamForm,
    TerritoryForm,
    UserCreateForm,
    UserForm,
    territory_tree,
    tree_label,
)
from guanxi.web.views.decorators import settings_required
from guanxi.web.views.records import protected_message

USERS_PER_PAGE = 50


# --- Shared view helpers ----------------------------------------------------------------


def _form_page(request, form, *, section: str, title: str, cancel: str, **extra):
    context = {"settings_section": section, "form": form, "page_title": title}
    context.update(cancel_url=cancel, **extra)
    return render(
        request, "web/settings/org_form.html", context, status=400 if form.errors else 200
    )


def _confirm_delete(request, obj, *, section: str, blocker, list_url: str):
    """Ask before deleting; refuse, changing nothing, while `blocker` names a reason."""
    reason = blocker(obj)
    if request.method == "POST" and reason is None:
        name = str(obj)
        try:
            with transaction.atomic():
                obj.delete()
        except ProtectedError as error:
            reason = protected_message(error)
        else:
            messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
            return redirect(list_url)
    context = {
        "settings_section": section,
        "page_title": _("Delete “%(name)s”") % {"name": obj},
        "question": _("Delete “%(name)s”? This cannot be undone.") % {"name": obj},
        "blocked": reason,
        "confirm_label": _("Delete"),
        "cancel_url": list_url,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "web/settings/org_confirm.html", context, status=status)


# --- Users ------------------------------------------------------------------------------


@settings_required
def user_list(request):
    """List users, filtered by department and searched by name, username or email."""
    users = User.objects.select_related("department").prefetch_related("roles")
    query = request.GET.get("q", "").strip()
    users = user_search(users, query)
    department = request.GET.get("department", "")
    if department.isdigit():
        users = users.filter(department_id=int(department))
    page = Paginator(users.order_by("username"), USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "settings_section": "users",
        "page": page,
        "query": query,
        "department": department,
        "department_choices": [(item.pk, tree_label(item)) for item in Department.objects.all()],
    }
    return render(request, "web/settings/org_users.html", context)


@settings_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
        messages.success(request, _("The user “%(name)s” was created.") % {"name": user})
        return redirect("web:org_user_list")
    return _form_page(
        request,
        form,
        section="users",
        title=_("New user"),
        cancel=reverse("web:org_user_list"),
        testid="user-form",
    )


@settings_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    check_manageable(request.user, user)
    form = UserForm(request.POST or None, instance=user, actor=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("The user “%(name)s” was saved.") % {"name": user})
        return redirect("web:org_user_list")
    links = [
        {
            "url": reverse("web:org_user_password", args=[user.pk]),
            "label": _("Set password"),
            "testid": "set-password",
            "css": "",
        }
    ]
    if user.is_active and user.pk != request.user.pk:
        links.append(
            {
                "url": reverse("web:org_user_deactivate", args=[user.pk]),
                "label": _("Deactivate"),
                "testid": "deactivate",
                "css": "btn-outline-danger",
            }
        )
    return _form_page(
        request,
        form,
        section="users",
        title=_("User “%(name)s”") % {"name": user.username},
        cancel=reverse("web:org_user_list"),
        testid="user-form",
        links=links,
    )


@settings_required
@require_http_methods(["GET", "POST"])
def user_password(request, pk: int):
    """Set a new password for a user, checked by the password validators."""
    user = get_object_or_404(User, pk=pk)
    check_manageable(request.user, user)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The password of “%(name)s” was changed.") % {"name": user})
        return redirect("web:org_user_edit", pk=user.pk)
    return _form_page(
        request,
        form,
        section="users",
        title=_("Set the password of “%(name)s”") % {"name": user.username},
        cancel=reverse("web:org_user_edit", args=[user.pk]),
        testid="password-form",
    )


@settings_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request, pk: int):
    """Stop a user from logging in; users are never deleted, as records refer to them."""
    user = get_object_or_404(User, pk=pk)
    check_manageable(request.user, user)
    reason = _("You cannot deactivate your own account.") if user.pk == request.user.pk else None
    if request.method == "POST" and reason is None:
        user.is_active = False
        user.save(update_fields=["is_active"])
        messages.success(request, _("The user “%(name)s” was deactivated.") % {"name": user})
        return redirect("web:org_user_list")
    context = {
        "settings_section": "users",
        "page_title": _("Deactivate “%(name)s”") % {"name": user.username},
        "question": _(
            "Deactivate “%(name)s”? They can no longer log in or use the API; their records "
            "keep them as owner until you transfer them."
        )
        % {"name": user},
        "blocked": reason,
        "confirm_label": _("Deactivate"),
        "cancel_url": reverse("web:org_user_edit", args=[user.pk]),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "web/settings/org_confirm.html", context, status=status)


# --- Departments ------------------------------------------------------------------------


@settings_required
def department_list(request):
    """List departments as a tree: ordering by path puts each one under its parent."""
    # Meta.ordering is not applied to aggregating queries, hence the explicit order_by.
    departments = (
        Department.objects.select_related("manager")
        .annotate(user_count=Count("users"))
        .order_by("path")
    )
    context = {"settings_section": "departments", "departments": departments}
    return render(request, "web/settings/org_departments.html", context)


@settings_required
@require_http_methods(["GET", "POST"])
def department_edit(request, pk: int | None = None):
    department = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        if saved is not None:
            messages.success(request, _("The department “%(name)s” was saved.") % {"name": saved})
            return redirect("web:org_department_list")
    title = department.name if department else _("New department")
    cancel = reverse("web:org_department_list")
    return _form_page(
        request, form, section="departments", title=title, cancel=cancel, testid="department-form"
    )


@settings_required
@require_http_methods(["GET", "POST"])
def department_delete(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    return _confirm_delete(
        request,
        department,
        section="departments",
        blocker=department_delete_blocker,
        list_url=reverse("web:org_department_list"),
    )


# --- Teams ------------------------------------------------------------------------------


@settings_required
def team_list(request):
    teams = (
        Team.objects.select_related("department", "leader")
        .annotate(member_count=Count("members"))
        .order_by("name")
    )
    return render(
        request, "web/settings/org_teams.html", {"settings_section": "teams", "teams": teams}
    )


@settings_required
@require_http_methods(["GET", "POST"])
def team_edit(request, pk: int | None = None):
    team = get_object_or_404(Team, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            team = form.save()
        messages.success(request, _("The team “%(name)s” was saved.") % {"name": team})
        return redirect("web:org_team_list")
    title = team.name if team else _("New team")
    cancel = reverse("web:org_team_list")
    return _form_page(
        request, form, section="teams", title=title, cancel=cancel, testid="team-form"
    )


@settings_required
@require_http_methods(["GET", "POST"])
def team_delete(request, pk: int):
    team = get_object_or_404(Team, pk=pk)
    return _confirm_delete(
        request,
        team,
        section="teams",
        blocker=lambda team: None,
        list_url=reverse("web:org_team_list"),
    )


# --- Roles ------------------------------------------------------------------------------


def grant_summary(role: Role) -> list[str]:
    """Return lines like "Customers: View, Edit (All)" describing a role's grants."""
    lines = []
    for grant in role.permissions.all():
        entity = registry.find(grant.entity)
        if entity is None:
            continue
        actions = ", ".join(str(a.label) for a in Action if a.value in grant.actions)
        scope = Scope(grant.scope).label if grant.scope in Scope.values else grant.scope
        lines.append(
            _("%(entity)s: %(actions)s (%(scope)s)")
            % {"entity": capfirst(entity.verbose_name_plural), "actions": actions, "scope": scope}
        )
    return lines


@settings_required
def role_list(request):
    roles = (
        Role.objects.annotate(user_count=Count("users"))
        .prefetch_related("permissions")
        .order_by("name")
    )
    rows = [{"role": role, "grants": grant_summary(role)} for role in roles]
    return render(
        request, "web/settings/org_roles.html", {"settings_section": "roles", "rows": rows}
    )


@settings_required
@require_http_methods(["GET", "POST"])
def role_edit(request, pk: int | None = None):
    """Create or change a role and its permission matrix; both are saved together or not at all."""
    role = get_object_or_404(Role, pk=pk) if pk else None
    data = request.POST or None
    form = RoleForm(data, instance=role)
    matrix = PermissionMatrixForm(data, role=role)
    if request.method == "POST" and form.is_valid() and matrix.is_valid():
        try:
            saved = role_save(form=form, permissions=matrix.permissions())
        except ValidationError as error:
            form.add_error(None, error.message_dict.get("permissions", error.messages))
        else:
            messages.success(request, _("The role “%(name)s” was saved.") % {"name": saved})
            return redirect("web:org_role_list")
    context = {
        "settings_section": "roles",
        "form": form,
        "matrix": matrix,
        "page_title": role.name if role else _("New role"),
        "scopes": Scope.choices,
    }
    status = 400 if form.errors or matrix.errors else 200
    return render(request, "web/settings/org_role_form.html", context, status=status)


@settings_required
@require_http_methods(["GET", "POST"])
def role_delete(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    return _confirm_delete(
        request,
        role,
        section="roles",
        blocker=role_delete_blocker,
        list_url=reverse("web:org_role_list"),
    )


# --- Territories ------------------------------------------------------------------------


@settings_required
def territory_list(request):
    territories = Territory.objects.annotate(user_count=Count("users")).order_by("name")
    context = {"settings_section": "territories", "territories": territory_tree(territories)}
    return render(request, "web/settings/org_territories.html", context)


@settings_required
@require_http_methods(["GET", "POST"])
def territory_edit(request, pk: int | None = None):
    territory = get_object_or_404(Territory, pk=pk) if pk else None
    form = TerritoryForm(request.POST or None, instance=territory)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            territory = form.save()
        messages.success(request, _("The territory “%(name)s” was saved.") % {"name": territory})
        return redirect("web:org_territory_list")
    title = territory.name if territory else _("New territory")
    cancel = reverse("web:org_territory_list")
    return _form_page(
        request, form, section="territories", title=title, cancel=cancel, testid="territory-form"
    )


@settings_required
@require_http_methods(["GET", "POST"])
def territory_delete(request, pk: int):
    territory = get_object_or_404(Territory, pk=pk)
    return _confirm_delete(
        request,
        territory,
        section="territories",
        blocker=territory_delete_blocker,
        list_url=reverse("web:org_territory_list"),
    )


urlpatterns = [
    path("users/", user_list, name="org_user_list"),
    path("users/new/", user_create, name="org_user_create"),
    path("users/<int:pk>/edit/", user_edit, name="org_user_edit"),
    path("users/<int:pk>/password/", user_password, name="org_user_password"),
    path("users/<int:pk>/deactivate/", user_deactivate, name="org_user_deactivate"),
    path("departments/", department_list, name="org_department_list"),
    path("departments/new/", department_edit, name="org_department_create"),
    path("departments/<int:pk>/edit/", department_edit, name="org_department_edit"),
    path("departments/<int:pk>/delete/", department_delete, name="org_department_delete"),
    path("teams/", team_list, name="org_team_list"),
    path("teams/new/", team_edit, name="org_team_create"),
    path("teams/<int:pk>/edit/", team_edit, name="org_team_edit"),
    path("teams/<int:pk>/delete/", team_delete, name="org_team_delete"),
    path("roles/", role_list, name="org_role_list"),
    path("roles/new/", role_edit, name="org_role_create"),
    path("roles/<int:pk>/edit/", role_edit, name="org_role_edit"),
    path("roles/<int:pk>/delete/", role_delete, name="org_role_delete"),
    path("territories/", territory_list, name="org_territory_list"),
    path("territories/new/", territory_edit, name="org_territory_create"),
    path("territories/<int:pk>/edit/", territory_edit, name="org_territory_edit"),
    path("territories/<int:pk>/delete/", territory_delete, name="org_territory_delete"),
]
