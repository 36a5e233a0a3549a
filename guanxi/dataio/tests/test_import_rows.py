"""An imported record gets the same rows as one saved on the screen: keys, history, values.

The importer writes records in bulk (COPY on PostgreSQL, computed ahead in worker
processes for large files); these tests compare what it wrote with what the normal create
service writes for the same row.
"""

import gc

import pytest
from django.db import connection

from guanxi.core.models import AuditEntry, DuplicateKey, DuplicateProfile, SearchToken
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.forms import AccountForm
from guanxi.customers.models import Account
from guanxi.dataio import mapping, parallel, runner
from guanxi.dataio.models import ImportRow
from guanxi.dataio.tests.helpers import run_import

HEADER = ["客户名称", "客户类型", "客户等级", "电话", "邮箱", "省份", "城市", "地址"]
ROWS = [
    [
        "杭州云帆科技有限公司",
        "客户",
        "贵宾型",
        "0571-8888 1234",
        "Info@YunFan.cn",
        "浙江",
        "杭州",
        "",
    ],
    [
        "上海明遠貿易（集團）股份有限公司",
        "客户",
        "",
        "+86 138 0013 8000",
        "",
        "上海",
        "上海",
        "南京路1号",
    ],
    ["Harbor Logistics (Suzhou) Co., Ltd.", "partner", "普通型", "", "ops@harbor.com", "", "", ""],
    ["单田芳 工作室", "客户", "重要型", "13900139000", "", "", "", "路\t2\\号"],
    ["重庆长城 ABC 银行", "客户", "", "023-6385 1234", "a.b+c@gmail.com", "重庆", "", "x"],
    ["@@gx-id-5c1e@@ 公司", "客户", "", "", "", "", "", "@@GX-NUMBER-5C1E@@"],
]


@pytest.fixture
def rep():
    user = UserFactory(username="rep", language="zh-hans")
    grant(user, "account", ["view", "create", "export"], scope="own")
    return user


def saved_on_screen(user, cells: list[str]) -> Account:
    """Create the row's record through the create form and service, as the screen does."""
    from guanxi.core import registry, services

    entity = registry.get("account")
    converter = mapping.Converter(entity, user, mapping.propose(entity, HEADER, {}))
    data, errors = converter.form_data(cells, mapping.form_defaults(entity))
    form = AccountForm(data, user=user)
    assert not errors and form.is_valid(), form.errors
    return services.record_create(actor=user, entity=entity, form=form)


def rows_of(account: Account) -> dict:
    """Return what was written for a record, with its own number and id left out."""
    number = account.number
    values = {
        f.attname: getattr(account, f.attname)
        for f in Account._meta.concrete_fields
        if f.attname not in {"id", "number", "created_at", "updated_at"}
    }
    entry = AuditEntry.objects.get(entity="account", object_id=account.pk, action="create")
    changes = dict(entry.changes)
    assert changes.pop("number") == [None, number]
    return {
        "values": values,
        "tokens": sorted(
            "<number>" if token == number.lower() else token
            for token in SearchToken.objects.filter(
                entity="account", object_id=account.pk
            ).values_list("token", flat=True)
        ),
        "duplicate keys": sorted(
            DuplicateKey.objects.filter(entity="account", object_id=account.pk).values_list(
                "key", flat=True
            )
        ),
        "profile": DuplicateProfile.objects.get(entity="account", object_id=account.pk).values,
        "history": (entry.object_repr, entry.actor_id, changes),
    }


def compare_with_screen(user, run) -> None:
    imported = {
        row.row_number: Account.objects.get(pk=row.object_id)
        for row in ImportRow.objects.filter(run=run, action="created")
    }
    assert sorted(imported) == list(range(2, len(ROWS) + 2))
    for number, cells in enumerate(ROWS, start=2):
        record = imported[number]
        assert record.version == 1 and record.number.startswith("C")
        assert rows_of(record) == rows_of(saved_on_screen(user, cells)), cells


