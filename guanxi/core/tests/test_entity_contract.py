"""The contract every registered entity keeps, checked for each one from the registry.

For list, detail, create, edit, delete, bulk edit, bulk delete, import, export and the API:
anonymous users are sent to log in (401 on the API), users without permission are refused
and nothing changes, users with permission succeed, and a user with a narrower data scope
gets 404 for the record outside it, which is also absent from lists, search and exports.
"""

import csv
import io
import json

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanxi.api.auth import token_create
from guanxi.core import queries, registry, search
from guanxi.core.models import AuditEntry, SearchToken, Share
from guanxi.core.tests.entity_contract import form_payload, make_record, text_field
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.dataio.models import ImportRun

ENTITIES = [pytest.param(entity, id=entity.name) for entity in registry.entities()]
pytestmark = pytest.mark.django_db


def url(entity, view, *args):
    return reverse(entity.url_name(view), args=args)


def api_client(user):
    key = token_create(user=user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Keep imported files out of the real data folder."""
    settings.DATA_DIR = tmp_path


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
def stranger():
    return UserFactory(username="stranger")


@pytest.mark.parametrize("entity", ENTITIES)
def test_anonymous_is_sent_to_login_and_api_answers_401(entity, owner):
    record = make_record(entity, owner=owner)
    client = Client()
    for view, args in [
        ("list", ()),
        ("create", ()),
        ("detail", (record.pk,)),
        ("edit", (record.pk,)),
    ]:
        response = client.get(url(entity, view, *args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.get(f"/api/v1/{entity.plural}")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("entity", ENTITIES)
def test_user_without_permission_is_refused_and_nothing_changes(
    entity, owner, stranger, client_for
):
    record = make_record(entity, owner=owner)
    client = client_for(stranger)
    field = text_field(entity)
    before = getattr(record, field)
    assert client.get(url(entity, "list")).status_code == 403
    assert client.get(url(entity, "detail", record.pk)).status_code == 403
    assert client.get(url(entity, "create")).status_code == 403
    payload = form_payload(entity, record, **{field: "changed", "version": record.version})
    assert client.post(url(entity, "edit", record.pk), payload).status_code == 403
    assert client.post(url(entity, "delete", record.pk)).status_code == 403
    assert (
        client.post(url(entity, "bulk_delete"), {"ids": [record.pk], "confirm": "1"}).status_code
        == 403
    )
    assert client.get(url(entity, "export")).status_code == 403
    api = api_client(stranger)
    assert api.get(f"/api/v1/{entity.plural}").status_code == 403
    assert api.get(f"/api/v1/{entity.plural}/{record.pk}").status_code == 403
    assert api.delete(f"/api/v1/{entity.plural}/{record.pk}").status_code == 403
    record.refresh_from_db()
    assert getattr(record, field) == before
    assert entity.model.objects.filter(pk=record.pk).count() == 1


@pytest.mark.parametrize("entity", ENTITIES)
def test_full_lifecycle_with_permission(entity, owner, client_for):
    grant(owner, entity.name, scope="all")
    if entity.name in ("contact", "opportunity"):
        grant(owner, "account", ["view"], scope="all")
    record = make_record(entity, owner=owner)
    client = client_for(owner)
    field = text_field(entity)

    response = client.get(url(entity, "list"))
    assert response.status_code == 200
    assert str(record) in response.content.decode()
    assert client.get(url(entity, "detail", record.pk)).status_code == 200
    assert client.get(url(entity, "detail", record.pk) + "?tab=history").status_code == 200

    created = client.post(
        url(entity, "create"), form_payload(entity, record, **{field: "新建记录"})
    )
    assert created.status_code == 302
    new = entity.model.objects.get(**{field: "新建记录"})
    assert new.owner == owner
    assert (
        AuditEntry.objects.filter(entity=entity.name, object_id=new.pk, action="create").count()
        == 1
    )

    edited = client.post(
        url(entity, "edit", new.pk),
        form_payload(entity, new, **{field: "改过的名字", "version": new.version}),
    )
    assert edited.status_code == 302
    new.refresh_from_db()
    assert getattr(new, field) == "改过的名字"
    assert new.version == 2
    change = AuditEntry.objects.get(entity=entity.name, object_id=new.pk, action="update")
    assert change.changes[field] == ["新建记录", "改过的名字"]
    assert change.actor == owner

    assert client.post(url(entity, "delete", new.pk)).status_code == 302
    assert entity.model.objects.filter(pk=new.pk).count() == 0
    assert (
        AuditEntry.objects.filter(entity=entity.name, object_id=new.pk, action="delete").count()
        == 1
    )


@pytest.mark.parametrize("entity", ENTITIES)
def test_stale_edit_is_refused_and_the_other_edit_survives(entity, owner, client_for):
    grant(owner, entity.name, scope="all")
    grant(owner, "account", ["view"], scope="all")
    record = make_record(entity, owner=owner)
    client = client_for(owner)
    field = text_field(entity)
    first = client.post(
        url(entity, "edit", record.pk),
        form_payload(entity, record, **{field: "第一", "version": 1}),
    )
    assert first.status_code == 302
    second = client.post(
        url(entity, "edit", record.pk),
        form_payload(entity, record, **{field: "第二", "version": 1}),
    )
    assert second.status_code == 409
    assert "Someone else changed this record" in second.content.decode()
    record.refresh_from_db()
    assert getattr(record, field) == "第一"


@pytest.mark.parametrize("entity", ENTITIES)
def test_narrower_scope_hides_other_records_everywhere(entity, client_for):
    mine_owner = UserFactory(username="me")
    other_owner = UserFactory(username="other")
    grant(mine_owner, entity.name, scope="own")
    grant(mine_owner, "account", ["view"], scope="own")
    mine = make_record(entity, owner=mine_owner)
    theirs = make_record(entity, owner=other_owner)
    client = client_for(mine_owner)

    listing = client.get(url(entity, "list")).content.decode()
    assert f'name="ids" value="{mine.pk}"' in listing
    assert f'name="ids" value="{theirs.pk}"' not in listing
    for view in ("detail", "edit", "delete", "share"):
        assert client.get(url(entity, view, theirs.pk)).status_code == 404
    assert client.post(url(entity, "delete", theirs.pk)).status_code == 404

    exported = b"".join(client.get(url(entity, "export") + "?format=csv").streaming_content).decode(
        "utf-8-sig"
    )
    rows = list(csv.reader(io.StringIO(exported)))
    assert len(rows) == 2  # the header and my record only

    deleted = client.post(url(entity, "bulk_delete"), {"ids": [theirs.pk, mine.pk], "confirm": "1"})
    assert deleted.status_code == 302
    assert entity.model.objects.filter(pk=theirs.pk).count() == 1
    assert entity.model.objects.filter(pk=mine.pk).count() == 0

    api = api_client(mine_owner)
    assert api.get(f"/api/v1/{entity.plural}/{theirs.pk}").status_code == 404
    assert (
        api.patch(
            f"/api/v1/{entity.plural}/{theirs.pk}", "{}", content_type="application/json"
        ).status_code
        == 404
    )
    assert api.delete(f"/api/v1/{entity.plural}/{theirs.pk}").status_code == 404
    body = api.get(f"/api/v1/{entity.plural}").json()
    assert body["count"] == 0
    assert theirs.pk not in [item["id"] for item in body["items"]]


@pytest.mark.parametrize("entity", ENTITIES)
def test_sharing_opens_one_record_to_a_user_with_own_scope(entity, client_for):
    owner = UserFactory(username="sharer")
    reader = UserFactory(username="reader")
    grant(owner, entity.name, scope="own")
    grant(reader, entity.name, scope="own")
    record = make_record(entity, owner=owner)
    reader_client = client_for(reader)
    assert reader_client.get(url(entity, "detail", record.pk)).status_code == 404

    response = client_for(owner).post(
        url(entity, "share", record.pk), {"users": [reader.pk], "access": "read"}
    )
    assert response.status_code == 302
    assert Share.objects.filter(entity=entity.name, object_id=record.pk, user=reader).count() == 1
    assert reader_client.get(url(entity, "detail", record.pk)).status_code == 200
    # read access does not allow editing
    assert reader_client.get(url(entity, "edit", record.pk)).status_code == 404


@pytest.mark.parametrize("entity", ENTITIES)
def test_bulk_edit_changes_every_selected_record_with_history(entity, owner, client_for):
    grant(owner, entity.name, scope="all")
    records = [make_record(entity, owner=owner) for _ in range(3)]
    new_owner = UserFactory(username="new-owner")
    response = client_for(owner).post(
        url(entity, "bulk_edit"),
        {
            "ids": [r.pk for r in records[:2]],
            "apply": "1",
            "apply_owner": "on",
            "owner": new_owner.pk,
        },
    )
    assert response.status_code == 302
    owners = dict(entity.model.objects.values_list("pk", "owner__username"))
    assert owners[records[0].pk] == "new-owner"
    assert owners[records[1].pk] == "new-owner"
    assert owners[records[2].pk] == "owner"
    entries = AuditEntry.objects.filter(entity=entity.name, action="update")
    assert entries.count() == 2
    assert len({entry.batch for entry in entries}) == 1


@pytest.mark.parametrize("entity", ENTITIES)
def test_api_crud(entity, owner):
    grant(owner, entity.name, scope="all")
    grant(owner, "account", ["view"], scope="all")
    template = make_record(entity, owner=owner)
    api = api_client(owner)
    field = text_field(entity)
    payload = {
        key: (
            value.isoformat()
            if hasattr(value, "isoformat")
            else str(value)
            if hasattr(value, "as_tuple")
            else value
        )
        for key, value in form_payload(entity, template, **{field: "API 记录"}).items()
    }
    created = api.post(
        f"/api/v1/{entity.plural}", json.dumps(payload), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert item[field] == "API 记录"
    assert item["owner"] == owner.pk

    fetched = api.get(f"/api/v1/{entity.plural}/{item['id']}")
    assert fetched.json()[field] == "API 记录"

    patched = api.patch(
        f"/api/v1/{entity.plural}/{item['id']}",
        json.dumps({field: "改名", "version": item["version"]}),
        content_type="application/json",
    )
    assert patched.status_code == 200
    assert patched.json()[field] == "改名"
    stale = api.patch(
        f"/api/v1/{entity.plural}/{item['id']}",
        json.dumps({field: "过期", "version": item["version"]}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert set(stale.json()) == {"detail", "errors"}

    invalid = api.patch(
        f"/api/v1/{entity.plural}/{item['id']}",
        json.dumps({field: ""}),
        content_type="application/json",
    )
    assert invalid.status_code == 400
    assert field in invalid.json()["errors"]

    timeline = api.get(f"/api/v1/{entity.plural}/{item['id']}/timeline").json()["items"]
    assert [entry["action"] for entry in timeline] == ["update", "create"]

    assert api.delete(f"/api/v1/{entity.plural}/{item['id']}").status_code == 204
    assert api.get(f"/api/v1/{entity.plural}/{item['id']}").status_code == 404


@pytest.mark.parametrize("entity", ENTITIES)
def test_list_views_do_not_query_per_row(entity, owner, client_for):
    grant(owner, entity.name, scope="department_tree")
    client = client_for(owner)
    api = api_client(owner)
    make_record(entity, owner=owner)
    client.get(url(entity, "list"))  # the first requests write last-login/last-used stamps
    api.get(f"/api/v1/{entity.plural}")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(entity, "list")).status_code == 200
    with CaptureQueriesContext(connection) as few_api:
        assert api.get(f"/api/v1/{entity.plural}").status_code == 200
    for _ in range(9):
        make_record(entity, owner=owner)
    with CaptureQueriesContext(connection) as many:
        client.get(url(entity, "list"))
    with CaptureQueriesContext(connection) as many_api:
        api.get(f"/api/v1/{entity.plural}")
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    assert len(many_api) == len(few_api), "\n".join(q["sql"] for q in many_api.captured_queries)


@pytest.mark.parametrize("entity", ENTITIES)
def test_exported_file_imports_back_with_history_and_search_keys(
    entity, owner, client_for, django_capture_on_commit_callbacks
):
    grant(owner, entity.name, scope="all")
    grant(owner, "account", ["view"], scope="all")
    record = make_record(entity, owner=owner)
    client = client_for(owner)
    exported = b"".join(client.get(url(entity, "export") + "?format=csv").streaming_content)
    uploaded = client.post(
        url(entity, "import"), {"file": SimpleUploadedFile("export.csv", exported)}
    )
    assert uploaded.status_code == 302, uploaded.content.decode()
    run = ImportRun.objects.get()
    field = text_field(entity)
    assert field in run.mapping
    configured = client.post(
        reverse("dataio:import_detail", args=[run.pk]),
        {
            **{f"column_{index}": target for index, target in enumerate(run.mapping)},
            "error_mode": "all_or_nothing",
            "duplicate_action": "create",
        },
    )
    assert configured.status_code == 302, configured.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("dataio:import_start", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.created_count, run.failed_count) == ("done", 1, 0), run.errors
    copy = entity.model.objects.exclude(pk=record.pk).get()
    assert getattr(copy, field) == getattr(record, field)
    assert copy.owner == owner
    assert AuditEntry.objects.filter(entity=entity.name, object_id=copy.pk).count() == 1
    if entity.search_keys is not None:
        assert SearchToken.objects.filter(entity=entity.name, object_id=copy.pk).count() == len(
            search.clean_keys(entity.search_keys(copy))
        )


@pytest.mark.parametrize("entity", ENTITIES)
def test_import_and_export_are_refused_without_permission(entity, owner, stranger, client_for):
    grant(stranger, entity.name, ["view"], scope="all")
    make_record(entity, owner=owner)
    count = entity.model.objects.count()
    client = client_for(stranger)
    assert client.get(url(entity, "import")).status_code == 403
    content = f"{text_field(entity)}\nx\n".encode()
    response = client.post(url(entity, "import"), {"file": SimpleUploadedFile("a.csv", content)})
    assert response.status_code == 403
    api = api_client(stranger)
    response = api.post(
        "/api/v1/imports",
        {"entity": entity.name, "file": SimpleUploadedFile("a.csv", content)},
    )
    assert response.status_code == 403
    assert api.get(f"/api/v1/exports/{entity.name}").status_code == 403
    assert ImportRun.objects.count() == 0
    assert entity.model.objects.count() == count


@pytest.mark.parametrize("entity", ENTITIES)
def test_api_export_holds_only_records_in_export_scope(entity, client_for):
    mine_owner = UserFactory(username="me")
    grant(mine_owner, entity.name, scope="own")
    grant(mine_owner, "account", ["view"], scope="own")
    mine = make_record(entity, owner=mine_owner)
    make_record(entity, owner=UserFactory(username="other"))
    response = api_client(mine_owner).get(f"/api/v1/exports/{entity.name}?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2
    assert str(mine) in rows[1]


def _indexed_columns(model) -> list[list[str]]:
    """Return the columns of each index of the model's table, as the database has them."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [
        list(found["columns"])
        for found in constraints.values()
        if found["index"] or found["primary_key"] or found["unique"]
    ]


