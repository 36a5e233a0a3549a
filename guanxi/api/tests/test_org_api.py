"""The organisation API: departments, teams, users and roles, for administrators only."""

import json

import pytest
from django.test import Client

from guanxi.api.auth import token_create
from guanxi.core.models import Department, Role, RolePermission, Team, User
from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant

STRONG_PASSWORD = "Lantern-Harbour-2931"


class Api:
    """Send JSON requests to /api/v1 with a user's bearer token."""

    def __init__(self, user):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}

    def get(self, path, params=None):
        return self.client.get(f"/api/v1{path}", params or {}, **self.headers)

    def post(self, path, data):
        return self.client.post(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self.headers
        )

    def patch(self, path, data):
        return self.client.patch(
            f"/api/v1{path}", json.dumps(data), content_type="application/json", **self.headers
        )

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", **self.headers)


@pytest.fixture
def api(admin_user):
    return Api(admin_user)


# --- Access -----------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["departments", "teams", "users", "roles"])
def test_non_staff_users_are_refused(user, resource):
    grant(user, "account")
    client = Api(user)

    listed = client.get(f"/{resource}")
    created = client.post(f"/{resource}", {"name": "x", "username": "x", "password": "y"})

    assert listed.status_code == 403
    assert listed.json() == {"detail": "You do not have permission to do this.", "errors": {}}
    assert created.status_code == 403
    assert Department.objects.count() == 0
    assert Team.objects.count() == 0
    assert Role.objects.count() == 1
    assert User.objects.count() == 1


def test_requests_without_a_token_are_refused(db):
    response = Client().get("/api/v1/departments")

    assert response.status_code == 401


def test_unknown_ids_answer_not_found(api):
    for resource in ("departments", "teams", "users", "roles"):
        response = api.get(f"/{resource}/999999")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": {}}


# --- Departments ------------------------------------------------------------------------


def test_department_tree_is_built_and_a_moved_subtree_keeps_its_shape(api):
    head = api.post("/departments", {"name": "总部"}).json()
    east = api.post("/departments", {"name": "华东", "parent": head["id"]}).json()
    shanghai = api.post("/departments", {"name": "上海", "parent": east["id"]}).json()
    overseas = api.post("/departments", {"name": "Overseas"}).json()
    assert shanghai == {
        "id": shanghai["id"],
        "name": "上海",
        "parent": east["id"],
        "manager": None,
        "path": f"/{head['id']}/{east['id']}/{shanghai['id']}/",
    }

    moved = api.patch(f"/departments/{east['id']}", {"parent": overseas["id"]})

    assert moved.status_code == 200
    assert moved.json()["name"] == "华东"
    assert dict(Department.objects.values_list("name", "path")) == {
        "总部": f"/{head['id']}/",
        "华东": f"/{overseas['id']}/{east['id']}/",
        "上海": f"/{overseas['id']}/{east['id']}/{shanghai['id']}/",
        "Overseas": f"/{overseas['id']}/",
    }


def test_a_department_cycle_is_refused_with_the_message_on_parent(api):
    head = DepartmentFactory(name="总部")
    child = DepartmentFactory(name="华东", parent=head)
    before = dict(Department.objects.values_list("name", "path"))

    response = api.patch(f"/departments/{head.pk}", {"name": "Renamed", "parent": child.pk})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The data is not valid.",
        "errors": {"parent": ["A department cannot be placed under itself or one of its own."]},
    }
    assert dict(Department.objects.values_list("name", "path")) == before


def test_department_create_needs_a_name_and_a_real_parent(api):
    response = api.post("/departments", {"parent": 999999})

    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["name", "parent"]
    assert Department.objects.count() == 0


def test_department_with_users_is_not_deleted(api):
    department = DepartmentFactory(name="财务部")
    UserFactory(username="accountant", department=department)

    refused = api.delete(f"/departments/{department.pk}")

    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "1 user belongs to this department. Move them to another department first."
    )
    assert Department.objects.filter(pk=department.pk).count() == 1
    User.objects.filter(username="accountant").update(department=None)
    assert api.delete(f"/departments/{department.pk}").status_code == 204
    assert Department.objects.count() == 0


def test_departments_are_paged(api):
    for number in range(5):
        DepartmentFactory(name=f"部门{number}")

    response = api.get("/departments", {"limit": 2, "offset": 3})

    body = response.json()
    in_tree_order = list(Department.objects.order_by("path").values_list("name", flat=True))
    assert body["count"] == 5
    assert [item["name"] for item in body["items"]] == in_tree_order[3:5]


