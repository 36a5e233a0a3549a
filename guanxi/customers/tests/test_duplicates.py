"""Duplicate check on the form and the API, the finder, `guanxi dedupe`, the rules screen."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core import dedupe
from guanxi.core.choices import Action
from guanxi.core.models import DuplicateCluster, DuplicateKey, DuplicateRule, Job
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Contact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ACCOUNT = {"account_type": "customer", "kind": "company", "currency": "CNY"}
BASIC = ["view", "create", "edit", "delete", "assign"]


def indexed(record):
    dedupe.index_record(record.entity_name, record)
    return record


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", actions=BASIC, scope="all")
    return user


@pytest.fixture
def existing(rep):
    return indexed(AccountFactory(name="上海华信科技有限公司", phone="021-5555 1234", owner=rep))


def test_form_warns_with_the_matches_and_saves_nothing(rep, existing, client_for):
    response = client_for(rep).post(
        reverse("web:account_create"),
        {**ACCOUNT, "name": "華信科技股份有限公司", "owner": rep.pk, "phone": "+86 21 55551234"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="duplicate-warning"' in page
    assert f'href="/accounts/{existing.pk}/"' in page
    assert "same phone" in page
    assert 'data-testid="save-duplicate"' not in page
    assert Account.objects.count() == 1


def test_save_anyway_needs_the_permission(rep, existing, client_for):
    data = {**ACCOUNT, "name": "华信科技", "owner": rep.pk, "save_duplicate": "1"}
    assert client_for(rep).post(reverse("web:account_create"), data).status_code == 409
    assert Account.objects.count() == 1

    grant(rep, "account", actions=[Action.SAVE_DUPLICATE], scope="all")
    response = client_for(rep).post(reverse("web:account_create"), data)

    assert response.status_code == 302
    assert Account.objects.count() == 2


def test_form_tells_of_records_the_user_may_not_see_without_naming_them(client_for):
    owner, rep = UserFactory(), UserFactory()
    grant(rep, "account", actions=BASIC, scope="own")
    indexed(AccountFactory(name="北京明德教育咨询有限公司", owner=owner))

    response = client_for(rep).post(
        reverse("web:account_create"), {**ACCOUNT, "name": "明德教育咨询", "owner": rep.pk}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "1 similar record exists that you may not see" in page
    assert "北京明德教育咨询有限公司" not in page


def test_editing_other_fields_of_a_known_duplicate_does_not_warn(rep, existing, client_for):
    twin = indexed(AccountFactory(name="华信科技", phone="", owner=rep))
    response = client_for(rep).post(
        reverse("web:account_edit", args=[twin.pk]),
        {**ACCOUNT, "name": "华信科技", "owner": rep.pk, "city": "杭州", "version": 1},
    )
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.city == "杭州"


def test_api_answers_409_with_the_matches(rep, existing):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    response = api.post(
        "/api/v1/accounts",
        {"name": "Huaxin Keji", "phone": "02155551234"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This looks like a record that already exists. "
        "Send allow_duplicate=true to save it.",
        "errors": {},
        "duplicates": [
            {
                "id": existing.pk,
                "name": "上海华信科技有限公司",
                "score": 0.968,
                "reasons": ["same phone", "name 95% similar"],
            }
        ],
        "hidden_duplicates": 0,
    }
    assert Account.objects.count() == 1


def test_api_allow_duplicate_needs_the_permission(rep, existing):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")
    body = {"name": "华信科技"}

    refused = api.post(
        "/api/v1/accounts?allow_duplicate=true", body, content_type="application/json"
    )
    assert refused.status_code == 403
    assert Account.objects.count() == 1

    grant(rep, "account", actions=[Action.SAVE_DUPLICATE], scope="all")
    created = api.post(
        "/api/v1/accounts?allow_duplicate=true", body, content_type="application/json"
    )
    assert created.status_code == 201
    assert Account.objects.count() == 2


def test_api_update_into_a_duplicate_is_409(rep, existing):
    other = indexed(AccountFactory(name="明德教育", phone="", owner=rep))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    response = api.patch(
        f"/api/v1/accounts/{other.pk}", {"name": "华信科技"}, content_type="application/json"
    )

    assert response.status_code == 409
    assert [d["id"] for d in response.json()["duplicates"]] == [existing.pk]
    other.refresh_from_db()
    assert other.name == "明德教育"


def make_contacts(owner):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=owner)
    first = indexed(ContactFactory(name="张伟", mobile="13912345678", account=account, owner=owner))
    second = indexed(
        ContactFactory(name="Zhang Wei", mobile="+86 139 1234 5678", account=account, owner=owner)
    )
    third = indexed(
        ContactFactory(name="張偉", mobile="", email="", phone="", account=account, owner=owner)
    )
    indexed(ContactFactory(name="李娜", mobile="13800000001", account=account, owner=owner))
    return first, second, third


def test_finder_job_groups_duplicates_with_reasons(
    rep, client_for, django_capture_on_commit_callbacks
):
    grant(rep, "contact", actions=BASIC, scope="all")
    first, second, third = make_contacts(rep)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(rep).post(reverse("web:contact_duplicate_scan"))

    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.result["groups"]) == ("done", 1)
    assert job.total == DuplicateKey.objects.filter(entity="contact").count()
    assert 0 < job.done <= job.total
    cluster = DuplicateCluster.objects.get()
    assert cluster.member_ids == sorted([first.pk, second.pk, third.pk])
    assert cluster.reasons == [["name", 1.0], ["phone", 1.0], ["account", 1.0]]
    page = client_for(rep).get(reverse("web:contact_duplicates")).content.decode()
    assert page.count('data-testid="duplicate-group"') == 1
    assert "same phone" in page
    assert f"ids={first.pk}&amp;ids={second.pk}&amp;ids={third.pk}" in page


def test_finder_shows_only_members_the_user_may_see(rep, client_for):
    make_contacts(rep)
    viewer = UserFactory()
    grant(viewer, "contact", actions=["view"], scope="own")
    call_command("dedupe", "contacts", "--json", stdout=io.StringIO())

    page = client_for(viewer).get(reverse("web:contact_duplicates")).content.decode()
    assert 'data-testid="duplicate-group"' not in page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=viewer)}")
    assert api.get("/api/v1/duplicates", {"entity": "contact"}).json() == {
        "items": [],
        "has_more": False,
    }


def test_dedupe_command_prints_the_clusters_as_json(rep, capsys):
    first, second, third = make_contacts(rep)

    call_command("dedupe", "contacts", "--json")

    printed = json.loads(capsys.readouterr().out)
    assert printed == [
        {
            "score": printed[0]["score"],
            "reasons": ["same name", "same phone", "same customer"],
            "similarities": {"name": 1.0, "phone": 1.0, "account": 1.0},
            "records": [
                {"id": first.pk, "name": "张伟"},
                {"id": second.pk, "name": "Zhang Wei"},
                {"id": third.pk, "name": "張偉"},
            ],
        }
    ]
    assert 0.75 <= printed[0]["score"] <= 1
    assert DuplicateCluster.objects.get().member_ids == [first.pk, second.pk, third.pk]


def test_dedupe_command_refuses_an_unknown_entity():
    with pytest.raises(Exception, match="Unknown entity 'users'"):
        call_command("dedupe", "users")


def test_api_lists_clusters_and_starts_a_scan(rep, django_capture_on_commit_callbacks):
    grant(rep, "contact", actions=BASIC, scope="all")
    first, second, third = make_contacts(rep)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/duplicates/scan", {"entity": "contact"}, "application/json")

    assert started.status_code == 202
    assert started.json()["status"] == "pending"
    status = api.get(f"/api/v1/duplicates/scan/{started.json()['job']}").json()
    assert status["percent"] == 100
    body = api.get("/api/v1/duplicates", {"entity": "contact"}).json()
    assert [[r["id"] for r in item["records"]] for item in body["items"]] == [
        [first.pk, second.pk, third.pk]
    ]
    assert api.get("/api/v1/duplicates", {"entity": "user"}).status_code == 400


def test_reindex_rebuilds_keys_of_bulk_loaded_records(rep):
    Account.objects.bulk_create(
        [Account(number="X1", name="明德教育有限公司"), Account(number="X2", name="明德教育")]
    )
    assert dedupe.find_duplicates("account", {"name": "明德教育"}) == []

    assert dedupe.reindex("account") == 2

    assert len(dedupe.find_duplicates("account", {"name": "明德教育"})) == 2


def test_the_first_scan_builds_missing_keys(rep):
    Account.objects.bulk_create(
        [Account(number="X1", name="明德教育有限公司"), Account(number="X2", name="明德教育")]
    )

    call_command("dedupe", "accounts", stdout=io.StringIO())

    assert DuplicateCluster.objects.get().size == 2


def test_rules_screen_changes_the_rules_for_every_path(client_for):
    admin = UserFactory(is_staff=True)
    response = client_for(admin).post(
        reverse("web:duplicate_rules", args=["account"]),
        {
            "threshold": 90,
            "weight_name": 50,
            "weight_phone": 0,
            "weight_email": 20,
            "weight_address": 10,
        },
    )
    assert response.status_code == 302
    rule = DuplicateRule.objects.get()
    assert (rule.threshold, rule.weights) == (
        0.9,
        {"name": 0.5, "phone": 0.0, "email": 0.2, "address": 0.1},
    )
    invalid = client_for(admin).post(
        reverse("web:duplicate_rules", args=["account"]),
        {
            "threshold": 40,
            "weight_name": 0,
            "weight_phone": 0,
            "weight_email": 0,
            "weight_address": 0,
        },
    )
    assert invalid.status_code == 400
    assert DuplicateRule.objects.get().threshold == 0.9


def test_rules_screen_is_for_administrators(rep, client_for):
    response = client_for(rep).get(reverse("web:duplicate_rules", args=["account"]))
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_a_records_duplicates_page_lists_matches_with_merge_links(rep, existing, client_for):
    twin = indexed(AccountFactory(name="華信科技", phone="", owner=rep))

    page = (
        client_for(rep)
        .get(reverse("web:account_record_duplicates", args=[twin.pk]))
        .content.decode()
    )

    assert page.count('data-testid="duplicate-match"') == 1
    assert f"ids={twin.pk}&amp;ids={existing.pk}" in page
    assert "same name" in page


def test_a_second_scan_while_one_waits_opens_the_running_one(rep, client_for):
    running = Job.objects.create(
        user=rep, kind="dedupe_scan", title="scan", params={"entity": "account"}
    )

    response = client_for(rep).post(reverse("web:account_duplicate_scan"))

    assert response["Location"] == reverse("web:job_detail", args=[running.pk])
    assert Job.objects.count() == 1
