"""Nightly work of the customers app on the Huey queue, and its background jobs."""

from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from guanxi.core.jobs import job_handler
from guanxi.customers import classification, points
from guanxi.customers.models import Account
from guanxi.customers.pool_rules import pools_apply_rules


@db_periodic_task(crontab(hour="2", minute="10"))
def expire_points_nightly() -> int:
    """Expire the points whose validity ended, before the rules look at balances."""
    return points.points_expire_due()


@db_periodic_task(crontab(hour="2", minute="40"))
def classify_accounts_nightly() -> int:
    """Re-apply the classification rules to every account."""
    return classification.classify_accounts()


@job_handler("classify_accounts")
def run_classify_accounts(job, progress) -> dict:
    """Apply the classification rules now, with a progress bar (the settings screen's button)."""
    progress.set_total(Account.objects.count())
    changed = classification.classify_accounts(progress=progress)
    return {
        "count": changed,
        "message": _("The rules changed %(count)s customers.") % {"count": changed},
    }


@db_periodic_task(crontab(hour="2", minute="15"))
def pools_apply_rules_nightly() -> None:
    """Return overdue customers to their public pools and warn owners, every night."""
    pools_apply_rules()
