"""Condition trees: validation messages, evaluation on records, database conditions."""

import datetime

import pytest
from django.utils import timezone, translation

from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory
from guanxi.workflow import conditions

pytestmark = pytest.mark.django_db


def tree(*rules, match="all"):
    return {"match": match, "rules": list(rules)}


def test_validate_names_each_bad_condition_in_the_users_language():
    bad = tree(
        {"field": "nonexistent", "op": "eq", "value": "x"},
        {"field": "points_balance", "op": "gt", "value": "lots"},
        {"field": "name", "op": "gt", "value": "A"},
    )
    with translation.override("en"):
        _cleaned, errors = conditions.validate("account", bad)
    assert len(errors) == 3
    assert "Condition 1" in errors[0] and "nonexistent" in errors[0]
    assert "Enter a number" in errors[1]
    assert "cannot be used" in errors[2]
    with translation.override("zh-hans"):
        _cleaned, errors = conditions.validate("account", bad)
    assert "条件 1" in errors[0]


def test_matches_and_to_q_agree_on_nested_groups():
    big = AccountFactory(industry="it", city="杭州", points_balance=800)
    small = AccountFactory(industry="it", city="上海", points_balance=10)
    other = AccountFactory(industry="finance", city="上海", points_balance=5000)
    rules, errors = conditions.validate(
        "account",
        tree(
            {"field": "industry", "op": "in", "value": ["it", "finance"]},
            tree(
                {"field": "points_balance", "op": "gte", "value": "500"},
                {"field": "city", "op": "eq", "value": "杭州"},
                match="any",
            ),
        ),
    )
    assert errors == []
    assert [conditions.matches("account", rules, one) for one in (big, small, other)] == [
        True,
        False,
        True,
    ]
    q = conditions.to_q("account", rules)
    assert set(Account.objects.filter(q).values_list("pk", flat=True)) == {big.pk, other.pk}


def test_change_operators_read_the_change_of_the_save():
    account = AccountFactory(grade="vip")
    rules, errors = conditions.validate(
        "account", tree({"field": "grade", "op": "changed_to", "value": "vip"})
    )
    assert errors == []
    assert conditions.matches("account", rules, account, {"grade": ["ordinary", "vip"]})
    assert not conditions.matches("account", rules, account, {"city": ["x", "y"]})
    assert conditions.to_q("account", rules) is None


def test_relative_dates_and_related_fields():
    account = AccountFactory(industry="it")
    account.owned_at = timezone.now() - datetime.timedelta(days=40)
    rules, errors = conditions.validate(
        "account", tree({"field": "owned_at", "op": "lt", "value": "today-30"})
    )
    assert errors == []
    assert conditions.matches("account", rules, account)
    fields = conditions.fields_for("contact")
    assert "account.industry" in fields and "owner.department" in fields
    assert conditions.describe("account", rules)


def test_conditions_field_cleans_json_and_lists_every_error():
    import json

    from django import forms

    from guanxi.workflow.forms import ConditionsField

    class RuleForm(forms.Form):
        conditions = ConditionsField(entity_name="account")

    city = tree({"field": "city", "op": "eq", "value": " 杭州 "}, match="any")
    good = RuleForm(data={"conditions": json.dumps(city)})
    assert good.is_valid(), good.errors
    assert good.cleaned_data["conditions"]["rules"][0]["value"] == "杭州"
    assert 'data-fields="' in str(good["conditions"])
    with translation.override("en"):
        broken = RuleForm(data={"conditions": "{not json"})
        assert not broken.is_valid()
        assert broken.errors["conditions"] == ["The conditions are not valid."]
        two_wrong = tree(
            {"field": "points_balance", "op": "gt", "value": "x"},
            {"field": "nope", "op": "eq", "value": 1},
        )
        wrong = RuleForm(data={"conditions": json.dumps(two_wrong)})
        assert not wrong.is_valid()
        assert len(wrong.errors["conditions"]) == 2
