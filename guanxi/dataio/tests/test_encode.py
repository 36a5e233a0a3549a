"""What an import computes ahead reads back the same: the JSON of its COPY text, and its
ready rows after the trip from a worker process as tuples."""

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


def test_a_ready_new_row_travels_as_a_tuple_and_comes_back_the_same():
    from guanxi.core.models import AuditEntry, SearchToken
    from guanxi.dataio import runner

    encoded = encode.Encoded("1\tname\n", {AuditEntry: "a\n", SearchToken: "t\n"}, 7, True)
    check = ({"name": ["华信"]}, ["name:华信"], ["n:华信"])
    ready = runner.Outcome(3, ["华信科技"], check=check, encoded=encoded)
    travelling = runner.packed(ready)
    assert type(travelling) is tuple
    back = runner.unpacked(travelling)
    assert (back.number, back.cells, back.action, back.check) == (3, ["华信科技"], "create", check)
    assert (back.encoded.record, back.encoded.tables) == (encoded.record, encoded.tables)
    assert (back.encoded.owner_id, back.encoded.numbered) == (7, True)

    wrong = runner.Outcome(4, ["", "x"], action="error", errors={"name": ["必填"]})
    assert runner.packed(wrong) is wrong and runner.unpacked(wrong) is wrong
