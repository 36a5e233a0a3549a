"""Classification (CUS-2): fields, rules over metrics, hand-set values, nightly runs."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core import registry, services
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers import classification, points
from guanxi.customers.forms import AccountForm
from guanxi.customers.models import Account, ClassificationRule
from guanxi.customers.tasks import classify_accounts_nightly
from guanxi.customers.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def make_rule(name, field, value, conditions=(), priority=100, active=True):
    return ClassificationRule.objects.create(
        name=name,
        field=field,
        value=value,
        conditions=list(conditions),
        priority=priority,
        active=active,
    )


@pytest.fixture
def vip_rules():
    return [
        make_rule(
            "大客户",
            "grade",
            "vip",
            [{"metric": "annual_revenue", "operator": "gte", "value": "1000000"}],
            priority=10,
        ),
        make_rule(
            "重要客户",
            "grade",
            "important",
            [
                {"metric": "annual_revenue", "operator": "gte", "value": "100000"},
                {"metric": "city", "operator": "in", "value": "上海, 北京"},
            ],
            priority=20,
        ),
        make_rule("其余客户", "grade", "ordinary", [], priority=90),
    ]


def grades():
    return dict(Account.objects.values_list("name", "grade"))


def test_rules_are_tried_by_priority_and_all_conditions_must_hold(vip_rules):
    AccountFactory(name="A", annual_revenue=Decimal("2000000"), city="杭州")
    AccountFactory(name="B", annual_revenue=Decimal("200000"), city="上海")
    AccountFactory(name="C", annual_revenue=Decimal("200000"), city="杭州")
    AccountFactory(name="D", annual_revenue=None)

    assert classification.classify_accounts() == 4

    assert grades() == {"A": "vip", "B": "important", "C": "ordinary", "D": "ordinary"}


def test_history_says_which_rule_changed_the_value(vip_rules, admin_client):
    account = AccountFactory(name="A", annual_revenue=Decimal("1500000"), grade="ordinary")

    classification.classify_accounts()

    entry = AuditEntry.objects.get(entity="account", object_id=account.pk)
    assert (entry.rule, entry.actor, entry.changes) == (
        "大客户",
        None,
        {"grade": ["ordinary", "vip"]},
    )
    account.refresh_from_db()
    assert account.version == 2
    page = admin_client.get(f"/accounts/{account.pk}/?tab=history")
    assert "Rule “大客户”" in page.content.decode()
    timeline = admin_client.get(f"/api/v1/accounts/{account.pk}/timeline").json()
    assert timeline["items"][0]["rule"] == "大客户"


def test_the_nightly_run_is_idempotent(vip_rules):
    for revenue in ("5", "500000", "5000000"):
        AccountFactory(annual_revenue=Decimal(revenue), city="北京")

    assert classify_accounts_nightly.call_local() == 3
    history = AuditEntry.objects.count()
    assert classify_accounts_nightly.call_local() == 0
    assert AuditEntry.objects.count() == history


def test_a_value_set_by_hand_is_left_alone_until_handed_back(vip_rules, admin_user):
    account = AccountFactory(annual_revenue=Decimal("5000000"))
    entity = registry.get("account")
    data = {**_form_data(account), "grade": "important", "classification_shown": "True"}
    form = AccountForm(data, instance=account, user=admin_user)
    assert form.is_valid(), form.errors
    services.record_update(actor=admin_user, entity=entity, form=form, expected_version=1)
    account.refresh_from_db()
    assert account.classification_manual == ["grade"]

    classification.classify_accounts()
    account.refresh_from_db()
    assert account.grade == "important"

    classification.hand_back(actor=admin_user, account=account, fields=["grade"])
    account.refresh_from_db()
    assert (account.grade, account.classification_manual) == ("vip", [])


def _form_data(account):
    form = AccountForm(instance=account, user=UserFactory(is_superuser=True))
    return {name: value for name, value in form.initial.items() if value is not None}


def test_unticking_set_by_hand_on_the_form_hands_the_field_back(admin_user):
    account = AccountFactory(grade="vip", classification_manual=["grade", "loyalty"])
    data = {
        **_form_data(account),
        "classification_manual": ["loyalty"],
        "classification_shown": "True",
    }
    form = AccountForm(data, instance=account, user=admin_user)
    assert form.is_valid(), form.errors
    assert form.instance.classification_manual == ["loyalty"]


def test_an_api_edit_keeps_hand_set_fields_and_adds_the_changed_one(admin_user):
    account = AccountFactory(classification_manual=["loyalty"])
    data = {**_form_data(account), "value_class": "lighthouse"}
    data.pop("classification_manual")
    form = AccountForm(data, instance=account, user=admin_user)
    assert form.is_valid(), form.errors
    assert form.instance.classification_manual == ["loyalty", "value_class"]


def test_bulk_edit_sets_the_field_by_hand(vip_rules, admin_user):
    account = AccountFactory(annual_revenue=Decimal("5000000"))
    services.records_bulk_update(
        actor=admin_user,
        entity=registry.get("account"),
        queryset=Account.objects.all(),
        values={"grade": "ordinary", "city": "苏州"},
    )
    account.refresh_from_db()
    assert account.classification_manual == ["grade"]
    classification.classify_accounts()
    account.refresh_from_db()
    assert account.grade == "ordinary"


def test_inactive_rules_and_other_fields(vip_rules):
    make_rule(
        "渠道",
        "relationship",
        "channel",
        [{"metric": "account_type", "operator": "eq", "value": "reseller"}],
    )
    make_rule("停用", "lifecycle_stage", "lost", [], active=False)
    make_rule(
        "新客户",
        "loyalty",
        "new",
        [{"metric": "days_since_created", "operator": "lt", "value": "30"}],
    )
    account = AccountFactory(account_type="reseller")

    classification.classify_accounts()

    account.refresh_from_db()
    assert (account.relationship, account.loyalty, account.lifecycle_stage) == (
        "channel",
        "new",
        "",
    )
    assert (account.grade, account.version) == ("ordinary", 2)  # three fields, one write
    entry = AuditEntry.objects.get(object_id=account.pk)
    assert entry.changes == {
        "grade": ["", "ordinary"],
        "loyalty": ["", "new"],
        "relationship": ["", "channel"],
    }
    assert entry.rule == "其余客户, 新客户, 渠道"


def test_points_and_level_metrics_and_a_registered_provider(admin_user):
    make_rule(
        "积分忠诚",
        "loyalty",
        "loyal",
        [{"metric": "points_balance", "operator": "gte", "value": "100"}],
    )
    make_rule(
        "灯塔",
        "value_class",
        "lighthouse",
        [{"metric": "revenue_12m", "operator": "gt", "value": "0"}],
    )
    rich, poor = AccountFactory(), AccountFactory()
    points.points_earn(actor=admin_user, account=rich, points=150, reason="r")

    calls = []

    def revenue(ids):
        calls.append(sorted(ids))
        return {rich.pk: Decimal("88000.00")}

    metric = classification.metric("revenue_12m")
    try:
        classification.provide("revenue_12m", revenue)
        classification.classify_accounts()
    finally:
        metric.provider = None

    # One call for the whole batch, one for the rows that change, read again under lock.
    assert calls == [sorted([rich.pk, poor.pk]), [rich.pk]]
    rich.refresh_from_db()
    poor.refresh_from_db()
    assert (rich.loyalty, rich.value_class) == ("loyal", "lighthouse")
    assert (poor.loyalty, poor.value_class) == ("", "")


def test_without_a_provider_revenue_in_the_last_12_months_is_zero():
    make_rule(
        "无收入",
        "lifecycle_stage",
        "dormant",
        [{"metric": "revenue_12m", "operator": "eq", "value": "0"}],
    )
    account = AccountFactory()
    classification.classify_accounts()
    account.refresh_from_db()
    assert account.lifecycle_stage == "dormant"


def test_a_batch_costs_the_same_queries_whatever_its_size(vip_rules, monkeypatch):
    monkeypatch.setattr(classification, "BATCH_SIZE", 500)
    for index in range(6):
        AccountFactory(annual_revenue=Decimal(index * 400000))

    with CaptureQueriesContext(connection) as small:
        classification.classify_accounts()
    Account.objects.update(grade="")
    for index in range(40):
        AccountFactory(annual_revenue=Decimal(index * 400000))
    with CaptureQueriesContext(connection) as large:
        classification.classify_accounts()

    assert len(large.captured_queries) == len(small.captured_queries)


@pytest.mark.parametrize(
    ("conditions", "errors"),
    [
        (
            [{"metric": "nope", "operator": "eq", "value": "1"}],
            ["Condition 1: choose a known metric."],
        ),
        (
            [{"metric": "employees", "operator": "gte", "value": "many"}],
            ["Condition 1: enter a number."],
        ),
        (
            [{"metric": "city", "operator": "gt", "value": "x"}],
            ["Condition 1: this comparison needs a number metric."],
        ),
        ([{"metric": "city", "operator": "eq", "value": ""}], ["Condition 1: enter a value."]),
        ("x", ["Conditions must be a list."]),
    ],
)
def test_bad_conditions_are_explained(conditions, errors):
    assert classification.validate_conditions(conditions)[1] == errors


def test_choice_conditions_accept_labels_in_either_language():
    from guanxi.customers.loyalty_forms import clean_conditions

    cleaned, errors = clean_conditions(
        [{"metric": "account_type", "operator": "in", "value": "代理商/渠道商, Customer"}]
    )
    assert errors == []
    assert cleaned == [{"metric": "account_type", "operator": "in", "value": "reseller,customer"}]
    assert clean_conditions([{"metric": "industry", "operator": "eq", "value": "火星"}])[1] == [
        "Condition 1: “火星” is not one of the choices of Industry."
    ]


def test_saving_an_account_applies_the_rules(vip_rules, django_capture_on_commit_callbacks):
    user = UserFactory()
    grant(user, "account")
    entity = registry.get("account")
    form = AccountForm(
        {
            "name": "新客户",
            "account_type": "customer",
            "kind": "company",
            "currency": "CNY",
            "annual_revenue": "3000000",
            "owner": user.pk,
        },
        user=user,
    )
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        account = services.record_create(actor=user, entity=entity, form=form)
    account.refresh_from_db()
    assert account.grade == "vip"


def test_a_points_change_reclassifies_when_a_rule_reads_points(django_capture_on_commit_callbacks):
    make_rule(
        "积分忠诚",
        "loyalty",
        "loyal",
        [{"metric": "points_balance", "operator": "gte", "value": "100"}],
    )
    account = AccountFactory()

    with django_capture_on_commit_callbacks(execute=True):
        points.points_earn(actor=None, account=account, points=99, reason="r")
    account.refresh_from_db()
    assert account.loyalty == ""
    with django_capture_on_commit_callbacks(execute=True):
        points.points_earn(actor=None, account=account, points=1, reason="r")
    account.refresh_from_db()
    assert account.loyalty == "loyal"
    assert AuditEntry.objects.get(rule="积分忠诚").changes == {"loyalty": ["", "loyal"]}


def test_saved_rules_reach_the_cached_copy(admin_client, django_capture_on_commit_callbacks):
    assert classification.active_rules(cached=True) == {}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/settings/classification-rules/new/",
            {
                "name": "全部普通",
                "field": "grade",
                "value": "ordinary",
                "priority": "1",
                "active": "on",
            },
        )
    assert [r.name for r in classification.active_rules(cached=True)["grade"]] == ["全部普通"]


def test_a_value_set_by_hand_after_the_batch_was_read_is_kept(vip_rules):
    account = AccountFactory(annual_revenue=Decimal("5000000"))
    rules = classification.active_rules()
    needed = classification._needed_metrics(rules)
    columns = ["id", "name", "classification_manual", "grade", "annual_revenue", "city"]
    stale_rows = list(Account.objects.filter(pk=account.pk).values(*columns))
    Account.objects.filter(pk=account.pk).update(grade="important", classification_manual=["grade"])

    assert classification.classify_batch(stale_rows, rules, needed, "batch") == 0

    account.refresh_from_db()
    assert account.grade == "important"
    assert AuditEntry.objects.filter(object_id=account.pk).count() == 0
