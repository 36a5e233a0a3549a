"""Imports: reading files, mapping, validation, duplicates, all-or-nothing, undo."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core import dedupe, search
from guanxi.core.dedupe.batch import find_duplicates_many
from guanxi.core.models import AuditEntry, CustomField, SearchToken
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account, Contact
from guanxi.customers.tests.factories import AccountFactory
from guanxi.dataio import services, undo
from guanxi.dataio.models import ImportMapping, ImportRow
from guanxi.dataio.tests.helpers import csv_bytes, run_import, upload

pytestmark = pytest.mark.django_db

HEADER = ["客户名称", "客户等级", "电话", "城市"]


@pytest.fixture
def rep():
    user = UserFactory(username="rep", language="zh-hans")
    grant(user, "account", ["view", "create", "export"], scope="own")
    return user


def test_utf8_file_is_mapped_by_chinese_labels_and_imported_with_history(rep):
    run = run_import(
        rep,
        [
            HEADER,
            ["杭州云帆科技有限公司", "贵宾型", "0571-8888 1234", "杭州"],
            ["上海明远贸易", "普通型", "", "上海"],
        ],
    )
    assert run.mapping == ["name", "grade", "phone", "city"]
    assert run.errors == []
    assert (run.status, run.created_count, run.failed_count) == ("done", 2, 0)
    first = Account.objects.get(name="杭州云帆科技有限公司")
    assert (first.grade, first.owner, first.phone_e164) == ("vip", rep, "+8657188881234")
    assert first.number.startswith("C")
    assert len({a.number for a in Account.objects.all()}) == 2
    assert AuditEntry.objects.filter(entity="account", action="create").count() == 2
    assert SearchToken.objects.filter(object_id=first.pk, token="云帆科技").count() == 1
    assert ImportRow.objects.filter(run=run, action="created").count() == 2


def test_gbk_file_is_decoded(rep):
    run = upload(rep, [HEADER, ["北京明德教育咨询有限公司", "重要型", "", "北京"]], encoding="gbk")
    assert run.encoding == "gb18030"
    assert run.header == HEADER


def test_bom_and_semicolon_are_detected(rep):
    run = upload(
        rep,
        [["Name", "City"], ["Acme; Ltd", "Shanghai"], ["Beta", "Beijing"]],
        encoding="utf-8-sig",
        delimiter=";",
    )
    assert (run.encoding, run.delimiter) == ("utf-8-sig", ";")
    assert run.mapping == ["name", "city"]


def test_undecodable_file_is_refused_with_nothing_kept(rep, data_dir):
    with pytest.raises(services.ImportProblem, match="encoding could not be recognised"):
        upload(rep, data=b"name\n\x80\x80\xff\xfe\xff\n")
    assert list((data_dir / "imports").iterdir()) == []


def test_broken_xlsx_is_refused(rep):
    with pytest.raises(services.ImportProblem, match="damaged"):
        upload(rep, data=b"PK\x03\x04 this is not a real workbook", name="customers.xlsx")


def test_oversize_file_is_refused(rep, settings, data_dir):
    settings.GUANXI_IMPORT_MAX_UPLOAD_MB = 1
    data = csv_bytes([["name"], *[[f"客户{n}"] for n in range(200_000)]])
    assert len(data) > 1024 * 1024
    with pytest.raises(services.ImportProblem, match="larger than 1 MB"):
        upload(rep, data=data)
    assert not (data_dir / "imports").exists() or list((data_dir / "imports").iterdir()) == []


def test_missing_required_column_is_refused_before_running(rep):
    run = upload(rep, [["城市"], ["上海"]])
    with pytest.raises(services.ImportProblem) as problem:
        services.import_configure(
            actor=rep,
            run=run,
            columns=run.mapping,
            error_mode="skip_bad_rows",
            duplicate_action="skip",
        )
    assert (
        "Name" in problem.value.errors["mapping"][0] or "名称" in problem.value.errors["mapping"][0]
    )


def test_all_or_nothing_writes_nothing_when_one_row_is_wrong(rep):
    rows = [HEADER, *[[f"客户{n}", "贵宾型", "", "上海"] for n in range(2500)]]
    rows[2000][1] = "不存在的等级"
    run = run_import(rep, rows, error_mode="all_or_nothing")
    assert (run.status, run.created_count, run.failed_count) == ("failed", 0, 1)
    assert Account.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    assert SearchToken.objects.count() == 0
    assert run.errors[0]["row"] == 2001
    report = run.error_report_path.read_text(encoding="utf-8-sig")
    assert "不存在的等级" in report


def test_skip_bad_rows_keeps_good_rows_and_reports_bad_ones(rep):
    run = run_import(
        rep, [HEADER, ["好客户", "", "", ""], ["", "", "", "上海"], ["坏电话", "", "12", ""]]
    )
    assert (run.created_count, run.failed_count) == (1, 2)
    assert [e["row"] for e in run.errors] == [3, 4]
    assert Account.objects.get().name == "好客户"


def test_duplicates_in_file_and_in_database_are_skipped(rep):
    existing = AccountFactory(owner=rep, name="杭州云帆科技有限公司", phone="")
    search.index_record("account", existing)
    dedupe.index_record("account", existing)
    run = run_import(
        rep, [HEADER, ["云帆科技", "", "", ""], ["新客户", "", "", ""], ["新客户", "", "", ""]]
    )
    assert (run.created_count, run.skipped_count) == (1, 2)
    assert Account.objects.count() == 2
    imported = Account.objects.get(name="新客户")
    # The imported record is indexed for the duplicate check of every later entry path.
    matches = dedupe.find_duplicates("account", {"name": "新客户有限公司"}, user=rep)
    assert [match.record for match in matches] == [imported]


def test_duplicates_update_the_existing_record_and_undo_restores_it(rep):
    grant(rep, "account", ["edit", "delete"], scope="own")
    existing = AccountFactory(
        owner=rep, name="杭州云帆科技有限公司", phone="", city="杭州", grade=""
    )
    search.index_record("account", existing)
    dedupe.index_record("account", existing)
    run = run_import(
        rep,
        [HEADER, ["杭州云帆科技有限公司", "贵宾型", "", ""], ["新客户", "", "", "北京"]],
        duplicates="update",
    )
    assert (run.created_count, run.updated_count) == (1, 1)
    existing.refresh_from_db()
    assert (existing.grade, existing.city, existing.version) == ("vip", "杭州", 2)
    undo.import_undo(actor=rep, run=run)
    existing.refresh_from_db()
    assert (existing.grade, existing.city) == ("", "杭州")
    assert list(Account.objects.values_list("name", flat=True)) == ["杭州云帆科技有限公司"]
    run.refresh_from_db()
    assert run.status == "undone"


def test_duplicates_created_anyway(rep):
    existing = AccountFactory(owner=rep, name="云帆科技", phone="")
    search.index_record("account", existing)
    dedupe.index_record("account", existing)
    run = run_import(
        rep, [HEADER, ["云帆科技", "", "", ""], ["云帆科技", "", "", ""]], duplicates="create"
    )
    assert run.created_count == 2
    assert Account.objects.count() == 3


def test_update_mode_needs_edit_permission(rep):
    run = upload(rep, [HEADER, ["A", "", "", ""]])
    with pytest.raises(services.ImportProblem):
        services.import_configure(
            actor=rep,
            run=run,
            columns=run.mapping,
            error_mode="skip_bad_rows",
            duplicate_action="update",
        )


def test_undo_is_refused_when_a_created_record_has_children(rep):
    grant(rep, "account", ["delete"], scope="own")
    run = run_import(rep, [HEADER, ["有联系人的客户", "", "", ""]])
    account = Account.objects.get()
    Contact.objects.create(account=account, name="张伟", owner=rep)
    with pytest.raises(services.ImportProblem, match="in use"):
        undo.import_undo(actor=rep, run=run)
    assert Account.objects.count() == 1
    assert AuditEntry.objects.filter(action="delete").count() == 0


def test_undo_is_refused_when_a_record_was_edited_since(rep):
    grant(rep, "account", ["delete"], scope="own")
    run = run_import(rep, [HEADER, ["客户甲", "", "", ""], ["客户乙", "", "", ""]])
    Account.objects.filter(name="客户乙").update(version=2)
    with pytest.raises(services.ImportProblem, match="changed after the import"):
        undo.import_undo(actor=rep, run=run)
    assert Account.objects.count() == 2


def test_custom_fields_owner_and_remembered_mapping(rep):
    CustomField.objects.create(
        entity="account",
        key="tier",
        label_en="Tier",
        label_zh="层级",
        field_type="choice",
        choices=[{"value": "a", "label_en": "Gold", "label_zh": "金牌"}],
    )
    other = UserFactory(username="li", first_name="娜", last_name="李")
    run = run_import(
        rep, [["名称", "层级", "负责人"], ["客户甲", "金牌", "rep"], ["客户乙", "Gold", "li"]]
    )
    assert run.mapping == ["name", "custom.tier", "owner"]
    assert (run.created_count, run.failed_count) == (1, 1)
    assert Account.objects.get().custom == {"tier": "a"}
    assert "assign" in run.errors[0]["message"] or "分配" in run.errors[0]["message"]
    assert other.pk
    remembered = ImportMapping.objects.get(user=rep, entity="account").columns
    assert remembered["层级"] == "custom.tier"
    renamed = upload(rep, [["层级", "名称"], ["金牌", "X"]])
    assert renamed.mapping == ["custom.tier", "name"]


def test_contacts_find_their_customer_by_name(rep):
    grant(rep, "contact", ["view", "create"], scope="own")
    AccountFactory(owner=rep, name="云帆科技")
    run = run_import(
        rep,
        [["姓名", "客户", "手机"], ["张伟", "云帆科技", "13800138000"], ["李娜", "没有", ""]],
        entity="contact",
    )
    assert (run.created_count, run.failed_count) == (1, 1)
    contact = Contact.objects.get()
    assert (contact.account.name, contact.mobile_e164) == ("云帆科技", "+8613800138000")


def test_update_mode_merges_a_row_repeated_in_the_same_batch(rep):
    grant(rep, "account", ["edit"], scope="own")
    run = run_import(
        rep,
        [HEADER, ["新客户", "贵宾型", "", ""], ["其他", "", "", ""], ["新客户", "", "", "北京"]],
        duplicates="update",
    )
    assert (run.created_count, run.updated_count, run.skipped_count) == (2, 1, 0)
    record = Account.objects.get(name="新客户")
    assert (record.grade, record.city, record.version) == ("vip", "北京", 2)


def test_a_batch_is_checked_for_duplicates_in_as_many_statements_as_one_row(rep):
    existing = [AccountFactory(owner=rep, name=f"老客户{n}有限公司", phone="") for n in range(5)]
    for account in existing:
        dedupe.index_record("account", account)
    rows = [{"name": f"老客户{n}"} for n in range(5)] + [{"name": f"新客户{n}"} for n in range(40)]
    find_duplicates_many("account", rows[:1], user=rep)  # the user's grants, read once

    with CaptureQueriesContext(connection) as one_row:
        find_duplicates_many("account", rows[:1], user=rep)
    with CaptureQueriesContext(connection) as batch:
        found = find_duplicates_many("account", rows, user=rep)

    assert len(batch.captured_queries) == len(one_row.captured_queries)

    assert [matches[0].record for matches in found[:5]] == existing
    assert found[5:] == [[]] * 40
    single = [dedupe.find_duplicates("account", row, user=rep, limit=1) for row in rows[:5]]
    assert [(m[0].record, m[0].score, m[0].reasons) for m in single] == [
        (m[0].record, m[0].score, m[0].reasons) for m in found[:5]
    ]


def test_a_50_mb_file_is_refused_at_the_default_limit(rep, data_dir):
    content = b"name\n" + b"\xe5\xae\xa2\xe6\x88\xb7\n" * (50 * 1024 * 1024 // 7)
    assert len(content) > 50 * 1000 * 1000
    with pytest.raises(services.ImportProblem, match="larger than 40 MB"):
        upload(rep, data=content)
    assert Account.objects.count() == 0
    assert not (data_dir / "imports").exists() or list((data_dir / "imports").iterdir()) == []


def test_excel_dates_and_numbers_are_read_as_typed(rep):
    import datetime
    import io

    from openpyxl import Workbook

    grant(rep, "contact", ["view", "create"], scope="own")
    AccountFactory(owner=rep, name="云帆科技")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "客户", "生日", "手机", "主要联系人"])
    sheet.append(["张伟", "云帆科技", datetime.datetime(1985, 3, 7), 13800138000, "是"])
    sheet.append(["李娜", "云帆科技", "1990/12/31", "139 0013 9000", "否"])
    handle = io.BytesIO()
    workbook.save(handle)
    run = upload(rep, data=handle.getvalue(), entity="contact", name="联系人.xlsx")
    assert run.mapping == ["name", "account", "birthday", "mobile", "is_primary"]
    services.import_configure(
        actor=rep,
        run=run,
        columns=run.mapping,
        error_mode="all_or_nothing",
        duplicate_action="create",
    )
    run.status = "queued"
    run.save()
    from guanxi.dataio.runner import import_execute

    import_execute(run)
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("done", 2), run.errors
    zhang = Contact.objects.get(name="张伟")
    assert (zhang.birthday, zhang.mobile_e164, zhang.is_primary) == (
        datetime.date(1985, 3, 7),
        "+8613800138000",
        True,
    )
    assert Contact.objects.get(name="李娜").birthday == datetime.date(1990, 12, 31)


def test_undo_needs_delete_permission_and_a_started_import_cannot_start_again(rep):
    run = run_import(rep, [HEADER, ["客户甲", "", "", ""]])
    with pytest.raises(PermissionDenied):
        undo.import_undo(actor=rep, run=run)
    with pytest.raises(services.ImportProblem, match="already been started"):
        services.import_start(actor=rep, run=run)
    other = UserFactory(username="other")
    grant(other, "account", scope="all")
    with pytest.raises(PermissionDenied):
        undo.import_undo(actor=other, run=run)
    assert Account.objects.count() == 1


def test_batches_commit_without_waiting_for_the_disk_and_the_end_waits_again(rep):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no such setting")
    seen = []

    class Progress:
        def set_total(self, total):
            pass

        def __call__(self, done):
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen.append(cursor.fetchone()[0])

    run_import(rep, [HEADER, ["杭州云帆科技有限公司", "贵宾型", "", "杭州"]], progress=Progress())

    assert seen == ["off"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert Account.objects.filter(name="杭州云帆科技有限公司").exists()
