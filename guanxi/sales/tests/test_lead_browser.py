"""End to end: a website embeds the lead form, a visitor sends it, the rep converts the lead."""

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadWebForm
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def source_is(source):
    return {"match": "all", "rules": [{"field": "source", "op": "in", "value": [source]}]}


@pytest.fixture
def website(tmp_path):
    """Serve a static web page from another port: the customer's own website."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_embedded_form_to_assigned_lead_to_customer(new_page, live_server, website):  # noqa: F811
    folder, origin = website
    rep = UserFactory(username="zhou.jie", language="zh-hans")
    for entity in ("lead", "account", "contact", "opportunity"):
        grant(rep, entity, scope="own")
    LeadAssignmentRule.objects.create(
        name="官网", conditions=source_is("website"), action="user", user=rep
    )
    web_form = LeadWebForm.objects.create(
        name="官网咨询",
        fields=["company", "mobile", "email", "product_interest"],
        thank_you="感谢您的咨询！",
        consent_text="我同意贵公司与我联系。",
        allowed_origins=origin,
    )
    (folder / "index.html").write_text(
        "<!doctype html><meta charset=utf-8><title>华信科技官网</title><h1>联系我们</h1>"
        f'<div data-guanxi-lead-form="{web_form.public_key}"></div>'
        f'<script src="{live_server.url}/forms/leads/{web_form.public_key}/embed.js"></script>',
        encoding="utf-8",
    )

    visitor = new_page("zh-CN")
    visitor.goto(f"{origin}/index.html")
    visitor.locator("[name=name]").fill("孙丽")
    visitor.locator("[name=company]").fill("宁波海天塑机有限公司")
    visitor.locator("[name=product_interest]").fill("注塑机联网")
    visitor.locator("[name=consent]").check()
    visitor.get_by_role("button").click()
    expect(visitor.locator("[data-error-for=mobile]")).to_contain_text("请填写电话号码或邮箱")
    visitor.locator("[name=mobile]").fill("13600001111")
    visitor.get_by_role("button").click()
    expect(visitor.locator(".gx-status")).to_have_text("感谢您的咨询！")

    lead = Lead.objects.get()
    assert (lead.owner, lead.consent_text) == (rep, "我同意贵公司与我联系。")

    page = new_page("zh-CN")
    log_in(page, live_server, "zhou.jie")
    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("link", name="孙丽").click()
    page.get_by_test_id("lead-convert").click()
    page.get_by_test_id("create-opportunity").check()
    page.get_by_test_id("convert").click()
    expect(page.locator("body")).to_contain_text("线索已转化为客户“宁波海天塑机有限公司”")
    account = Account.objects.get()
    assert page.url.endswith(f"/accounts/{account.pk}/")
    lead.refresh_from_db()
    assert (lead.status, lead.converted_account) == ("converted", account)
    page.screenshot(path="/tmp/lead-converted.png", full_page=True)
