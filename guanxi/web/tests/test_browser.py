"""End-to-end checks in a real Chromium: what a user sees when logging in, switching
language, creating customers and contacts, searching and bulk editing."""

import re

import pytest
from playwright.sync_api import expect

from guanxi.core import search
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Contact
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.browser

PASSWORD = "secret-pass-123"  # UserFactory's password


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_test_id("login").click()


def log_out(page) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()


def html_lang(page):
    return page.locator("html")


def test_login_refuses_wrong_password_then_lands_on_home(page, live_server):
    UserFactory(username="li.lei")

    log_in(page, live_server, "li.lei", "wrong-password")

    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/login/")

    page.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("login").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".page-title")).to_have_text("Welcome, li.lei")
    expect(page.get_by_test_id("login-error")).to_have_count(0)


def test_language_switch_is_kept_as_the_users_preference(page, live_server):
    user = UserFactory(username="wang.fang", language="")
    grant(user, "account", ["view"])

    log_in(page, live_server, "wang.fang")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(html_lang(page)).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("menu-account")).to_have_text("Customers")

    page.get_by_test_id("language-zh-hans").click()

    expect(html_lang(page)).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("menu-account")).to_have_text("客户")
    expect(page.get_by_test_id("language-en")).to_be_visible()
    user.refresh_from_db()
    assert user.language == "zh-hans"

    log_out(page)
    expect(page).to_have_url(re.compile(r"/login/"))
    # Another browser: only the stored preference can bring the Chinese UI back.
    page.context.clear_cookies()
    log_in(page, live_server, "wang.fang")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(html_lang(page)).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("menu-account")).to_have_text("客户")


def test_chinese_browser_gets_chinese_ui_without_a_preference(new_page, live_server):
    UserFactory(username="zhao.lei", language="")
    page = new_page("zh-CN")

    page.goto(f"{live_server.url}/login/")
    expect(html_lang(page)).to_have_attribute("lang", "zh-hans")

    log_in(page, live_server, "zhao.lei")

    expect(page).to_have_url(f"{live_server.url}/")
    expect(html_lang(page)).to_have_attribute("lang", "zh-hans")


def test_create_customer_then_contact_from_its_contacts_tab(page, live_server):
    user = UserFactory(username="chen.jing")
    grant(user, "account")
    grant(user, "contact")
    log_in(page, live_server, "chen.jing")

    page.get_by_test_id("menu-account").click()
    page.get_by_test_id("create").click()
    form = page.get_by_test_id("record-form")
    form.locator("[name=name]").fill("杭州云帆网络科技有限公司")
    form.locator("[name=phone]").fill("0571-8888 1234")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("杭州云帆网络科技有限公司")
    account = Account.objects.get()
    assert (account.name, account.phone, account.owner) == (
        "杭州云帆网络科技有限公司",
        "0571-8888 1234",
        user,
    )
    account_url = page.url

    page.get_by_test_id("tab-contacts").click()
    page.get_by_test_id("add-contact").click()
    form = page.get_by_test_id("record-form")
    expect(form.locator("select[name=account]")).to_have_value(str(account.pk))
    expect(form).to_contain_text("杭州云帆网络科技有限公司")
    form.locator("[name=name]").fill("张三")
    form.locator("[name=mobile]").fill("138 0013 8000")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("record-title")).to_have_text("张三")
    contact = Contact.objects.get()
    assert (contact.name, contact.mobile, contact.account) == ("张三", "138 0013 8000", account)

    page.goto(account_url)
    page.get_by_test_id("tab-contacts").click()
    contacts = page.get_by_test_id("account-contacts")
    expect(contacts.locator("tbody tr")).to_have_count(1)
    expect(contacts.locator("tbody tr")).to_contain_text("张三")
    expect(contacts.locator("tbody tr")).to_contain_text("138 0013 8000")


def test_customer_without_name_shows_error_under_the_field(page, live_server):
    user = UserFactory(username="chen.jing")
    grant(user, "account")
    log_in(page, live_server, "chen.jing")

    page.goto(f"{live_server.url}/accounts/new/")
    form = page.get_by_test_id("record-form")
    form.locator("[name=phone]").fill("0571-8888 1234")
    page.get_by_test_id("save").click()

    expect(page.get_by_test_id("error-name")).to_be_visible()
    expect(page.get_by_test_id("error-name")).to_have_text("This field is required.")
    expect(form.locator("[name=phone]")).to_have_value("0571-8888 1234")
    assert Account.objects.count() == 0


