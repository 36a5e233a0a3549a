"""One finished import in the demo company, so the import history shows what a run leaves."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from guanxi.core.choices import Action
from guanxi.core.permissions import can
from guanxi.dataio import services
from guanxi.dataio.choices import ImportStatus
from guanxi.dataio.models import ImportRun

PEOPLE = [
    ("周晓明", "采购经理", "13912345601"),
    ("吴海燕", "财务总监", "13912345602"),
    ("郑凯", "IT 主管", "13912345603"),
    ("孙丽华", "行政经理", "13912345604"),
    ("冯志强", "总经理", "13912345605"),
]


def demo_import(*, user, account_names: list[str]) -> ImportRun | None:
    """Import a few contacts of demo customers from a CSV, one row wrong on purpose."""
    from guanxi.dataio.runner import import_execute

    if not can(user, "contact", Action.CREATE) or len(account_names) < len(PEOPLE):
        return None
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(["姓名", "客户", "职务", "手机", "邮箱"])
    for index, (name, title, mobile) in enumerate(PEOPLE):
        email = f"contact{index + 1}@example.cn"
        writer.writerow([name, account_names[index], title, mobile, email])
    writer.writerow(["刘洋", "不存在的公司", "销售代表", "13912345606", ""])
    content = handle.getvalue().encode("utf-8-sig")
    run = services.import_upload(
        actor=user,
        entity_name="contact",
        upload=SimpleUploadedFile("展会联系人-2024.csv", content),
    )
    services.import_configure(
        actor=user,
        run=run,
        columns=run.mapping,
        error_mode="skip_bad_rows",
        duplicate_action="skip",
    )
    run.status = ImportStatus.QUEUED
    run.save(update_fields=["status"])
    import_execute(run)
    run.refresh_from_db()
    return run
