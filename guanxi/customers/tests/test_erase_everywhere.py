"""Erasing a person leaves their values nowhere: duplicate index, merge snapshots, imports."""

import json

import pytest
from django.test import Client

from guanxi.core import dedupe, registry
from guanxi.core.dedupe.merge import records_merge
from guanxi.core.models import DuplicateKey, DuplicateProfile, MergeRecord
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.privacy import contact_erase
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.dataio.models import ImportRow, ImportRun

pytestmark = pytest.mark.django_db


def test_erase_scrubs_the_duplicate_index_merge_snapshots_and_import_rows(
    django_capture_on_commit_callbacks,
):
    rep = UserFactory(username="rep")
    grant(rep, "contact", ["view", "create", "edit", "delete"], scope="own")
    account = AccountFactory(owner=rep)
    survivor = ContactFactory(owner=rep, account=account, name="王秀英", mobile="13912345678")
    duplicate = ContactFactory(owner=rep, account=account, name="王秀英", email="wxy@example.com")
    for contact in (survivor, duplicate):
        dedupe.index_record("contact", contact)
    records_merge(
        actor=rep, entity=registry.get("contact"), survivor=survivor, duplicates=[duplicate]
    )
    run = ImportRun.objects.create(entity="contact", user=rep, original_name="a.csv")
    ImportRow.objects.create(
        run=run,
        row_number=2,
        object_id=survivor.pk,
        action="update",
        before={"mobile": "13912345678", "name": "王秀英"},
    )

    with django_capture_on_commit_callbacks(execute=True):
        contact_erase(actor=rep, contact=survivor)

    assert DuplicateKey.objects.filter(entity="contact", object_id=survivor.pk).count() == 0
    assert DuplicateProfile.objects.filter(entity="contact", object_id=survivor.pk).count() == 0
    kept = json.dumps(list(MergeRecord.objects.values_list("snapshots", "survivor_repr")))
    assert "王秀英" not in kept
    assert "13912345678" not in kept
    assert "wxy@example.com" not in kept
    assert ImportRow.objects.get().before is None


def test_an_individual_customer_is_erased_on_the_screen_and_a_company_is_not(client_for):
    from django.urls import reverse

    from guanxi.api.auth import token_create
    from guanxi.core.models import AuditEntry
    from guanxi.customers.models import Account

    rep = UserFactory(username="rep")
    grant(rep, "account", ["view", "edit", "delete"], scope="own")
    person = AccountFactory(
        owner=rep, name="王先生", kind="individual", phone="13900001111", address="南京路1号"
    )
    company = AccountFactory(owner=rep, name="华信科技有限公司", kind="company")
    client = client_for(rep)
    url = reverse("customers:account_erase", args=[person.pk])

    wrong = client.post(url, {"confirm_name": "王"})
    assert wrong.status_code == 400
    done = client.post(url, {"confirm_name": "王先生"})

    assert done.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.phone, person.phone_e164, person.address) == (
        f"已删除客户 / Erased customer #{person.pk}",
        "",
        "",
        "",
    )
    assert person.number and person.owner == rep
    assert AuditEntry.objects.filter(entity="account", object_id=person.pk, action="erase").exists()
    assert client.get(reverse("customers:account_erase", args=[company.pk])).status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")
    refused = api.post(f"/api/v1/accounts/{company.pk}/erase")
    assert refused.status_code == 400
    assert Account.objects.get(pk=company.pk).name == "华信科技有限公司"


def test_an_individual_customers_data_can_be_exported_and_a_companys_cannot(client_for):
    from django.urls import reverse

    from guanxi.api.auth import token_create

    rep = UserFactory(username="rep")
    grant(rep, "account", ["view", "export"], scope="own")
    person = AccountFactory(owner=rep, name="李女士", kind="individual", phone="13900002222")
    company = AccountFactory(owner=rep, name="华信科技有限公司", kind="company")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    data = api.get(f"/api/v1/accounts/{person.pk}/personal-data").json()

    assert (data["account"]["name"], data["account"]["phone"]) == ("李女士", "13900002222")
    assert data["contacts"] == []
    excel = client_for(rep).get(
        reverse("customers:account_personal_data", args=[person.pk]), {"format": "xlsx"}
    )
    assert excel.status_code == 200
    assert excel["Content-Disposition"].endswith(f'account-{person.pk}-personal-data.xlsx"')
    assert api.get(f"/api/v1/accounts/{company.pk}/personal-data").status_code == 404
