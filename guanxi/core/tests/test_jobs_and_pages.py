"""Background jobs with progress, notifications, language and time zone, health."""

import pytest
from django.conf import settings
from django.urls import reverse

from guanxi.core.models import AuditEntry, Job, Notification
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.models import Account
from guanxi.customers.tests.factories import AccountFactory
from guanxi.web.views import bulk

pytestmark = pytest.mark.django_db


def test_a_large_bulk_edit_runs_as_a_job_with_progress(
    client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 2)
    rep = UserFactory(username="rep")
    grant(rep, "account", scope="all")
    for _ in range(5):
        AccountFactory(owner=rep, grade="")
    client = client_for(rep)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("web:account_bulk_edit"),
            {
                "all_matching": "1",
                "querystring": "",
                "apply": "1",
                "apply_grade": "on",
                "grade": "vip",
            },
        )
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:job_detail", args=[job.pk])
    assert (job.status, job.total, job.done, job.result["count"]) == ("done", 5, 5, 5)
    assert Account.objects.filter(grade="vip").count() == 5
    assert AuditEntry.objects.filter(action="update").count() == 5
    page = client.get(reverse("web:job_detail", args=[job.pk])).content.decode()
    assert "100%" in page
    assert Notification.objects.filter(recipient=rep, url=f"/jobs/{job.pk}/").count() == 1
    other = client_for(UserFactory(username="other"))
    assert other.get(reverse("web:job_detail", args=[job.pk])).status_code == 404


def test_a_failing_job_is_recorded_as_failed(django_capture_on_commit_callbacks):
    from guanxi.core import jobs

    rep = UserFactory(username="rep")

    @jobs.job_handler("explode")
    def explode(job, progress):
        raise RuntimeError("disk full")

    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_start(user=rep, kind="explode", title="Explode", params={})
    job.refresh_from_db()
    assert job.status == "failed"
    assert "disk full" in job.message


def test_language_switch_is_kept_as_the_users_preference(client_for):
    user = UserFactory(username="rep", language="en")
    client = client_for(user)
    assert 'lang="en"' in client.get("/").content.decode()
    response = client.post(reverse("web:set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    user.refresh_from_db()
    assert user.language == "zh-hans"
    fresh = client_for(user)  # a new browser: no cookie, the preference still applies
    assert 'lang="zh-hans"' in fresh.get("/").content.decode()


def test_without_a_preference_the_browser_language_wins(client_for):
    user = UserFactory(username="rep", language="")
    client = client_for(user)
    assert (
        'lang="zh-hans"' in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    )
    assert 'lang="en"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()


def test_set_language_refuses_open_redirects(client):
    response = client.post(
        reverse("web:set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_dates_follow_the_users_time_zone(client_for):
    user = UserFactory(username="rep", language="en", time_zone="America/New_York")
    grant(user, "account", scope="all")
    account = AccountFactory(owner=user)
    AccountFactory._meta.model.objects.filter(pk=account.pk).update(
        created_at="2026-01-15T02:30:00Z"
    )
    page = client_for(user).get(reverse("web:account_detail", args=[account.pk])).content.decode()
    assert "01/14/2026 9:30 p.m." in page


def test_health(client):
    assert client.get("/health/").json() == {"status": "ok"}


def test_notifications_are_private_and_can_be_read(client_for):
    from guanxi.core.services import notify

    me = UserFactory(username="me")
    other = UserFactory(username="other")
    mine = notify(recipient=me, title="给我的", url="/accounts/")
    theirs = notify(recipient=other, title="给别人的")
    client = client_for(me)
    menu = client.get(reverse("web:notification_menu")).content.decode()
    assert "给我的" in menu and "给别人的" not in menu
    assert client.post(reverse("web:notification_read", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("web:notification_read", args=[mine.pk]))
    assert response["Location"] == "/accounts/"
    mine.refresh_from_db()
    assert mine.read_at is not None
