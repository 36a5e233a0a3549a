"""Factories of the organisation, and helpers to give users permissions in tests."""

import factory

from guanxi.core import org
from guanxi.core.choices import Action
from guanxi.core.models import Department, Role, RolePermission, Team, User
from guanxi.core.permissions import forget_grants

ALL_ACTIONS = [choice.value for choice in Action]


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"部门{n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org.department_create(name=kwargs["name"], parent=kwargs.get("parent"))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "secret-pass-123")
        if create:
            user.save(update_fields=["password"])

    language = "en"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


def grant(user: User, entity: str, actions=None, scope: str = "all") -> Role:
    """Give a user a new role with the actions on the entity in the scope."""
    role = Role.objects.create(name=f"{user.username}-{entity}-{scope}-{Role.objects.count()}")
    RolePermission.objects.create(
        role=role, entity=entity, actions=list(actions or ALL_ACTIONS), scope=scope
    )
    user.roles.add(role)
    forget_grants(user)
    return role
