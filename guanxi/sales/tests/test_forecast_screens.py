"""The funnel, forecast and targets screens and their API, as users with different scopes."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guanxi.core.tests.factories import DepartmentFactory, UserFactory, grant
from guanxi.sales import forecast_services
from guanxi.sales.forecast_periods import parse_period
from guanxi.sales.models import ForecastOverride, Target
from guanxi.sales.tests.factories import PipelineFactory
from guanxi.sales.tests.forecast_helpers import deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """Build 销售部 (managed by boss) → 一组 with the reps ren and sun, and a few deals."""
    boss = UserFactory(username="boss", first_name="总", last_name="王")
    sales = DepartmentFactory(name="销售部")
    sales.manager = boss
    sales.save()
    group = DepartmentFactory(name="一组", parent=sales)
    boss.department = sales
    boss.save()
    ren = UserFactory(username="ren", department=group)
    sun = UserFactory(username="sun", department=group)
    grant(boss, "opportunity", ["view"], scope="department_tree")
    grant(ren, "opportunity", ["view"], scope="own")
    grant(sun, "opportunity", ["view"], scope="own")
    pipeline = PipelineFactory(is_default=True)
    close = datetime.date(2026, 11, 20)
    deal(ren, pipeline, 2, 200000, forecast_category="commit", probability=60, expected_close=close)
    deal(sun, pipeline, 3, 500000, forecast_category="commit", probability=80, expected_close=close)
    return {
        "boss": boss,
        "ren": ren,
        "sun": sun,
        "sales": sales,
        "group": group,
        "pipeline": pipeline,
    }


FUNNEL = "start=2026-01-01&end=2026-12-31"


def test_the_funnel_page_and_api_count_only_visible_deals(team, client_for):
    page = client_for(team["ren"]).get(f"/sales/funnel/?{FUNNEL}")
    assert page.status_code == 200
    chart = json.loads(page.context["chart"])
    assert [stage["value"] for stage in chart] == [1, 1, 1, 0, 0]
    api = client_for(team["ren"]).get(f"/api/v1/sales/funnel?{FUNNEL}").json()
    assert [stage["count"] for stage in api["stages"]] == [1, 1, 1, 0, 0]
    assert api["stages"][0]["amount"] == "200000.00"
    boss = client_for(team["boss"]).get(f"/api/v1/sales/funnel?{FUNNEL}").json()
    assert [stage["count"] for stage in boss["stages"]] == [2, 2, 2, 1, 0]


def test_the_funnel_drill_down_lists_the_deals_of_a_bar(team, client_for):
    stage = team["pipeline"].stages.get(position=3)
    page = client_for(team["ren"]).get(f"/sales/funnel/deals/?{FUNNEL}&stage={stage.pk}")
    assert page.status_code == 200
    assert list(page.context["deals"]) == []
    boss = client_for(team["boss"])
    assert [
        d.amount
        for d in boss.get(f"/sales/funnel/deals/?{FUNNEL}&stage={stage.pk}").context["deals"]
    ] == [Decimal("500000.00")]
    api = boss.get(f"/api/v1/sales/funnel/deals?{FUNNEL}&stage={stage.pk}").json()
    assert api["count"] == 1 and api["items"][0]["amount"] == "500000.00"


def test_bad_funnel_parameters_answer_a_clear_error(team, client_for):
    client = client_for(team["ren"])
    response = client.get("/api/v1/sales/funnel?start=2026-13-01")
    assert response.status_code == 400
    assert response.json()["errors"] == {"start": ["Give a date as YYYY-MM-DD."]}
    assert client.get("/sales/funnel/?scope=team").status_code == 400
    nobody = UserFactory(username="nobody")
    assert client_for(nobody).get("/api/v1/sales/funnel").status_code == 403
    assert client_for(nobody).get("/sales/funnel/").status_code == 403


def test_the_forecast_page_and_api(team, client_for):
    boss = client_for(team["boss"])
    page = boss.get("/sales/forecast/?period=2026-Q4")
    assert page.status_code == 200
    assert page.context["forecast"].root.figures.commit == Decimal("700000.00")
    body = boss.get("/api/v1/sales/forecast?period=2026-Q4").json()
    assert [(row["name"], row["commit"]) for row in body["rows"] if row["kind"] != "user"] == [
        ("Whole company", "700000.00"),
        ("销售部", "700000.00"),
        ("一组", "700000.00"),
    ]
    rep = client_for(team["ren"]).get("/api/v1/sales/forecast?period=2026-Q4").json()
    assert [row["commit"] for row in rep["rows"]] == ["200000.00", "200000.00"]
    assert (
        client_for(team["ren"])
        .get(f"/api/v1/sales/forecast?department={team['sales'].pk}")
        .status_code
        == 404
    )
    bad = boss.get("/api/v1/sales/forecast?period=2026-Q5")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["period"]


def test_a_manager_adjusts_a_figure_on_the_screen_and_through_the_api(team, client_for):
    boss = client_for(team["boss"])
    response = boss.post(
        "/sales/forecast/adjust/",
        {
            "subject": f"user-{team['ren'].pk}",
            "period": "2026-Q4",
            "figure": "commit",
            "new_amount": "150,000",
            "comment": "客户预算推迟",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "客户预算推迟" in response.content.decode()
    override = ForecastOverride.objects.get()
    assert (override.old_amount, override.new_amount, override.created_by) == (
        Decimal("200000.00"),
        Decimal("150000.00"),
        team["boss"],
    )
    api = boss.post(
        "/api/v1/sales/forecast/adjustments",
        {
            "period": "2026-Q4",
            "figure": "best_case",
            "new_amount": "0",
            "comment": "没戏",
            "department": team["group"].pk,
        },
        content_type="application/json",
    )
    assert api.status_code == 201 and api.json()["old_amount"] == "700000.00"
    rows = {
        row["key"]: row for row in boss.get("/api/v1/sales/forecast?period=2026-Q4").json()["rows"]
    }
    assert rows[f"user-{team['ren'].pk}"]["adjusted"]["commit"] == "150000.00"
    assert rows[f"department-{team['group'].pk}"]["adjusted"]["commit"] == "650000.00"
    assert rows[f"department-{team['group'].pk}"]["adjusted"]["best_case"] == "0.00"
    assert [a["comment"] for a in rows[f"user-{team['ren'].pk}"]["adjustments"]] == ["客户预算推迟"]


def test_a_rep_may_not_adjust_and_nothing_is_written(team, client_for):
    rep = client_for(team["ren"])
    response = rep.post(
        "/api/v1/sales/forecast/adjustments",
        {"period": "2026-Q4", "new_amount": "1", "comment": "x", "user": team["sun"].pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    missing = client_for(team["boss"]).post(
        "/api/v1/sales/forecast/adjustments",
        {"period": "2026-Q4", "new_amount": "1", "comment": "", "user": team["ren"].pk},
        content_type="application/json",
    )
    assert missing.status_code == 400 and list(missing.json()["errors"]) == ["comment"]
    assert ForecastOverride.objects.count() == 0


def test_targets_api_scope(team, client_for):
    boss, rep = client_for(team["boss"]), client_for(team["ren"])
    created = boss.post(
        "/api/v1/targets",
        {
            "period_type": "month",
            "period_start": "2026-11-01",
            "amount": "150000",
            "user": team["ren"].pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    boss.post(
        "/api/v1/targets",
        {
            "period_type": "quarter",
            "period_start": "2026-10-01",
            "amount": "900000",
            "user": team["sun"].pk,
        },
        content_type="application/json",
    )
    mine = rep.get("/api/v1/targets").json()
    assert [(t["user"], t["amount"], t["can_edit"]) for t in mine["items"]] == [
        (team["ren"].pk, "150000.00", False)
    ]
    assert boss.get("/api/v1/targets?year=2026").json()["count"] == 2
    target_id = created.json()["id"]
    refused = rep.patch(
        f"/api/v1/targets/{target_id}", {"amount": "1"}, content_type="application/json"
    )
    assert refused.status_code == 403
    own = rep.post(
        "/api/v1/targets",
        {
            "period_type": "month",
            "period_start": "2026-12-01",
            "amount": "1",
            "user": team["ren"].pk,
        },
        content_type="application/json",
    )
    assert own.status_code == 403
    sun_target = Target.objects.get(user=team["sun"])
    assert rep.get(f"/api/v1/targets/{sun_target.pk}").status_code == 404
    bad = boss.post(
        "/api/v1/targets",
        {
            "period_type": "quarter",
            "period_start": "2026-11-01",
            "amount": "1",
            "user": team["ren"].pk,
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["period_start"]
    changed = boss.patch(
        f"/api/v1/targets/{target_id}", {"amount": "160000"}, content_type="application/json"
    )
    assert changed.json()["amount"] == "160000.00"
    assert boss.delete(f"/api/v1/targets/{target_id}").status_code == 204
    assert Target.objects.filter(user=team["ren"]).count() == 0


def test_the_targets_grid_saves_a_managers_cells_only(team, client_for):
    boss = client_for(team["boss"])
    page = boss.get("/sales/targets/?year=2026")
    rows = {row.key: row for row in page.context["rows"]}
    assert rows[f"user-{team['ren'].pk}"].editable is True
    assert rows[f"user-{team['boss'].pk}"].editable is False
    response = boss.post(
        "/sales/targets/",
        {
            "year": "2026",
            f"cell-user-{team['ren'].pk}-1": "100000",
            f"cell-user-{team['ren'].pk}-2": "120,000",
            f"cell-user-{team['boss'].pk}-1": "999",
        },
    )
    assert response.status_code == 302
    assert sorted(Target.objects.values_list("user__username", "period_start", "amount")) == [
        ("ren", datetime.date(2026, 1, 1), Decimal("100000.00")),
        ("ren", datetime.date(2026, 2, 1), Decimal("120000.00")),
    ]
    bad = boss.post(
        "/sales/targets/",
        {
            "year": "2026",
            f"cell-user-{team['ren'].pk}-1": "",
            f"cell-user-{team['sun'].pk}-3": "abc",
        },
    )
    assert bad.status_code == 400
    assert Target.objects.count() == 2
    boss.post("/sales/targets/", {"year": "2026", f"cell-user-{team['ren'].pk}-1": ""})
    assert Target.objects.count() == 1
    rep_page = client_for(team["ren"]).get("/sales/targets/?year=2026")
    assert [(row.key, row.editable) for row in rep_page.context["rows"]] == [
        (f"department-{team['group'].pk}", False),
        (f"user-{team['ren'].pk}", False),
    ]


def test_the_forecast_api_query_count_does_not_grow_with_deals(team, client_for):
    boss = client_for(team["boss"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert boss.get("/api/v1/sales/forecast?period=2026-Q4").status_code == 200
        return len(queries)

    before = count()
    for _index in range(8):
        deal(team["ren"], team["pipeline"], 1, 1000, expected_close=datetime.date(2026, 12, 1))
    forecast_services.target_set(
        actor=team["boss"], period=parse_period("2026-Q4"), amount=Decimal(5), user=team["sun"]
    )
    assert count() == before


def test_the_targets_api_list_query_count_does_not_grow(team, client_for):
    boss = client_for(team["boss"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert boss.get("/api/v1/targets?year=2026").status_code == 200
        return len(queries)

    forecast_services.target_set(
        actor=team["boss"], period=parse_period("2026-01"), amount=Decimal(5), user=team["ren"]
    )
    before = count()
    for month in range(2, 10):
        for person in (team["ren"], team["sun"]):
            forecast_services.target_set(
                actor=team["boss"],
                period=parse_period(f"2026-{month:02d}"),
                amount=Decimal(month),
                user=person,
            )
    forecast_services.target_set(
        actor=team["boss"],
        period=parse_period("2026-Q1"),
        amount=Decimal(9),
        department=team["group"],
    )
    assert boss.get("/api/v1/targets?year=2026").json()["count"] == 18
    assert count() == before


def test_the_forecast_of_a_team_lists_its_visible_members(team, client_for):
    from guanxi.core.tests.factories import TeamFactory

    squad = TeamFactory(name="大客户攻坚组", department=team["group"])
    squad.members.set([team["ren"], team["sun"]])
    forecast_services.target_set(
        actor=team["boss"], period=parse_period("2026-Q4"), amount=Decimal(900000), team=squad
    )
    body = client_for(team["boss"]).get(f"/api/v1/sales/forecast?period=2026-Q4&team={squad.pk}")
    rows = body.json()["rows"]
    assert [(row["kind"], row["commit"], row["target"]) for row in rows] == [
        ("team", "700000.00", "900000.00"),
        ("user", "200000.00", None),
        ("user", "500000.00", None),
    ]
    page = client_for(team["boss"]).get(f"/sales/forecast/?period=2026-Q4&team={squad.pk}")
    assert page.status_code == 200 and "大客户攻坚组" in page.content.decode()
    assert client_for(team["boss"]).get("/sales/forecast/?team=999999").status_code == 404
