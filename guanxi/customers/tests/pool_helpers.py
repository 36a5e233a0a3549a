"""Helpers of the public-pool tests: pools, pool customers, reps with and without access."""

import factory

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Pool
from guanxi.customers.tests.factories import AccountFactory


class PoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pool
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"公海{n}")


def pool_account(pool, **kwargs):
    """Return a customer sitting unowned in the pool."""
    from django.utils import timezone

    return AccountFactory(owner=None, pool=pool, pooled_at=timezone.now(), **kwargs)


def rep_with_pool(pool, username="rep", *, cap=None, actions=("view", "create", "edit")):
    """Return a rep who owns in scope own and whose role opens the pool."""
    rep = UserFactory(username=username)
    role = grant(rep, "account", list(actions), scope="own")
    role.max_accounts = cap
    role.save()
    pool.roles.add(role)
    return rep
