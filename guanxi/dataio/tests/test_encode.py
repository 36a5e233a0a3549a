"""The COPY text of an import's JSON values reads back as the json module's text does."""

import dataclasses
import datetime
import decimal
import json
import uuid

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.functional import lazy

from guanxi.core.choices import AuditAction
from guanxi.dataio import encode


@dataclasses.dataclass
class Point:
    x: int


VALUES = [
    {"name": ["", "华为技术有限公司"], "grade": [None, "vip"], "points": [None, 12]},
    {"when": datetime.datetime(2026, 12, 2, 8, 30, 15, 123456, tzinfo=datetime.UTC)},
    {"naive": datetime.datetime(2026, 12, 2, 8, 30, 15, 999)},
    {"day": datetime.date(2026, 2, 28), "at": datetime.time(23, 59, 1, 500)},
    {"amount": decimal.Decimal("12345.60"), "id": uuid.UUID(int=7)},
    {1: "integer key", 2.5: "float key", False: "bool key", None: "null key"},
    {"label": lazy(str, str)("a lazy text"), "action": AuditAction.CREATE},
    {"huge": 2**70, "negative": -(2**65)},
    {"text": 'tab\tnew line\n quote" backslash\\ \u2028 \x00'},
    {"ratio": 0.1, "tiny": 1e-300, "nested": [[1, [2, {"a": (3, 4)}]]]},
    ["plain", "list", 3],
    "a string",
    17,
]


@pytest.mark.parametrize("value", VALUES)
def test_json_values_read_back_as_the_json_module_writes_them(value):
    expected = json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))
    assert json.loads(encode.json_text(value, DjangoJSONEncoder)) == expected


def test_a_lone_surrogate_is_written_as_the_json_module_writes_it():
    value = {"broken": "\ud800 half a pair"}
    assert encode.json_text(value) == json.dumps(value, ensure_ascii=False)


def test_dataclasses_and_dates_are_left_to_the_encoder():
    with pytest.raises(TypeError):
        encode.json_text({"point": Point(1)})
    with pytest.raises(TypeError):
        encode.json_text({"day": datetime.date(2026, 1, 1)})  # the plain encoder refuses
    day = encode.json_text({"day": datetime.date(2026, 1, 1)}, DjangoJSONEncoder)
    assert json.loads(day) == {"day": "2026-01-01"}


def test_no_value_is_no_json():
    assert encode.json_text(None) is None
