"""The import wizard on the screen: upload, mapping, preview, run, result, undo, history."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.dataio.models import ImportRun
from guanxi.dataio.tests.helpers import csv_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep():
    user = UserFactory(username="rep", language="zh-hans")
    grant(user, "account", ["view", "create", "delete"], scope="own")
    return user


def test_wizard_from_upload_to_undo(rep, client_for, django_capture_on_commit_callbacks):
    client = client_for(rep)
    listing = client.get(reverse("web:account_list")).content.decode()
    assert reverse("web:account_import") in listing
    assert "导入" in listing
    content = csv_bytes(
        [["客户名称", "客户等级", "备注"], ["云帆科技", "贵宾型", "x"], ["", "普通型", "y"]],
        encoding="gbk",
    )
    response = client.post(
        reverse("web:account_import"), {"file": SimpleUploadedFile("客户.csv", content)}
    )
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("dataio:import_detail", args=[run.pk])
    page = client.get(response["Location"]).content.decode()
    assert "映射" in page or "导入到" in page
    assert 'value="grade" selected' in page

    saved = client.post(
        reverse("dataio:import_detail", args=[run.pk]),
        {
            "column_0": "name",
            "column_1": "grade",
            "column_2": "",
            "error_mode": "skip_bad_rows",
            "duplicate_action": "skip",
        },
    )
    assert saved.status_code == 302
    preview = client.get(saved["Location"]).content.decode()
    assert preview.count('data-testid="preview-row"') == 2
    assert 'data-action="error"' in preview
    assert Account.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:import_start", args=[run.pk]))
    result = client.get(reverse("dataio:import_detail", args=[run.pk])).content.decode()
    assert 'data-status="done"' in result
    assert 'data-testid="count-created">1<' in result
    assert Account.objects.get().name == "云帆科技"
    report = client.get(reverse("dataio:import_errors", args=[run.pk]))
    assert "名称" in b"".join(report.streaming_content).decode("utf-8-sig")

    history = client.get(reverse("dataio:import_list") + "?entity=account").content.decode()
    assert "客户.csv" in history

    client.post(reverse("dataio:import_undo", args=[run.pk]))
    assert Account.objects.count() == 0
    run.refresh_from_db()
    assert run.status == "undone"


def test_bad_file_and_missing_required_column_show_clear_errors(rep, client_for):
    client = client_for(rep)
    response = client.post(
        reverse("web:account_import"), {"file": SimpleUploadedFile("a.xlsx", b"not excel")}
    )
    assert response.status_code == 400
    assert "Excel" in response.content.decode()
    response = client.post(
        reverse("web:account_import"),
        {"file": SimpleUploadedFile("a.csv", csv_bytes([["城市"], ["上海"]]))},
    )
    run = ImportRun.objects.get()
    page = client.post(
        reverse("dataio:import_detail", args=[run.pk]),
        {"column_0": "city", "error_mode": "skip_bad_rows", "duplicate_action": "skip"},
    )
    assert page.status_code == 400
    assert 'data-testid="mapping-error"' in page.content.decode()


def test_import_needs_create_permission_and_others_imports_are_hidden(rep, client_for):
    viewer = UserFactory(username="viewer")
    grant(viewer, "account", ["view"], scope="all")
    assert client_for(viewer).get(reverse("web:account_import")).status_code == 403
    assert (
        'data-testid="import"'
        not in client_for(viewer).get(reverse("web:account_list")).content.decode()
    )
    client_for(rep).post(
        reverse("web:account_import"),
        {"file": SimpleUploadedFile("a.csv", csv_bytes([["名称"], ["甲"]]))},
    )
    run = ImportRun.objects.get()
    assert client_for(viewer).get(reverse("dataio:import_detail", args=[run.pk])).status_code == 404
    assert client_for(viewer).post(reverse("dataio:import_undo", args=[run.pk])).status_code == 404


def test_template_lists_the_fields(rep, client_for):
    response = client_for(rep).get(reverse("web:account_import_template"))
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("名称,")
