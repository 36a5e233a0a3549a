"""Bulk email extraction, envelopes and address labels (CUS-7)."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from guanxi.core.documents import LABEL_SHEETS, PostalAddress, labels_pdf
from guanxi.core.models import Job, Role
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Consent
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

CHINESE = {
    "country": "中国",
    "province": "浙江",
    "city": "杭州",
    "address": "西湖区文三路90号",
    "postal_code": "310012",
}
LATIN = {
    "country": "United Kingdom",
    "city": "London",
    "address": "1 Main Street",
    "postal_code": "SW1A 1AA",
}


@pytest.fixture
def rep():
    user = UserFactory(username="rep")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    return user


def post(client, entity, action, ids, **data):
    return client.post(
        reverse(f"web:{entity}_bulk_{action}"), {"ids": ids, "querystring": "", **data}
    )


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_list_menu_offers_the_registered_bulk_actions(rep, client_for):
    AccountFactory(owner=rep)
    page = client_for(rep).get(reverse("web:account_list"))
    assert [item["key"] for item in page.context["bulk_actions"]] == [
        "emails",
        "labels",
        "envelopes",
        "tag",
    ]


def test_emails_are_extracted_distinct_scoped_and_without_opt_outs(rep, client_for):
    account = AccountFactory(owner=rep)
    mine = [
        ContactFactory(owner=rep, account=account, email=email)
        for email in ("a@example.com", "A@example.com", "", "b@example.com", "out@example.com")
    ]
    theirs = ContactFactory(owner=UserFactory(username="other"), email="hidden@example.com")
    Consent.objects.create(contact=mine[4], channel="email", status="withdrawn")
    ids = [contact.pk for contact in (*mine, theirs)]
    client = client_for(rep)

    page = post(client, "contact", "emails", ids)
    assert page.status_code == 200
    assert page.context["emails"] == ["a@example.com", "b@example.com"]
    with_opt_outs = post(client, "contact", "emails", ids, include_opted_out="1")
    assert with_opt_outs.context["emails"] == ["a@example.com", "b@example.com", "out@example.com"]

    text = post(client, "contact", "emails", ids, format="txt")
    assert b"".join(text.streaming_content).decode() == "a@example.com\nb@example.com\n"
    assert text["Content-Disposition"].endswith('.txt"')
    table = post(client, "contact", "emails", [], all_matching="1", format="csv")
    assert b"".join(table.streaming_content).decode() == "a@example.com\r\nb@example.com\r\n"


def test_emails_need_export_permission_and_are_refused_to_masking_roles(client_for):
    viewer = UserFactory(username="viewer")
    grant(viewer, "contact", ["view"], scope="all")
    contact = ContactFactory(owner=viewer)
    assert post(client_for(viewer), "contact", "emails", [contact.pk]).status_code == 403
    agent = UserFactory(username="agent")
    grant(agent, "contact", scope="all")
    Role.objects.filter(users=agent).update(mask_personal_data=True)
    client = client_for(agent)
    assert post(client, "contact", "emails", [contact.pk]).status_code == 403
    # Labels carry names and postal addresses, which no role masks.
    assert post(client, "contact", "labels", [contact.pk]).status_code == 200
    page = client.get(reverse("web:contact_list")).context["bulk_actions"]
    assert [item["key"] for item in page] == ["labels", "envelopes", "tag"]


def test_labels_print_chinese_and_latin_addresses_in_their_order(rep, client_for):
    chinese = AccountFactory(owner=rep, name="杭州云帆科技有限公司", **CHINESE)
    latin = AccountFactory(owner=rep, name="Acme Trading Ltd", **LATIN)
    empty = AccountFactory(owner=rep, name="无地址客户", city="", address="")
    client = client_for(rep)
    ids = [chinese.pk, latin.pk, empty.pk]

    form = post(client, "account", "labels", ids)
    assert form.status_code == 200
    assert [value for value, _label in form.context["layouts"]] == list(LABEL_SHEETS)
    response = post(client, "account", "labels", ids, layout="L7160", generate="1")
    assert response["Content-Type"] == "application/pdf"
    (text,) = pdf_pages(b"".join(response.streaming_content))
    assert text.split("\n")[:7] == [
        "310012",
        "浙江杭州西湖区文三路90号",
        "杭州云帆科技有限公司 收",
        "Acme Trading Ltd",
        "1 Main Street",
        "London SW1A 1AA",
        "UNITED KINGDOM",
    ]
    assert "无地址客户" not in text


def test_contact_envelopes_one_page_each_with_the_name_and_company(rep, client_for):
    account = AccountFactory(owner=rep, name="杭州云帆科技有限公司", **CHINESE)
    contacts = [ContactFactory(owner=rep, account=account, name=n) for n in ("张伟", "李娜")]
    response = post(
        client_for(rep), "contact", "envelopes", [c.pk for c in contacts], layout="C5", generate="1"
    )
    pages = pdf_pages(b"".join(response.streaming_content))
    assert len(pages) == 2
    assert pages[0].endswith("浙江杭州西湖区文三路90号\n杭州云帆科技有限公司\n张伟 收\n")
    assert pages[1].endswith("李娜 收\n")
    reader = PdfReader(
        io.BytesIO(
            b"".join(
                post(
                    client_for(rep),
                    "contact",
                    "envelopes",
                    [contacts[0].pk],
                    layout="DL",
                    generate="1",
                ).streaming_content
            )
        )
    )
    assert [round(float(v) / 72 * 25.4) for v in reader.pages[0].mediabox[2:]] == [220, 110]


def test_a_large_selection_prints_in_a_job_whose_file_is_downloaded(
    rep, client_for, monkeypatch, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr("guanxi.web.views.bulk_documents.INLINE_LIMIT", 2)
    for index in range(3):
        AccountFactory(owner=rep, name=f"客户{index}", **CHINESE)
    client = client_for(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, "account", "labels", [], all_matching="1", layout="70x37", generate="1"
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.total, job.done, job.result["count"]) == ("done", 3, 3, 3)
    page = client.get(reverse("web:job_detail", args=[job.pk])).content.decode()
    assert reverse("web:job_download", args=[job.pk]) in page
    download = client.get(reverse("web:job_download", args=[job.pk]))
    (text,) = pdf_pages(b"".join(download.streaming_content))
    assert [line for line in text.split("\n") if line.endswith("收")] == [
        "客户0 收",
        "客户1 收",
        "客户2 收",
    ]
    other = client_for(UserFactory(username="other"))
    assert other.get(reverse("web:job_download", args=[job.pk])).status_code == 404


def test_labels_fill_sheets_and_start_a_new_page():
    sheet = LABEL_SHEETS["L7163"]
    output = io.BytesIO()
    addresses = [
        PostalAddress(name=f"Name {n}", street="1 Road", city="Paris", country="France")
        for n in range(sheet.per_page + 1)
    ]
    assert labels_pdf(addresses, sheet, output) == 15
    assert len(PdfReader(io.BytesIO(output.getvalue())).pages) == 2


def test_labels_skip_used_ones_and_envelopes_carry_the_sender(rep, client_for):
    accounts = [AccountFactory(owner=rep, name=f"客户{n}", **CHINESE) for n in range(2)]
    client = client_for(rep)
    ids = [account.pk for account in accounts]
    response = post(client, "account", "labels", ids, layout="L7160", skip="20", generate="1")
    pages = pdf_pages(b"".join(response.streaming_content))
    # 21 labels a sheet: the first label fills the last place, the second starts a sheet.
    assert [page.count("收") for page in pages] == [1, 1]
    envelope = post(
        client,
        "account",
        "envelopes",
        ids[:1],
        layout="DL",
        sender="华信科技有限公司\n北京市海淀区中关村大街1号 100080",
        generate="1",
    )
    (text,) = pdf_pages(b"".join(envelope.streaming_content))
    assert "华信科技有限公司" in text
    assert "北京市海淀区中关村大街1号 100080" in text