def watch_workers(monkeypatch) -> list:
    """Return a list that gets an item each time an import used worker processes."""
    started = []
    close = parallel.Validator.close
    monkeypatch.setattr(parallel.Validator, "close", lambda self: started.append(1) or close(self))
    return started


@pytest.mark.django_db
def test_imported_records_are_written_as_the_screen_writes_them(rep):
    run = run_import(rep, [HEADER, *ROWS], duplicates="create")
    assert (run.created_count, run.failed_count) == (len(ROWS), 0)
    assert Account.objects.get(name="单田芳 工作室").address == "路\t2\\号"
    compare_with_screen(rep, run)


@pytest.mark.django_db(transaction=True)
def test_rows_validated_by_worker_processes_are_written_the_same(rep, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("the test database is in memory: workers cannot open it")
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 2)
    started = watch_workers(monkeypatch)
    wrong = ["坏号码公司", "客户", "", "12", "", "", "", ""]
    thresholds = gc.get_threshold()
    run = run_import(rep, [HEADER, *ROWS, wrong, ROWS[0]], duplicates="create")
    assert started == [1]
    # The import collects garbage less often while it runs, and not after.
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, 0)
    assert (run.created_count, run.failed_count) == (len(ROWS) + 1, 1)
    form = AccountForm({"name": "x", "account_type": "customer", "phone": "12"}, user=rep)
    assert not form.is_valid()
    assert [error["row"] for error in run.errors] == [len(ROWS) + 2]
    assert run.errors[0]["message"].endswith(form.errors["phone"][0])
    ImportRow.objects.filter(run=run, row_number=len(ROWS) + 3).delete()
    compare_with_screen(rep, run)


@pytest.mark.django_db(transaction=True)
def test_workers_skip_duplicates_as_the_importing_process_does(rep, monkeypatch):
    if connection.vendor == "sqlite":
        pytest.skip("the test database is in memory: workers cannot open it")
    rows = [HEADER, *ROWS[:3], ROWS[0], ["杭州云帆科技", "客户", "", "", "", "", "", ""]]
    monkeypatch.setattr(runner, "BATCH_SIZE", 2)
    started = watch_workers(monkeypatch)
    alone = run_import(rep, rows)
    assert started == []
    for model in (Account, DuplicateKey, DuplicateProfile):
        model.objects.all().delete()
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 1)
    parallel_run = run_import(rep, rows)
    assert started == [1]
    assert parallel_run.errors == alone.errors
    assert (parallel_run.created_count, parallel_run.skipped_count) == (3, 2)


@pytest.mark.django_db(transaction=True)
def test_workers_find_records_an_earlier_import_wrote(rep, monkeypatch):
    """Keys written by one import's workers find the rows of the next, typed differently."""
    if connection.vendor == "sqlite":
        pytest.skip("the test database is in memory: workers cannot open it")
    monkeypatch.setattr(parallel, "MIN_ROWS", 1)
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 2)
    started = watch_workers(monkeypatch)
    first = run_import(rep, [HEADER, *ROWS[:5]], duplicates="create")
    assert first.created_count == 5
    retyped = [
        ["杭州云帆科技有限公司", "客户", "", "0571 88881234", "info@yunfan.cn", "", "", ""],
        ["上海明遠貿易（集團）股份有限公司", "客户", "", "13800138000", "", "", "", ""],
        ["Harbor Logistics (Suzhou) Co., Ltd.", "partner", "", "", "OPS@harbor.com", "", "", ""],
        ["全新的公司", "客户", "", "13700137000", "", "", "", ""],
    ]
    second = run_import(rep, [HEADER, *retyped])
    assert started == [1, 1]
    assert (second.created_count, second.skipped_count) == (1, 3)
    assert all(
        "Duplicate" in error["message"] or "重复" in error["message"] for error in second.errors
    )
