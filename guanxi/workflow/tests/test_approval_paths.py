"""Approval paths: steps in order, any/all, rejection, withdrawal, delegation, versions."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory
from guanxi.workflow import approval_services as services
from guanxi.workflow.approval_models import (
    ApprovalInstance,
    ApprovalStatus,
    ApprovalTask,
    TaskDecision,
)
from guanxi.workflow.tests.approval_helpers import Org, approve, deal, make_process, open_task, step

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def org():
    return Org()


def submit(org, process, record, actor=None):
    return services.approval_submit(
        actor=actor or org.rep, entity_name=process.entity, record=record, process=process
    )


def test_two_steps_run_in_order_manager_then_director_role(org):
    org.director.roles.add(org.director_role)
    org.director.department = org.east
    org.director.save()
    process = make_process(
        org, steps=[step("manager"), step("role", role=org.director_role.pk, name="总监")]
    )
    instance = submit(org, process, deal(org.rep))

    assert [t.assignee for t in instance.tasks.all()] == [org.manager]
    with pytest.raises(ApprovalTask.DoesNotExist):
        open_task(org.director, instance)
    approve(org.manager, instance, "同意")
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.PENDING
    assert instance.step_index == 1
    approve(org.director, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED
    assert instance.finished_at is not None
    trail = list(instance.tasks.values_list("assignee__username", "decision", "comment"))
    assert trail == [("wang.manager", "approved", "同意"), ("zhao.director", "approved", "")]


def test_all_must_approve_waits_for_every_holder_any_needs_one(org):
    second = UserFactory(username="sun.manager", department=org.east)
    for user in (org.manager, second):
        user.roles.add(org.director_role)
    all_process = make_process(
        org, name="all", steps=[step("role", mode="all", role=org.director_role.pk)]
    )
    instance = submit(org, all_process, deal(org.rep))
    approve(org.manager, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.PENDING
    approve(second, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED

    any_process = make_process(
        org, name="any", steps=[step("role", mode="any", role=org.director_role.pk)]
    )
    other = submit(org, any_process, deal(org.rep))
    approve(second, other)
    other.refresh_from_db()
    assert other.status == ApprovalStatus.APPROVED
    assert open_task_decision(other, org.manager) == TaskDecision.CLOSED


def open_task_decision(instance, user):
    return instance.tasks.get(assignee=user).decision


def test_rejection_needs_a_comment_and_ends_the_approval(org):
    process = make_process(org, steps=[step("manager"), step("manager_of_manager")])
    record = deal(org.rep)
    instance = submit(org, process, record)
    task = open_task(org.manager, instance)
    with pytest.raises(services.ApprovalError):
        services.approval_decide(actor=org.manager, task=task, approve=False, comment="  ")
    task.refresh_from_db()
    assert task.decision == TaskDecision.PENDING

    services.approval_decide(actor=org.manager, task=task, approve=False, comment="价格太低")
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.REJECTED
    assert not instance.tasks.filter(step_index=1).exists()
    notes = AuditEntry.objects.filter(entity="opportunity", object_id=record.pk).values_list(
        "changes", flat=True
    )
    assert any("价格太低" in (c.get("approval_note") or [None, ""])[1] for c in notes)


def test_only_the_assignee_decides(org):
    process = make_process(org)
    instance = submit(org, process, deal(org.rep))
    task = open_task(org.manager, instance)
    with pytest.raises(PermissionDenied):
        services.approval_decide(actor=org.director, task=task, approve=True)
    task.refresh_from_db()
    assert task.decision == TaskDecision.PENDING


def test_withdraw_by_the_requester_closes_open_tasks(org):
    process = make_process(org)
    instance = submit(org, process, deal(org.rep))
    with pytest.raises(PermissionDenied):
        services.approval_withdraw(actor=org.manager, instance=instance)
    services.approval_withdraw(actor=org.rep, instance=instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.WITHDRAWN
    assert instance.tasks.get().decision == TaskDecision.CLOSED
    with pytest.raises(services.ApprovalError):
        services.approval_withdraw(actor=org.rep, instance=instance)


def test_standing_delegation_sends_new_tasks_to_the_delegate(org):
    deputy = UserFactory(username="zhou.deputy")
    today = datetime.date(2026, 12, 2)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, tzinfo=SHANGHAI), tick=False):
        services.delegation_create(
            actor=org.manager,
            delegate=deputy,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=6),
        )
        instance = submit(org, make_process(org), deal(org.rep))
    task = instance.tasks.get()
    assert task.assignee == deputy
    assert task.delegated_from == org.manager
    approve(deputy, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED

    # After the delegation ends, tasks reach the manager again.
    with time_machine.travel(datetime.datetime(2026, 12, 9, 10, tzinfo=SHANGHAI), tick=False):
        later = submit(org, make_process(org, name="again"), deal(org.rep))
    assert later.tasks.get().assignee == org.manager


def test_delegating_one_task_keeps_on_whose_behalf(org):
    deputy = UserFactory(username="zhou.deputy")
    instance = submit(org, make_process(org), deal(org.rep))
    task = open_task(org.manager, instance)
    new = services.approval_task_delegate(
        actor=org.manager, task=task, delegate=deputy, comment="出差"
    )
    task.refresh_from_db()
    assert task.decision == TaskDecision.DELEGATED
    assert (new.assignee, new.delegated_from) == (deputy, org.manager)
    with pytest.raises(services.ApprovalError):
        services.approval_decide(actor=org.manager, task=task, approve=True)
    approve(deputy, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED


def test_a_running_instance_finishes_on_the_version_it_started_with(org):
    process = make_process(org, steps=[step("manager"), step("manager_of_manager")])
    record = deal(org.rep)
    first = submit(org, process, record)
    process = services.process_save(
        actor=org.admin, process=process, values={"steps": [step("user", user=org.vp.pk)]}
    )
    assert process.current_version.number == 2
    approve(org.manager, first)
    first.refresh_from_db()
    assert first.version.number == 1
    assert first.step_index == 1
    assert open_task(org.director, first)  # step 2 of version 1
    approve(org.director, first)
    first.refresh_from_db()
    assert first.status == ApprovalStatus.APPROVED

    second = submit(org, process, deal(org.rep))
    assert second.version.number == 2
    assert [t.assignee for t in second.tasks.all()] == [org.vp]


def test_saving_an_unchanged_definition_publishes_no_version(org):
    process = make_process(org)
    process = services.process_save(actor=org.admin, process=process, values={"name": "改名"})
    assert process.versions.count() == 1
    assert process.name == "改名"


def test_skip_when_the_approver_is_the_requester(org):
    process = make_process(org, steps=[step("manager"), step("user", user=org.vp.pk)])
    instance = submit(org, process, deal(org.manager), actor=org.manager)
    # The manager's own manager is the director; the named-user step is the VP.
    assert [t.assignee for t in instance.tasks.all()] == [org.director]

    own = make_process(
        org, name="own", steps=[step("user", user=org.rep.pk), step("user", user=org.vp.pk)]
    )
    instance = submit(org, own, deal(org.rep))
    assert [(t.step_index, t.assignee) for t in instance.tasks.all()] == [(1, org.vp)]

    kept = make_process(
        org, name="kept", steps=[step("user", skip_requester=False, user=org.rep.pk)]
    )
    instance = submit(org, kept, deal(org.rep))
    assert instance.tasks.get().assignee == org.rep


def test_nobody_to_approve_refuses_the_submit_or_skips_when_told(org):
    loner = UserFactory(username="loner")
    process = make_process(org, steps=[step("manager"), step("user", user=org.vp.pk)])
    with pytest.raises(services.ApprovalError) as error:
        submit(org, process, deal(loner), actor=loner)
    assert "step 1" in str(error.value.messages[0])
    assert ApprovalInstance.objects.count() == 0

    skipping = make_process(
        org,
        name="skip",
        skip_unresolved=True,
        steps=[step("manager"), step("user", user=org.vp.pk)],
    )
    instance = submit(org, skipping, deal(loner), actor=loner)
    assert [(t.step_index, t.assignee) for t in instance.tasks.all()] == [(1, org.vp)]


def test_department_head_levels_up(org):
    process = make_process(
        org, steps=[step("department_head", levels=0), step("department_head", levels=1)]
    )
    instance = submit(org, process, deal(org.rep))
    assert [t.assignee for t in instance.tasks.all()] == [org.manager]
    approve(org.manager, instance)
    assert open_task(org.vp, instance)


def test_a_step_whose_approver_left_marks_the_instance_stuck(org):
    process = make_process(org, steps=[step("manager"), step("manager_of_manager")])
    instance = submit(org, process, deal(org.rep))
    org.director.is_active = False
    org.director.save()
    approve(org.manager, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.PENDING
    assert instance.step_index == 1
    assert "not found" in instance.stuck_reason
    services.approval_cancel(actor=org.admin, instance=instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.CANCELLED


def test_step_due_in_business_hours(org):
    process = make_process(org, steps=[step("manager", due_hours=4)])
    friday = datetime.datetime(2026, 12, 4, 16, tzinfo=SHANGHAI)
    with time_machine.travel(friday, tick=False):
        instance = submit(org, process, deal(org.rep))
    assert instance.step_due_at.astimezone(SHANGHAI) == datetime.datetime(
        2026, 12, 7, 11, tzinfo=SHANGHAI
    )


def test_a_record_waits_once_per_process(org):
    process = make_process(org)
    record = deal(org.rep)
    submit(org, process, record)
    with pytest.raises(services.ApprovalError):
        submit(org, process, record)
    assert ApprovalInstance.objects.count() == 1


def test_conditions_decide_whether_a_process_applies(org):
    process = make_process(
        org,
        conditions={"match": "all", "rules": [{"field": "amount", "op": "gt", "value": "500000"}]},
    )
    with pytest.raises(services.ApprovalError):
        submit(org, process, deal(org.rep, amount="100000"))
    assert submit(org, process, deal(org.rep, amount="500001")).status == ApprovalStatus.PENDING


def test_the_history_says_approved_when_the_remaining_steps_skip(org):
    process = make_process(org, steps=[step("manager"), step("user", user=org.rep.pk)])
    record = deal(org.rep)
    instance = submit(org, process, record)
    approve(org.manager, instance)
    instance.refresh_from_db()
    assert instance.status == ApprovalStatus.APPROVED
    last = (
        AuditEntry.objects.filter(entity="opportunity", object_id=record.pk)
        .filter(changes__has_key="approval")
        .latest("id")
    )
    assert last.changes["approval"] == ["pending", "approved"]


def test_overdue_steps_remind_their_approvers_once(org):
    from guanxi.core.models import Notification

    process = make_process(org, steps=[step("manager", due_hours=2), step("manager_of_manager")])
    monday = datetime.datetime(2026, 11, 30, 9, tzinfo=SHANGHAI)
    with time_machine.travel(monday, tick=False):
        instance = submit(org, process, deal(org.rep))
    assert services.approvals_remind_overdue(now=monday + datetime.timedelta(hours=1)) == 0
    later = monday + datetime.timedelta(hours=4)
    assert services.approvals_remind_overdue(now=later) == 1
    assert services.approvals_remind_overdue(now=later) == 0
    reminder = Notification.objects.filter(recipient=org.manager).latest("id")
    assert reminder.title.startswith("Overdue approval: 大额赢单审批")
    approve(org.manager, instance)
    instance.refresh_from_db()
    assert instance.reminded_at is None
    assert instance.step_due_at is None
