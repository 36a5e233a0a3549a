"""The import wizard in a real Chromium: upload a GBK file, map, preview, run, undo."""

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.dataio.tests.helpers import csv_bytes
from guanxi.web.tests.conftest import browser, new_page, page  # noqa: F401
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_import_wizard_from_list_to_undo(page, live_server, tmp_path):  # noqa: F811
    user = UserFactory(username="zhao.lei")
    grant(user, "account", ["view", "create", "delete"], scope="own")
    path = tmp_path / "客户名单.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["客户名称", "客户等级", "电话", "备注"],
                ["杭州云帆科技有限公司", "贵宾型", "0571-8888 1234", "老客户"],
                ["上海明远贸易有限公司", "普通型", "", ""],
                ["", "重要型", "12", ""],
            ],
            encoding="gbk",
        )
    )
    log_in(page, live_server, "zhao.lei")
    page.goto(f"{live_server.url}/accounts/")
    page.get_by_test_id("import").click()
    page.get_by_test_id("import-file").set_input_files(str(path))
    page.get_by_test_id("import-upload").click()

    expect(page.get_by_test_id("column-0")).to_have_value("name")
    expect(page.get_by_test_id("column-1")).to_have_value("grade")
    expect(page.get_by_test_id("column-3")).to_have_value("")
    page.get_by_test_id("mapping-save").click()

    rows = page.get_by_test_id("preview-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_have_attribute("data-action", "error")
    assert Account.objects.count() == 0
    page.get_by_test_id("import-start").click()

    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("count-created")).to_have_text("2")
    expect(page.get_by_test_id("count-failed")).to_have_text("1")
    expect(page.get_by_test_id("import-error-report")).to_be_visible()
    assert sorted(Account.objects.values_list("grade", flat=True)) == ["ordinary", "vip"]

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("import-undo").click()
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "undone")
    assert Account.objects.count() == 0
