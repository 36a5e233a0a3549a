"""Forms of the organisation, shared by the settings screens and the organisation API.

Screens and API validate with the same forms, so both answer with the same messages in
the user's language.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from functools import cache

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core import registry
from guanxi.core.choices import Action, Scope
from guanxi.core.models import Department, Role, Team, Territory, User
from guanxi.core.org import department_create, department_update


def territory_tree(territories) -> list[Territory]:
    """Return territories in tree order, each with a `depth` attribute set."""
    children: dict[int | None, list[Territory]] = defaultdict(list)
    for territory in territories:
        children[territory.parent_id].append(territory)
    ordered: list[Territory] = []
    stack = [(territory, 0) for territory in reversed(children[None])]
    while stack:
        territory, depth = stack.pop()
        territory.depth = depth
        ordered.append(territory)
        stack.extend((child, depth + 1) for child in reversed(children[territory.pk]))
    return ordered


@cache
def _time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    default = _("Default (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", default), *((zone, zone) for zone in _time_zones())]


def people(*keep: int | None) -> QuerySet:
    """Return active users, plus the given ones so a form keeps its current inactive values."""
    return User.objects.filter(Q(is_active=True) | Q(pk__in=[pk for pk in keep if pk])).order_by(
        "username"
    )


# --- Form fields ------------------------------------------------------------------------


def user_label(user: User) -> str:
    name = str(user)
    return name if name == user.username else f"{name} ({user.username})"


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return user_label(obj)


def tree_label(node) -> str:
    """Return a department's or territory's name indented by its depth in the tree."""
    return "— " * getattr(node, "depth", 0) + node.name


class DepartmentChoiceField(forms.ModelChoiceField):
    """Offer departments in tree order (their default ordering), indented by depth."""

    def label_from_instance(self, obj):
        return tree_label(obj)


class TerritoryTreeIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for territory in territory_tree(self.queryset):
            yield self.choice(territory)


class TerritoryChoiceField(forms.ModelChoiceField):
    """Offer territories in tree order, indented by depth."""

    iterator = TerritoryTreeIterator

    def label_from_instance(self, obj):
        return tree_label(obj)


# --- Forms ------------------------------------------------------------------------------

USER_FIELDS = [
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "department",
    "manager",
    "roles",
    "language",
    "time_zone",
    "is_active",
    "is_staff",
]


class UserForm(forms.ModelForm):
    """Change a user's name, contact details, place in the organisation and access."""

    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"), choices=time_zone_choices, required=False
    )

    class Meta:
        model = User
        fields = USER_FIELDS
        field_classes = {"department": DepartmentChoiceField, "manager": UserChoiceField}
        widgets = {"roles": forms.CheckboxSelectMultiple}
        help_texts = {
            "is_staff": gettext_lazy("Administrators may change users, roles and settings."),
        }

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        manager = people(self.instance.manager_id)
        if self.instance.pk:
            manager = manager.exclude(pk=self.instance.pk)
        self.fields["manager"].queryset = manager

    def clean_manager(self):
        manager = self.cleaned_data.get("manager")
        node, seen = manager, set()
        while node is not None and self.instance.pk and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(
                    _("A user cannot report to themselves, directly or through others."),
                    code="cycle",
                )
            seen.add(node.pk)
            node = node.manager
        return manager

    def clean_is_active(self):
        value = self.cleaned_data.get("is_active")
        if not value and self.instance.pk and self.instance.pk == self.actor.pk:
            raise forms.ValidationError(_("You cannot deactivate your own account."), code="self")
        return value

    def clean_is_staff(self):
        value = self.cleaned_data.get("is_staff")
        own = self.instance.pk and self.instance.pk == self.actor.pk
        if not value and own and not self.actor.is_superuser:
            raise forms.ValidationError(
                _("You cannot take away your own administrator access."), code="self"
            )
        return value


class UserAccountForm(UserForm):
    """Create a user, or change one including the username (the API allows renaming)."""

    class Meta(UserForm.Meta):
        fields = ["username", *USER_FIELDS]

    def clean_username(self):
        username = self.cleaned_data.get("username")
        taken = User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if username and taken.exists():
            raise forms.ValidationError(
                _("A user with that username already exists."), code="unique"
            )
        return username