# --- Teams ------------------------------------------------------------------------------


def test_team_is_created_with_members_and_changed(api):
    leader = UserFactory(username="leader")
    member = UserFactory(username="member")

    created = api.post(
        "/teams", {"name": "KA Team", "leader": leader.pk, "members": [member.pk, leader.pk]}
    )
    team_id = created.json()["id"]
    renamed = api.patch(f"/teams/{team_id}", {"name": "KA 团队"})
    members = api.patch(f"/teams/{team_id}", {"members": [member.pk]})

    assert created.status_code == 201
    assert created.json() == {
        "id": team_id,
        "name": "KA Team",
        "department": None,
        "leader": leader.pk,
        "members": sorted([leader.pk, member.pk]),
    }
    assert renamed.json()["members"] == sorted([leader.pk, member.pk])
    assert members.json() == {
        "id": team_id,
        "name": "KA 团队",
        "department": None,
        "leader": leader.pk,
        "members": [member.pk],
    }
    assert api.delete(f"/teams/{team_id}").status_code == 204
    assert Team.objects.count() == 0


def test_team_with_an_unknown_member_is_refused(api):
    response = api.post("/teams", {"name": "Ghosts", "members": [999999]})

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["members"]
    assert Team.objects.count() == 0


# --- Users ------------------------------------------------------------------------------


def test_user_with_a_weak_password_is_refused(api):
    response = api.post("/users", {"username": "wangfang", "password": "123456"})

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The data is not valid."
    assert body["errors"]["password"] == [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ]
    assert User.objects.filter(username="wangfang").count() == 0


