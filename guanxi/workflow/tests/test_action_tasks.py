"""create_task / create_activity: a planned task on the record, as entered on its page."""

import datetime
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import translation

from guanxi.activities.models import Activity
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# A Friday, one hour before the default calendar's working day ends.
FRIDAY_5PM = datetime.datetime(2026, 12, 4, 17, 0, tzinfo=SHANGHAI)


def run(key, record, params, *, actor, entity="contact"):
    context = ActionContext(
        entity_name=entity,
        record=record,
        event={"name": f"{entity}.created"},
        rule=SimpleNamespace(pk=3),
        actor=actor,
    )
    return get_action(key).run(context, params)


@pytest.fixture
def people():
    manager = UserFactory(username="manager", first_name="丽", last_name="王")
    rep = UserFactory(username="rep", manager=manager)
    for entity in ("account", "contact", "activity"):
        grant(rep, entity, scope="all")
    return SimpleNamespace(rep=rep, manager=manager)


def task_params(**values):
    cleaned, errors = validate_params(
        "contact",
        "create_task",
        {
            "subject": "回访 {{ record.name }}（{{ account.name }}）",
            "assignee": "owner",
            "offset": 4,
            "unit": "business_hours",
            "priority": "high",
            **values,
        },
    )
    assert errors == []
    return cleaned


@time_machine.travel(FRIDAY_5PM, tick=False)
def test_task_is_linked_to_the_record_due_in_business_hours(people):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=people.rep)
    contact = ContactFactory(account=account, owner=people.rep, name="张伟")

    result = run("create_task", contact, task_params(), actor=people.rep)

    task = Activity.objects.get()
    assert (task.kind, task.status, task.priority, task.owner) == (
        "task",
        "planned",
        "high",
        people.rep,
    )
    assert task.subject == "回访 张伟（杭州云帆科技有限公司）"
    assert (task.link_entity, task.link_id, task.account_id) == ("contact", contact.pk, account.pk)
    # 1 hour on Friday, 3 on Monday morning.
    assert task.due_at == datetime.datetime(2026, 12, 7, 12, 0, tzinfo=SHANGHAI)
    assert result == f"Task “{task.subject}” created for rep (#{task.pk})."
    entry = AuditEntry.objects.get(entity="activity", object_id=task.pk)
    assert (entry.action, entry.actor_id) == ("create", people.rep.pk)


@time_machine.travel(FRIDAY_5PM, tick=False)
def test_task_for_the_owners_manager_due_in_days(people):
    contact = ContactFactory(owner=people.rep)

    run(
        "create_task",
        contact,
        task_params(assignee="manager", offset=2, unit="days"),
        actor=people.rep,
    )

    task = Activity.objects.get()
    assert task.owner == people.manager
    assert task.due_at == FRIDAY_5PM + datetime.timedelta(days=2)


@time_machine.travel(FRIDAY_5PM, tick=False)
def test_activity_is_planned_with_its_start(people):
    account = AccountFactory(owner=people.rep)
    params, errors = validate_params(
        "account",
        "create_activity",
        {
            "kind": "visit",
            "subject": "拜访 {{ record.name }}",
            "assignee": "user",
            "user": people.rep.pk,
            "offset": 1,
            "unit": "days",
            "priority": "normal",
        },
    )
    assert errors == []

    run("create_activity", account, params, actor=people.rep, entity="account")

    visit = Activity.objects.get()
    assert (visit.kind, visit.starts_at, visit.link_entity) == (
        "visit",
        FRIDAY_5PM + datetime.timedelta(days=1),
        "account",
    )


def test_a_run_as_user_who_may_not_assign_tasks_is_refused(people):
    clerk = UserFactory(username="clerk", manager=people.manager)
    for entity in ("contact", "activity"):
        grant(clerk, entity, ["view", "create", "edit"], scope="all")
    contact = ContactFactory(owner=clerk)

    with pytest.raises(ActionFailed, match="not allowed to assign records to other users"):
        run("create_task", contact, task_params(assignee="manager"), actor=clerk)

    assert Activity.objects.count() == 0


def test_a_missing_manager_fails_clearly(people):
    contact = ContactFactory(owner=people.manager)

    with pytest.raises(ActionFailed, match="Nobody to give it to"):
        run("create_task", contact, task_params(assignee="manager"), actor=people.rep)


def test_unknown_placeholders_and_missing_user_are_refused_in_both_languages():
    params = {"subject": "Call {{ record.nickname }}", "assignee": "user", "offset": 1}
    params["unit"] = "days"
    params["priority"] = "normal"

    _cleaned, errors = validate_params("contact", "create_task", params)
    assert errors == [
        "Create task – Subject: Unknown placeholder: {{ record.nickname }}",
        "Create task – User: Choose the user.",
    ]
    with translation.override("zh-hans"):
        _cleaned, errors = validate_params("contact", "create_task", params)
    assert errors == [
        "创建待办 – 主题: 未知的占位符：{{ record.nickname }}",
        "创建待办 – 用户: 请选择用户。",
    ]
