"""A contact at several customers: links with a role at each, in the UI and the API."""

import pytest
from django.test import Client

from guanxi.api.auth import token_create
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import AccountContact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    return user


def test_linking_a_contact_shows_it_on_both_pages_and_in_history(rep, client_for):
    contact = ContactFactory(owner=rep, account=AccountFactory(owner=rep, name="华信科技"))
    other = AccountFactory(owner=rep, name="东方物流")
    client = client_for(rep)

    response = client.post(
        f"/contacts/{contact.pk}/accounts/link/",
        {"account": other.pk, "role": "influencer", "title": "顾问"},
    )

    assert response.status_code == 302
    link = AccountContact.objects.get()
    assert (link.account, link.contact, link.role, link.title) == (
        other,
        contact,
        "influencer",
        "顾问",
    )
    contact_page = client.get(f"/contacts/{contact.pk}/?tab=accounts").content.decode()
    assert "东方物流" in contact_page and "华信科技" in contact_page
    account_page = client.get(f"/accounts/{other.pk}/?tab=contacts").content.decode()
    assert 'data-testid="linked-contact"' in account_page and contact.name in account_page
    entry = AuditEntry.objects.filter(entity="contact", object_id=contact.pk).latest("id")
    assert entry.changes == {"further_accounts": [[], ["东方物流 (Influencer)"]]}
    history = client.get(f"/contacts/{contact.pk}/?tab=history").content.decode()
    assert "Further customers" in history


def test_the_main_customer_cannot_be_linked_again(rep, client_for):
    contact = ContactFactory(owner=rep, account=AccountFactory(owner=rep))

    response = client_for(rep).post(
        f"/contacts/{contact.pk}/accounts/link/", {"account": contact.account_id}
    )

    assert response.status_code == 200
    assert "already the contact&#x27;s main customer" in response.content.decode()
    assert AccountContact.objects.count() == 0


def test_a_customer_outside_the_scope_cannot_be_linked(rep, client_for):
    contact = ContactFactory(owner=rep, account=AccountFactory(owner=rep))
    foreign = AccountFactory(owner=UserFactory())

    response = client_for(rep).post(
        f"/contacts/{contact.pk}/accounts/link/", {"account": foreign.pk}
    )

    assert response.status_code == 200
    assert AccountContact.objects.count() == 0


def test_links_through_the_api(rep):
    contact = ContactFactory(owner=rep, account=AccountFactory(owner=rep, name="Main Co"))
    other = AccountFactory(owner=rep, name="Board Co")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    created = api.post(
        f"/api/v1/contacts/{contact.pk}/accounts",
        {"account": other.pk, "role": "decision_maker"},
        content_type="application/json",
    )
    assert created.status_code == 200
    assert [(row["account_name"], row["main"], row["role"]) for row in created.json()] == [
        ("Main Co", True, contact.role),
        ("Board Co", False, "decision_maker"),
    ]
    assert api.get(f"/api/v1/contacts/{contact.pk}/accounts").json() == created.json()

    bad = api.post(
        f"/api/v1/contacts/{contact.pk}/accounts",
        {"account": other.pk, "role": "chief"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"role": ["Enter a valid value."]}

    removed = api.delete(f"/api/v1/contacts/{contact.pk}/accounts/{other.pk}")
    assert removed.status_code == 204
    assert AccountContact.objects.count() == 0
    again = api.delete(f"/api/v1/contacts/{contact.pk}/accounts/{other.pk}")
    assert again.status_code == 400


def test_someone_elses_contact_is_not_found_through_the_api(rep):
    contact = ContactFactory(owner=UserFactory(), account=AccountFactory(owner=rep))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=rep)}")

    response = api.post(
        f"/api/v1/contacts/{contact.pk}/accounts",
        {"account": contact.account_id},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert AccountContact.objects.count() == 0