class UserCreateForm(UserAccountForm):
    """Create a user with a password typed twice and checked by the password validators."""

    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Enter the same password as before, for verification."),
    )
    field_order = ["username", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = " ".join(password_validators_help_texts())

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError(
                _("The two password fields didn’t match."), code="password_mismatch"
            )
        return password2

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password1")
        if password:
            try:
                validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
            self.save_m2m()
        return user


class DepartmentForm(forms.ModelForm):
    """Name a department and place it in the tree; saving goes through the services."""

    class Meta:
        model = Department
        fields = ["name", "parent", "manager"]
        field_classes = {"parent": DepartmentChoiceField, "manager": UserChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = people(self.instance.manager_id)

    def save(self, commit=True):
        """Create or move the department; a cycle becomes an error on `parent`."""
        data = self.cleaned_data
        try:
            if self.instance.pk is None:
                return department_create(
                    name=data["name"], parent=data["parent"], manager=data["manager"]
                )
            return department_update(
                department=self.instance,
                name=data["name"],
                parent=data["parent"],
                manager=data["manager"],
            )
        except ValidationError as error:
            self.add_error(None, error)
            return None


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "department", "leader", "members"]
        field_classes = {
            "department": DepartmentChoiceField,
            "leader": UserChoiceField,
            "members": UserMultipleChoiceField,
        }
        widgets = {"members": forms.SelectMultiple(attrs={"size": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            list(self.instance.members.values_list("pk", flat=True)) if self.instance.pk else []
        )
        self.fields["leader"].queryset = people(self.instance.leader_id)
        self.fields["members"].queryset = people(*members)


class RoleForm(forms.ModelForm):
    class Meta:
        model = Role
        fields = ["name", "description", "max_accounts", "mask_personal_data"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class PermissionMatrixForm(forms.Form):
    """Tick, per registered entity, the actions a role grants and choose their data scope."""

    def __init__(self, *args, role: Role | None = None, **kwargs):
        kwargs.setdefault("prefix", "perm")
        super().__init__(*args, **kwargs)
        current = {grant.entity: grant for grant in role.permissions.all()} if role else {}
        self.entities = registry.entities()
        for entity in self.entities:
            grant = current.get(entity.name)
            for action in Action:
                self.fields[f"{entity.name}-{action.value}"] = forms.BooleanField(
                    label=action.label,
                    required=False,
                    initial=grant is not None and action.value in grant.actions,
                )
            self.fields[f"{entity.name}-scope"] = forms.ChoiceField(
                label=gettext_lazy("Data scope"),
                choices=Scope.choices,
                initial=grant.scope if grant else Scope.OWN,
            )

    def rows(self) -> list[dict]:
        """Return one row per entity with its action checkboxes and scope select."""
        return [
            {
                "entity": entity,
                "actions": [self[f"{entity.name}-{action.value}"] for action in Action],
                "scope": self[f"{entity.name}-scope"],
            }
            for entity in self.entities
        ]

    def actions(self) -> list[str]:
        return [str(action.label) for action in Action]

    def permissions(self) -> list[dict]:
        """Return the grants as `role_set_permissions` takes them."""
        data = self.cleaned_data
        return [
            {
                "entity": entity.name,
                "actions": [a.value for a in Action if data.get(f"{entity.name}-{a.value}")],
                "scope": data[f"{entity.name}-scope"],
            }
            for entity in self.entities
        ]


class TerritoryForm(forms.ModelForm):
    class Meta:
        model = Territory
        fields = ["name", "code", "parent", "regions", "users"]
        field_classes = {"parent": TerritoryChoiceField, "users": UserMultipleChoiceField}
        widgets = {
            "regions": forms.Textarea(attrs={"rows": 4}),
            "users": forms.SelectMultiple(attrs={"size": 10}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = list(self.instance.users.values_list("pk", flat=True)) if self.instance.pk else []
        self.fields["users"].queryset = people(*users)

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node, seen = parent, set()
        while node is not None and self.instance.pk and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(
                    _("A territory cannot be placed under itself or one of its own."),
                    code="cycle",
                )
            seen.add(node.pk)
            node = node.parent
        return parent
