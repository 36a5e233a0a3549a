"""The public-pool screens: pool page, claim, release, assign, transfer, bulk, settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, OwnershipPeriod, Pool
from guanxi.customers.tests.factories import AccountFactory
from guanxi.customers.tests.pool_helpers import PoolFactory, pool_account, rep_with_pool

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Read messages in English whatever an earlier test left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def pool():
    return PoolFactory(name="华东公海", days_without_follow_up=30)


def test_the_pool_page_shows_the_pool_to_reps_with_access_only(pool, client_for):
    account = pool_account(pool, name="无主客户")
    rep = rep_with_pool(pool)
    outsider = UserFactory(username="outsider")
    grant(outsider, "account", ["view"], scope="own")

    page = client_for(rep).get(reverse("web:pool"))
    assert page.status_code == 200
    assert "无主客户" in page.content.decode()
    assert 'data-testid="menu-pool"' in page.content.decode()

    other = client_for(outsider).get(reverse("web:pool"))
    assert 'data-testid="no-pools"' in other.content.decode()
    assert 'data-testid="menu-pool"' not in other.content.decode()
    assert (
        client_for(outsider).get(reverse("web:account_detail", args=[account.pk])).status_code
        == 404
    )
    assert (
        client_for(outsider).post(reverse("web:account_claim", args=[account.pk])).status_code
        == 404
    )
    response = client_for(outsider).post(reverse("web:pool_claim"), {"ids": [account.pk]})
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.owner is None


def test_the_pool_page_reads_a_fixed_number_of_queries(pool, client_for):
    rep = rep_with_pool(pool, cap=100)
    client = client_for(rep)
    for index in range(2):
        pool_account(pool, name=f"客户{index}")
    client.get(reverse("web:pool"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:pool"))
    for index in range(2, 20):
        pool_account(pool, name=f"客户{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("web:pool"))
    assert response.content.decode().count('data-testid="pool-row-') == 20
    assert len(few) == len(many), "\n".join(q["sql"] for q in many.captured_queries)


def test_bulk_claim_from_the_pool_page(pool, client_for):
    rep = rep_with_pool(pool)
    first, second = pool_account(pool), pool_account(pool)
    response = client_for(rep).post(
        reverse("web:pool_claim"), {"ids": [first.pk, second.pk], "querystring": f"pool={pool.pk}"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:pool") + f"?pool={pool.pk}"
    assert Account.objects.filter(owner=rep).count() == 2


def test_a_refused_claim_says_why_and_changes_nothing(pool, client_for):
    rep = rep_with_pool(pool, cap=0)
    account = pool_account(pool)
    response = client_for(rep).post(reverse("web:account_claim", args=[account.pk]), follow=True)
    assert "may own at most 0 customers" in response.content.decode()
    account.refresh_from_db()
    assert account.owner is None


def test_release_from_the_account_page(pool, client_for):
    rep = rep_with_pool(pool)
    account = pool_account(pool, name="放弃的")
    client = client_for(rep)
    client.post(reverse("web:account_claim", args=[account.pk]))
    detail = client.get(reverse("web:account_detail", args=[account.pk])).content.decode()
    assert 'data-testid="release"' in detail
    empty = client.post(reverse("web:account_release", args=[account.pk]), {"reason": " "})
    assert empty.status_code == 400
    response = client.post(
        reverse("web:account_release", args=[account.pk]), {"reason": "没有预算"}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.owner is None
    history = client.get(reverse("web:account_detail", args=[account.pk]) + "?tab=ownership")
    assert "没有预算" in history.content.decode()


def test_assign_and_transfer_from_the_account_page(pool, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    rep, other = UserFactory(username="rep"), UserFactory(username="other")
    account = pool_account(pool, name="分配的")
    client = client_for(manager)
    assert (
        'data-testid="assign"'
        in client.get(reverse("web:account_detail", args=[account.pk])).content.decode()
    )
    response = client.post(reverse("web:account_assign", args=[account.pk]), {"owner": rep.pk})
    assert response.status_code == 302
    response = client.post(
        reverse("web:account_transfer", args=[account.pk]),
        {"owner": other.pk, "include_contacts": "on"},
    )
    assert response.status_code == 302
    assert list(
        OwnershipPeriod.objects.filter(account=account)
        .order_by("started_at", "id")
        .values_list("owner__username", "start", "end")
    ) == [("rep", "assigned", "transferred"), ("other", "transferred", "")]


def test_a_rep_without_assign_cannot_open_the_transfer_form(client_for):
    rep = UserFactory(username="rep")
    grant(rep, "account", ["view", "edit"], scope="own")
    account = AccountFactory(owner=rep)
    assert (
        client_for(rep).get(reverse("web:account_transfer", args=[account.pk])).status_code == 403
    )


def test_bulk_transfer_and_release_from_the_list(pool, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    new = UserFactory(username="new")
    accounts = [AccountFactory(owner=manager, pool=pool) for _ in range(3)]
    ids = [account.pk for account in accounts]
    client = client_for(manager)
    listing = client.get(reverse("web:account_list")).content.decode()
    assert 'data-testid="bulk-transfer"' in listing
    form = client.post(reverse("web:account_bulk_transfer"), {"ids": ids})
    assert "3 customers are selected." in form.content.decode()
    response = client.post(
        reverse("web:account_bulk_transfer"), {"ids": ids, "owner": new.pk, "apply": "1"}
    )
    assert response.status_code == 302
    assert Account.objects.filter(owner=new).count() == 3
    grant(new, "account", ["view", "edit"], scope="own")
    response = client_for(new).post(
        reverse("web:account_bulk_release"), {"ids": ids[:2], "reason": "离职交接", "apply": "1"}
    )
    assert response.status_code == 302
    assert Account.objects.filter(owner__isnull=True, pool=pool).count() == 2


def test_admins_set_up_pools_in_settings(admin_client):
    assert admin_client.get(reverse("web:pool_settings")).status_code == 200
    response = admin_client.post(
        reverse("web:pool_settings_create"),
        {"name": "公海", "days_without_follow_up": 30, "warning_days": 3, "is_active": "on"},
    )
    assert response.status_code == 302
    pool = Pool.objects.get()
    bad = admin_client.post(
        reverse("web:pool_settings_edit", args=[pool.pk]),
        {"name": "公海", "days_without_follow_up": 3, "warning_days": 3, "is_active": "on"},
    )
    assert bad.status_code == 400
    assert admin_client.post(reverse("web:pool_rules_run")).status_code == 302
    assert admin_client.post(reverse("web:pool_settings_delete", args=[pool.pk])).status_code == 302
    assert Pool.objects.count() == 0


def test_reps_cannot_open_pool_settings(client_for, pool):
    rep = rep_with_pool(pool)
    assert client_for(rep).get(reverse("web:pool_settings")).status_code == 403


def test_forms_and_bulk_edits_keep_the_ownership_history(
    client_for, django_capture_on_commit_callbacks
):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    rep = UserFactory(username="rep")
    client = client_for(manager)
    data = {"name": "新客户", "account_type": "customer", "kind": "company", "currency": "CNY"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("web:account_create"), data)
    account = Account.objects.get(name="新客户")
    assert account.owned_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("web:account_edit", args=[account.pk]), {**data, "owner": rep.pk, "version": 1}
        )
    assert list(
        OwnershipPeriod.objects.filter(account=account)
        .order_by("started_at", "id")
        .values_list("owner__username", "start", "end")
    ) == [("manager", "created", "transferred"), ("rep", "assigned", "")]


def test_a_large_bulk_transfer_runs_as_a_job(
    pool, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    from guanxi.core.models import Job
    from guanxi.customers import views

    monkeypatch.setattr(views, "INLINE_LIMIT", 2)
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    new = UserFactory(username="new")
    ids = [AccountFactory(owner=manager).pk for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(
            reverse("web:account_bulk_transfer"), {"ids": ids, "owner": new.pk, "apply": "1"}
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.result["count"]) == ("done", 5)
    assert Account.objects.filter(owner=new).count() == 5


def test_a_manager_outside_the_pool_roles_sees_assign_not_claim(pool, client_for):
    manager = UserFactory(username="manager")
    grant(manager, "account", scope="all")
    account = pool_account(pool)
    client = client_for(manager)
    page = client.get(reverse("web:account_detail", args=[account.pk])).content.decode()
    assert 'data-testid="assign"' in page
    assert 'data-testid="claim"' not in page
