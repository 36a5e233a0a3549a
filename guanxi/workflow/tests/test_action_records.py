"""update_fields as an edit of the record by the rule's user; add_to_group."""

from types import SimpleNamespace

import pytest
from django.utils import translation

from guanxi.core.models import AuditEntry, CustomField, GroupMember
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory, GroupFactory
from guanxi.sales.models import Lead
from guanxi.sales.tests.factories import LeadFactory, OpportunityFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db


def run(key, record, params, *, actor, entity="lead"):
    context = ActionContext(
        entity_name=entity,
        record=record,
        event={"name": f"{entity}.updated"},
        rule=SimpleNamespace(pk=9),
        actor=actor,
    )
    return get_action(key).run(context, params)


@pytest.fixture
def level():
    return CustomField.objects.create(
        entity="lead",
        key="level",
        label_en="Level",
        label_zh="等级",
        field_type="choice",
        choices=[
            {"value": "A", "label_en": "A", "label_zh": "A"},
            {"value": "B", "label_en": "B", "label_zh": "B"},
        ],
    )


def params(values):
    cleaned, errors = validate_params("lead", "update_fields", {"values": values})
    assert errors == []
    return cleaned


def test_fields_are_written_with_history_and_event(level, django_capture_on_commit_callbacks):
    rep = UserFactory(username="rep")
    grant(rep, "lead", scope="own")
    lead = LeadFactory(owner=rep, status="new", industry="")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = run(
            "update_fields",
            lead,
            params({"status": "qualified", "industry": "it", "custom.level": "A"}),
            actor=rep,
        )

    lead.refresh_from_db()
    assert (lead.status, lead.industry, lead.custom["level"]) == ("qualified", "it", "A")
    assert lead.version == 2
    assert result == "Fields set: Status, Industry, Level."
    entry = AuditEntry.objects.filter(entity="lead", object_id=lead.pk).latest("pk")
    assert entry.actor_id == rep.pk
    assert entry.changes["status"] == ["new", "qualified"]
    assert len(callbacks) >= 1


def test_a_record_changed_since_it_was_read_is_not_overwritten():
    rep = UserFactory()
    grant(rep, "lead", scope="own")
    lead = LeadFactory(owner=rep, status="new")
    stale = Lead.objects.get(pk=lead.pk)
    Lead.objects.filter(pk=lead.pk).update(version=5, city="苏州")

    with pytest.raises(ActionFailed, match="Someone else changed this record"):
        run("update_fields", stale, params({"status": "contacted"}), actor=rep)

    lead.refresh_from_db()
    assert (lead.status, lead.city, lead.version) == ("new", "苏州", 5)


def test_a_run_as_user_without_edit_permission_is_refused():
    viewer = UserFactory(username="viewer")
    grant(viewer, "lead", ["view"], scope="all")
    lead = LeadFactory(status="new")

    with pytest.raises(ActionFailed) as failed:
        run("update_fields", lead, params({"status": "contacted"}), actor=viewer)

    assert str(failed.value) == "viewer, whom the rule acts as, may not edit this record."
    assert Lead.objects.get(pk=lead.pk).status == "new"
    with translation.override("zh-hans"), pytest.raises(ActionFailed) as failed:
        run("update_fields", lead, params({"status": "contacted"}), actor=viewer)
    assert str(failed.value) == "规则以 viewer 的身份执行，但其无权编辑此记录。"


def test_values_are_checked_by_type_when_the_rule_is_saved(level):
    _cleaned, errors = validate_params(
        "lead",
        "update_fields",
        {"values": {"status": "sleeping", "custom.level": "Z", "score": 5, "email": "nope"}},
    )
    assert errors == [
        "Update fields – Field values: Status: Select a valid choice. sleeping is not one of "
        "the available choices.",
        "Update fields – Field values: Level: Select a valid choice. Z is not one of the "
        "available choices.",
        "Update fields – Field values: “score” is not a field you can set here.",
        "Update fields – Field values: Email: Enter a valid email address.",
    ]
    with translation.override("zh-hans"):
        _cleaned, errors = validate_params("lead", "update_fields", {"values": "[1]"})
    assert errors == ['更新字段 – 字段值: 请以 JSON 对象填写字段值，例如 {"status": "qualified"}。']


def test_add_to_group():
    rep = UserFactory(username="rep")
    grant(rep, "account", scope="own")
    grant(rep, "group", scope="own")
    account = AccountFactory(owner=rep)
    group = GroupFactory(entity="account", owner=rep, name="展会客户")
    cleaned, errors = validate_params("account", "add_to_group", {"group": group.pk})
    assert errors == []

    assert run("add_to_group", account, cleaned, actor=rep, entity="account") == (
        "Added to the group “展会客户”."
    )
    assert run("add_to_group", account, cleaned, actor=rep, entity="account") == (
        "Already in the group “展会客户”."
    )
    assert GroupMember.objects.filter(group=group, object_id=account.pk).count() == 1


def test_add_to_a_group_the_user_may_not_change_fails():
    rep, other = UserFactory(username="rep"), UserFactory()
    grant(rep, "account", scope="own")
    grant(rep, "group", scope="own")
    account = AccountFactory(owner=rep)
    group = GroupFactory(entity="account", owner=other, name="VIP")

    with pytest.raises(ActionFailed, match="rep, whom the rule acts as, may not change the group"):
        run("add_to_group", account, {"group": group.pk}, actor=rep, entity="account")

    assert not GroupMember.objects.filter(group=group).exists()


def test_a_group_of_other_records_is_refused():
    group = GroupFactory(entity="contact")

    _cleaned, errors = validate_params("account", "add_to_group", {"group": group.pk})

    assert errors == ["Add to group – Group: Choose a group of these records."]


@pytest.mark.parametrize(
    ("entity", "make", "field", "value"),
    [
        ("account", lambda owner: AccountFactory(owner=owner), "city", "苏州"),
        ("contact", lambda owner: ContactFactory(owner=owner), "title", "总经理"),
        ("opportunity", lambda owner: OpportunityFactory(owner=owner), "next_step", "发报价"),
        ("lead", lambda owner: LeadFactory(owner=owner), "city", "苏州"),
    ],
)
def test_each_entitys_edit_form_takes_the_record_as_it_is(entity, make, field, value):
    rep = UserFactory()
    for name in ("account", "contact", "opportunity", "lead"):
        grant(rep, name, scope="all")
    record = make(rep)

    run("update_fields", record, {"values": {field: value}}, actor=rep, entity=entity)

    record.refresh_from_db()
    assert getattr(record, field) == value
    assert record.version == 2


def test_assigning_a_deal_is_an_edit_of_its_owner():
    rep, other = UserFactory(), UserFactory()
    for name in ("account", "contact", "opportunity"):
        grant(rep, name, scope="all")
    deal = OpportunityFactory(owner=rep)

    get_action("assign_owner").run(
        ActionContext(entity_name="opportunity", record=deal, event={}, actor=rep),
        {"strategy": "user", "user": other.pk},
    )

    deal.refresh_from_db()
    assert deal.owner == other
    entry = AuditEntry.objects.filter(entity="opportunity", object_id=deal.pk).latest("pk")
    assert entry.changes["owner"][1]["id"] == other.pk
