"""Tags and groups (CUS-4): on forms, lists, filters, bulk actions, the API and history."""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core import grouping, registry
from guanxi.core.models import AuditEntry, Group, GroupMember, Job, Tag, Tagging
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory, GroupFactory

pytestmark = pytest.mark.django_db

ACCOUNT = {"account_type": "customer", "kind": "company", "currency": "CNY"}


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    grant(user, "group", scope="own")
    return user


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


def tags_of(record, entity="account"):
    return sorted(
        Tagging.objects.filter(entity=entity, object_id=record.pk).values_list(
            "tag__name", flat=True
        )
    )


def members_of(group):
    return sorted(GroupMember.objects.filter(group=group).values_list("object_id", flat=True))


def bulk_post(client, entity, action, ids, **data):
    return client.post(
        reverse(f"web:{entity}_bulk_{action}"), {"ids": ids, "querystring": "", **data}
    )


def test_tags_typed_on_the_form_are_created_saved_and_recorded_in_history(rep, client_for):
    client = client_for(rep)
    Tag.objects.create(name="VIP")
    response = client.post(
        reverse("web:account_create"),
        {**ACCOUNT, "name": "云帆科技", "owner": rep.pk, "tags": ["vip", "重点客户"]},
    )
    assert response.status_code == 302
    account = registry.get("account").model.objects.get()
    # "vip" is the existing tag VIP; 重点客户 is new.
    assert tags_of(account) == ["VIP", "重点客户"]
    assert Tag.objects.count() == 2
    created = AuditEntry.objects.get(entity="account", action="create")
    assert created.changes["tags"] == [None, ["VIP", "重点客户"]]

    edit = client.get(reverse("web:account_edit", args=[account.pk]))
    assert 'data-tags="1"' in edit.content.decode()
    response = client.post(
        reverse("web:account_edit", args=[account.pk]),
        {**ACCOUNT, "name": "云帆科技", "owner": rep.pk, "tags__sent": "1", "version": 1},
    )
    assert response.status_code == 302
    assert tags_of(account) == []
    updated = AuditEntry.objects.get(entity="account", action="update")
    assert updated.changes == {"tags": [["VIP", "重点客户"], None]}
    history = client.get(reverse("web:account_detail", args=[account.pk]) + "?tab=history")
    assert "VIP, 重点客户" in history.content.decode()


def test_list_shows_tags_and_filters_by_tag_and_group_without_a_query_per_row(rep, client_for):
    client = client_for(rep)
    group = GroupFactory(owner=rep, name="展会客户")
    tagged = AccountFactory(owner=rep, name="带标签客户")
    plain = AccountFactory(owner=rep, name="普通客户")
    grouping.records_tag(
        actor=rep,
        entity=registry.get("account"),
        queryset=registry.get("account").model.objects.filter(pk=tagged.pk),
        names=["VIP"],
    )
    grouping.group_add(
        actor=rep, group=group, queryset=registry.get("account").model.objects.filter(pk=plain.pk)
    )

    page = client.get(reverse("web:account_list")).content.decode()
    assert '<span class="badge bg-blue-lt">VIP</span>' in page
    by_tag = client.get(reverse("web:account_list"), {"tag": "VIP"}).context["records"]
    assert [record.name for record in by_tag] == ["带标签客户"]
    by_group = client.get(reverse("web:account_list"), {"group": group.pk}).context["records"]
    assert [record.name for record in by_group] == ["普通客户"]
    assert client.get("/api/v1/accounts?tag=VIP").status_code == 200

    api = api_for(rep)
    api.get("/api/v1/accounts")  # the first call stamps the token's last use
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:account_list"))
    with CaptureQueriesContext(connection) as few_api:
        api.get("/api/v1/accounts")
    for index in range(8):
        account = AccountFactory(owner=rep, name=f"客户{index}")
        grouping.record_tags_set(
            actor=rep, entity=registry.get("account"), instance=account, names=[f"标签{index}"]
        )
        GroupMember.objects.create(group=group, object_id=account.pk)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:account_list"), {"columns": "tags"})
    with CaptureQueriesContext(connection) as many_api:
        items = api.get("/api/v1/accounts").json()["items"]
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many_api) == len(few_api)
    assert {item["name"]: (item["tags"], item["groups"]) for item in items}["客户3"] == (
        ["标签3"],
        [group.pk],
    )


