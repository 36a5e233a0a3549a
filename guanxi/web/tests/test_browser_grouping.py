"""End-to-end: add ticked customers to a new group, tag one on its form, print labels."""

import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from guanxi.core.models import Group, GroupMember, Tagging
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser

NAMES = ["上海星河贸易有限公司", "广州南方物流有限公司", "成都天府软件有限公司"]


def test_add_ticked_rows_to_a_new_group_then_print_their_labels(page, live_server, tmp_path):
    user = UserFactory(username="zhou.jie")
    for entity in ("account", "group"):
        grant(user, entity)
    for name in NAMES:
        AccountFactory(
            name=name, owner=user, country="中国", city="上海", address="浦东新区世纪大道100号"
        )
    log_in(page, live_server, "zhou.jie")
    page.get_by_test_id("menu-account").click()
    rows = page.get_by_test_id("record-table").locator("tbody tr")
    expect(rows).to_have_count(3)
    for name in NAMES[:2]:
        rows.filter(has_text=name).locator("input.select-row").check()

    page.get_by_test_id("bulk-more").click()
    page.get_by_test_id("bulk-group").click()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("2 records are selected.")
    page.get_by_test_id("new-group").fill("2026 展会客户")
    page.get_by_test_id("apply").click()
    expect(page).to_have_url(re.compile(r"/accounts/"))
    expect(page.get_by_role("alert")).to_contain_text("2 records were added to the group")
    group = Group.objects.get()
    members = GroupMember.objects.filter(group=group).values_list("object_id", flat=True)
    assert sorted(Account.objects.filter(pk__in=members).values_list("name", flat=True)) == sorted(
        NAMES[:2]
    )

    page.goto(f"{live_server.url}/accounts/?group={group.pk}")
    expect(rows).to_have_count(2)
    page.locator(".select-page").check()
    page.get_by_test_id("bulk-more").click()
    page.get_by_test_id("bulk-labels").click()
    page.get_by_test_id("layout").select_option("L7163")
    with page.expect_download() as download:
        page.get_by_test_id("generate").click()
    path = tmp_path / "labels.pdf"
    download.value.save_as(path)
    text = PdfReader(path).pages[0].extract_text()
    assert [line for line in text.split("\n") if line.endswith("收")] == [
        f"{NAMES[0]} 收",
        f"{NAMES[1]} 收",
    ]


def test_tags_are_typed_on_the_form_and_shown_in_the_list(page, live_server):
    user = UserFactory(username="wu.fang")
    grant(user, "account")
    account = AccountFactory(name=NAMES[0], owner=user)
    log_in(page, live_server, "wu.fang")
    page.goto(f"{live_server.url}/accounts/{account.pk}/edit/")
    box = page.locator(".ts-control input")
    box.fill("重点客户")
    box.press("Enter")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("record-title")).to_have_text(NAMES[0])
    expect(page.get_by_test_id("overview")).to_contain_text("重点客户")
    assert list(Tagging.objects.values_list("tag__name", flat=True)) == ["重点客户"]
