"""Merging duplicates: chosen values, related records, shares, history, scope, versions."""

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core import audit, dedupe, registry
from guanxi.core.choices import AuditAction
from guanxi.core.dedupe.merge import MergeRefused, records_merge
from guanxi.core.models import AuditEntry, CustomField, DuplicateProfile, MergeRecord, Share
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Contact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ACCOUNT = registry.get("account")
ALL = ["view", "create", "edit", "delete", "assign"]


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", actions=ALL, scope="own")
    grant(user, "contact", actions=ALL, scope="own")
    return user


@pytest.fixture
def pair(rep):
    CustomField.objects.create(entity="account", key="tax_id", label_en="Tax ID", field_type="text")
    survivor = AccountFactory(
        name="华信科技有限公司", phone="", email="", owner=rep, custom={"tax_id": ""}
    )
    duplicate = AccountFactory(
        name="華信科技",
        phone="021-5555 1234",
        email="info@huaxin.cn",
        owner=rep,
        custom={"tax_id": "91310000X"},
    )
    for record in (survivor, duplicate):
        dedupe.index_record("account", record)
        audit.record(actor=rep, entity="account", instance=record, action="create", changes={})
    return survivor, duplicate


def test_merge_keeps_chosen_values_and_moves_everything(rep, pair):
    survivor, duplicate = pair
    contact = ContactFactory(name="张伟", account=duplicate, owner=rep)
    dedupe.index_record("contact", contact)
    reader = UserFactory()
    Share.objects.create(entity="account", object_id=duplicate.pk, user=reader, access="read")

    record = records_merge(
        actor=rep,
        entity=ACCOUNT,
        survivor=survivor,
        duplicates=[duplicate],
        field_choices={"name": survivor.pk},
    )

    survivor.refresh_from_db()
    assert (survivor.name, survivor.phone, survivor.email, survivor.custom) == (
        "华信科技有限公司",
        "021-5555 1234",
        "info@huaxin.cn",
        {"tax_id": "91310000X"},
    )
    assert survivor.version == 2
    assert not Account.objects.filter(pk=duplicate.pk).exists()
    assert Contact.objects.get().account == survivor
    moved_history = AuditEntry.objects.get(entity="contact", object_id=contact.pk)
    assert moved_history.changes == {
        "account": [
            {"id": duplicate.pk, "repr": "華信科技"},
            {"id": survivor.pk, "repr": "华信科技有限公司"},
        ]
    }
    assert DuplicateProfile.objects.get(entity="contact").values["account"] == [str(survivor.pk)]
    assert list(Share.objects.values_list("object_id", "user")) == [(survivor.pk, reader.pk)]
    history = AuditEntry.objects.filter(entity="account", object_id=survivor.pk)
    assert sorted(history.values_list("action", flat=True)) == ["create", "create", "merge"]
    merge_entry = history.get(action=AuditAction.MERGE)
    assert merge_entry.changes["merged_from"] == ["華信科技", None]
    assert merge_entry.changes["phone"] == ["", "021-5555 1234"]
    assert merge_entry.batch == f"merge:{record.pk}"
    assert record.duplicate_ids == [duplicate.pk]
    assert record.moved == {"customers.contact": 1, "core.share": 1, "core.auditentry": 1}
    assert record.snapshots[str(duplicate.pk)]["phone"] == "021-5555 1234"
    assert record.field_choices["phone"] == duplicate.pk
    assert [m.record for m in dedupe.find_duplicates("account", {"name": "华信科技"})] == [survivor]


def test_shares_of_both_become_one_share_with_the_wider_access(rep, pair):
    survivor, duplicate = pair
    reader = UserFactory()
    Share.objects.create(entity="account", object_id=survivor.pk, user=reader, access="read")
    Share.objects.create(entity="account", object_id=duplicate.pk, user=reader, access="edit")

    records_merge(actor=rep, entity=ACCOUNT, survivor=survivor, duplicates=[duplicate])

    assert list(Share.objects.values_list("object_id", "access")) == [(survivor.pk, "edit")]


