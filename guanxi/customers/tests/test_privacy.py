"""Privacy (CUS-10): masking by role, consent history, a person's data, erasure."""

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from guanxi.api.auth import token_create
from guanxi.core import grouping, privacy, registry
from guanxi.core.models import (
    AuditEntry,
    GroupMember,
    Notification,
    Role,
    SearchToken,
    Tagging,
)
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Consent, Contact
from guanxi.customers.privacy import (
    consent_record,
    consent_status,
    contacts_reachable_by,
)
from guanxi.customers.tests.factories import AccountFactory, ContactFactory, GroupFactory

pytestmark = pytest.mark.django_db

MOBILE = "13812341234"
EMAIL = "zhangwei@example.com"
ID_NUMBER = "110101199003071234"


def api_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user)}")


@pytest.fixture
def owner():
    user = UserFactory(username="owner")
    grant(user, "account", scope="all")
    grant(user, "contact", scope="all")
    grant(user, "group", scope="all")
    return user


@pytest.fixture
def service_agent():
    """A 客服 whose only role masks personal data."""
    user = UserFactory(username="agent")
    role = grant(user, "contact", scope="all")
    grant(user, "account", scope="all")
    Role.objects.filter(users=user).update(mask_personal_data=True)
    role.refresh_from_db()
    return user


@pytest.fixture
def contact(owner):
    return ContactFactory(owner=owner, name="张伟", mobile=MOBILE, email=EMAIL, id_number=ID_NUMBER)


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("phone", "13812341234", "138****1234"),
        ("phone", "+8613812341234", "138****1234"),
        ("phone", "+44 20 7946 0877", "+44 207****0877"),
        ("phone", "021-6888 1234", "021****1234"),
        ("phone", "12345", "***45"),
        ("email", "zhangwei@example.com", "z***@example.com"),
        ("id_number", "110101199003071234", "110***********1234"),
        ("id_number", "E123", "****"),
        ("phone", "", ""),
    ],
)
def test_mask_values(kind, value, masked):
    assert privacy.mask_value(kind, value) == masked


def test_only_users_whose_roles_all_mask_see_masked_data(service_agent, owner, admin_user):
    assert privacy.masks_personal_data(service_agent) is True
    assert privacy.masks_personal_data(owner) is False
    assert privacy.masks_personal_data(admin_user) is False
    # One unmasked role is enough to see the data.
    grant(service_agent, "lead", scope="own")
    assert privacy.masks_personal_data(service_agent) is False


