"""Every action's parameters: bad input gets messages, never an exception."""

import pytest

from guanxi.core import registry
from guanxi.workflow.actions import action_types, get_action, validate_params

pytestmark = pytest.mark.django_db

KEYS = [
    "assign_owner",
    "create_task",
    "create_activity",
    "send_email",
    "send_sms",
    "update_fields",
    "add_to_group",
    "call_webhook",
    "notify_users",
    "escalate_to_manager",
    "return_to_pool",
]
BAD = [
    {},
    {"strategy": "nope", "user": "x", "team": [1], "related": 5},
    {"subject": 12, "offset": "-3", "unit": "weeks", "assignee": None},
    {"template": "abc", "to": "nobody", "values": "not json", "group": 999999},
    {"url": "javascript:alert(1)", "secret": "short", "recipients": "owner", "users": ["a"]},
    {"values": {"owner": "zzz", "custom.none": 1}, "reason": "{{ record.bogus }}", "pool": -1},
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("params", BAD)
def test_bad_parameters_get_messages(key, params):
    for entity_name in ("lead", "account", "contact", "opportunity"):
        if not get_action(key).applies_to(entity_name):
            continue
        cleaned, errors = validate_params(entity_name, key, dict(params))
        if key in ("escalate_to_manager",) and not errors:
            continue  # every parameter of an escalation is optional
        assert cleaned == {} and errors, (key, entity_name, params)
        assert all(isinstance(message, str) and message for message in errors)


def test_every_action_is_offered_where_it_applies_and_describes_itself():
    keys = {action.key for action in action_types()}
    assert set(KEYS) <= keys
    assert [a.key for a in action_types("account")].count("return_to_pool") == 1
    assert "return_to_pool" not in [a.key for a in action_types("lead")]
    assert (
        "add_to_group" not in [a.key for a in action_types("lead")]
        or registry.get("lead").has_groups
    )
    for key in KEYS:
        assert isinstance(get_action(key).describe("account", {}), str)
