"""`guanxi import`: initial loads of historical data from the command line."""

import json

import pytest
from django.core.management import CommandError, call_command

from guanxi.core.tests.factories import UserFactory
from guanxi.customers.models import Account
from guanxi.dataio.tests.helpers import csv_bytes

pytestmark = pytest.mark.django_db


def test_command_imports_a_file_with_a_given_mapping(tmp_path, capsys):
    admin = UserFactory(username="boss", is_superuser=True)
    path = tmp_path / "legacy.csv"
    path.write_bytes(
        csv_bytes(
            [["公司", "所在城市"], ["云帆科技", "杭州"], ["明德教育", "北京"]], encoding="gbk"
        )
    )
    call_command(
        "import",
        "account",
        str(path),
        "--mapping",
        json.dumps({"公司": "name", "所在城市": "city"}),
    )
    output = capsys.readouterr().out
    assert "2 created" in output or "新建 2 条" in output
    assert "rows/s" in output
    assert sorted(Account.objects.values_list("city", flat=True)) == ["北京", "杭州"]
    assert set(Account.objects.values_list("owner", flat=True)) == {admin.pk}


def test_command_refuses_a_mapping_without_required_fields(tmp_path):
    UserFactory(username="boss", is_superuser=True)
    path = tmp_path / "legacy.csv"
    path.write_bytes(csv_bytes([["城市"], ["杭州"]]))
    with pytest.raises(CommandError, match="required"):
        call_command("import", "account", str(path))
    assert Account.objects.count() == 0
