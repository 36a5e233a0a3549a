"""End-to-end: send an email from a contact with a template, and a bulk send from the list."""

import re

import pytest
from playwright.sync_api import expect

from guanxi.activities.choices import Channel
from guanxi.activities.models import MessageBatch, MessageTemplate
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.web.tests.conftest import browser, new_page, page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def rep():
    user = UserFactory(username="lin.hui", first_name="慧", last_name="林")
    for entity in ("account", "contact", "activity"):
        grant(user, entity, scope="own")
    return user


def test_send_an_email_with_a_template_and_find_it_on_the_timeline(
    page,  # noqa: F811
    live_server,
    smtp_server,
    rep,
):
    account = AccountFactory(name="上海明远贸易有限公司", owner=rep)
    contact = ContactFactory(account=account, owner=rep, name="张伟", email="zw@mingyuan.cn")
    MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="报价跟进",
        language="zh-hans",
        subject="{{ account.name }} 的报价",
        body="{{ contact.name }}您好，我是{{ user.name }}，报价已附上。",
    )
    log_in(page, live_server, "lin.hui")

    page.goto(f"{live_server.url}/contacts/{contact.pk}/")
    page.get_by_test_id("send-email").click()
    page.get_by_test_id("template").select_option(label="报价跟进 (Simplified Chinese)")
    expect(page.get_by_test_id("preview")).to_contain_text("张伟您好，我是林慧，报价已附上。")
    expect(page.get_by_test_id("subject")).to_have_value("{{ account.name }} 的报价")
    page.get_by_test_id("attachments").set_input_files(
        files=[{"name": "报价单.txt", "mimeType": "text/plain", "buffer": "报价".encode()}]
    )
    page.get_by_test_id("send").click()

    expect(page.get_by_role("alert")).to_contain_text("1 messages were queued for sending.")
    expect(page.get_by_test_id("record-messages")).to_contain_text("上海明远贸易有限公司 的报价")
    expect(page.get_by_test_id("record-messages")).to_contain_text("Sent")
    page.get_by_test_id("tab-timeline").click()
    expect(page.locator(".timeline-event[data-kind=activity]").first).to_contain_text(
        "上海明远贸易有限公司 的报价"
    )
    email = smtp_server.messages[0]["email"]
    assert email["Subject"] == "上海明远贸易有限公司 的报价"
    assert email.get_payload()[1].get_filename() == "报价单.txt"


def test_bulk_send_from_the_contact_list(page, live_server, smtp_server, settings, rep):  # noqa: F811
    settings.GUANXI_EMAIL_RATE = 0
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    ContactFactory(account=account, owner=rep, name="张伟", email="zw@yunfan.cn")
    ContactFactory(account=account, owner=rep, name="李娜", email="ln@yunfan.cn")
    ContactFactory(account=account, owner=rep, name="王芳", email="")
    log_in(page, live_server, "lin.hui")

    page.goto(f"{live_server.url}/contacts/")
    rows = page.get_by_test_id("record-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    page.locator(".select-page").check()
    page.get_by_test_id("bulk-more").click()
    page.get_by_test_id("bulk-send_email").click()
    expect(page.get_by_test_id("preview-to-send")).to_have_text("2")
    expect(page.get_by_test_id("preview-no-address")).to_have_text("1")
    page.locator("#id_subject").fill("展会邀请")
    page.get_by_test_id("body").fill("{{ contact.name }}您好，诚邀您参加展会。")
    page.get_by_test_id("send").click()

    expect(page).to_have_url(re.compile(r"/messages/batches/\d+/"))
    expect(page.get_by_test_id("count-sent")).to_have_text("2")
    expect(page.get_by_test_id("count-skipped")).to_have_text("1")
    expect(page.get_by_test_id("batch-messages")).to_contain_text("No address to send to.")
    batch = MessageBatch.objects.get()
    assert (batch.total, batch.sent_count, batch.skipped_count) == (3, 2, 1)
    assert sorted(r["email"].get_content().strip() for r in smtp_server.messages) == [
        "张伟您好，诚邀您参加展会。",
        "李娜您好，诚邀您参加展会。",
    ]
