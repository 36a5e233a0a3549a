"""send_email / send_sms: a template through the channel layer, checked when the rule is saved."""

import json
from types import SimpleNamespace

import pytest
from django.utils import translation

from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Activity, Message, MessageTemplate
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.choices import ConsentChannel, ConsentStatus
from guanxi.customers.privacy import consent_record
from guanxi.customers.tests.factories import AccountFactory, ContactFactory
from guanxi.sales.tests.factories import LeadFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db


def run(key, record, params, *, actor, entity):
    context = ActionContext(
        entity_name=entity,
        record=record,
        event={"name": f"{entity}.created"},
        rule=SimpleNamespace(pk=5),
        actor=actor,
    )
    return get_action(key).run(context, params)


@pytest.fixture
def rep():
    rep = UserFactory(username="rep", first_name="丽", last_name="王", email="wang.li@guanxi.cn")
    for entity in ("account", "contact", "lead", "activity"):
        grant(rep, entity, scope="own")
    return rep


@pytest.fixture
def welcome():
    return MessageTemplate.objects.create(
        channel=Channel.EMAIL,
        name="欢迎",
        subject="{{ contact.name }}，欢迎合作",
        body="{{ contact.name }}您好，我是{{ user.name }}，负责{{ account.name }}的服务。",
    )


def test_email_to_the_customers_contact_is_delivered_and_logged(
    rep, welcome, smtp_server, django_capture_on_commit_callbacks
):
    account = AccountFactory(name="杭州云帆科技有限公司", owner=rep)
    ContactFactory(account=account, owner=rep, name="张伟", email="zhang.wei@example.cn")
    params, errors = validate_params(
        "account", "send_email", {"template": welcome.pk, "to": "contact"}
    )
    assert errors == []

    with django_capture_on_commit_callbacks(execute=True):
        result = run("send_email", account, params, actor=rep, entity="account")

    message = Message.objects.get()
    assert message.status == MessageStatus.SENT
    assert result == f"Email “欢迎” queued to zhang.wei@example.cn (message #{message.pk})."
    [received] = smtp_server.messages
    assert received["to"] == ["zhang.wei@example.cn"]
    assert received["email"]["Subject"] == "张伟，欢迎合作"
    assert received["email"].get_content().strip() == (
        "张伟您好，我是王丽，负责杭州云帆科技有限公司的服务。"
    )
    logged = Activity.objects.get(pk=message.activity_id)
    assert (logged.kind, logged.link_entity, logged.link_id) == ("email", "account", account.pk)


def test_an_opted_out_contact_gets_nothing(
    rep, welcome, smtp_server, django_capture_on_commit_callbacks
):
    contact = ContactFactory(owner=rep, name="李娜", email="li.na@example.cn")
    consent_record(
        actor=rep, person=contact, channel=ConsentChannel.EMAIL, status=ConsentStatus.WITHDRAWN
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = run(
            "send_email",
            contact,
            {"template": welcome.pk, "to": "record"},
            actor=rep,
            entity="contact",
        )

    assert result == "Not sent to li.na@example.cn: The recipient opted out of this channel."
    assert smtp_server.messages == []
    assert Message.objects.get().status == MessageStatus.SKIPPED


def test_sms_to_the_lead_goes_through_the_file_backend(
    rep, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.SMS_URL = f"file://{tmp_path}/outbox?sign_name=%E6%98%8E%E8%BF%9C"
    template = MessageTemplate.objects.create(
        channel=Channel.SMS,
        name="感谢",
        body="感谢关注，我是{{ user.name }}。",
        provider_template="SMS_1",
    )
    lead = LeadFactory(owner=rep, mobile="139-1234-5678")
    params, errors = validate_params("lead", "send_sms", {"template": template.pk, "to": "record"})
    assert errors == []

    with django_capture_on_commit_callbacks(execute=True):
        run("send_sms", lead, params, actor=rep, entity="lead")

    [path] = (tmp_path / "outbox").iterdir()
    written = json.loads(path.read_text())
    assert (written["to"], written["text"]) == ("+8613912345678", "【明远】感谢关注，我是王丽。")
    message = Message.objects.get()
    assert (message.status, message.link_entity, message.link_id) == (
        MessageStatus.SENT,
        "lead",
        lead.pk,
    )


def test_a_template_that_does_not_render_is_refused(welcome):
    broken = MessageTemplate.objects.create(
        channel=Channel.EMAIL, name="坏模板", subject="Hi", body="Dear {{ contact.nickname }}"
    )

    _cleaned, errors = validate_params(
        "contact", "send_email", {"template": broken.pk, "to": "record"}
    )
    assert errors == [
        "Send email – Template: “坏模板” is a template that does not render for contacts: "
        "it uses {{ contact.nickname }}."
    ]
    # A lead has no contact: the welcome template's {{ contact.name }} cannot be filled.
    _cleaned, errors = validate_params(
        "lead", "send_email", {"template": welcome.pk, "to": "record"}
    )
    assert errors == [
        "Send email – Template: “欢迎” is a template that does not render for leads: "
        "it uses {{ contact.name }}, {{ account.name }}."
    ]
    with translation.override("zh-hans"):
        _cleaned, errors = validate_params(
            "contact", "send_email", {"template": broken.pk, "to": "record"}
        )
    assert errors == [
        "发送邮件 – 模板: “坏模板”模板无法用于联系人：其中用到了 {{ contact.nickname }}。"
    ]


def test_a_template_of_the_other_channel_is_refused(welcome):
    _cleaned, errors = validate_params(
        "contact", "send_sms", {"template": welcome.pk, "to": "record"}
    )
    assert errors == ["Send SMS – Template: Choose an active sms template."]


def test_sending_as_a_user_who_may_not_see_the_record_fails(rep, welcome):
    stranger = UserFactory(username="stranger")
    grant(stranger, "contact", scope="own")
    contact = ContactFactory(owner=rep)

    with pytest.raises(ActionFailed, match="outside the data scope of stranger"):
        run(
            "send_email",
            contact,
            {"template": welcome.pk, "to": "record"},
            actor=stranger,
            entity="contact",
        )

    assert Message.objects.count() == 0


def test_email_applies_to_records_with_an_address_or_a_contact():
    assert get_action("send_email").applies_to("lead")
    assert get_action("send_email").applies_to("opportunity")
    assert not get_action("send_email").applies_to("group")
