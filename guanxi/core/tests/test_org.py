"""The organisation settings screens: users, departments, teams, roles, territories."""

import pytest
from django.urls import reverse

from guanxi.core import registry
from guanxi.core.models import Department, Role, RolePermission, Team, Territory, User
from guanxi.core.tests.factories import DepartmentFactory, TeamFactory, UserFactory, grant

STRONG_PASSWORD = "Lantern-Harbour-2931"

LIST_URLS = [
    "web:org_user_list",
    "web:org_user_create",
    "web:org_department_list",
    "web:org_department_create",
    "web:org_team_list",
    "web:org_team_create",
    "web:org_role_list",
    "web:org_role_create",
    "web:org_territory_list",
    "web:org_territory_create",
]


def paths() -> dict[str, str]:
    return dict(Department.objects.values_list("name", "path"))


def matrix(**grants) -> dict[str, str | list[str]]:
    """Return the permission-matrix POST data: grants={"account": (["view"], "all")}."""
    data: dict[str, str | list[str]] = {}
    for entity in (entity.name for entity in registry.entities()):
        actions, scope = grants.get(entity, ([], "own"))
        data[f"perm-{entity}-scope"] = scope
        for action in actions:
            data[f"perm-{entity}-{action}"] = "on"
    return data


# --- Access -----------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", LIST_URLS)
def test_screens_answer_administrators_and_refuse_others(url_name, admin_client, user, client_for):
    assert admin_client.get(reverse(url_name)).status_code == 200
    assert client_for(user).get(reverse(url_name)).status_code == 403