def test_masking_role_sees_masked_data_in_list_detail_api_history_and_export(
    contact, service_agent, owner, client_for
):
    client = client_for(service_agent)
    listed = client.get(reverse("web:contact_list")).content.decode()
    assert "138****1234" in listed and MOBILE not in listed
    assert "z***@example.com" in listed and EMAIL not in listed
    detail = client.get(reverse("web:contact_detail", args=[contact.pk])).content.decode()
    assert "110***********1234" in detail
    assert ID_NUMBER not in detail and MOBILE not in detail and EMAIL not in detail
    history = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=history")
    assert MOBILE not in history.content.decode()
    account_tab = client.get(
        reverse("web:account_detail", args=[contact.account_id]) + "?tab=contacts"
    ).content.decode()
    assert "138****1234" in account_tab and MOBILE not in account_tab

    item = api_for(service_agent).get(f"/api/v1/contacts/{contact.pk}").json()
    assert (item["mobile"], item["mobile_e164"], item["email"], item["id_number"]) == (
        "138****1234",
        "138****1234",
        "z***@example.com",
        "110***********1234",
    )
    exported = b"".join(client.get("/contacts/export/").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    header = rows[0]
    assert rows[1][header.index("Mobile")] == "138****1234"
    assert rows[1][header.index("ID number")] == "110***********1234"

    # The same screens show everything to a user without a masking role.
    unmasked = client_for(owner).get(reverse("web:contact_list")).content.decode()
    assert "138 1234 1234" in unmasked
    assert api_for(owner).get(f"/api/v1/contacts/{contact.pk}").json()["mobile"] == MOBILE


def test_saving_a_form_with_masked_values_keeps_the_real_ones(contact, service_agent, client_for):
    client = client_for(service_agent)
    form = client.get(reverse("web:contact_edit", args=[contact.pk])).context["form"]
    assert form.initial["mobile"] == "138****1234"
    data = {
        "name": "张伟",
        "account": contact.account_id,
        "mobile": "138****1234",
        "email": "z***@example.com",
        "id_number": "110***********1234",
        "title": "总经理",
        "owner": contact.owner_id,
        "version": contact.version,
    }
    response = client.post(reverse("web:contact_edit", args=[contact.pk]), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.mobile, contact.email, contact.id_number, contact.title) == (
        MOBILE,
        EMAIL,
        ID_NUMBER,
        "总经理",
    )
    patched = api_for(service_agent).patch(
        f"/api/v1/contacts/{contact.pk}",
        {"mobile": "138****1234", "email": "new@example.com"},
        content_type="application/json",
    )
    assert patched.json()["email"] == "n***@example.com"
    contact.refresh_from_db()
    assert (contact.mobile, contact.email) == (MOBILE, "new@example.com")


def test_role_setting_is_editable_on_the_role_screen(admin_client):
    response = admin_client.post(
        reverse("web:org_role_create"),
        {"name": "客服", "description": "", "mask_personal_data": "on"}
        | {f"perm-{entity.name}-scope": "own" for entity in registry.entities()},
    )
    assert response.status_code == 302
    assert Role.objects.get(name="客服").mask_personal_data is True


def test_consent_is_appended_and_the_newest_row_is_current(contact, owner):
    other = ContactFactory(owner=owner, email="other@example.com")
    silent = ContactFactory(owner=owner, email="")
    assert consent_status(contact, "email") is None
    consent_record(actor=owner, person=contact, channel="email", status="granted", source="form")
    consent_record(
        actor=owner, person=contact, channel="email", status="withdrawn", source="unsubscribe"
    )
    consent_record(actor=owner, person=other, channel="sms", status="withdrawn")
    assert list(
        Consent.objects.filter(contact=contact).values_list("status", "source", "current")
    ) == [("withdrawn", "unsubscribe", True), ("granted", "form", False)]
    assert consent_status(contact, "email") == "withdrawn"
    assert list(contacts_reachable_by("email").order_by("pk")) == [other]
    assert list(contacts_reachable_by("email", explicit=True)) == []
    assert silent not in contacts_reachable_by("email")
    history = AuditEntry.objects.filter(entity="contact", object_id=contact.pk).first()
    assert history.changes == {"consent_email": ["granted", "withdrawn"]}
    with pytest.raises(ValueError):
        consent_record(actor=owner, person=contact, channel="fax", status="granted")


def test_consent_screen_filter_and_api(contact, owner, client_for):
    client = client_for(owner)
    response = client.post(
        reverse("customers:contact_consent", args=[contact.pk]),
        {
            "channel": "email",
            "status": "withdrawn",
            "source": "customer_request",
            "note": "电话要求",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=privacy")
    assert 'data-testid="consent-email">Opted out' in page.content.decode()
    history = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=history")
    assert "Email consent" in history.content.decode()
    bad = client.post(reverse("customers:contact_consent", args=[contact.pk]), {"channel": "fax"})
    assert bad.status_code == 302
    assert Consent.objects.count() == 1

    ContactFactory(owner=owner, name="李娜")
    opted_out = client.get(reverse("web:contact_list"), {"opted_out": "email"}).context["records"]
    assert [record.name for record in opted_out] == ["张伟"]

    api = api_for(owner)
    created = api.post(
        f"/api/v1/contacts/{contact.pk}/consents",
        {"channel": "sms", "status": "granted"},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert created.json()["source"] == "api"
    invalid = api.post(
        f"/api/v1/contacts/{contact.pk}/consents",
        {"channel": "fax", "status": "granted"},
        content_type="application/json",
    )
    assert invalid.status_code == 400
    assert list(invalid.json()["errors"]) == ["channel"]
    listed = api.get(f"/api/v1/contacts/{contact.pk}/consents").json()
    assert [(row["channel"], row["status"]) for row in listed] == [
        ("sms", "granted"),
        ("email", "withdrawn"),
    ]


def test_personal_data_export_as_json_and_excel(contact, owner, client_for):
    consent_record(actor=owner, person=contact, channel="email", status="granted")
    grouping.record_tags_set(
        actor=owner, entity=registry.get("contact"), instance=contact, names=["VIP"]
    )
    data = api_for(owner).get(f"/api/v1/contacts/{contact.pk}/personal-data").json()
    assert data["contact"]["mobile"] == MOBILE
    assert data["contact"]["id_number"] == ID_NUMBER
    assert data["contact"]["tags"] == ["VIP"]
    assert data["account"]["id"] == contact.account_id
    assert [(row["channel"], row["status"]) for row in data["consents"]] == [("email", "granted")]
    assert [entry["action"] for entry in data["history"]] == ["update"]

    page = client_for(owner).get(reverse("customers:contact_personal_data", args=[contact.pk]))
    assert json.loads(page.content)["contact"]["email"] == EMAIL
    excel = api_for(owner).get(f"/api/v1/contacts/{contact.pk}/personal-data?format=xlsx")
    workbook = load_workbook(io.BytesIO(excel.content))
    assert workbook.sheetnames == ["Contact", "Consents", "Change history", "Linked records"]
    values = dict(workbook["Contact"].iter_rows(min_row=2, values_only=True))
    assert (values["name"], values["mobile"]) == ("张伟", MOBILE)
    consents = [row[:2] for row in workbook["Consents"].iter_rows(min_row=2, values_only=True)]
    assert consents == [("email", "granted")]


def test_personal_data_is_refused_to_masking_roles_and_without_export_permission(
    contact, service_agent, client_for
):
    assert (
        api_for(service_agent).get(f"/api/v1/contacts/{contact.pk}/personal-data").status_code
        == 403
    )
    viewer = UserFactory(username="viewer")
    grant(viewer, "contact", ["view"], scope="all")
    assert api_for(viewer).get(f"/api/v1/contacts/{contact.pk}/personal-data").status_code == 403
    stranger = UserFactory(username="stranger")
    grant(stranger, "contact", scope="own")
    assert api_for(stranger).get(f"/api/v1/contacts/{contact.pk}/personal-data").status_code == 404
    assert (
        client_for(stranger)
        .get(reverse("customers:contact_personal_data", args=[contact.pk]))
        .status_code
        == 404
    )


def test_erase_removes_personal_data_and_keeps_the_record_and_its_links(contact, owner, client_for):
    contact.custom = {"hobby": "高尔夫"}
    contact.save()
    client = client_for(owner)
    client.post(
        reverse("web:contact_edit", args=[contact.pk]),
        {
            "name": "张伟",
            "account": contact.account_id,
            "mobile": "13912345678",
            "email": EMAIL,
            "id_number": ID_NUMBER,
            "address": "杭州市西湖区文三路90号",
            "notes": "喜欢喝茶",
            "owner": owner.pk,
        },
    )
    consent_record(actor=owner, person=contact, channel="email", status="withdrawn", note="私人")
    grouping.record_tags_set(
        actor=owner, entity=registry.get("contact"), instance=contact, names=["VIP"]
    )
    group = GroupFactory(owner=owner, entity="contact")
    GroupMember.objects.create(group=group, object_id=contact.pk)

    Notification.objects.create(
        recipient=owner, title="李明 assigned Contact 张伟 to you", url=f"/contacts/{contact.pk}/"
    )
    wrong = client.post(
        reverse("customers:contact_erase", args=[contact.pk]), {"confirm_name": "张"}
    )
    assert wrong.status_code == 400
    assert Contact.objects.get(pk=contact.pk).name == "张伟"
    response = client.post(
        reverse("customers:contact_erase", args=[contact.pk]), {"confirm_name": "张伟"}
    )
    assert response.status_code == 302

    erased = Contact.objects.get(pk=contact.pk)
    assert erased.name == f"已删除联系人 / Erased contact #{contact.pk}"
    assert erased.account_id == contact.account_id
    assert (erased.mobile, erased.email, erased.id_number, erased.address, erased.notes) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert (erased.birthday, erased.custom) == (None, {})
    assert SearchToken.objects.filter(entity="contact", object_id=contact.pk).count() == 0
    history = AuditEntry.objects.filter(entity="contact", object_id=contact.pk)
    stored = json.dumps(
        [[entry.object_repr, entry.changes] for entry in history], ensure_ascii=False
    )
    for secret in ("张伟", MOBILE, "13912345678", EMAIL, ID_NUMBER, "文三路", "喝茶", "高尔夫"):
        assert secret not in stored
    assert history.first().action == "erase"
    assert Notification.objects.get().title == (
        f"李明 assigned Contact 已删除联系人 / Erased contact #{contact.pk} to you"
    )
    # Business links and the opt-out stay.
    assert Consent.objects.get(contact=contact).status == "withdrawn"
    assert Consent.objects.get(contact=contact).note == ""
    assert Tagging.objects.filter(entity="contact", object_id=contact.pk).count() == 1
    assert GroupMember.objects.filter(group=group, object_id=contact.pk).count() == 1
    page = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=history")
    assert "Erased" in page.content.decode()


def test_erase_through_the_api_needs_delete_permission(contact, client_for):
    editor = UserFactory(username="editor")
    grant(editor, "contact", ["view", "edit"], scope="all")
    assert api_for(editor).post(f"/api/v1/contacts/{contact.pk}/erase").status_code == 403
    assert (
        client_for(editor).get(reverse("customers:contact_erase", args=[contact.pk])).status_code
        == 403
    )
    assert Contact.objects.get(pk=contact.pk).name == "张伟"
    remover = UserFactory(username="remover")
    grant(remover, "contact", ["view", "delete"], scope="all")
    response = api_for(remover).post(f"/api/v1/contacts/{contact.pk}/erase")
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["mobile"]) == (
        f"已删除联系人 / Erased contact #{contact.pk}",
        "",
    )
    assert api_for(remover).post("/api/v1/contacts/999999/erase").status_code == 404


def test_accounts_are_filtered_by_opt_out_too(owner, client_for):
    individual = AccountFactory(owner=owner, name="王先生", kind="individual")
    AccountFactory(owner=owner, name="其他客户")
    Consent.objects.create(account=individual, channel="sms", status="withdrawn")
    records = client_for(owner).get(reverse("web:account_list"), {"opted_out": "sms"})
    assert [record.name for record in records.context["records"]] == ["王先生"]


def test_consent_needs_edit_permission_and_screens_hide_what_is_not_allowed(contact, client_for):
    viewer = UserFactory(username="viewer")
    grant(viewer, "contact", ["view"], scope="all")
    client = client_for(viewer)
    response = client.post(
        reverse("customers:contact_consent", args=[contact.pk]),
        {"channel": "email", "status": "withdrawn", "source": "form"},
    )
    assert response.status_code == 403
    assert Consent.objects.count() == 0
    page = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=privacy")
    html = page.content.decode()
    for test_id in ("consent-form", "personal-data-json", "erase"):
        assert f'data-testid="{test_id}"' not in html


def test_masking_role_is_not_offered_the_personal_data_export(contact, service_agent, client_for):
    client = client_for(service_agent)
    page = client.get(reverse("web:contact_detail", args=[contact.pk]) + "?tab=privacy")
    assert 'data-testid="personal-data-json"' not in page.content.decode()
    response = client.get(reverse("customers:contact_personal_data", args=[contact.pk]))
    assert response.status_code == 403


def test_an_individual_customer_has_consent_too(owner, client_for):
    individual = AccountFactory(owner=owner, name="王先生", kind="individual", phone="13900001111")
    client = client_for(owner)
    response = client.post(
        reverse("customers:account_consent", args=[individual.pk]),
        {"channel": "sms", "status": "withdrawn", "source": "customer_request"},
    )
    assert response["Location"] == (
        reverse("web:account_detail", args=[individual.pk]) + "?tab=privacy"
    )
    assert consent_status(individual, "sms") == "withdrawn"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="consent-sms">Opted out' in page
    # An individual is a person, who may ask for their data or to be erased.
    assert 'data-testid="erase"' in page
    assert 'data-testid="personal-data-json"' in page
    history = client.get(reverse("web:account_detail", args=[individual.pk]) + "?tab=history")
    assert "SMS consent" in history.content.decode()
    records = client.get(reverse("web:account_list"), {"opted_out": "sms"}).context["records"]
    assert [record.name for record in records] == ["王先生"]