def test_a_group_filter_on_a_group_the_user_cannot_see_finds_nothing(rep, client_for):
    other = UserFactory(username="other")
    hidden = GroupFactory(owner=other)
    mine = AccountFactory(owner=rep)
    GroupMember.objects.create(group=hidden, object_id=mine.pk)
    records = client_for(rep).get(reverse("web:account_list"), {"group": hidden.pk})
    assert list(records.context["records"]) == []


def test_bulk_add_and_remove_tags_only_on_records_the_user_may_edit(rep, client_for):
    client = client_for(rep)
    mine = [AccountFactory(owner=rep) for _ in range(2)]
    theirs = AccountFactory(owner=UserFactory(username="other"))
    ids = [mine[0].pk, mine[1].pk, theirs.pk]

    form = bulk_post(client, "account", "tag", ids)
    assert form.status_code == 200
    assert "2 records are selected" in form.content.decode()
    refused = bulk_post(client, "account", "tag", ids, apply="1")
    assert refused.status_code == 400
    assert "Choose at least one tag." in refused.content.decode()

    done = bulk_post(client, "account", "tag", ids, apply="1", tags=["老客户", "VIP"])
    assert done.status_code == 302
    assert [tags_of(record) for record in (*mine, theirs)] == [["VIP", "老客户"]] * 2 + [[]]
    entries = AuditEntry.objects.filter(entity="account", action="update")
    assert len({entry.batch for entry in entries}) == 1
    assert sorted(entry.object_id for entry in entries) == sorted(r.pk for r in mine)

    bulk_post(client, "account", "tag", ids, apply="1", tags=["VIP"], mode="remove")
    assert [tags_of(record) for record in mine] == [["老客户"], ["老客户"]]