def test_record_screens_render_for_administrators(admin_client, user):
    department = DepartmentFactory(name="总部")
    team = TeamFactory(name="KA")
    role = grant(user, "account")
    territory = Territory.objects.create(name="华东")
    screens = [
        ("web:org_user_edit", user.pk),
        ("web:org_user_password", user.pk),
        ("web:org_user_deactivate", user.pk),
        ("web:org_department_edit", department.pk),
        ("web:org_department_delete", department.pk),
        ("web:org_team_edit", team.pk),
        ("web:org_team_delete", team.pk),
        ("web:org_role_edit", role.pk),
        ("web:org_role_delete", role.pk),
        ("web:org_territory_edit", territory.pk),
        ("web:org_territory_delete", territory.pk),
    ]

    statuses = {
        name: admin_client.get(reverse(name, args=[pk])).status_code for name, pk in screens
    }

    assert statuses == {name: 200 for name, _ in screens}
    assert admin_client.get(reverse("web:org_team_edit", args=[999999])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(db, client):
    response = client.get(reverse("web:org_department_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_non_staff_post_changes_nothing(user, client_for):
    client = client_for(user)

    response = client.post(reverse("web:org_department_create"), {"name": "销售部"})
    role_response = client.post(
        reverse("web:org_role_create"), {"name": "Sneaky", **matrix(account=(["view"], "all"))}
    )

    assert response.status_code == 403
    assert role_response.status_code == 403
    assert Department.objects.count() == 0
    assert Role.objects.count() == 0


def test_settings_menu_highlights_the_section(admin_client):
    response = admin_client.get(reverse("web:org_team_list"))

    assert response.context["settings_section"] == "teams"
    assert b'class="list-group-item list-group-item-action active">Teams<' in response.content


# --- Departments ------------------------------------------------------------------------


def test_department_tree_is_built_and_moving_a_subtree_moves_its_descendants(admin_client):
    url = reverse("web:org_department_create")
    assert admin_client.post(url, {"name": "总部"}).status_code == 302
    head = Department.objects.get(name="总部")
    admin_client.post(url, {"name": "华东销售", "parent": head.pk})
    east = Department.objects.get(name="华东销售")
    admin_client.post(url, {"name": "上海组", "parent": east.pk})
    shanghai = Department.objects.get(name="上海组")
    admin_client.post(url, {"name": "Overseas"})
    overseas = Department.objects.get(name="Overseas")
    assert paths() == {
        "总部": f"/{head.pk}/",
        "华东销售": f"/{head.pk}/{east.pk}/",
        "上海组": f"/{head.pk}/{east.pk}/{shanghai.pk}/",
        "Overseas": f"/{overseas.pk}/",
    }

    response = admin_client.post(
        reverse("web:org_department_edit", args=[east.pk]),
        {"name": "East China", "parent": overseas.pk},
    )

    assert response.status_code == 302
    assert paths() == {
        "总部": f"/{head.pk}/",
        "East China": f"/{overseas.pk}/{east.pk}/",
        "上海组": f"/{overseas.pk}/{east.pk}/{shanghai.pk}/",
        "Overseas": f"/{overseas.pk}/",
    }
    listed = list(admin_client.get(reverse("web:org_department_list")).context["departments"])
    names = [department.name for department in listed]
    assert names.index("East China") == names.index("Overseas") + 1
    assert names.index("上海组") == names.index("East China") + 1
    assert {department.name: department.depth for department in listed} == {
        "总部": 0,
        "Overseas": 0,
        "East China": 1,
        "上海组": 2,
    }


def test_a_department_cannot_move_under_its_own_descendant(admin_client):
    head = DepartmentFactory(name="总部")
    east = DepartmentFactory(name="华东", parent=head)
    shanghai = DepartmentFactory(name="上海", parent=east)
    before = paths()

    response = admin_client.post(
        reverse("web:org_department_edit", args=[head.pk]),
        {"name": "Renamed", "parent": shanghai.pk},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "parent": ["A department cannot be placed under itself or one of its own."]
    }
    assert b'data-testid="error-parent"' in response.content
    assert paths() == before
    head.refresh_from_db()
    assert (head.name, head.parent_id) == ("总部", None)


def test_deleting_a_department_with_users_is_refused(admin_client):
    department = DepartmentFactory(name="财务部")
    UserFactory(username="zhang", department=department)
    UserFactory(username="li", department=department)
    url = reverse("web:org_department_delete", args=[department.pk])

    page = admin_client.get(url)
    response = admin_client.post(url)

    assert page.status_code == 200
    assert b'data-testid="confirm"' not in page.content
    assert response.status_code == 400
    assert response.context["blocked"] == (
        "2 users belong to this department. Move them to another department first."
    )
    assert Department.objects.filter(pk=department.pk).exists()
    assert User.objects.filter(department=department).count() == 2


def test_deleting_a_department_with_sub_departments_is_refused(admin_client):
    parent = DepartmentFactory(name="销售中心")
    DepartmentFactory(name="一部", parent=parent)

    response = admin_client.post(reverse("web:org_department_delete", args=[parent.pk]))

    assert response.status_code == 400
    assert response.context["blocked"] == (
        "This department has sub-departments. Move or delete them first."
    )
    assert Department.objects.count() == 2


def test_an_empty_department_is_deleted(admin_client):
    department = DepartmentFactory(name="临时项目组")

    response = admin_client.post(reverse("web:org_department_delete", args=[department.pk]))

    assert response.status_code == 302
    assert response.url == reverse("web:org_department_list")
    assert Department.objects.count() == 0


# --- Users ------------------------------------------------------------------------------


def user_data(**changes) -> dict:
    data = {
        "username": "wangfang",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "display_name": "王芳",
        "email": "wangfang@example.cn",
        "language": "zh-hans",
        "time_zone": "Asia/Shanghai",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_user_is_created_with_password_department_and_roles(admin_client):
    department = DepartmentFactory(name="华南销售")
    sales = Role.objects.create(name="Sales")
    service = Role.objects.create(name="Service")

    response = admin_client.post(
        reverse("web:org_user_create"),
        user_data(department=department.pk, roles=[sales.pk, service.pk]),
    )

    assert response.status_code == 302
    created = User.objects.get(username="wangfang")
    assert created.check_password(STRONG_PASSWORD)
    assert (created.display_name, created.department, created.language) == (
        "王芳",
        department,
        "zh-hans",
    )
    assert (created.time_zone, created.is_active, created.is_staff) == (
        "Asia/Shanghai",
        True,
        False,
    )
    assert set(created.roles.all()) == {sales, service}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"password2": "Other-Password-777"}, "password2", "The two password fields didn’t match."),
        (
            {"password1": "12345678", "password2": "12345678"},
            "password1",
            "This password is too common.",
        ),
        ({"username": "ADMIN"}, "username", "A user with that username already exists."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", None),
    ],
)
def test_user_create_refuses_bad_input(admin_client, changes, field, message):
    response = admin_client.post(reverse("web:org_user_create"), user_data(**changes))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert message in errors[field]
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


def test_user_is_edited_and_roles_replaced(admin_client):
    boss = UserFactory(username="boss")
    rep = UserFactory(username="rep2")
    old_role = Role.objects.create(name="Old")
    new_role = Role.objects.create(name="New")
    rep.roles.add(old_role)

    response = admin_client.post(
        reverse("web:org_user_edit", args=[rep.pk]),
        {
            "display_name": "Rep Two",
            "email": "rep2@example.com",
            "manager": boss.pk,
            "roles": [new_role.pk],
            "language": "en",
            "time_zone": "",
            "is_active": "on",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    rep.refresh_from_db()
    assert (rep.display_name, rep.manager, rep.is_staff) == ("Rep Two", boss, True)
    assert list(rep.roles.all()) == [new_role]


def test_a_user_cannot_report_to_themselves_through_others(admin_client):
    top = UserFactory(username="top")
    middle = UserFactory(username="middle", manager=top)

    response = admin_client.post(
        reverse("web:org_user_edit", args=[top.pk]),
        {"manager": middle.pk, "language": "en", "is_active": "on"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "manager": ["A user cannot report to themselves, directly or through others."]
    }
    top.refresh_from_db()
    assert top.manager is None


def test_administrators_cannot_deactivate_themselves(admin_client, admin_user):
    edit = admin_client.post(
        reverse("web:org_user_edit", args=[admin_user.pk]), {"language": "en", "is_staff": "on"}
    )
    deactivate = admin_client.post(reverse("web:org_user_deactivate", args=[admin_user.pk]))

    assert edit.status_code == 400
    assert edit.context["form"].errors == {"is_active": ["You cannot deactivate your own account."]}
    assert deactivate.status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.is_active is True


def test_deactivating_a_user_keeps_the_row(admin_client):
    rep = UserFactory(username="leaving")

    response = admin_client.post(reverse("web:org_user_deactivate", args=[rep.pk]))

    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.is_active is False
    assert User.objects.filter(username="leaving").count() == 1


def test_password_is_set_and_validated(admin_client):
    rep = UserFactory(username="forgetful")
    url = reverse("web:org_user_password", args=[rep.pk])

    weak = admin_client.post(url, {"new_password1": "password", "new_password2": "password"})
    strong = admin_client.post(
        url, {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD}
    )

    assert weak.status_code == 400
    assert "This password is too common." in weak.context["form"].errors["new_password2"]
    assert strong.status_code == 302
    rep.refresh_from_db()
    assert rep.check_password(STRONG_PASSWORD)


def test_staff_who_are_not_superusers_cannot_change_a_superuser(client_for, admin_user):
    staff = UserFactory(username="helpdesk", is_staff=True)
    client = client_for(staff)

    password = client.post(
        reverse("web:org_user_password", args=[admin_user.pk]),
        {"new_password1": STRONG_PASSWORD, "new_password2": STRONG_PASSWORD},
    )
    deactivate = client.post(reverse("web:org_user_deactivate", args=[admin_user.pk]))

    assert (password.status_code, deactivate.status_code) == (403, 403)
    admin_user.refresh_from_db()
    assert admin_user.is_active is True
    assert admin_user.check_password("secret-pass-123")


def test_user_list_filters_by_department_and_searches(admin_client):
    sales = DepartmentFactory(name="销售部")
    UserFactory(username="zhangwei", display_name="张伟", department=sales)
    UserFactory(username="lina", display_name="李娜", department=sales)
    UserFactory(username="other", display_name="张三")
    url = reverse("web:org_user_list")

    by_department = admin_client.get(url, {"department": sales.pk})
    by_name = admin_client.get(url, {"q": "张"})
    both = admin_client.get(url, {"q": "张", "department": sales.pk})

    def usernames(response):
        return [item.username for item in response.context["page"]]

    assert usernames(by_department) == ["lina", "zhangwei"]
    assert usernames(by_name) == ["other", "zhangwei"]
    assert usernames(both) == ["zhangwei"]
    assert b'data-testid="users"' in by_name.content


# --- Roles ------------------------------------------------------------------------------


def test_role_matrix_is_saved_and_grants_access_to_accounts(admin_client, user, client_for):
    other = UserFactory(username="no-role")
    assert client_for(user).get("/accounts/").status_code == 403

    response = admin_client.post(
        reverse("web:org_role_create"),
        {
            "name": "Sales rep",
            "description": "客户管理",
            **matrix(account=(["view", "create"], "department"), contact=([], "all")),
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(name="Sales rep")
    assert list(role.permissions.values_list("entity", "actions", "scope")) == [
        ("account", ["view", "create"], "department")
    ]
    admin_client.post(
        reverse("web:org_user_edit", args=[user.pk]),
        {"roles": [role.pk], "language": "en", "is_active": "on"},
    )
    assert client_for(user).get("/accounts/").status_code == 200
    assert client_for(other).get("/accounts/").status_code == 403
    listed = admin_client.get(reverse("web:org_role_list")).context["rows"]
    assert [(row["role"].name, row["role"].user_count) for row in listed] == [("Sales rep", 1)]


def test_role_matrix_edit_replaces_the_grants(admin_client):
    role = Role.objects.create(name="Support")
    RolePermission.objects.create(role=role, entity="account", actions=["view"], scope="all")

    page = admin_client.get(reverse("web:org_role_edit", args=[role.pk]))
    response = admin_client.post(
        reverse("web:org_role_edit", args=[role.pk]),
        {"name": "Support desk", **matrix(contact=(["view", "edit"], "department_tree"))},
    )

    matrix_form = page.context["matrix"]
    assert matrix_form["account-view"].initial is True
    assert matrix_form["account-scope"].initial == "all"
    assert b'data-testid="permission-matrix"' in page.content
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.name == "Support desk"
    assert list(role.permissions.values_list("entity", "actions", "scope")) == [
        ("contact", ["view", "edit"], "department_tree")
    ]


def test_role_with_an_unknown_scope_changes_nothing(admin_client):
    role = Role.objects.create(name="Support")
    RolePermission.objects.create(role=role, entity="account", actions=["view"], scope="all")

    response = admin_client.post(
        reverse("web:org_role_edit", args=[role.pk]),
        {"name": "Changed", **matrix(account=(["edit"], "galaxy"))},
    )

    assert response.status_code == 400
    assert "account-scope" in response.context["matrix"].errors
    role.refresh_from_db()
    assert role.name == "Support"
    assert list(role.permissions.values_list("entity", "actions", "scope")) == [
        ("account", ["view"], "all")
    ]


def test_a_role_given_to_users_cannot_be_deleted(admin_client, user):
    role = grant(user, "account")

    refused = admin_client.post(reverse("web:org_role_delete", args=[role.pk]))
    user.roles.clear()
    deleted = admin_client.post(reverse("web:org_role_delete", args=[role.pk]))

    assert refused.status_code == 400
    assert refused.context["blocked"] == "1 user has this role. Take it away from them first."
    assert deleted.status_code == 302
    assert Role.objects.count() == 0
    assert RolePermission.objects.count() == 0


# --- Teams and territories --------------------------------------------------------------


def test_team_is_created_edited_and_deleted(admin_client):
    department = DepartmentFactory(name="大客户部")
    leader = UserFactory(username="leader")
    member = UserFactory(username="member")

    created = admin_client.post(
        reverse("web:org_team_create"),
        {
            "name": "KA Team",
            "department": department.pk,
            "leader": leader.pk,
            "members": [leader.pk, member.pk],
        },
    )
    team = Team.objects.get(name="KA Team")
    edited = admin_client.post(
        reverse("web:org_team_edit", args=[team.pk]), {"name": "KA 团队", "members": [member.pk]}
    )
    team.refresh_from_db()
    members_after_edit = list(team.members.all())
    deleted = admin_client.post(reverse("web:org_team_delete", args=[team.pk]))

    assert (created.status_code, edited.status_code, deleted.status_code) == (302, 302, 302)
    assert (team.name, team.department, team.leader) == ("KA 团队", None, None)
    assert members_after_edit == [member]
    assert Team.objects.count() == 0
    assert User.objects.filter(username__in=["leader", "member"]).count() == 2


def test_team_names_are_unique(admin_client):
    TeamFactory(name="KA Team")

    response = admin_client.post(reverse("web:org_team_create"), {"name": "KA Team"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["Team with this Name already exists."]}
    assert Team.objects.count() == 1


def test_territory_tree_is_listed_in_order_and_cycles_are_refused(admin_client):
    url = reverse("web:org_territory_create")
    admin_client.post(url, {"name": "华东", "code": "EC", "regions": "上海\n江苏\n浙江"})
    east = Territory.objects.get(name="华东")
    admin_client.post(url, {"name": "上海", "parent": east.pk})
    shanghai = Territory.objects.get(name="上海")
    admin_client.post(url, {"name": "Americas"})

    listed = admin_client.get(reverse("web:org_territory_list")).context["territories"]
    cycle = admin_client.post(
        reverse("web:org_territory_edit", args=[east.pk]),
        {"name": "华东", "parent": shanghai.pk},
    )

    assert [(territory.name, territory.depth) for territory in listed] == [
        ("Americas", 0),
        ("华东", 0),
        ("上海", 1),
    ]
    assert cycle.status_code == 400
    assert cycle.context["form"].errors == {
        "parent": ["A territory cannot be placed under itself or one of its own."]
    }
    east.refresh_from_db()
    assert (east.parent, east.regions) == (None, "上海\n江苏\n浙江")


def test_a_territory_with_sub_territories_cannot_be_deleted(admin_client):
    parent = Territory.objects.create(name="华北")
    Territory.objects.create(name="北京", parent=parent)

    response = admin_client.post(reverse("web:org_territory_delete", args=[parent.pk]))

    assert response.status_code == 400
    assert response.context["blocked"] == (
        "This territory has sub-territories. Move or delete them first."
    )
    assert Territory.objects.count() == 2