def test_merging_a_record_outside_scope_is_refused_and_nothing_changes(rep, pair, client_for):
    survivor, _duplicate = pair
    foreign = AccountFactory(name="华信科技", owner=UserFactory())

    response = client_for(rep).post(
        reverse("web:account_merge"),
        {"ids": [survivor.pk, foreign.pk], "survivor": survivor.pk},
    )
    assert response.status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")
    response = api.post(
        f"/api/v1/accounts/{survivor.pk}/merge",
        {"duplicates": [foreign.pk]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Account.objects.filter(pk=foreign.pk).exists()
    assert MergeRecord.objects.count() == 0


def test_merge_needs_delete_permission(pair):
    survivor, duplicate = pair
    editor = UserFactory()
    grant(editor, "account", actions=["view", "edit"], scope="all")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=editor)}")

    response = api.post(
        f"/api/v1/accounts/{survivor.pk}/merge",
        {"duplicates": [duplicate.pk]},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert Account.objects.count() == 2


def test_a_stale_merge_is_refused(rep, pair, client_for):
    survivor, duplicate = pair
    Account.objects.filter(pk=duplicate.pk).update(version=2)

    response = client_for(rep).post(
        reverse("web:account_merge"),
        {
            "ids": [survivor.pk, duplicate.pk],
            "survivor": survivor.pk,
            f"version_{survivor.pk}": 1,
            f"version_{duplicate.pk}": 1,
        },
    )

    assert response.status_code == 409
    assert "changed since you opened the merge" in response.content.decode()
    assert Account.objects.count() == 2


def test_a_field_choice_from_another_record_is_refused(rep, pair):
    survivor, duplicate = pair
    with pytest.raises(MergeRefused):
        records_merge(
            actor=rep,
            entity=ACCOUNT,
            survivor=survivor,
            duplicates=[duplicate],
            field_choices={"name": 999999},
        )
    assert Account.objects.count() == 2


def test_merge_screen_shows_a_column_per_record_then_merges(rep, pair, client_for):
    survivor, duplicate = pair
    client = client_for(rep)
    url = reverse("web:account_merge") + f"?ids={survivor.pk}&ids={duplicate.pk}"

    page = client.get(url).content.decode()
    assert f'data-testid="field-phone-{duplicate.pk}" checked' in page
    assert f'data-testid="field-name-{survivor.pk}" checked' in page

    response = client.post(
        url,
        {
            "survivor": duplicate.pk,
            "field_name": survivor.pk,
            f"version_{survivor.pk}": 1,
            f"version_{duplicate.pk}": 1,
        },
    )

    assert response["Location"] == reverse("web:account_detail", args=[duplicate.pk])
    assert list(Account.objects.values_list("pk", "name")) == [(duplicate.pk, "华信科技有限公司")]
    merge = MergeRecord.objects.get()
    history = client.get(
        reverse("web:account_detail", args=[duplicate.pk]) + "?tab=history"
    ).content.decode()
    detail_url = reverse("web:account_merge_detail", args=[merge.pk])
    assert f'href="{detail_url}"' in history
    detail = client.get(detail_url).content.decode()
    assert "91310000X" in detail
    assert "change history: 1" in detail
    assert "华信科技有限公司" in detail


def test_api_merge_moves_contacts_and_answers_the_survivor(rep, pair):
    survivor, duplicate = pair
    ContactFactory(name="李娜", account=duplicate, owner=rep)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    response = api.post(
        f"/api/v1/accounts/{survivor.pk}/merge",
        {"duplicates": [duplicate.pk], "fields": {"name": duplicate.pk}, "version": 1},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["merged"], body["moved"]) == (
        [duplicate.pk],
        {"customers.contact": 1, "core.auditentry": 1},
    )
    assert body["record"]["name"] == "華信科技"
    assert body["record"]["phone"] == "021-5555 1234"
    missing = api.post(
        f"/api/v1/accounts/{survivor.pk}/merge",
        {"duplicates": [survivor.pk + 1000]},
        content_type="application/json",
    )
    assert missing.status_code == 404
    itself = api.post(
        f"/api/v1/accounts/{survivor.pk}/merge",
        {"duplicates": [survivor.pk]},
        content_type="application/json",
    )
    assert itself.status_code == 400
    assert itself.json()["detail"] == "Choose at least one other record to merge."


def test_contacts_merge_too(rep):
    account = AccountFactory(owner=rep)
    first = ContactFactory(name="张伟", account=account, owner=rep, email="")
    second = ContactFactory(name="Zhang Wei", account=account, owner=rep, wechat="zhangwei88")

    records_merge(actor=rep, entity=registry.get("contact"), survivor=first, duplicates=[second])

    first.refresh_from_db()
    assert (first.name, first.email, first.wechat) == ("张伟", second.email, "zhangwei88")
    assert Contact.objects.count() == 1


def test_a_merge_emits_one_event_after_commit(rep, pair, django_capture_on_commit_callbacks):
    from guanxi.core import events

    survivor, duplicate = pair
    seen = []
    events.subscribe("account.*", seen.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            records_merge(actor=rep, entity=ACCOUNT, survivor=survivor, duplicates=[duplicate])
    finally:
        events._subscribers.remove(("account.*", seen.append))

    assert [(event.name, event.payload["merged_ids"]) for event in seen] == [
        ("account.merged", [duplicate.pk])
    ]
