"""notify_users, escalate_to_manager and return_to_pool on real records."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from guanxi.core.models import AuditEntry, Notification
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import OwnershipPeriod, Pool
from guanxi.customers.tests.factories import AccountFactory
from guanxi.sales.tests.factories import LeadFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db


def run(key, record, params, *, actor, entity="lead"):
    context = ActionContext(
        entity_name=entity,
        record=record,
        event={"name": f"{entity}.updated"},
        rule=SimpleNamespace(pk=4),
        actor=actor,
    )
    return get_action(key).run(context, params)


@pytest.fixture
def team():
    manager = UserFactory(username="manager", language="zh-hans")
    rep = UserFactory(username="rep", manager=manager, language="en")
    grant(rep, "lead", scope="own")
    grant(rep, "account", scope="own")
    return SimpleNamespace(rep=rep, manager=manager)


def test_notify_the_owner_and_a_named_user_with_placeholders(team):
    colleague = UserFactory(username="colleague")
    lead = LeadFactory(owner=team.rep, name="刘洋", company="苏州恒通精密机械有限公司")
    params, errors = validate_params(
        "lead",
        "notify_users",
        {
            "recipients": ["owner"],
            "users": [colleague.pk],
            "title": "高意向线索：{{ record.name }}（{{ record.company }}）",
        },
    )
    assert errors == []

    result = run("notify_users", lead, params, actor=team.rep)

    notes = Notification.objects.order_by("recipient__username")
    assert [(n.recipient.username, n.title) for n in notes] == [
        ("colleague", "高意向线索：刘洋（苏州恒通精密机械有限公司）"),
        ("rep", "高意向线索：刘洋（苏州恒通精密机械有限公司）"),
    ]
    assert notes[0].url == f"/leads/{lead.pk}/"
    assert result == "Notified rep, colleague."


def test_notify_needs_someone(team):
    _cleaned, errors = validate_params("lead", "notify_users", {"title": "Hi"})
    assert errors == ["Notify users – Notify: Choose at least one person to notify."]
    with translation.override("zh-hans"):
        _cleaned, errors = validate_params("lead", "notify_users", {"title": "Hi"})
    assert errors == ["通知用户 – 通知: 请至少选择一位要通知的人。"]


def test_escalation_tells_the_manager_in_their_language_and_may_reassign(team):
    lead = LeadFactory(owner=team.rep, name="陈静")
    grant(team.rep, "lead", ["assign"], scope="all")

    result = run("escalate_to_manager", lead, {"message": "", "reassign": True}, actor=team.rep)

    note = Notification.objects.get(recipient=team.manager, category="system")
    assert note.title == "升级给您：陈静（负责人 rep）"
    # Given the lead as a manual assignment would: told of that too.
    assert Notification.objects.filter(recipient=team.manager, category="assignment").count() == 1
    lead.refresh_from_db()
    assert lead.owner == team.manager
    assert result == "Escalated to manager, who now owns it."


def test_escalation_without_a_manager_fails_clearly(team):
    lead = LeadFactory(owner=team.manager)
    grant(team.rep, "lead", scope="all")

    with pytest.raises(ActionFailed, match="manager has no active manager to escalate to"):
        run("escalate_to_manager", lead, {"message": "", "reassign": False}, actor=team.rep)

    assert Notification.objects.count() == 0


def test_an_automation_rule_returns_a_customer_to_its_pool(team):
    pool = Pool.objects.create(name="华东公海", is_default=True)
    account = AccountFactory(owner=team.rep, pool=pool, name="杭州云帆科技有限公司")
    OwnershipPeriod.objects.create(
        account=account, owner=team.rep, started_at=account.created_at, start="assigned"
    )
    params, errors = validate_params(
        "account", "return_to_pool", {"reason": "{{ record.name }} 超过 90 天未成交"}
    )
    assert errors == []

    result = run("return_to_pool", account, params, actor=team.rep, entity="account")

    account.refresh_from_db()
    assert (account.owner, account.pool) == (None, pool)
    period = OwnershipPeriod.objects.get(account=account)
    assert (period.end, period.reason, period.ended_by) == (
        "returned",
        "杭州云帆科技有限公司 超过 90 天未成交",
        team.rep,
    )
    entry = AuditEntry.objects.filter(entity="account", object_id=account.pk).latest("pk")
    assert (entry.action, entry.actor_id) == ("assign", team.rep.pk)
    note = Notification.objects.get(recipient=team.rep)
    assert note.body == "杭州云帆科技有限公司 超过 90 天未成交"
    assert result == "Returned to the public pool 华东公海."


def test_returning_a_customer_of_someone_else_is_refused(team):
    Pool.objects.create(name="公海", is_default=True)
    account = AccountFactory(owner=team.manager)

    with pytest.raises(ActionFailed, match="outside the data scope of rep"):
        run("return_to_pool", account, {"reason": "x"}, actor=team.rep, entity="account")

    account.refresh_from_db()
    assert account.owner == team.manager


def test_a_user_who_wants_email_gets_the_notification_by_email(
    team, smtp_server, django_capture_on_commit_callbacks
):
    from guanxi.core.notifications import PreferencesChange, preferences_update

    preferences_update(
        actor=team.manager, change=PreferencesChange(channels={"system": {"email": True}})
    )
    team.manager.email = "manager@guanxi.cn"
    team.manager.save()
    lead = LeadFactory(owner=team.rep, name="赵磊")

    with django_capture_on_commit_callbacks(execute=True):
        run(
            "notify_users",
            lead,
            {"recipients": ["manager"], "title": "请关注 {{ record.name }}"},
            actor=team.rep,
        )

    [received] = smtp_server.messages
    assert received["to"] == ["manager@guanxi.cn"]
    assert received["email"]["Subject"] == "请关注 赵磊"


def test_personal_data_in_a_text_is_masked_for_a_run_as_user_who_sees_it_masked(team):
    team.rep.roles.update(mask_personal_data=True)
    lead = LeadFactory(owner=team.rep, name="赵磊", mobile="13712345678")

    run(
        "notify_users",
        lead,
        {"recipients": ["owner"], "title": "回电 {{ record.name }} {{ record.mobile }}"},
        actor=team.rep,
    )

    assert Notification.objects.get(recipient=team.rep).title == "回电 赵磊 137****5678"
