"""Claim, release, assign and transfer of customers (CUS-4, CUS-9): the services."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from guanxi.core.models import AuditEntry, Notification
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers import ownership, services
from guanxi.customers.models import Account, OwnershipPeriod
from guanxi.customers.services import OwnershipError
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.customers.tests.pool_helpers import PoolFactory, pool_account, rep_with_pool

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Read messages in English whatever an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def pool():
    return PoolFactory(name="华东公海")


def test_a_rep_sees_the_pool_only_through_a_role_with_access(pool):
    account = pool_account(pool, name="无主客户")
    mine = AccountFactory(name="我的")
    rep = rep_with_pool(pool)
    mine.owner = rep
    mine.save()
    outsider = UserFactory(username="outsider")
    grant(outsider, "account", ["view", "edit"], scope="own")
    AccountFactory(name="别人的")

    visible = Account.objects.visible_to(rep, "view")
    assert sorted(visible.values_list("name", flat=True)) == ["我的", "无主客户"]
    assert list(Account.objects.visible_to(rep, "edit").values_list("name", flat=True)) == ["我的"]
    assert list(Account.objects.visible_to(outsider, "view")) == []
    with pytest.raises(Account.DoesNotExist):
        services.account_claim(actor=outsider, account=account)
    account.refresh_from_db()
    assert account.owner is None


def test_pool_access_gives_nothing_without_a_view_grant(pool):
    pool_account(pool)
    nobody = UserFactory(username="nobody")
    role = grant(nobody, "contact", ["view"], scope="all")
    pool.roles.add(role)
    assert list(Account.objects.visible_to(nobody, "view")) == []


def test_claim_takes_the_customer_and_starts_an_ownership_period(
    pool, django_capture_on_commit_callbacks
):
    account = pool_account(pool, name="云帆")
    rep = rep_with_pool(pool)
    seen = []
    from guanxi.core import events

    events.subscribe("account.claimed", seen.append)
    with django_capture_on_commit_callbacks(execute=True):
        services.account_claim(actor=rep, account=account)
    account.refresh_from_db()
    assert (account.owner, account.pool, account.pooled_at) == (rep, pool, None)
    assert account.owned_at is not None
    assert account.version == 2
    period = OwnershipPeriod.objects.get(account=account)
    assert (period.owner, period.start, period.ended_at, period.pool) == (
        rep,
        "claimed",
        None,
        pool,
    )
    entry = AuditEntry.objects.get(entity="account", object_id=account.pk)
    assert entry.action == "assign"
    assert entry.changes["owner"] == [None, {"id": rep.pk, "repr": "rep"}]
    assert [event.payload["id"] for event in seen] == [account.pk]


def test_a_claim_over_the_cap_is_refused_with_the_numbers(pool):
    rep = rep_with_pool(pool, cap=2)
    AccountFactory(owner=rep)
    first, second = pool_account(pool, name="甲"), pool_account(pool, name="乙")
    with pytest.raises(OwnershipError) as error:
        services.accounts_claim(actor=rep, account_ids=[first.pk, second.pk])
    assert error.value.message == (
        "rep may own at most 2 customers and owns 1 already, so 1 more can be added."
    )
    assert Account.objects.filter(owner=rep).count() == 1
    services.account_claim(actor=rep, account=first)
    assert Account.objects.filter(owner=rep).count() == 2


def test_the_highest_cap_of_the_roles_counts(pool):
    rep = rep_with_pool(pool, cap=1)
    role = grant(rep, "contact", ["view"])
    role.max_accounts = 3
    role.save()
    grant(rep, "lead", ["view"])  # a role without a limit does not lift it
    assert ownership.account_cap(rep) == 3


def test_the_second_claim_of_the_same_customer_is_refused(pool):
    account = pool_account(pool, name="抢手")
    first = rep_with_pool(pool, "first")
    second = rep_with_pool(pool, "second")
    services.account_claim(actor=first, account=account)
    with pytest.raises(Account.DoesNotExist):
        # No longer in the pool: outside the second rep's scope, as if it were gone.
        services.account_claim(actor=second, account=account)
    manager = rep_with_pool(pool, "manager", actions=("view", "edit", "assign"))
    grant(manager, "account", ["view"], scope="all")
    with pytest.raises(OwnershipError) as error:
        services.account_claim(actor=manager, account=account)
    assert error.value.message == "“抢手” was just claimed by first."


def test_release_needs_a_reason_and_returns_to_the_pool(pool):
    rep = rep_with_pool(pool)
    account = pool_account(pool, name="放弃")
    services.account_claim(actor=rep, account=account)
    with pytest.raises(OwnershipError) as error:
        services.account_release(actor=rep, account=account, reason="  ")
    assert error.value.message == "Say why the customer goes back to the pool."
    services.account_release(actor=rep, account=account, reason="预算取消")
    account.refresh_from_db()
    assert (account.owner, account.pool) == (None, pool)
    assert account.pooled_at is not None
    period = OwnershipPeriod.objects.get(account=account)
    assert (period.end, period.reason, period.ended_by) == ("released", "预算取消", rep)


def test_release_of_a_customer_of_no_pool_uses_the_default_pool(pool):
    rep = UserFactory(username="rep")
    grant(rep, "account", ["view", "edit"], scope="own")
    account = AccountFactory(owner=rep, name="散客")
    with pytest.raises(OwnershipError) as error:
        services.account_release(actor=rep, account=account, reason="不做了")
    assert error.value.message == "“散客” belongs to no public pool and there is no default pool."
    pool.is_default = True
    pool.save()
    services.account_release(actor=rep, account=account, reason="不做了")
    account.refresh_from_db()
    assert account.pool == pool


def test_a_rep_cannot_release_someone_elses_customer(pool):
    rep = rep_with_pool(pool)
    other = AccountFactory(name="别人的")
    with pytest.raises(Account.DoesNotExist):
        services.account_release(actor=rep, account=other, reason="x")
    other.refresh_from_db()
    assert other.owner is not None


def test_assign_needs_the_assign_action(pool):
    rep = rep_with_pool(pool)
    account = pool_account(pool)
    with pytest.raises(PermissionDenied):
        services.account_assign(actor=rep, account=account, owner=rep)
    account.refresh_from_db()
    assert account.owner is None


def test_assign_from_the_pool_notifies_and_counts_against_the_cap(pool):
    manager = rep_with_pool(pool, "manager", actions=("view", "edit", "assign"))
    rep = rep_with_pool(pool, "rep", cap=1)
    AccountFactory(owner=rep)
    account = pool_account(pool, name="分配的")
    with pytest.raises(OwnershipError):
        services.account_assign(actor=manager, account=account, owner=rep)
    rep.roles.update(max_accounts=5)
    services.account_assign(actor=manager, account=account, owner=rep)
    account.refresh_from_db()
    assert account.owner == rep
    assert OwnershipPeriod.objects.get(account=account).start == "assigned"
    assert list(Notification.objects.filter(recipient=rep).values_list("title", flat=True)) == [
        "manager assigned customer 分配的 to you"
    ]


def test_transfer_moves_the_old_owners_contacts_and_related_records():
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    old, new = UserFactory(username="old"), UserFactory(username="new")
    account = AccountFactory(owner=old, name="转移的")
    mine = ContactFactory(account=account, owner=old)
    theirs = ContactFactory(account=account, owner=manager)
    moved = []

    def move_deals(*, actor, account, old_owner, new_owner):
        moved.append((actor.username, account.name, old_owner.username, new_owner.username))
        return 2

    ownership.register_related_mover("deals", "Deals", move_deals)
    try:
        services.account_transfer(
            actor=manager, account=account, owner=new, include_contacts=True, include_related=True
        )
    finally:
        ownership.unregister_related_mover("deals")
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.owner, theirs.owner) == (new, manager)
    assert moved == [("manager", "转移的", "old", "new")]
    assert list(
        OwnershipPeriod.objects.filter(account=account).values_list("owner__username", "end")
    ) == [("new", "")]


def test_transfer_without_contacts_leaves_them(pool):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    old, new = UserFactory(username="old"), UserFactory(username="new")
    account = AccountFactory(owner=old)
    contact = ContactFactory(account=account, owner=old)
    services.account_transfer(actor=manager, account=account, owner=new)
    contact.refresh_from_db()
    assert contact.owner == old


def test_bulk_transfer_is_all_or_nothing():
    manager = UserFactory(username="manager")
    grant(manager, "account", ["view", "edit", "assign"], scope="own")
    new = UserFactory(username="new")
    mine = AccountFactory(owner=manager)
    foreign = AccountFactory()
    with pytest.raises(Account.DoesNotExist):
        services.accounts_transfer(actor=manager, account_ids=[mine.pk, foreign.pk], owner=new)
    mine.refresh_from_db()
    assert mine.owner == manager
    assert OwnershipPeriod.objects.count() == 0


def test_a_follow_up_event_restarts_the_clock(django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from guanxi.core import events

    account = AccountFactory()
    at = timezone.now() - datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("activity.created", account_id=account.pk, occurred_at=at.isoformat())
    account.refresh_from_db()
    assert account.last_followed_up_at == at
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("activity.created", account_id=account.pk, occurred_at=None)
    account.refresh_from_db()
    assert account.last_followed_up_at > at


@pytest.mark.django_db(transaction=True)
def test_two_reps_claiming_at_once_one_wins_the_other_gets_a_clear_error():
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers")
    pool = PoolFactory(name="并发公海")
    account = pool_account(pool, name="抢手")
    reps = [rep_with_pool(pool, f"rep{index}") for index in range(2)]
    for rep in reps:  # both see it and both read it as free before either claims it
        rep.refresh_from_db()
    barrier = threading.Barrier(2)
    outcomes = {}

    def claim(rep):
        try:
            barrier.wait()
            services.account_claim(actor=rep, account=account)
            outcomes[rep.username] = "claimed"
        except OwnershipError as error:
            outcomes[rep.username] = error.message
        except Account.DoesNotExist:
            outcomes[rep.username] = "not found"
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(rep,)) for rep in reps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    account.refresh_from_db()
    winner = account.owner.username
    loser = next(name for name in outcomes if name != winner)
    assert outcomes[winner] == "claimed"
    assert outcomes[loser] == f"“抢手” was just claimed by {winner}."
    assert OwnershipPeriod.objects.filter(account=account).count() == 1
