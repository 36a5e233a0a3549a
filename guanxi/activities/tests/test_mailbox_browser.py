"""End-to-end in Chinese: add my mailbox, test it, fetch, and file an unmatched email."""

import pytest
from playwright.sync_api import expect

from guanxi.activities.models import Mailbox, Message
from guanxi.activities.tests.test_inbound_mail import gbk_mail
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_add_a_mailbox_fetch_and_file_an_unmatched_email(new_page, live_server, imap_server):  # noqa: F811
    user = UserFactory(username="li.na", language="zh-hans")
    grant(user, "activity", ["view", "create"], "own")
    grant(user, "account", ["view"], "own")
    account = AccountFactory(owner=user, name="苏州新工厂有限公司")
    page = new_page("zh-CN")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/profile/")
    page.get_by_test_id("my-mailboxes").click()
    page.get_by_test_id("add-my-mailbox").click()
    form = page.get_by_test_id("mailbox-form")
    form.locator("[name=name]").fill("我的企业邮箱")
    form.locator("[name=host]").fill("127.0.0.1")
    form.locator("[name=port]").fill(str(imap_server.port))
    form.locator("[name=security]").select_option("none")
    form.locator("[name=username]").fill("wang")
    form.locator("[name=password]").fill("wang-pass-1")
    form.get_by_test_id("save").click()
    mailbox = Mailbox.objects.get()
    expect(page.get_by_test_id(f"mailbox-{mailbox.pk}")).to_contain_text("我的企业邮箱")

    page.get_by_test_id(f"test-mailbox-{mailbox.pk}").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("连接成功")

    imap_server.append("wang", gbk_mail(sender="新客户 <new.buyer@factory.example>"))
    page.get_by_test_id(f"fetch-mailbox-{mailbox.pk}").click()
    expect(page.get_by_test_id(f"mailbox-status-{mailbox.pk}")).to_contain_text("正常")

    page.goto(f"{live_server.url}/mailboxes/unmatched/")
    message = Message.objects.get()
    row = page.get_by_test_id(f"unmatched-{message.pk}")
    expect(row).to_contain_text("new.buyer@factory.example")
    row.get_by_role("link").click()
    expect(page.get_by_test_id("email-body")).to_contain_text("镕基的价格请再确认")
    page.locator("#link-account-ts-control").click()
    page.locator(".ts-dropdown .option", has_text="苏州新工厂有限公司").click()
    page.get_by_test_id("link-save-account").click()
    expect(page.locator("body")).to_contain_text("邮件已归档到“苏州新工厂有限公司”")
    message.refresh_from_db()
    assert (message.link_entity, message.link_id) == ("account", account.pk)
    assert message.activity.subject == "关于报价单的回复"
    page.screenshot(path="/tmp/mailbox-unmatched.png", full_page=True)
