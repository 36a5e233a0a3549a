"""Creating care tasks: yearly dates, leap days, events, narrowing, idempotence."""

import datetime
import zoneinfo

import pytest
from django.core.management import call_command

from guanxi.activities.models import Activity
from guanxi.activities.services import activity_set_status
from guanxi.activities.tests.factories import ActivityFactory
from guanxi.core.models import CustomField, Team
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.service import occasions
from guanxi.service.models import CareTask
from guanxi.service.services import care_run
from guanxi.service.tests.factories import CarePlanFactory, MessageTemplateFactory

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rep(db):
    user = UserFactory(username="wang.fang", display_name="王芳", time_zone="Asia/Shanghai")
    grant(user, "activity", scope="own")
    return user


def test_birthday_task_is_created_the_days_before_once(rep):
    contact = ContactFactory(name="张伟", owner=rep, birthday=datetime.date(1985, 6, 15))
    ContactFactory(name="李娜", owner=rep, birthday=datetime.date(1990, 6, 19))
    plan = CarePlanFactory(days_before=3, priority="high")

    assert care_run(day=datetime.date(2026, 6, 11)).created == 0
    result = care_run(day=datetime.date(2026, 6, 12))
    again = care_run(day=datetime.date(2026, 6, 12))
    next_day = care_run(day=datetime.date(2026, 6, 13))

    assert (result.created, again.created, again.existing, next_day.created) == (1, 0, 1, 0)
    care = CareTask.objects.get()
    assert (care.plan, care.contact, care.link_entity, care.link_id) == (
        plan,
        contact,
        "contact",
        contact.pk,
    )
    assert (care.occasion_date, care.due_date, care.owner, care.status) == (
        datetime.date(2026, 6, 15),
        datetime.date(2026, 6, 12),
        rep,
        "open",
    )
    task = care.activity
    assert (task.kind, task.status, task.priority, task.subject) == (
        "task",
        "planned",
        "high",
        "给张伟送生日祝福",
    )
    assert task.due_at == datetime.datetime(2026, 6, 12, 9, tzinfo=SHANGHAI)
    assert (task.link_entity, task.link_id, task.account_id) == (
        "contact",
        contact.pk,
        contact.account_id,
    )
    assert Activity.objects.count() == 1


