"""Accounts and contacts: numbering, phones, the contacts tab, protected deletes, export."""

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ACCOUNT = {"account_type": "customer", "kind": "company", "currency": "CNY"}


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    return user


def test_new_accounts_are_numbered_in_sequence(rep, client_for):
    client = client_for(rep)
    for name in ("甲", "乙"):
        client.post(reverse("web:account_create"), {**ACCOUNT, "name": name, "owner": rep.pk})
    assert list(Account.objects.order_by("pk").values_list("number", flat=True)) == [
        "C000001",
        "C000002",
    ]


@pytest.mark.parametrize(
    ("entered", "e164"),
    [
        ("021-6888 1234", "+862168881234"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("1380013800", ""),
        ("12345", ""),
        ("+1 415 555 0100", "+14155550100"),
        ("400-800-1234", "+864008001234"),
    ],
)
def test_phones_are_kept_as_entered_and_as_e164(rep, client_for, entered, e164):
    response = client_for(rep).post(
        reverse("web:account_create"),
        {**ACCOUNT, "name": "电话测试", "owner": rep.pk, "phone": entered},
    )
    if not e164:
        assert response.status_code == 400
        assert "valid phone number" in response.content.decode()
        return
    account = Account.objects.get()
    assert (account.phone, account.phone_e164) == (entered, e164)


def test_contacts_tab_lists_only_contacts_the_user_may_see(rep, client_for):
    account = AccountFactory(owner=rep)
    ContactFactory(name="我的联系人", account=account, owner=rep)
    ContactFactory(name="别人的联系人", account=account, owner=UserFactory(username="other"))
    page = client_for(rep).get(
        reverse("web:account_detail", args=[account.pk]), {"tab": "contacts"}
    )
    assert "我的联系人" in page.content.decode()
    assert "别人的联系人" not in page.content.decode()


def test_an_account_with_contacts_cannot_be_deleted_and_says_why(rep, client_for):
    contact = ContactFactory(owner=rep)
    response = client_for(rep).post(
        reverse("web:account_delete", args=[contact.account_id]), follow=True
    )
    assert "Delete or move them first" in response.content.decode()
    assert Account.objects.filter(pk=contact.account_id).count() == 1


def test_contact_page_links_to_its_account(rep, client_for):
    contact = ContactFactory(owner=rep)
    page = client_for(rep).get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert f'href="{reverse("web:account_detail", args=[contact.account_id])}"' in page


def test_excel_export_has_localised_headers_and_values(rep, client_for):
    rep.language = "zh-hans"
    rep.save()
    AccountFactory(name="导出客户", owner=rep, account_type="prospect", annual_revenue=1234567)
    response = client_for(rep).get(reverse("web:account_export"), {"format": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(
        filename=__import__("io").BytesIO(b"".join(response.streaming_content))
    )
    rows = list(workbook.active.values)
    header, row = rows[0], rows[1]
    assert len(rows) == 2
    assert row[header.index("名称")] == "导出客户"
    assert row[header.index("类型")] == "潜在客户"
