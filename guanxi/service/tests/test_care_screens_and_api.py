"""Care screens and API: plans, the suggested message sent over SMTP, statistics, scope."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guanxi.activities.models import Activity
from guanxi.activities.services import activity_set_status
from guanxi.api.auth import token_create
from guanxi.core.models import Department
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import ContactFactory
from guanxi.service.models import CarePlan, CareTask
from guanxi.service.services import care_run
from guanxi.service.tests.factories import CarePlanFactory, MessageTemplateFactory


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user)}"}


@pytest.fixture
def rep(db):
    user = UserFactory(username="wang.fang", display_name="王芳", email="wang.fang@huaxin.cn")
    grant(user, "activity", scope="own")
    grant(user, "contact", scope="own")
    return user


@pytest.mark.django_db(transaction=True)
def test_sending_the_suggested_message_emails_the_contact_and_marks_care_done(
    smtp_server, rep, client_for
):
    template = MessageTemplateFactory(
        subject="{{ contact.name }}，生日快乐",
        body="亲爱的{{ contact.name }}：\n生日快乐！\n{{ user.name }}",
    )
    today = timezone.localdate()
    contact = ContactFactory(
        name="张伟", owner=rep, email="zhang.wei@example.cn", birthday=today.replace(year=1988)
    )
    CarePlanFactory(days_before=0, template=template)
    care_run(day=today)
    care = CareTask.objects.get()
    client = client_for(rep)

    page = client.get(f"/care/tasks/{care.pk}/")
    assert page.status_code == 200
    assert "亲爱的张伟：\n生日快乐！\n王芳</textarea>" in page.content.decode()
    response = client.post(
        f"/care/tasks/{care.pk}/",
        {"subject": "张伟，生日快乐", "body": "亲爱的张伟：\n生日快乐！\n王芳"},
    )

    assert response.status_code == 302
    assert [item["to"] for item in smtp_server.messages] == [["zhang.wei@example.cn"]]
    email = smtp_server.messages[0]["email"]
    assert email["Subject"] == "张伟，生日快乐"
    assert email.get_content().replace("\r\n", "\n").strip() == "亲爱的张伟：\n生日快乐！\n王芳"
    care.refresh_from_db()
    assert (care.status, care.done_on_time, care.message.status) == ("done", True, "sent")
    assert care.activity.status == "done"
    assert (
        Activity.objects.filter(kind="email", link_entity="contact", link_id=contact.pk).count()
        == 1
    )


@pytest.mark.django_db(transaction=True)
def test_sending_through_the_api_and_a_contact_without_address(smtp_server, rep, client):
    template = MessageTemplateFactory(subject="Happy birthday", body="Dear {{ contact.name }}")
    ContactFactory(name="Li Na", owner=rep, email="", birthday=datetime.date(1990, 6, 15))
    ContactFactory(
        name="John Smith", owner=rep, email="john@example.com", birthday=datetime.date(1990, 6, 15)
    )
    CarePlanFactory(days_before=0, template=template)
    care_run(day=datetime.date(2026, 6, 15))
    without, with_address = (
        CareTask.objects.order_by("contact__name")[1],
        CareTask.objects.order_by("contact__name")[0],
    )
    headers = _auth(rep)

    detail = client.get(f"/api/v1/care-tasks/{with_address.pk}", **headers).json()
    refused = client.post(
        f"/api/v1/care-tasks/{without.pk}/send", {}, content_type="application/json", **headers
    )
    sent = client.post(
        f"/api/v1/care-tasks/{with_address.pk}/send",
        {"body": "Dear John, many happy returns!"},
        content_type="application/json",
        **headers,
    )

    assert detail["suggested_message"] == {
        "channel": "email",
        "to_address": "john@example.com",
        "subject": "Happy birthday",
        "body": "Dear John Smith",
    }
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Li Na has no email address."
    assert CareTask.objects.get(pk=without.pk).status == "open"
    assert sent.status_code == 202
    assert sent.json()["care_task"]["status"] == "done"
    assert (
        smtp_server.messages[0]["email"].get_content().strip() == "Dear John, many happy returns!"
    )


def _care(plan, owner, *, due, status="open", on_time=False):
    contact = ContactFactory(owner=owner)
    activity = Activity.objects.create(kind="task", subject="care", owner=owner)
    return CareTask.objects.create(
        plan=plan,
        link_entity="contact",
        link_id=contact.pk,
        contact=contact,
        account=contact.account,
        occasion_date=due,
        due_date=due,
        activity=activity,
        owner=owner,
        status=status,
        done_on_time=on_time,
        done_at=timezone.now() if status == "done" else None,
    )


def test_statistics_on_a_hand_computed_example_and_scope(rep, client_for, client):
    sales = Department.objects.create(name="华东销售部")
    manager = UserFactory(username="zhang.manager", department=sales)
    grant(manager, "activity", scope="department")
    rep.department = sales
    rep.save()
    other = UserFactory(username="li.other", department=Department.objects.create(name="华南"))
    birthday, followup = CarePlanFactory(name="生日关怀"), CarePlanFactory(name="回访关怀")
    june = datetime.date(2026, 6, 10)
    # 王芳: 4 due in June — 2 done (1 on time), 1 overdue (before 20 June), 1 open later.
    _care(birthday, rep, due=june, status="done", on_time=True)
    _care(birthday, rep, due=june, status="done", on_time=False)
    _care(followup, rep, due=june, status="open")
    _care(followup, rep, due=datetime.date(2026, 6, 25), status="open")
    # Outside the period, and someone else's.
    _care(birthday, rep, due=datetime.date(2026, 7, 1), status="done", on_time=True)
    _care(birthday, other, due=june, status="done", on_time=True)
    _care(birthday, manager, due=june, status="cancelled")
    params = "?start=2026-06-01&end=2026-06-30"

    from guanxi.service.queries import care_stats

    stats = care_stats(
        rep,
        start=datetime.date(2026, 6, 1),
        end=datetime.date(2026, 6, 30),
        today=datetime.date(2026, 6, 20),
    )
    assert [
        (r.label, r.created, r.done, r.on_time, r.overdue, r.done_rate) for r in stats.owners
    ] == [("王芳", 4, 2, 1, 1, 50)]
    assert [(r.label, r.created, r.done, r.on_time) for r in stats.plans] == [
        ("回访关怀", 2, 0, 0),
        ("生日关怀", 2, 2, 1),
    ]
    as_manager = client.get("/api/v1/care-stats" + params, **_auth(manager)).json()
    assert [(row["name"], row["created"], row["cancelled"]) for row in as_manager["owners"]] == [
        ("zhang.manager", 1, 1),
        ("王芳", 4, 0),
    ]
    assert as_manager["total"]["created"] == 5
    as_rep = client.get("/api/v1/care-tasks?due_from=2026-06-01&due_to=2026-06-30", **_auth(rep))
    assert as_rep.json()["count"] == 4
    assert {item["owner"] for item in as_rep.json()["items"]} == {rep.pk}
    page = client_for(rep).get("/care/stats/" + params)
    assert page.status_code == 200
    assert "li.other" not in page.content.decode()
    foreign = CareTask.objects.filter(owner=other).first()
    assert client_for(rep).get(f"/care/tasks/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/v1/care-tasks/{foreign.pk}", **_auth(rep)).status_code == 404


def test_query_counts_of_lists_do_not_grow_with_rows(rep, client_for, client):
    plan = CarePlanFactory()
    day = datetime.date(2026, 6, 10)
    for _ in range(3):
        _care(plan, rep, due=day)
    headers = _auth(rep)
    browser = client_for(rep)

    def count(url, api=False):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers) if api else browser.get(url)
        assert response.status_code == 200
        return len(queries)

    count("/api/v1/care-tasks", True)
    small = (
        count("/api/v1/care-tasks", True),
        count("/care/?date=2026-06-10"),
        count("/care/stats/?start=2026-06-01&end=2026-06-30"),
    )
    for _ in range(10):
        _care(plan, rep, due=day)
    large = (
        count("/api/v1/care-tasks", True),
        count("/care/?date=2026-06-10"),
        count("/care/stats/?start=2026-06-01&end=2026-06-30"),
    )
    assert small == large


def test_plan_settings_screens_and_preview(admin_client, admin_user):
    rep = UserFactory(username="chen.jing")
    ContactFactory(
        name="赵磊", owner=rep, birthday=timezone.localdate() + datetime.timedelta(days=4)
    )
    template = MessageTemplateFactory()

    invalid = admin_client.post(
        "/settings/care-plans/new/",
        {
            "name": "生日",
            "occasion": "yearly",
            "audience": "contact",
            "assign_to": "user",
            "subject": "{{ contact.nickname }}",
            "priority": "normal",
            "days_before": "0",
            "days_after": "0",
        },
    )
    assert invalid.status_code == 400
    assert CarePlan.objects.count() == 0
    text = invalid.content.decode()
    assert "Choose the date that comes back every year." in text
    assert "Unknown placeholders: contact.nickname." in text
    assert "Choose the user who gets the tasks." in text

    saved = admin_client.post(
        "/settings/care-plans/new/",
        {
            "name": "生日关怀",
            "is_active": "on",
            "occasion": "yearly",
            "yearly_date": "contact:birthday",
            "audience": "contact",
            "days_before": "3",
            "days_after": "0",
            "assign_to": "owner",
            "subject": "祝{{ contact.name }}生日快乐",
            "priority": "high",
            "template": template.pk,
            "grades": [],
        },
    )
    plan = CarePlan.objects.get()
    assert saved.status_code == 302
    assert (plan.audience, plan.date_field, plan.days_before, plan.created_by) == (
        "contact",
        "birthday",
        3,
        admin_user,
    )
    preview = admin_client.get(f"/settings/care-plans/{plan.pk}/preview/").content.decode()
    assert "赵磊" in preview and "chen.jing" in preview
    assert CareTask.objects.count() == 0
    assert "生日关怀" in admin_client.get("/settings/care-plans/").content.decode()


def test_plan_api_crud_and_validation(admin_user, rep, client):
    headers = _auth(admin_user)
    created = client.post(
        "/api/v1/care-plans",
        {
            "name": "首次拜访回访",
            "occasion": "event",
            "audience": "account",
            "event_type": "activity.visit_done",
            "days_after": 3,
            "first_only": True,
            "subject": "回访 {{ account.name }}",
        },
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["event_type"], body["days_after"], body["first_only"], body["is_active"]) == (
        "activity.visit_done",
        3,
        True,
        True,
    )
    changed = client.patch(
        f"/api/v1/care-plans/{body['id']}",
        {"account_filters": {"grade": ["vip"]}, "is_active": False},
        content_type="application/json",
        **headers,
    )
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["account_filters"], changed.json()["is_active"]) == (
        {"grade": ["vip"]},
        False,
    )
    bad = client.post(
        "/api/v1/care-plans",
        {"name": "x", "occasion": "event", "event_type": "order.teleported", "subject": "x"},
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 400
    assert bad.json()["errors"]["event_type"] == ["Choose the event to follow up."]
    denied = client.post(
        "/api/v1/care-plans", {"name": "x"}, content_type="application/json", **_auth(rep)
    )
    assert denied.status_code == 403
    assert client.get("/api/v1/care-plans", **_auth(rep)).json()["count"] == 1
    assert client.delete(f"/api/v1/care-plans/{body['id']}", **headers).status_code == 204
    assert CarePlan.objects.count() == 0


def test_completing_the_task_elsewhere_marks_care_done(rep, django_capture_on_commit_callbacks):
    ContactFactory(owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(days_before=0)
    care_run(day=datetime.date(2026, 6, 15))
    care = CareTask.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        activity_set_status(actor=rep, activity=care.activity, status="done")

    care.refresh_from_db()
    assert care.status == "done"
    assert care.done_at == Activity.objects.get(pk=care.activity_id).completed_at
