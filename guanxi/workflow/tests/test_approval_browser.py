"""In Chinese: a process set up in Settings holds a large win dragged on the board till approved."""

import pytest
from playwright.sync_api import expect

from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant
from guanxi.sales.models import Opportunity
from guanxi.sales.tests.factories import PipelineFactory
from guanxi.web.tests.conftest import browser, new_page  # noqa: F401  (browser fixtures)
from guanxi.web.tests.test_browser import log_in
from guanxi.web.tests.test_browser_opportunities import drag
from guanxi.workflow.approval_models import ApprovalInstance, ApprovalProcess, ApprovalStatus
from guanxi.workflow.tests.approval_helpers import deal

pytestmark = pytest.mark.browser


def test_a_large_win_waits_for_the_manager_who_approves_it_in_chinese(
    new_page,  # noqa: F811
    live_server,
):
    UserFactory(username="admin.li", is_superuser=True, is_staff=True, language="zh-hans")
    east = DepartmentFactory(name="华东区")
    manager = UserFactory(username="wang.manager", department=east, language="zh-hans")
    rep = UserFactory(username="li.rep", department=east, manager=manager, language="zh-hans")
    east.manager = manager
    east.save()
    finance = UserFactory(
        username="sun.finance", first_name="丽", last_name="孙", language="zh-hans"
    )
    grant(rep, "opportunity", scope="own")
    grant(manager, "opportunity", scope="all")
    pipeline = PipelineFactory()
    big = deal(rep, amount="800000", pipeline=pipeline, name="智能仓储三期")
    start = big.stage
    won = pipeline.stages.get(is_won=True)

    # The admin publishes the process through the settings form: the builder and one step.
    admin = new_page("zh-CN")
    log_in(admin, live_server, "admin.li")
    admin.goto(f"{live_server.url}/settings/approval-processes/new/?entity=opportunity")
    admin.locator("#id_name").fill("大额赢单审批")
    admin.locator("#id_trigger").select_option("opportunity.win")
    builder = admin.locator("[data-conditions]")
    builder.get_by_role("button", name="添加条件", exact=True).click()
    row = builder.locator("[data-condition-row]").first
    row.locator("[data-condition-field]").select_option("amount")
    row.locator("[data-condition-op]").select_option("gt")
    row.locator("[data-condition-value]").fill("500000")
    step = admin.get_by_test_id("step-form-0")
    step.locator("[name=steps-0-kind]").select_option("manager")
    step.locator("[name=steps-0-name]").fill("直属经理")
    # A second step: the form goes to the server and back with what was filled in.
    admin.get_by_test_id("add-step").click()
    step = admin.get_by_test_id("step-form-1")
    expect(step).to_be_visible()
    expect(admin.locator("#id_name")).to_have_value("大额赢单审批")
    expect(admin.locator("[data-condition-value]")).to_have_value("500000")
    expect(admin.locator("[name=steps-0-name]")).to_have_value("直属经理")
    step.locator("[name=steps-1-name]").fill("财务复核")
    step.locator("[name=steps-1-kind]").select_option("user")
    step.locator("[name=steps-1-user]").select_option(str(finance.pk))
    admin.get_by_test_id("save").click()
    expect(admin).to_have_url(f"{live_server.url}/settings/approval-processes/")
    expect(admin.locator("body")).to_contain_text("审批流程“大额赢单审批”已保存")
    process = ApprovalProcess.objects.get(name="大额赢单审批")
    assert (process.entity, process.trigger, process.is_active) == (
        "opportunity",
        "opportunity.win",
        True,
    )
    assert process.conditions == {
        "match": "all",
        "rules": [{"field": "amount", "op": "gt", "value": "500000"}],
    }
    assert [(one["name"], one["approver"]) for one in process.steps] == [
        ("直属经理", {"kind": "manager"}),
        ("财务复核", {"kind": "user", "user": finance.pk}),
    ]

    admin.goto(f"{live_server.url}/settings/approval-processes/{process.pk}/")
    expect(admin.locator("[data-condition-value]")).to_have_value("500000")
    expect(admin.locator("[name=steps-1-user]")).to_have_value(str(finance.pk))
    expect(admin.get_by_test_id("approval-versions")).to_contain_text("1")

    # The rep drags the deal to won: the card goes back and the board says it waits.
    page = new_page("zh-CN")
    page.set_viewport_size({"width": 1900, "height": 900})  # every column on screen to drag to
    log_in(page, live_server, "li.rep")
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    drag(
        page,
        page.get_by_test_id(f"card-{big.pk}"),
        page.get_by_test_id(f"column-{won.pk}").locator(".board-cards"),
    )
    expect(page.get_by_test_id("board-message")).to_contain_text("需要审批，已提交“大额赢单审批”")
    expect(
        page.get_by_test_id(f"column-{start.pk}").get_by_test_id(f"card-{big.pk}")
    ).to_be_visible()
    expect(page.get_by_test_id(f"count-{won.pk}")).to_have_text("0")
    instance = ApprovalInstance.objects.get()
    assert instance.status == ApprovalStatus.PENDING
    assert Opportunity.objects.get(pk=big.pk).stage == start

    # The manager sees the badge, opens the request and approves with a comment.
    boss = new_page("zh-CN")
    log_in(boss, live_server, "wang.manager")
    expect(boss.get_by_test_id("approval-count")).to_have_text("1")
    boss.get_by_role("link", name="我的审批").click()
    task = instance.tasks.get()
    row = boss.get_by_test_id(f"inbox-task-{task.pk}")
    expect(row).to_contain_text("智能仓储三期")
    row.get_by_role("link", name="大额赢单审批").click()
    expect(boss).to_have_url(f"{live_server.url}/approvals/{instance.pk}/")
    boss.locator("#id_comment").fill("价格合理，同意。")
    boss.get_by_test_id("approve").click()
    expect(boss.get_by_test_id(f"trail-{task.pk}")).to_contain_text("已通过")
    expect(boss.get_by_test_id(f"trail-{task.pk}")).to_contain_text("价格合理，同意。")
    expect(boss.get_by_test_id("step-1")).to_contain_text("孙")
    assert Opportunity.objects.get(pk=big.pk).stage == start  # finance still to decide
    boss.reload()
    expect(boss.get_by_test_id("approval-count")).to_have_count(0)

    # Finance approves straight from the inbox: the row turns into the outcome (HTMX).
    money = new_page("zh-CN")
    log_in(money, live_server, "sun.finance")
    expect(money.get_by_test_id("approval-count")).to_have_text("1")
    money.goto(f"{live_server.url}/approvals/")
    second = instance.tasks.get(assignee=finance)
    money.get_by_test_id(f"inbox-approve-{second.pk}").click()
    expect(money.get_by_test_id(f"inbox-done-{instance.pk}")).to_contain_text("您已同意。")
    expect(money.get_by_test_id(f"inbox-task-{second.pk}")).to_have_count(0)
    instance.refresh_from_db()
    big.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED
    assert big.stage == won and big.closed_at is not None

    # Back on the board the card is in the won column now.
    page.goto(f"{live_server.url}/opportunities/board/?pipeline={pipeline.pk}")
    expect(page.get_by_test_id(f"column-{won.pk}").get_by_test_id(f"card-{big.pk}")).to_be_visible()

    # The deal's timeline shows the trail.
    page.goto(f"{live_server.url}/opportunities/{big.pk}/?tab=timeline")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("大额赢单审批")
    expect(timeline).to_contain_text("价格合理，同意。")