def test_a_missed_day_is_made_up_for_and_due_no_earlier_than_the_run(rep):
    ContactFactory(owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(days_before=3)

    assert care_run(day=datetime.date(2026, 6, 14)).created == 1
    assert CareTask.objects.get().due_date == datetime.date(2026, 6, 14)


def test_leap_day_birthdays_fall_on_28_february_in_other_years(rep):
    leap = ContactFactory(name="刘洋", owner=rep, birthday=datetime.date(1996, 2, 29))
    ContactFactory(name="陈静", owner=rep, birthday=datetime.date(1990, 3, 1))
    CarePlanFactory(days_before=0)

    assert care_run(day=datetime.date(2027, 2, 27)).created == 0
    assert care_run(day=datetime.date(2027, 2, 28)).created == 1
    assert CareTask.objects.get().contact == leap
    assert CareTask.objects.get().occasion_date == datetime.date(2027, 2, 28)
    # In a leap year the day itself; nobody gets a second task on the 28th.
    assert care_run(day=datetime.date(2028, 2, 28)).created == 0
    assert care_run(day=datetime.date(2028, 2, 29)).created == 1
    assert sorted(CareTask.objects.values_list("occasion_date", flat=True)) == [
        datetime.date(2027, 2, 28),
        datetime.date(2028, 2, 29),
    ]


def test_window_across_the_new_year(rep):
    ContactFactory(name="赵磊", owner=rep, birthday=datetime.date(1970, 1, 2))
    ContactFactory(name="孙丽", owner=rep, birthday=datetime.date(1980, 12, 30))
    CarePlanFactory(days_before=7)

    assert care_run(day=datetime.date(2026, 12, 28)).created == 2
    assert sorted(CareTask.objects.values_list("occasion_date", flat=True)) == [
        datetime.date(2026, 12, 30),
        datetime.date(2027, 1, 2),
    ]


def test_inactive_plan_creates_nothing(rep):
    ContactFactory(owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(days_before=3, is_active=False)

    assert care_run(day=datetime.date(2026, 6, 12)).created == 0
    assert (CareTask.objects.count(), Activity.objects.count()) == (0, 0)


def test_plan_narrowed_by_customer_grade_and_tag(rep):
    from guanxi.core import grouping, registry

    vip = AccountFactory(owner=rep, grade="vip")
    ordinary = AccountFactory(owner=rep, grade="ordinary")
    tagged = AccountFactory(owner=rep, grade="vip")
    birthday = datetime.date(1985, 6, 15)
    in_vip = ContactFactory(account=vip, owner=rep, birthday=birthday)
    ContactFactory(account=ordinary, owner=rep, birthday=birthday)
    in_tagged = ContactFactory(account=tagged, owner=rep, birthday=birthday)
    grouping.record_tags_set(
        actor=rep, entity=registry.get("account"), instance=tagged, names=["老客户"]
    )
    by_grade = CarePlanFactory(account_filters={"grade": ["vip"]})
    by_tag = CarePlanFactory(account_filters={"tag": ["老客户"], "grade": ["vip"]})

    care_run(day=datetime.date(2026, 6, 12))

    assert sorted(CareTask.objects.filter(plan=by_grade).values_list("contact", flat=True)) == [
        in_vip.pk,
        in_tagged.pk,
    ]
    assert list(CareTask.objects.filter(plan=by_tag).values_list("contact", flat=True)) == [
        in_tagged.pk
    ]


def test_anniversary_in_a_customer_date_custom_field(rep):
    CustomField.objects.create(
        entity="account",
        key="cooperation_since",
        label_en="Cooperation since",
        label_zh="合作开始日期",
        field_type="date",
    )
    account = AccountFactory(
        name="上海明远贸易有限公司", owner=rep, custom={"cooperation_since": "2019-09-10"}
    )
    AccountFactory(owner=rep, custom={"cooperation_since": "2019-09-20"})
    plan = CarePlanFactory(
        audience="account",
        date_field="custom.cooperation_since",
        days_before=5,
        subject="{{ account.name }} 合作周年",
    )
    assert ("account:custom.cooperation_since", "Customer · Cooperation since") in (
        occasions.all_date_field_choices()
    )

    assert care_run(day=datetime.date(2026, 9, 5)).created == 1
    care = CareTask.objects.get(plan=plan)
    assert (care.account, care.contact, care.link_entity, care.occasion_date) == (
        account,
        None,
        "account",
        datetime.date(2026, 9, 10),
    )
    assert care.activity.subject == "上海明远贸易有限公司 合作周年"


def test_team_round_robin_and_named_user(rep):
    first, second = UserFactory(username="a.one"), UserFactory(username="b.two")
    team = Team.objects.create(name="关怀小组")
    team.members.set([first, second])
    for name in ("甲", "乙", "丙"):
        ContactFactory(name=name, owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(assign_to="team", team=team, days_before=0)

    care_run(day=datetime.date(2026, 6, 15))

    owners = list(CareTask.objects.order_by("contact_id").values_list("owner__username", flat=True))
    assert owners == ["a.one", "b.two", "a.one"]


def test_care_run_command(rep, capsys):
    ContactFactory(owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(days_before=3)

    call_command("care_run", "--date", "2026-06-12")
    call_command("care_run", "--date", "2026-06-12")

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Created 1 care tasks; 0 existed already; 0 had nobody to do them.",
        "Created 0 care tasks; 1 existed already; 0 had nobody to do them.",
    ]


def test_event_plan_first_visit_only(rep, django_capture_on_commit_callbacks):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    plan = CarePlanFactory(
        occasion="event",
        audience="account",
        date_field="",
        event_type="activity.visit_done",
        days_after=2,
        first_only=True,
        subject="回访 {{ account.name }}",
    )
    visits = [
        ActivityFactory(kind="visit", owner=rep, link_entity="account", link_id=account.pk)
        for _ in range(2)
    ]
    for visit in visits:
        visit.account = account
        visit.save()

    with django_capture_on_commit_callbacks(execute=True):
        activity_set_status(actor=rep, activity=visits[0], status="done")
    with django_capture_on_commit_callbacks(execute=True):
        activity_set_status(actor=rep, activity=visits[1], status="done")

    care = CareTask.objects.get(plan=plan)
    done_on = visits[0].starts_at.astimezone(SHANGHAI).date()
    assert (care.account, care.link_entity) == (account, "account")
    assert (care.occasion_date, care.due_date) == (done_on, done_on + datetime.timedelta(days=2))
    assert care.activity.subject == "回访 杭州云帆科技有限公司"


def test_event_plan_every_time_and_contact_created(rep, django_capture_on_commit_callbacks):
    from guanxi.core import registry
    from guanxi.core.services import record_written

    every = CarePlanFactory(
        occasion="event", date_field="", event_type="contact.created", days_after=1
    )
    account = AccountFactory(owner=rep)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("张伟", "李娜"):
            contact = ContactFactory(account=account, owner=rep, name=name)
            record_written(
                actor=rep,
                entity=registry.get("contact"),
                instance=contact,
                action="create",
                changes={},
            )

    assert sorted(CareTask.objects.filter(plan=every).values_list("contact__name", flat=True)) == [
        "张伟",
        "李娜",
    ]


def test_template_text_is_on_the_task(rep):
    template = MessageTemplateFactory(
        subject="{{ contact.name }}，生日快乐", body="祝{{ contact.name }}生日快乐！"
    )
    ContactFactory(name="张伟", owner=rep, birthday=datetime.date(1985, 6, 15))
    CarePlanFactory(days_before=0, template=template)

    care_run(day=datetime.date(2026, 6, 15))

    description = CareTask.objects.get().activity.description
    assert "张伟，生日快乐" in description
    assert "<p>祝张伟生日快乐！</p>" in description
