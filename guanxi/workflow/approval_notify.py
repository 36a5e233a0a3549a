"""Tell people about approvals: in the bell and by email, in each one's language.

Approvers must hear of a request even though the bell's "assignments" category does not
email by default: an approval request is emailed unless the user explicitly turned off
email for assignments in their notification preferences.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from guanxi.core.choices import NotificationCategory
from guanxi.core.notifications import notify, preferences_of, user_language

CATEGORY = NotificationCategory.ASSIGNMENT


def approval_url(instance) -> str:
    return reverse("web:approval_detail", args=[instance.pk])


def _tell(user, title: str, body: str, url: str, *, always_email: bool) -> None:
    if not user.is_active:
        return
    notify(recipient=user, title=title, body=body, url=url, category=CATEGORY)
    chosen = ((preferences_of(user).channels or {}).get(CATEGORY) or {}).get("email")
    if always_email and chosen is None and user.email:
        from guanxi.core.tasks import send_notification_email

        payload = {"title": title[:200], "body": body, "url": url, "category": CATEGORY}
        transaction.on_commit(lambda: send_notification_email(user.pk, payload))


def task_created(task) -> None:
    """Ask an approver to decide (by email too)."""
    instance = task.instance
    user = task.assignee
    with override(user_language(user)):
        title = _("Approval needed: %(process)s – %(record)s") % {
            "process": instance.process.name,
            "record": instance.record_repr,
        }
        lines = [
            _("%(user)s asks for your approval of %(record)s.")
            % {"user": instance.requester, "record": instance.record_repr}
        ]
        if task.delegated_from_id:
            lines.append(_("On behalf of %(user)s.") % {"user": task.delegated_from})
        if instance.comment:
            lines.append(instance.comment)
        _tell(user, title, "\n".join(lines), approval_url(instance), always_email=True)


def finished(instance) -> None:
    """Tell the requester how their request ended (withdrawals they did themselves)."""
    from guanxi.workflow.approval_models import ApprovalStatus

    if instance.status in (ApprovalStatus.WITHDRAWN,):
        return
    user = instance.requester
    with override(user_language(user)):
        label = ApprovalStatus(instance.status).label
        title = _("%(process)s – %(record)s: %(status)s") % {
            "process": instance.process.name,
            "record": instance.record_repr,
            "status": label,
        }
        body = ""
        if instance.perform_error:
            body = _("The approved action could not be done: %(error)s") % {
                "error": instance.perform_error
            }
        _tell(user, title, body, approval_url(instance), always_email=True)


def withdrawn(task) -> None:
    """Tell an approver they no longer need to decide."""
    instance = task.instance
    with override(user_language(task.assignee)):
        title = _("Withdrawn: %(process)s – %(record)s") % {
            "process": instance.process.name,
            "record": instance.record_repr,
        }
        _tell(task.assignee, title, "", approval_url(instance), always_email=False)


def overdue(task) -> None:
    """Remind an approver that their decision is overdue (by email too)."""
    instance = task.instance
    with override(user_language(task.assignee)):
        title = _("Overdue approval: %(process)s – %(record)s") % {
            "process": instance.process.name,
            "record": instance.record_repr,
        }
        body = _("It was due %(due)s.") % {
            "due": formats.date_format(
                timezone.localtime(instance.step_due_at), "SHORT_DATETIME_FORMAT"
            )
        }
        _tell(task.assignee, title, body, approval_url(instance), always_email=True)
