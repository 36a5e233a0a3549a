"""Screens and API of points, membership levels and classification rules."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guanxi.api.auth import token_create
from guanxi.core.models import Job
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers import points
from guanxi.customers.models import (
    Account,
    ClassificationRule,
    EarningRule,
    MembershipLevel,
    PointsEntry,
)
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "points-tab"}


class Api:
    def __init__(self, user):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self.headers)

    def send(self, method, path, data=None):
        return getattr(self.client, method)(
            f"/api/v1{path}",
            json.dumps(data or {}),
            content_type="application/json",
            **self.headers,
        )


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", ["view", "edit", "create"], scope="own")
    return user


@pytest.fixture
def gold():
    return MembershipLevel.objects.create(
        name="金卡", name_en="Gold", threshold=100, colour="yellow"
    )


# --- Points tab ------------------------------------------------------------------------------


def test_points_tab_shows_balance_level_and_ledger(rep, gold, client_for):
    account = AccountFactory(owner=rep)
    points.points_earn(actor=rep, account=account, points=150, reason="开卡礼")

    page = client_for(rep).get(f"/accounts/{account.pk}/?tab=points")

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="points-balance">150<' in html
    assert "Gold" in html and "开卡礼" in html
    assert 'data-testid="points-form"' in html
    assert '<option value="adjust"' not in html  # adjusting needs the assign permission


def test_earning_on_the_tab_answers_with_the_refreshed_tab(rep, client_for):
    account = AccountFactory(owner=rep)
    client = client_for(rep)

    response = client.post(
        f"/accounts/{account.pk}/points/",
        {"kind": "earn", "points": "30", "reason": "活动"},
        **HTMX,
    )

    assert response.status_code == 200
    assert 'data-testid="points-balance">30<' in response.content.decode()
    plain = client.post(
        f"/accounts/{account.pk}/points/", {"kind": "redeem", "points": "10", "reason": "礼品"}
    )
    assert plain.status_code == 302
    assert plain["Location"] == f"/accounts/{account.pk}/?tab=points"
    account.refresh_from_db()
    assert account.points_balance == 20


def test_redeeming_too_much_on_the_tab_shows_the_error(rep, client_for):
    account = AccountFactory(owner=rep)

    response = client_for(rep).post(
        f"/accounts/{account.pk}/points/", {"kind": "redeem", "points": "5", "reason": "x"}, **HTMX
    )

    assert response.status_code == 400
    assert "Not enough points: the balance is 0, 5 were asked for." in response.content.decode()
    assert PointsEntry.objects.count() == 0


def test_adjusting_without_the_assign_permission_is_refused(rep, client_for):
    account = AccountFactory(owner=rep)
    response = client_for(rep).post(
        f"/accounts/{account.pk}/points/", {"kind": "adjust", "points": "5", "reason": "x"}, **HTMX
    )
    assert response.status_code == 403
    assert PointsEntry.objects.count() == 0


def test_an_account_outside_the_scope_is_not_found(rep, client_for):
    other = AccountFactory()
    client = client_for(rep)

    assert client.get(f"/accounts/{other.pk}/?tab=points").status_code == 404
    posted = client.post(
        f"/accounts/{other.pk}/points/", {"kind": "earn", "points": "5", "reason": "x"}
    )
    assert posted.status_code == 404
    assert client.get(f"/accounts/{other.pk}/points/?before=99").status_code == 404
    assert PointsEntry.objects.count() == 0


def test_the_ledger_pages_by_entry(rep, client_for):
    account = AccountFactory(owner=rep)
    for index in range(30):
        points.points_earn(actor=rep, account=account, points=index + 1, reason=f"第{index + 1}笔")
    client = client_for(rep)

    first = client.get(f"/accounts/{account.pk}/?tab=points").content.decode()
    assert first.count("<tr>") - 1 == 25  # the header row
    oldest_shown = PointsEntry.objects.order_by("-id")[24].pk
    more = client.get(f"/accounts/{account.pk}/points/?before={oldest_shown}").content.decode()
    assert more.count("<tr>") == 5
    assert "第1笔" in more and "points-more" not in more
    assert client.get(f"/accounts/{account.pk}/points/").content.decode().count("<tr>") == 25
    assert client.get(f"/accounts/{account.pk}/points/?before=x").status_code == 404


# --- Account list ------------------------------------------------------------------------------


def test_list_filters_by_level_and_shows_it_without_extra_queries(admin_user, admin_client, gold):
    admin_user.preferences = {"columns": {"account": ["name", "membership_level", "loyalty"]}}
    admin_user.save()
    for _ in range(3):
        points.points_earn(actor=None, account=AccountFactory(), points=100, reason="r")
    AccountFactory(name="无等级")

    with CaptureQueriesContext(connection) as few:
        small = admin_client.get(f"/accounts/?membership_level={gold.pk}")
    for _ in range(5):
        points.points_earn(actor=None, account=AccountFactory(), points=100, reason="r")
    with CaptureQueriesContext(connection) as more:
        admin_client.get(f"/accounts/?membership_level={gold.pk}")

    assert small.content.decode().count("Gold") >= 3
    assert "无等级" not in small.content.decode()
    assert len(more.captured_queries) == len(few.captured_queries)


# --- Settings screens ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/settings/membership-levels/", "/settings/earning-rules/", "/settings/classification-rules/"],
)
def test_settings_screens_are_for_administrators(rep, client_for, admin_client, url):
    assert client_for(rep).get(url).status_code == 403
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url + "new/").status_code == 200


def test_a_new_level_moves_accounts_to_it(admin_client):
    account = AccountFactory()
    points.points_earn(actor=None, account=account, points=600, reason="r")

    response = admin_client.post(
        "/settings/membership-levels/new/",
        {"name": "钻石", "name_en": "Diamond", "threshold": "500", "colour": "purple"},
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.membership_level.name == "钻石"
    level = MembershipLevel.objects.get()
    admin_client.post(f"/settings/membership-levels/{level.pk}/delete/")
    account.refresh_from_db()
    assert account.membership_level is None


def test_an_earning_rule_needs_an_event_name_and_points(admin_client):
    response = admin_client.post(
        "/settings/earning-rules/new/", {"name": "r", "event": "paid", "points_per_unit": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter an event name like order.paid." in html
    assert EarningRule.objects.count() == 0


def test_a_classification_rule_is_made_on_the_screen_and_applied_now(
    admin_client, django_capture_on_commit_callbacks
):
    account = AccountFactory(account_type="partner")
    response = admin_client.post(
        "/settings/classification-rules/new/",
        {
            "name": "渠道伙伴",
            "field": "relationship",
            "value": "channel",
            "priority": "10",
            "active": "on",
            "metric_1": "account_type",
            "operator_1": "in",
            "operand_1": "Partner, 代理商/渠道商",
        },
    )
    assert response.status_code == 302
    rule = ClassificationRule.objects.get()
    assert rule.conditions == [
        {"metric": "account_type", "operator": "in", "value": "partner,reseller"}
    ]
    listed = admin_client.get("/settings/classification-rules/").content.decode()
    assert "Type is one of Partner, Reseller / agent" in listed

    with django_capture_on_commit_callbacks(execute=True):
        started = admin_client.post("/settings/classification-rules/apply/")
    job = Job.objects.get()
    assert started["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.result["count"]) == ("done", 1)
    account.refresh_from_db()
    assert account.relationship == "channel"


def test_a_rule_value_must_belong_to_its_field(admin_client):
    response = admin_client.post(
        "/settings/classification-rules/new/",
        {"name": "x", "field": "grade", "value": "lighthouse", "priority": "1"},
    )
    assert response.status_code == 400
    assert "Choose a value of the field the rule sets." in response.content.decode()


# --- API ---------------------------------------------------------------------------------------


def test_api_points_read_and_write(rep, gold):
    account = AccountFactory(owner=rep)
    api = Api(rep)

    earned = api.send(
        "post", f"/accounts/{account.pk}/points", {"kind": "earn", "points": 120, "reason": "注册"}
    )
    refused = api.send(
        "post", f"/accounts/{account.pk}/points", {"kind": "redeem", "points": 500, "reason": "x"}
    )
    bad_kind = api.send(
        "post", f"/accounts/{account.pk}/points", {"kind": "expire", "points": 5, "reason": "x"}
    )
    read = api.get(f"/accounts/{account.pk}/points", {"limit": 1})

    assert earned.status_code == 201
    assert (earned.json()["balance"], earned.json()["level"]["name"]) == (120, "金卡")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Not enough points: the balance is 120, 500 were asked for.",
        "errors": {"points": ["Not enough points: the balance is 120, 500 were asked for."]},
    }
    assert bad_kind.status_code == 400
    body = read.json()
    assert (body["balance"], body["lifetime"], body["count"]) == (120, 120, 1)
    assert body["items"][0]["reason"] == "注册"
    assert body["items"][0]["actor"] == rep.pk


def test_api_points_of_an_account_outside_the_scope_are_not_found(rep):
    other = AccountFactory()
    api = Api(rep)
    assert api.get(f"/accounts/{other.pk}/points").status_code == 404
    posted = api.send(
        "post", f"/accounts/{other.pk}/points", {"kind": "earn", "points": 5, "reason": "x"}
    )
    assert posted.status_code == 404
    assert PointsEntry.objects.count() == 0


def test_api_membership_levels_crud_for_administrators(rep, admin_user):
    admin = Api(admin_user)
    created = admin.send("post", "/membership-levels", {"name": "银卡", "threshold": 1000})
    duplicate = admin.send("post", "/membership-levels", {"name": "银卡", "threshold": 5})
    pk = created.json()["id"]
    changed = admin.send("patch", f"/membership-levels/{pk}", {"name_en": "Silver"})
    refused = Api(rep).send("post", "/membership-levels", {"name": "x", "threshold": 1})

    assert created.status_code == 201
    assert duplicate.status_code == 400
    assert list(duplicate.json()["errors"]) == ["name"]
    assert changed.json()["name_en"] == "Silver"
    assert refused.status_code == 403
    assert Api(rep).get("/membership-levels").json()["count"] == 1
    assert admin.send("delete", f"/membership-levels/{pk}").status_code == 204
    assert MembershipLevel.objects.count() == 0


def test_api_classification_rules_and_hand_back(
    rep, admin_user, django_capture_on_commit_callbacks
):
    admin = Api(admin_user)
    bad = admin.send(
        "post",
        "/classification-rules",
        {"name": "x", "field": "grade", "value": "vip", "conditions": [{"metric": "nope"}]},
    )
    created = admin.send(
        "post",
        "/classification-rules",
        {
            "name": "VIP",
            "field": "grade",
            "value": "vip",
            "conditions": [{"metric": "employees", "operator": "gte", "value": "500"}],
        },
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"conditions": ["Condition 1: choose a known metric."]}
    assert created.status_code == 201
    assert created.json()["priority"] == 100 and created.json()["active"] is True
    pk = created.json()["id"]
    patched = admin.send("patch", f"/classification-rules/{pk}", {"priority": 5})
    assert patched.json()["conditions"] == [
        {"metric": "employees", "operator": "gte", "value": "500"}
    ]
    assert Api(rep).send("post", "/classification-rules/apply").status_code == 403
    metrics = {m["key"] for m in admin.get("/classification-rules/metrics").json()}
    assert {"revenue_12m", "points_balance", "annual_revenue"} <= metrics

    account = AccountFactory(owner=rep, employees=800)
    api = Api(rep)
    set_by_hand = api.send("patch", f"/accounts/{account.pk}", {"grade": "ordinary"})
    assert set_by_hand.json()["classification_manual"] == ["grade"]
    assert set_by_hand.json()["grade"] == "ordinary"
    handed = api.send("post", f"/accounts/{account.pk}/classify", {"automatic": ["grade"]})
    assert handed.json()["grade"] == "vip"
    assert handed.json()["classification_manual"] == []
    unknown = api.send("post", f"/accounts/{account.pk}/classify", {"automatic": ["name"]})
    assert unknown.status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        applied = admin.send("post", "/classification-rules/apply")
    assert applied.status_code == 202
    assert admin.send("delete", f"/classification-rules/{pk}").status_code == 204


def test_api_accounts_carry_and_filter_classification_fields(rep):
    AccountFactory(owner=rep, relationship="channel", loyalty="loyal", name="渠道")
    AccountFactory(owner=rep, relationship="consumer", name="个人")
    api = Api(rep)

    listed = api.get("/accounts", {"relationship": "channel"}).json()

    assert [item["name"] for item in listed["items"]] == ["渠道"]
    item = listed["items"][0]
    assert (item["loyalty"], item["points_balance"], item["membership_level"]) == ("loyal", 0, None)
    created = api.send("post", "/accounts", {"name": "新", "owner": rep.pk, "value_class": "bogus"})
    assert created.status_code == 400
    assert list(created.json()["errors"]) == ["value_class"]
    assert Account.objects.count() == 2


def test_a_customer_with_a_points_ledger_is_not_deleted(admin_user):
    account = AccountFactory()
    points.points_earn(actor=None, account=account, points=10, reason="r")

    response = Api(admin_user).send("delete", f"/accounts/{account.pk}")

    assert response.status_code == 409
    assert "1 points ledger" in response.json()["detail"]
    assert Account.objects.filter(pk=account.pk).exists()
