"""End-to-end: click a funnel bar and see its deals; adjust a rep's forecast as a manager."""

import datetime

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant
from guanxi.sales.models import ForecastOverride
from guanxi.sales.tests.factories import PipelineFactory
from guanxi.sales.tests.forecast_helpers import deal
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def sales_team(db):
    boss = UserFactory(username="wang.zong", first_name="总", last_name="王")
    department = DepartmentFactory(name="华东销售部")
    department.manager = boss
    department.save()
    boss.department = department
    boss.save()
    rep = UserFactory(username="li.na", first_name="娜", last_name="李", department=department)
    grant(boss, "opportunity", ["view"], scope="department_tree")
    pipeline = PipelineFactory(is_default=True)
    close = datetime.date(2026, 11, 20)
    deal(
        rep,
        pipeline,
        3,
        380000,
        name="苏州恒通 ERP 二期",
        created="2026-04-02",
        history=[(0, 1, 3), (1, 2, 8), (2, 3, 5)],
        forecast_category="commit",
        expected_close=close,
    )
    deal(rep, pipeline, 1, 90000, name="仓储扫码枪", created="2026-05-06", history=[(0, 1, 2)])
    deal(rep, pipeline, 0, 40000, name="年度维保续约", created="2026-06-01")
    return {"boss": boss, "rep": rep, "pipeline": pipeline}


def test_click_a_funnel_bar_and_see_its_deals(new_page, live_server, sales_team):  # noqa: F811
    sales_team["boss"].language = "zh-hans"
    sales_team["boss"].save()
    page = new_page("zh-CN")
    log_in(page, live_server, "wang.zong")
    page.get_by_test_id("menu-funnel").click()
    page.goto(f"{live_server.url}/sales/funnel/?start=2026-01-01&end=2026-12-31")
    chart = page.get_by_test_id("funnel-chart")
    expect(chart).to_have_attribute("data-ready", "1")
    expect(chart).to_contain_text("谈判审核")
    # Five bars top to bottom; the fourth (谈判审核) holds the one deal that got that far.
    box = chart.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + 10 + (box["height"] - 20) * 3.5 / 5)
    deals = page.get_by_test_id("funnel-deals-card")
    expect(deals).to_contain_text("谈判审核")
    expect(deals).to_contain_text("苏州恒通 ERP 二期")
    expect(deals.locator("tbody tr")).to_have_count(1)
    page.get_by_test_id(f"funnel-deals-{sales_team['pipeline'].stages.get(position=1).pk}").click()
    expect(page.get_by_test_id("funnel-deals-card").locator("tbody tr")).to_have_count(2)
    page.screenshot(path="/tmp/forecast-funnel.png", full_page=True)


def test_a_manager_adjusts_a_reps_commit(new_page, live_server, sales_team):  # noqa: F811
    rep = sales_team["rep"]
    page = new_page("en-US")
    log_in(page, live_server, "wang.zong")
    page.get_by_test_id("menu-forecast").click()
    page.goto(f"{live_server.url}/sales/forecast/?period=2026-Q4")
    key = f"user-{rep.pk}"
    expect(page.get_by_test_id(f"forecast-{key}-commit")).to_contain_text("380,000.00")
    page.get_by_test_id(f"forecast-adjust-{key}").click()
    form = page.get_by_test_id(f"forecast-adjust-form-{key}")
    form.get_by_test_id("forecast-new-amount").fill("300000")
    form.get_by_test_id("forecast-comment").fill("客户预算推迟到明年")
    form.get_by_test_id("forecast-save").click()
    expect(page.get_by_test_id("forecast-notice")).to_contain_text("The forecast was adjusted.")
    expect(page.get_by_test_id(f"forecast-{key}-commit-adjusted")).to_contain_text("300,000.00")
    expect(page.get_by_test_id(f"forecast-{key}-commit")).to_contain_text("380,000.00")
    page.get_by_test_id(f"forecast-{key}-commit").locator("summary").click()
    expect(page.get_by_test_id(f"forecast-{key}-commit")).to_contain_text("客户预算推迟到明年")
    override = ForecastOverride.objects.get()
    assert (override.user, str(override.old_amount), str(override.new_amount)) == (
        rep,
        "380000.00",
        "300000.00",
    )
    page.screenshot(path="/tmp/forecast-adjusted.png", full_page=True)
