"""The settings menu groups its screens under headings, in the user's language."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _menu(client) -> list[str]:
    html = client.get("/settings/").content.decode()
    menu = html[html.index('data-testid="settings-menu"') :]
    menu = menu[: menu.index('<div class="col-lg-9">')]
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r">([^<>]+)</", menu)]


def test_each_screen_sits_under_its_heading(admin_client):
    entries = _menu(admin_client)
    headings = ["Organisation", "Customers", "Sales", "Activities and messages", "Workflow"]
    positions = [entries.index(heading) for heading in headings]
    assert positions == sorted(positions)
    workflow = entries.index("Workflow")
    assert {"Approval processes", "Automation rules", "Business calendars"} <= set(
        entries[workflow : entries.index("Fields and duplicates")]
    )
    sales = entries.index("Sales")
    assert "Pipelines" in entries[sales : entries.index("Activities and messages")]
    assert "Public pools" in entries[entries.index("Customers") : sales]


def test_headings_are_translated(admin_client, admin_user):
    admin_user.language = "zh-hans"
    admin_user.save()
    entries = _menu(admin_client)
    assert {"组织架构", "客户", "销售", "活动与消息", "工作流", "字段与查重"} <= set(entries)
