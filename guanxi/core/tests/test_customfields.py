"""Custom fields (PLT-3): settings, forms, lists, filters, exports, API and history."""

import csv
import io
import json

import pytest
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry, CustomField
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

BASE = {"account_type": "customer", "kind": "company", "currency": "CNY"}


@pytest.fixture
def fields():
    specs = [
        ("notes_short", "text"),
        ("headcount", "number"),
        ("credit_limit", "decimal"),
        ("signed_on", "date"),
        ("boolean_flag", "boolean"),
        ("homepage", "url"),
        ("billing_email", "email"),
        ("hotline", "phone"),
        ("account_manager", "user"),
    ]
    for key, kind in specs:
        CustomField.objects.create(
            entity="account", key=key, label_en=key.title(), label_zh=key, field_type=kind
        )
    CustomField.objects.create(
        entity="account",
        key="terms",
        label_en="Payment terms",
        label_zh="付款条件",
        field_type="choice",
        choices=[
            {"value": "net30", "label_en": "30 days", "label_zh": "月结30天"},
            {"value": "prepaid", "label_en": "Prepaid", "label_zh": "预付"},
        ],
        show_in_list=True,
    )
    CustomField.objects.create(
        entity="account",
        key="channels",
        label_en="Channels",
        label_zh="渠道",
        field_type="multi_choice",
        choices=[{"value": "web", "label_en": "Web"}, {"value": "shop", "label_en": "Shop"}],
    )


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="all")
    return user


def test_settings_screen_defines_a_choice_field(admin_client):
    response = admin_client.post(
        reverse("web:custom_field_create", args=["account"]),
        {
            "key": "level",
            "label_en": "Level",
            "label_zh": "级别",
            "field_type": "choice",
            "position": 1,
            "choices_text": "a | Gold | 金牌\nb | Silver | 银牌",
        },
    )
    assert response.status_code == 302
    field = CustomField.objects.get(entity="account", key="level")
    assert field.choices == [
        {"value": "a", "label_en": "Gold", "label_zh": "金牌"},
        {"value": "b", "label_en": "Silver", "label_zh": "银牌"},
    ]


def test_settings_screen_refuses_bad_definitions(admin_client):
    url = reverse("web:custom_field_create", args=["account"])
    taken = admin_client.post(
        url, {"key": "name", "label_en": "X", "field_type": "text", "position": 0}
    )
    assert taken.status_code == 400
    empty = admin_client.post(
        url, {"key": "lvl", "label_en": "L", "field_type": "choice", "position": 0}
    )
    assert empty.status_code == 400
    assert CustomField.objects.count() == 0


def test_non_admins_cannot_define_fields(client_for, rep):
    response = client_for(rep).get(reverse("web:custom_field_list", args=["account"]))
    assert response.status_code == 403


def test_form_validates_and_stores_every_type(fields, rep, client_for):
    client = client_for(rep)
    bad = client.post(
        reverse("web:account_create"),
        {
            **BASE,
            "name": "坏数据",
            "owner": rep.pk,
            "custom_headcount": "many",
            "custom_homepage": "not a url",
            "custom_billing_email": "x@",
            "custom_hotline": "12",
            "custom_terms": "weekly",
        },
    )
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert set(errors) == {
        "custom_headcount",
        "custom_homepage",
        "custom_billing_email",
        "custom_hotline",
        "custom_terms",
    }
    assert Account.objects.count() == 0

    good = client.post(
        reverse("web:account_create"),
        {
            **BASE,
            "name": "好数据",
            "owner": rep.pk,
            "custom_notes_short": "重点",
            "custom_headcount": "120",
            "custom_credit_limit": "50000.50",
            "custom_signed_on": "2026-03-01",
            "custom_boolean_flag": "on",
            "custom_homepage": "https://example.cn",
            "custom_billing_email": "ap@example.cn",
            "custom_hotline": "400-800-1234",
            "custom_account_manager": rep.pk,
            "custom_terms": "net30",
            "custom_channels": ["web", "shop"],
        },
    )
    assert good.status_code == 302
    account = Account.objects.get(name="好数据")
    assert account.custom == {
        "notes_short": "重点",
        "headcount": 120,
        "credit_limit": "50000.50",
        "signed_on": "2026-03-01",
        "boolean_flag": True,
        "homepage": "https://example.cn",
        "billing_email": "ap@example.cn",
        "hotline": "400-800-1234",
        "account_manager": rep.pk,
        "terms": "net30",
        "channels": ["shop", "web"],
    }
    detail = client.get(reverse("web:account_detail", args=[account.pk])).content.decode()
    assert "30 days" in detail
    assert "Web, Shop" in detail or "Shop, Web" in detail


def test_list_column_filter_export_and_history(fields, rep, client_for):
    client = client_for(rep)
    a = AccountFactory(name="月结客户", owner=rep, custom={"terms": "net30"})
    AccountFactory(name="预付客户", owner=rep, custom={"terms": "prepaid"})
    listing = client.get(reverse("web:account_list")).content.decode()
    assert "Payment terms" in listing and "30 days" in listing
    filtered = client.get(reverse("web:account_list"), {"custom.terms": "net30"}).content.decode()
    assert "月结客户" in filtered and "预付客户" not in filtered
    exported = b"".join(
        client.get(reverse("web:account_export"), {"custom.terms": "net30"}).streaming_content
    )
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    assert rows[0][-1] == "Channels" and "Payment terms" in rows[0]
    assert len(rows) == 2 and rows[1][rows[0].index("Payment terms")] == "30 days"

    client.post(
        reverse("web:account_edit", args=[a.pk]),
        {
            **BASE,
            "name": "月结客户",
            "owner": rep.pk,
            "version": 1,
            "custom_terms": "prepaid",
            "phone": a.phone,
            "city": a.city,
        },
    )
    entry = AuditEntry.objects.get(entity="account", object_id=a.pk, action="update")
    assert entry.changes == {"custom.terms": ["net30", "prepaid"]}
    history = client.get(
        reverse("web:account_detail", args=[a.pk]), {"tab": "history"}
    ).content.decode()
    assert "Payment terms" in history and "Prepaid" in history


def test_api_reads_writes_and_validates_custom_fields(fields, rep):
    api_headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=rep)}"}
    from django.test import Client

    api = Client(**api_headers)
    created = api.post(
        "/api/v1/accounts",
        json.dumps(
            {
                "name": "接口客户",
                "custom": {"terms": "prepaid", "headcount": 8, "channels": ["web"]},
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["custom"] == {
        "terms": "prepaid",
        "headcount": 8,
        "channels": ["web"],
        "boolean_flag": False,
    }
    bad = api.patch(
        f"/api/v1/accounts/{created.json()['id']}",
        json.dumps({"custom": {"terms": "weekly", "nope": 1}}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"custom.nope"}
    bad = api.patch(
        f"/api/v1/accounts/{created.json()['id']}",
        json.dumps({"custom": {"terms": "weekly"}}),
        content_type="application/json",
    )
    assert set(bad.json()["errors"]) == {"custom.terms"}
    listed = api.get("/api/v1/accounts", {"custom.terms": "prepaid"}).json()
    assert [item["name"] for item in listed["items"]] == ["接口客户"]
