"""Web-to-lead forms, unknown email senders, imports, scoring and contact status."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from guanxi.activities.choices import Channel, MessageDirection, MessageStatus
from guanxi.activities.models import Activity, Mailbox, Message
from guanxi.activities.services import activity_log
from guanxi.core.models import AuditEntry
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.sales.lead_scoring import lead_rescore
from guanxi.sales.models import Lead, LeadAssignmentRule, LeadScoringRule, LeadWebForm

pytestmark = pytest.mark.django_db
ORIGIN = "https://www.shop-example.cn"


def source_is(source):
    return {"match": "all", "rules": [{"field": "source", "op": "in", "value": [source]}]}


@pytest.fixture
def web_form(db):
    return LeadWebForm.objects.create(
        name="官网咨询",
        fields=["company", "mobile", "email", "product_interest"],
        thank_you="感谢您的咨询！",
        consent_text="我同意贵公司就本次咨询与我联系。",
        source="website",
        allowed_origins=ORIGIN,
    )


def post(web_form, data, **headers):
    return Client().post(f"/forms/leads/{web_form.public_key}/", data, **headers)


GOOD = {"name": "孙丽", "company": "宁波海天塑机", "mobile": "13600001111", "consent": "1"}


def test_submission_creates_a_lead_with_consent_and_the_rules_owner(web_form):
    rep = UserFactory()
    LeadAssignmentRule.objects.create(
        name="Web", conditions=source_is("website"), action="user", user=rep
    )
    before = timezone.now()

    response = post(web_form, GOOD)

    assert response.status_code == 200
    assert "感谢您的咨询！" in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.mobile, lead.source, lead.web_form) == (
        "孙丽",
        "宁波海天塑机",
        "13600001111",
        "website",
        web_form,
    )
    assert lead.consent_text == "我同意贵公司就本次咨询与我联系。"
    assert lead.consent_at >= before
    assert lead.owner == rep
    web_form.refresh_from_db()
    assert web_form.submissions == 1


def test_without_a_rule_or_owner_the_lead_waits_in_the_pool(web_form):
    post(web_form, GOOD)

    assert Lead.objects.get().owner is None


def test_consent_is_required_and_errors_are_localized(web_form):
    data = {key: value for key, value in GOOD.items() if key != "consent"}

    english = post(web_form, data, HTTP_ACCEPT="application/json")
    chinese = post(web_form, data, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == 400
    assert english.json()["errors"]["consent"] == ["Please agree so that we may contact you."]
    assert chinese.json()["errors"]["consent"] == ["请同意我们与您联系。"]
    assert Lead.objects.count() == 0


def test_a_way_to_reach_the_person_is_required(web_form):
    response = post(web_form, {"name": "孙丽", "consent": "1"}, HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert "mobile" in response.json()["errors"]


def test_honeypot_drops_the_submission_silently(web_form):
    response = post(web_form, {**GOOD, "website_url": "http://spam.example"})

    assert response.status_code == 200
    assert "感谢您的咨询！" in response.content.decode()
    assert Lead.objects.count() == 0


def person(number: int) -> dict:
    names = ["赵一", "钱二", "张三", "李四", "周五", "吴六", "郑七", "王八", "冯九", "陈十"]
    return {"name": names[number], "mobile": f"1360000{number:04d}", "consent": "1"}


@override_settings(GUANXI_LEAD_FORM_RATE_PER_MINUTE=5)
def test_rate_limit_per_ip_answers_429(web_form):
    cache.clear()
    codes = [post(web_form, person(i), REMOTE_ADDR="10.0.0.7").status_code for i in range(6)]
    other_ip = post(web_form, person(9), REMOTE_ADDR="10.0.0.8")

    assert codes == [200, 200, 200, 200, 200, 429]
    assert other_ip.status_code == 200
    assert Lead.objects.count() == 6


def test_cors_headers_only_for_allowed_origins(web_form):
    allowed = post(web_form, GOOD, HTTP_ORIGIN=ORIGIN, HTTP_ACCEPT="application/json")
    other = post(
        web_form,
        {**GOOD, "mobile": "13600002222"},
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCEPT="application/json",
    )
    preflight = Client().options(f"/forms/leads/{web_form.public_key}/", HTTP_ORIGIN=ORIGIN)

    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.json() == {"detail": "感谢您的咨询！"}
    assert "Access-Control-Allow-Origin" not in other
    assert (preflight.status_code, preflight["Access-Control-Allow-Origin"]) == (204, ORIGIN)


def test_a_repeated_submission_is_merged_into_the_open_lead(web_form):
    post(web_form, GOOD)
    post(web_form, {**GOOD, "email": "sunli@haitian.cn", "product_interest": "注塑机"})

    lead = Lead.objects.get()
    assert (lead.email, lead.product_interest) == ("sunli@haitian.cn", "注塑机")
    note = AuditEntry.objects.get(entity="lead", changes__has_key="web_form_submission")
    assert note.changes["web_form_submission"] == [None, "官网咨询"]


def test_the_embed_script_and_the_frame_page(web_form):
    script = Client().get(f"/forms/leads/{web_form.public_key}/embed.js")
    page = Client().get(f"/forms/leads/{web_form.public_key}/")

    assert script["Content-Type"].startswith("text/javascript")
    assert web_form.public_key in script.content.decode()
    assert "X-Frame-Options" not in page
    assert 'name="website_url"' in page.content.decode()
    assert Client().get("/forms/leads/unknown/").status_code == 404


def test_unknown_email_sender_becomes_a_lead_with_the_email(client_for):
    rep = UserFactory()
    grant(rep, "lead", scope="own")
    grant(rep, "activity", scope="own")
    mailbox = Mailbox.objects.create(
        name="销售", owner=rep, host="imap.example.cn", username="sales@example.cn"
    )
    message = Message.objects.create(
        channel=Channel.EMAIL,
        direction=MessageDirection.INBOUND,
        status=MessageStatus.RECEIVED,
        mailbox=mailbox,
        from_address="gao.yuan@lanhai-tech.com",
        from_name="高远",
        to_address="sales@example.cn",
        subject="询价：工业相机 50 台",
        body="请报价",
    )

    response = client_for(rep).post(f"/mailboxes/unmatched/{message.pk}/lead/")

    lead = Lead.objects.get()
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.name, lead.email, lead.company, lead.owner) == (
        "高远",
        "gao.yuan@lanhai-tech.com",
        "lanhai-tech.com",
        rep,
    )
    message.refresh_from_db()
    assert (message.link_entity, message.link_id) == ("lead", lead.pk)
    assert Activity.objects.get(link_entity="lead").subject == "询价：工业相机 50 台"


def test_a_logged_call_marks_the_lead_contacted_and_scores_it(django_capture_on_commit_callbacks):
    rep = UserFactory()
    LeadScoringRule.objects.create(kind="field", field="source", value="referral", points=20)
    LeadScoringRule.objects.create(kind="field", field="has_email", points=5)
    LeadScoringRule.objects.create(kind="activity", activity_kind="call", points=10)
    LeadScoringRule.objects.create(kind="reply", points=15)
    lead = Lead.objects.create(
        number="T1",
        name="何军",
        mobile="13500000001",
        email="hejun@example.cn",
        source="referral",
        owner=rep,
    )
    assert lead_rescore(lead) == 25

    with django_capture_on_commit_callbacks(execute=True):
        activity_log(actor=rep, kind="call", subject="介绍产品", record=lead)

    lead.refresh_from_db()
    assert (lead.status, lead.score) == ("contacted", 35)
    assert lead.last_contacted_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        from guanxi.core import events

        reply = Message.objects.create(
            channel=Channel.SMS,
            direction=MessageDirection.INBOUND,
            status=MessageStatus.RECEIVED,
            from_address="+8613500000001",
            to_address="106900",
            body="好的，请发资料",
        )
        events.emit("message.received", id=reply.pk, channel="sms")
    lead.refresh_from_db()
    assert lead.score == 50


def test_import_without_owner_column_uses_the_rules(client_for, django_capture_on_commit_callbacks):
    importer, rep = UserFactory(), UserFactory()
    grant(importer, "lead", scope="all")
    LeadAssignmentRule.objects.create(
        name="Expo", conditions=source_is("exhibition"), action="user", user=rep
    )
    content = "姓名,公司,手机,来源\n陆遥,上海启明星电子,13811112222,exhibition\n".encode()
    from guanxi.dataio import services as dataio
    from guanxi.dataio.runner import import_execute

    run = dataio.import_upload(
        actor=importer, entity_name="lead", upload=SimpleUploadedFile("leads.csv", content)
    )
    dataio.import_configure(
        actor=importer,
        run=run,
        columns=["name", "company", "mobile", "source"],
        error_mode="skip_bad_rows",
        duplicate_action="create",
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_execute(run)

    lead = Lead.objects.get()
    assert (lead.name, lead.owner, lead.assignment_rule.name) == ("陆遥", rep, "Expo")