def test_user_create_needs_username_and_password(api):
    response = api.post("/users", {"email": "nobody@example.com"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }
    assert User.objects.count() == 1


def test_user_is_created_and_the_password_is_never_returned(api):
    department = DepartmentFactory(name="华南")
    role = Role.objects.create(name="Sales")

    created = api.post(
        "/users",
        {
            "username": "wangfang",
            "password": STRONG_PASSWORD,
            "display_name": "王芳",
            "email": "wangfang@example.cn",
            "department": department.pk,
            "roles": [role.pk],
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
        },
    )

    assert created.status_code == 201
    user = User.objects.get(username="wangfang")
    assert user.check_password(STRONG_PASSWORD)
    assert created.json() == {
        "id": user.pk,
        "username": "wangfang",
        "email": "wangfang@example.cn",
        "display_name": "王芳",
        "first_name": "",
        "last_name": "",
        "phone": "",
        "department": department.pk,
        "manager": None,
        "roles": [role.pk],
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
        "is_active": True,
        "is_staff": False,
        "is_superuser": False,
        "last_login": None,
    }
    responses = [
        api.get("/users"),
        api.get(f"/users/{user.pk}"),
        api.patch(f"/users/{user.pk}", {}),
    ]
    for response in responses:
        assert response.status_code == 200
        assert "password" not in response.content.decode()
        assert user.password not in response.content.decode()


def test_user_roles_change_what_they_may_see(api, user, client_for):
    role = api.post(
        "/roles",
        {
            "name": "Viewer",
            "permissions": [{"entity": "account", "actions": ["view"], "scope": "all"}],
        },
    ).json()
    assert client_for(user).get("/accounts/").status_code == 403

    response = api.patch(f"/users/{user.pk}", {"roles": [role["id"]]})

    assert response.status_code == 200
    assert response.json()["roles"] == [role["id"]]
    assert client_for(user).get("/accounts/").status_code == 200


def test_password_is_changed_through_patch_and_validated(api, user):
    weak = api.patch(f"/users/{user.pk}", {"password": "password", "display_name": "X"})
    strong = api.patch(f"/users/{user.pk}", {"password": STRONG_PASSWORD})

    assert weak.status_code == 400
    assert weak.json()["errors"] == {"password": ["This password is too common."]}
    assert strong.status_code == 200
    user.refresh_from_db()
    assert user.display_name == ""
    assert user.check_password(STRONG_PASSWORD)


def test_delete_deactivates_the_user(api, user):
    response = api.delete(f"/users/{user.pk}")

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.is_active is False
    assert User.objects.filter(pk=user.pk).count() == 1
    assert api.get("/users", {"is_active": False}).json()["count"] == 1


def test_administrators_cannot_deactivate_themselves(api, admin_user):
    response = api.delete(f"/users/{admin_user.pk}")

    assert response.status_code == 400
    assert response.json()["errors"] == {"is_active": ["You cannot deactivate your own account."]}
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


def test_staff_cannot_take_over_a_superuser(admin_user):
    staff = UserFactory(username="helpdesk", is_staff=True)

    response = Api(staff).patch(f"/users/{admin_user.pk}", {"password": STRONG_PASSWORD})

    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.check_password("secret-pass-123")


def test_users_are_searched_and_filtered(api):
    sales = DepartmentFactory(name="销售部")
    UserFactory(username="zhangwei", display_name="张伟", department=sales)
    UserFactory(username="lina", display_name="李娜", department=sales)

    by_department = api.get("/users", {"department": sales.pk}).json()
    by_name = api.get("/users", {"q": "张"}).json()

    assert [item["username"] for item in by_department["items"]] == ["lina", "zhangwei"]
    assert (by_name["count"], by_name["items"][0]["username"]) == (1, "zhangwei")


# --- Roles ------------------------------------------------------------------------------


def test_role_is_created_with_permissions(api):
    response = api.post(
        "/roles",
        {
            "name": "Sales rep",
            "description": "销售代表",
            "max_accounts": 200,
            "permissions": [
                {"entity": "contact", "actions": ["view", "edit"], "scope": "department_tree"},
                {"entity": "account", "actions": ["view", "create", "view"], "scope": "own"},
            ],
        },
    )

    assert response.status_code == 201
    assert response.json() == {
        "id": Role.objects.get().pk,
        "name": "Sales rep",
        "description": "销售代表",
        "max_accounts": 200,
        "mask_personal_data": False,
        "permissions": [
            {"entity": "account", "actions": ["view", "create"], "scope": "own"},
            {"entity": "contact", "actions": ["view", "edit"], "scope": "department_tree"},
        ],
    }


def test_role_with_an_invalid_scope_is_refused_and_nothing_is_saved(api):
    response = api.post(
        "/roles",
        {
            "name": "Broken",
            "permissions": [{"entity": "account", "actions": ["view"], "scope": "x"}],
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The data is not valid.",
        "errors": {"permissions": ["Unknown data scope: x"]},
    }
    assert Role.objects.count() == 0
    assert RolePermission.objects.count() == 0


def test_role_update_with_bad_permissions_changes_nothing(api):
    role = Role.objects.create(name="Support")
    RolePermission.objects.create(role=role, entity="account", actions=["view"], scope="all")

    response = api.patch(
        f"/roles/{role.pk}",
        {
            "name": "Renamed",
            "permissions": [
                {"entity": "account", "actions": ["fly"], "scope": "all"},
                {"entity": "spaceship", "actions": ["view"], "scope": "all"},
            ],
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "permissions": ["Unknown action: fly", "Unknown entity: spaceship"]
    }
    role.refresh_from_db()
    assert role.name == "Support"
    assert list(role.permissions.values_list("entity", "actions", "scope")) == [
        ("account", ["view"], "all")
    ]


def test_role_patch_without_permissions_keeps_them(api):
    role = Role.objects.create(name="Support")
    RolePermission.objects.create(role=role, entity="account", actions=["view"], scope="all")

    response = api.patch(f"/roles/{role.pk}", {"description": "客服"})

    assert response.status_code == 200
    assert response.json()["permissions"] == [
        {"entity": "account", "actions": ["view"], "scope": "all"}
    ]
    assert response.json()["description"] == "客服"


def test_role_names_are_unique(api):
    Role.objects.create(name="Sales")

    response = api.post("/roles", {"name": "Sales"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Role with this Name already exists."]}
    assert Role.objects.count() == 1


def test_role_given_to_users_is_not_deleted(api, user):
    role = grant(user, "account")

    refused = api.delete(f"/roles/{role.pk}")

    assert refused.status_code == 409
    assert refused.json()["detail"] == "1 user has this role. Take it away from them first."
    assert Role.objects.filter(pk=role.pk).count() == 1
    user.roles.clear()
    assert api.delete(f"/roles/{role.pk}").status_code == 204
    assert Role.objects.count() == 0


def test_role_naming_an_entity_twice_is_refused(api):
    response = api.post(
        "/roles",
        {
            "name": "Twice",
            "permissions": [
                {"entity": "account", "actions": ["view"], "scope": "own"},
                {"entity": "account", "actions": ["edit"], "scope": "all"},
            ],
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "permissions": ["Each entity may appear only once: account"]
    }
    assert Role.objects.count() == 0