def test_global_search_finds_contact_by_pinyin_and_phone_within_scope(page, live_server):
    user = UserFactory(username="liu.yang")
    grant(user, "account", scope="own")
    grant(user, "contact", scope="own")
    account = AccountFactory(name="北京明德教育咨询有限公司", owner=user)
    zhang_san = ContactFactory(name="张三", mobile="13800138000", account=account, owner=user)
    # Another user's contact matches both queries but lies outside the user's scope.
    outsider = ContactFactory(name="张顺", mobile="13800138000", owner=UserFactory())
    for record in (account, outsider.account):
        search.index_record("account", record)
    for record in (zhang_san, outsider):
        search.index_record("contact", record)
    log_in(page, live_server, "liu.yang")
    expect(page).to_have_url(f"{live_server.url}/")
    # Typing before htmx has bound the box would send no request at all.
    page.wait_for_load_state("load")
    page.wait_for_function("() => window.htmx !== undefined")
    box = page.get_by_test_id("global-search")
    hits = page.get_by_test_id("search-hit")

    box.fill("zs")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text("张三")
    expect(page.get_by_test_id("search-results")).not_to_contain_text("张顺")

    box.fill("")
    expect(page.get_by_test_id("search-results")).to_have_count(0)
    box.fill("138 0013 8000")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text("张三")
    expect(page.get_by_test_id("search-results")).not_to_contain_text("张顺")

    hits.click()
    expect(page.get_by_test_id("record-title")).to_have_text("张三")


def test_bulk_edit_changes_only_the_ticked_rows(page, live_server):
    user = UserFactory(username="sun.li")
    grant(user, "account")
    names = ["上海星河贸易有限公司", "广州南方物流有限公司", "成都天府软件有限公司"]
    for name in names:
        AccountFactory(name=name, owner=user, grade="")
    log_in(page, live_server, "sun.li")

    page.get_by_test_id("menu-account").click()
    rows = page.get_by_test_id("record-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("bulk-edit")).to_be_disabled()
    for name in names[:2]:
        rows.filter(has_text=name).locator("input.select-row").check()
    page.get_by_test_id("bulk-edit").click()

    expect(page.get_by_test_id("bulk-count")).to_contain_text("2 records are selected.")
    page.get_by_test_id("apply-grade").check()
    page.locator("select[name=grade]").select_option("vip")
    page.get_by_test_id("apply").click()

    expect(page).to_have_url(re.compile(r"/accounts/"))
    expect(page.get_by_role("alert")).to_contain_text("2 records were changed.")
    for name in names[:2]:
        expect(rows.filter(has_text=name)).to_contain_text("VIP")
    expect(rows.filter(has_text=names[2])).not_to_contain_text("VIP")
    grades = dict(Account.objects.values_list("name", "grade"))
    assert grades == {names[0]: "vip", names[1]: "vip", names[2]: ""}


def test_duplicate_warning_then_merge_from_the_duplicates_screen(page, live_server):
    from guanxi.core import dedupe
    from guanxi.core.choices import Action

    user = UserFactory(username="chen.jing")
    grant(user, "account", actions=[*[a.value for a in Action]], scope="all")
    existing = AccountFactory(name="杭州云帆科技有限公司", phone="0571-8888 1234", owner=user)
    dedupe.index_record("account", existing)
    log_in(page, live_server, "chen.jing")

    page.goto(f"{live_server.url}/accounts/new/")
    form = page.get_by_test_id("record-form")
    form.locator("[name=name]").fill("杭州雲帆科技股份有限公司")
    form.locator("[name=phone]").fill("+86 571 88881234")
    page.get_by_test_id("save").click()

    warning = page.get_by_test_id("duplicate-warning")
    expect(warning.get_by_test_id("duplicate-match")).to_have_count(1)
    expect(warning).to_contain_text("杭州云帆科技有限公司")
    expect(warning).to_contain_text("same phone")
    page.get_by_test_id("save-duplicate").click()
    expect(page.get_by_test_id("record-title")).to_have_text("杭州雲帆科技股份有限公司")
    assert Account.objects.count() == 2

    page.goto(f"{live_server.url}/accounts/")
    page.get_by_test_id("duplicates").click()
    page.get_by_test_id("duplicate-scan").click()
    expect(page.get_by_test_id("job-progress")).to_have_attribute("data-status", "done")
    page.get_by_test_id("job-result").click()
    expect(page.get_by_test_id("duplicate-group")).to_have_count(1)
    page.get_by_test_id("merge-group").click()
    page.get_by_test_id(f"survivor-{existing.pk}").check()
    copy = Account.objects.exclude(pk=existing.pk).get()
    page.get_by_test_id(f"field-name-{existing.pk}").check()
    page.get_by_test_id("merge-submit").click()

    expect(page.get_by_test_id("record-title")).to_have_text("杭州云帆科技有限公司")
    assert list(Account.objects.values_list("pk", flat=True)) == [existing.pk]
    assert not Account.objects.filter(pk=copy.pk).exists()
