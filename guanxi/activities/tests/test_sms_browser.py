"""End-to-end: an administrator finds the SMS settings, copies the webhook URL, watches the
segment counter and sends a test SMS through a local stand-in of Aliyun — in Chinese."""

import pytest
from playwright.sync_api import expect

from guanxi.activities.choices import Channel
from guanxi.activities.models import Message, MessageTemplate
from guanxi.activities.tests import fake_aliyun
from guanxi.core.tests.factories import UserFactory
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def provider(settings):
    fake = fake_aliyun.FakeAliyun()
    settings.SMS_URL = fake.url()
    settings.SMS_WEBHOOK_TOKEN = "tok-browser"
    yield fake
    fake.close()


def test_admin_sends_a_test_sms_from_the_settings_screen(new_page, live_server, provider):  # noqa: F811
    UserFactory(username="admin.wang", is_staff=True, is_superuser=True, language="zh-hans")
    template = MessageTemplate.objects.create(
        channel=Channel.SMS,
        name="到货提醒",
        body="{{ user.name }}提醒您：货物已到达。",
        provider_template="SMS_465320017",
    )
    page = new_page("zh-CN")
    log_in(page, live_server, "admin.wang")

    page.goto(f"{live_server.url}/settings/")
    page.get_by_test_id("settings-menu").get_by_text("短信", exact=True).click()
    expect(page.get_by_test_id("sms-backend-label")).to_have_text("阿里云短信")
    expect(page.get_by_test_id("webhook-report")).to_have_value(
        f"{live_server.url}/webhooks/sms/aliyun/tok-browser/report"
    )
    assert fake_aliyun.SECRET not in page.content()

    page.locator("#id_to").fill("139 1234 5678")
    page.locator("#id_text").press_sequentially("您好")
    expect(page.get_by_test_id("sms-segments")).to_contain_text(
        "8 个字符（UCS-2），共 1 条短信，末条还可输入 62 个字符"
    )
    page.locator("#id_text").fill("")
    page.locator("#id_template").select_option(str(template.pk))
    page.get_by_test_id("send-test-sms").click()

    expect(page.locator(".messages")).to_contain_text("发往 +8613912345678 的测试短信")
    message = Message.objects.get()
    expect(page.get_by_test_id(f"sms-{message.pk}")).to_contain_text("+8613912345678")
    assert (message.status, message.provider_id) == ("sent", fake_aliyun.OK["BizId"])
    assert provider.requests[0]["TemplateCode"] == "SMS_465320017"
    page.screenshot(path="/tmp/sms-settings.png", full_page=True)