def test_bulk_tag_of_a_large_selection_runs_as_a_job(
    rep, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("guanxi.web.views.labels.INLINE_LIMIT", 1)
    accounts = [AccountFactory(owner=rep) for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = bulk_post(
            client_for(rep), "account", "tag", [a.pk for a in accounts], apply="1", tags=["VIP"]
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.total, job.done, job.result["count"]) == ("done", 3, 3, 3)
    assert [tags_of(account) for account in accounts] == [["VIP"]] * 3


def test_bulk_add_to_a_new_or_existing_group(
    rep, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for(rep)
    accounts = [AccountFactory(owner=rep) for _ in range(3)]
    ids = [a.pk for a in accounts]

    form = bulk_post(client, "account", "group", ids)
    assert form.status_code == 200
    missing = bulk_post(client, "account", "group", ids, apply="1")
    assert missing.status_code == 400
    assert Group.objects.count() == 0

    response = bulk_post(client, "account", "group", ids[:2], apply="1", new_group="2026 展会")
    assert response.status_code == 302
    group = Group.objects.get()
    assert (group.name, group.entity, group.owner_id) == ("2026 展会", "account", rep.pk)
    assert members_of(group) == ids[:2]

    monkeypatch.setattr("guanxi.web.views.labels.INLINE_LIMIT", 1)
    with django_capture_on_commit_callbacks(execute=True):
        bulk_post(client, "account", "group", ids, apply="1", group=group.pk)
    job = Job.objects.get()
    assert (job.status, job.result["count"]) == ("done", 1)
    assert members_of(group) == ids
    history = AuditEntry.objects.filter(entity="group", object_id=group.pk, action="update")
    assert sorted(entry.changes["members_added"][1] for entry in history) == [1, 2]


def test_add_to_group_needs_permission_to_edit_groups(client_for):
    viewer = UserFactory(username="viewer")
    grant(viewer, "account", ["view"], scope="all")
    grant(viewer, "group", ["view"], scope="all")
    account = AccountFactory(owner=viewer)
    group = GroupFactory(owner=viewer)
    client = client_for(viewer)
    page = client.get(reverse("web:account_list")).content.decode()
    assert 'data-testid="bulk-group"' not in page
    response = bulk_post(client, "account", "group", [account.pk], apply="1", group=group.pk)
    assert response.status_code == 403
    assert members_of(group) == []


def test_group_page_lists_members_and_takes_them_out(rep, client_for):
    client = client_for(rep)
    group = GroupFactory(owner=rep, name="重点跟进")
    accounts = [AccountFactory(owner=rep, name=name) for name in ("甲公司", "乙公司")]
    for account in accounts:
        GroupMember.objects.create(group=group, object_id=account.pk)
    page = client.get(reverse("web:group_detail", args=[group.pk]) + "?tab=members")
    assert [member.name for member in page.context["members"]] == ["乙公司", "甲公司"]
    assert page.context["member_count"] == 2
    response = client.post(
        reverse("web:group_members_remove", args=[group.pk]), {"ids": [accounts[0].pk]}
    )
    assert response.status_code == 302
    assert members_of(group) == [accounts[1].pk]


def test_deleting_a_record_drops_its_tags_and_memberships(rep, client_for):
    account = AccountFactory(owner=rep)
    group = GroupFactory(owner=rep)
    grouping.record_tags_set(
        actor=rep, entity=registry.get("account"), instance=account, names=["VIP"]
    )
    GroupMember.objects.create(group=group, object_id=account.pk)
    client_for(rep).post(reverse("web:account_delete", args=[account.pk]))
    assert (Tagging.objects.count(), GroupMember.objects.count(), Tag.objects.count()) == (0, 0, 1)


def test_api_reads_and_writes_tags_and_groups_of_a_record(rep):
    api = api_for(rep)
    group = GroupFactory(owner=rep)
    other_group = GroupFactory(owner=UserFactory(username="other"))
    created = api.post(
        "/api/v1/contacts",
        {
            "name": "张伟",
            "account": AccountFactory(owner=rep).pk,
            "tags": ["VIP"],
            "groups": [group.pk],
        },
        content_type="application/json",
    )
    # The group holds accounts; a contact cannot join it, and nothing is created.
    assert created.status_code == 400
    assert list(created.json()["errors"]) == ["groups"]
    assert registry.get("contact").model.objects.count() == 0
    created = api.post(
        "/api/v1/contacts",
        {"name": "张伟", "account": AccountFactory(owner=rep).pk, "tags": ["VIP"]},
        content_type="application/json",
    )
    contact = created.json()
    assert (contact["tags"], contact["groups"]) == (["VIP"], [])
    contact_group = GroupFactory(owner=rep, entity="contact")
    url = f"/api/v1/contacts/{contact['id']}"
    refused = api.patch(
        url,
        {"groups": [contact_group.pk, other_group.pk], "title": "总监"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "groups": [f"Unknown groups, or groups you may not change: {other_group.pk}"]
    }
    assert api.get(url).json()["title"] == ""
    patched = api.patch(url, {"groups": [contact_group.pk]}, content_type="application/json")
    assert (patched.json()["tags"], patched.json()["groups"]) == (["VIP"], [contact_group.pk])
    cleared = api.patch(url, {"tags": [], "title": "经理"}, content_type="application/json")
    assert (cleared.json()["tags"], cleared.json()["groups"]) == ([], [contact_group.pk])


def test_api_group_members_and_tags(rep, admin_user):
    api = api_for(rep)
    created = api.post(
        "/api/v1/groups", {"name": "VIP 客户", "entity": "account"}, content_type="application/json"
    )
    assert created.status_code == 201
    group_id = created.json()["id"]
    mine = [AccountFactory(owner=rep) for _ in range(2)]
    hidden = AccountFactory(owner=UserFactory(username="other"))
    url = f"/api/v1/groups/{group_id}/members"

    refused = api.post(url, {"ids": [mine[0].pk, hidden.pk]}, content_type="application/json")
    assert refused.status_code == 404
    assert GroupMember.objects.count() == 0
    assert api.post(url, {"ids": []}, content_type="application/json").status_code == 400
    added = api.post(url, {"ids": [a.pk for a in mine]}, content_type="application/json")
    assert added.json() == {"count": 2}
    again = api.post(url, {"ids": [mine[0].pk]}, content_type="application/json")
    assert again.json() == {"count": 0}
    listed = api.get(url).json()
    assert (listed["count"], [item["id"] for item in listed["items"]]) == (2, [a.pk for a in mine])
    removed = api.post(url + "/remove", {"ids": [mine[0].pk]}, content_type="application/json")
    assert removed.json() == {"count": 1}
    assert api.get(f"/api/v1/accounts?group={group_id}").json()["count"] == 1

    tag = api.post("/api/v1/tags", {"name": "老客户"}, content_type="application/json")
    assert tag.status_code == 201
    duplicate = api.post("/api/v1/tags", {"name": "老客户"}, content_type="application/json")
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"] == {"name": ["A tag with this name already exists."]}
    bad_colour = api.post(
        "/api/v1/tags", {"name": "新", "color": "gold"}, content_type="application/json"
    )
    assert bad_colour.status_code == 400
    tag_url = f"/api/v1/tags/{tag.json()['id']}"
    assert api.patch(tag_url, {"color": "red"}, content_type="application/json").status_code == 403
    admin = api_for(admin_user)
    recoloured = admin.patch(tag_url, {"color": "red"}, content_type="application/json")
    assert recoloured.json()["color"] == "red"
    assert [t["name"] for t in api.get("/api/v1/tags").json()] == ["老客户"]
    assert admin.delete(tag_url).status_code == 204


def test_contact_list_offers_the_contact_groups_only(rep, client_for):
    GroupFactory(owner=rep, entity="account", name="客户组")
    GroupFactory(owner=rep, entity="contact", name="联系人组")
    ContactFactory(owner=rep)
    page = client_for(rep).get(reverse("web:contact_list"))
    group_filter = next(w for w in page.context["filters"] if w["spec"].key == "group")
    assert [label for _value, label in group_filter["choices"]] == ["联系人组"]


def test_a_record_page_adds_the_record_to_a_group_and_comes_back(rep, client_for):
    client = client_for(rep)
    account = AccountFactory(owner=rep)
    group = GroupFactory(owner=rep, name="重点跟进")
    detail = reverse("web:account_detail", args=[account.pk])
    assert 'data-testid="add-to-group"' in client.get(detail).content.decode()
    form = bulk_post(client, "account", "group", [account.pk], next=detail)
    assert f'name="next" value="{detail}"' in form.content.decode()
    response = bulk_post(
        client, "account", "group", [account.pk], next=detail, apply="1", group=group.pk
    )
    assert response["Location"] == detail
    assert members_of(group) == [account.pk]
    page = client.get(detail).content.decode()
    assert f'href="/groups/{group.pk}/">重点跟进</a>' in page
    outside = bulk_post(
        client,
        "account",
        "group",
        [account.pk],
        next="https://evil.example/",
        apply="1",
        group=group.pk,
    )
    assert outside["Location"] == reverse("web:account_list") + "?"


def test_exports_carry_the_tags(rep, client_for):
    grant(rep, "account", ["view", "export"], scope="own")
    accounts = [AccountFactory(owner=rep, name=name) for name in ("甲公司", "乙公司")]
    grouping.record_tags_set(
        actor=rep, entity=registry.get("account"), instance=accounts[0], names=["VIP", "老客户"]
    )
    response = client_for(rep).get(reverse("web:account_export"), {"ordering": "name"})
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    header, *rows = csv.reader(io.StringIO(text))
    tags = {row[header.index("Name")]: row[header.index("Tags")] for row in rows}
    assert tags == {"甲公司": "VIP, 老客户", "乙公司": ""}


def test_members_of_a_group_outside_scope_cannot_be_seen_or_changed(rep, client_for):
    other = UserFactory(username="other")
    grant(other, "account", scope="own")
    hidden = GroupFactory(owner=other)
    account = AccountFactory(owner=other)
    GroupMember.objects.create(group=hidden, object_id=account.pk)
    client = client_for(rep)
    removed = client.post(
        reverse("web:group_members_remove", args=[hidden.pk]), {"ids": [account.pk]}
    )
    assert removed.status_code == 404
    api = api_for(rep)
    url = f"/api/v1/groups/{hidden.pk}/members"
    assert api.get(url).status_code == 404
    assert api.post(url, {"ids": [account.pk]}, content_type="application/json").status_code == 404
    assert members_of(hidden) == [account.pk]


def test_a_group_with_members_keeps_its_record_type(rep):
    api = api_for(rep)
    group = GroupFactory(owner=rep)
    GroupMember.objects.create(group=group, object_id=AccountFactory(owner=rep).pk)
    response = api.patch(
        f"/api/v1/groups/{group.pk}", {"entity": "contact"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"entity": ["A group with members keeps its record type."]}
    group.refresh_from_db()
    assert group.entity == "account"


def test_administrators_rename_recolour_and_delete_tags(admin_client, rep, client_for):
    account = AccountFactory(owner=rep)
    grouping.record_tags_set(
        actor=rep, entity=registry.get("account"), instance=account, names=["VIP"]
    )
    tag = Tag.objects.get()
    assert client_for(rep).get(reverse("web:tag_list")).status_code == 403
    page = admin_client.get(reverse("web:tag_list"))
    assert [(t.name, t.usage) for t in page.context["tags"]] == [("VIP", 1)]
    duplicate = admin_client.post(reverse("web:tag_create"), {"name": "vip", "color": "red"})
    assert duplicate.status_code == 400
    response = admin_client.post(
        reverse("web:tag_edit", args=[tag.pk]), {"name": "贵宾", "color": "red"}
    )
    assert response.status_code == 302
    assert tags_of(account) == ["贵宾"]
    assert Tag.objects.get().color == "red"
    confirm = admin_client.get(reverse("web:tag_delete", args=[tag.pk]))
    assert "1 records" in confirm.content.decode()
    admin_client.post(reverse("web:tag_delete", args=[tag.pk]))
    assert (Tag.objects.count(), Tagging.objects.count()) == (0, 0)


def test_tags_are_edited_on_the_record_page(rep, client_for):
    client = client_for(rep)
    contact = ContactFactory(owner=rep)
    detail = reverse("web:contact_detail", args=[contact.pk])
    assert 'data-testid="tag-editor"' in client.get(detail).content.decode()
    url = reverse("web:contact_tags", args=[contact.pk])
    response = client.post(url, {"tags": ["决策人", "VIP"]})
    assert response["Location"] == detail
    assert tags_of(contact, "contact") == ["VIP", "决策人"]
    client.post(url, {"tags": ["VIP"]})
    history = AuditEntry.objects.filter(entity="contact", object_id=contact.pk, action="update")
    assert [entry.changes["tags"] for entry in history] == [
        [["VIP", "决策人"], ["VIP"]],
        [None, ["VIP", "决策人"]],
    ]
    viewer = UserFactory(username="viewer")
    grant(viewer, "contact", ["view"], scope="all")
    other = client_for(viewer)
    assert 'data-testid="tag-editor"' not in other.get(detail).content.decode()
    assert other.post(url, {"tags": []}).status_code == 403
    assert tags_of(contact, "contact") == ["VIP"]
    assert (
        client.post(reverse("web:group_tags", args=[GroupFactory(owner=rep).pk])).status_code == 404
    )