def _column(model, path: str) -> str:
    """Return the table column a sort or filter path starts from (a join's foreign key)."""
    name = path.lstrip("-").split("__")[0]
    try:
        return model._meta.get_field(name).column
    except FieldDoesNotExist:  # account_id: the foreign key "account"
        return model._meta.get_field(name.removesuffix("_id")).column


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_sort_and_filter_is_backed_by_an_index(entity):
    """At a million records a list sorted or filtered by a column without an index reads the
    whole table for each page. A sort by a related record's field (owner__username) enters
    the table through its foreign key's index; a filter always sent with another one
    (link_entity, link_id) may share an index that starts with the other; yes/no filters
    match too many rows for an index to help, and are left out."""
    indexes = _indexed_columns(entity.model)
    leading = {columns[0] for columns in indexes}
    unserved = [
        f"sort by {key}"
        for key, expression in queries.sortable_keys(entity).items()
        if _column(entity.model, expression) not in leading
    ]
    filtered = {
        spec.key: _column(entity.model, spec.lookup or spec.key)
        for spec in entity.filters
        if spec.condition is None and spec.kind != "boolean"
    }
    for key, column in filtered.items():
        compound = any(
            columns[1:2] == [column] and columns[0] in filtered.values() for columns in indexes
        )
        if column not in leading and not compound:
            unserved.append(f"filter by {key}")
    assert not unserved, f"{entity.name}: no index for {unserved}"
