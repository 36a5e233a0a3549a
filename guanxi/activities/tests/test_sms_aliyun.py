"""Aliyun SMS: the RPC signature against the documented example, and sends through a local
stand-in of the provider that checks signatures and answers recorded responses."""

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from guanxi.activities import messaging
from guanxi.activities.choices import Channel, MessageStatus
from guanxi.activities.models import Message, MessageTemplate
from guanxi.activities.sms import aliyun
from guanxi.activities.sms.backends import Outgoing, backend_from_url, mask_url
from guanxi.activities.tests import fake_aliyun
from guanxi.customers.tests.factories import AccountFactory, ContactFactory

# The worked example of Aliyun's "HTTP协议及签名" page for SendSms.
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)


def test_string_to_sign_and_signature_match_the_documented_example():
    assert aliyun.string_to_sign("GET", DOC_PARAMS) == DOC_STRING_TO_SIGN
    by_hand = hmac.new(b"testSecret&", DOC_STRING_TO_SIGN.encode(), hashlib.sha1).digest()
    assert base64.b64encode(by_hand).decode() == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert aliyun.signature("testSecret", "GET", DOC_PARAMS) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_signature_matches_the_rpc_documentation_example():
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun.signature("testsecret", "GET", params) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_rfc_3986():
    assert aliyun.percent_encode("a b*c~d/é+") == "a%20b%2Ac~d%2F%C3%A9%2B"


def test_request_is_signed_with_fixed_nonce_and_time():
    backend = aliyun.AliyunBackend(
        access_key_id="testId", access_key_secret="testSecret", sign_name="阿里云短信测试专用"
    )
    sms = Outgoing(
        to="+8615300000001",
        text="",
        template_code="SMS_71390007",
        template_params={"customer": "test"},
        reference="123",
    )
    params = backend.request_params(
        sms, nonce="45e25e9b-0a6f-4070-8c85-2956eda1b466", timestamp="2017-07-12T02:42:19Z"
    )
    signed = params.pop("Signature")
    assert params == {**DOC_PARAMS, "Format": "JSON"}
    assert signed == fake_aliyun.independent_signature("testSecret", "POST", params)


def test_numbers_go_national_for_mainland_china_and_international_otherwise():
    assert aliyun.provider_number("+8613800138000") == "13800138000"
    assert aliyun.provider_number("+85291234567") == "85291234567"


def test_sms_url_is_parsed_and_its_secret_masked():
    backend = backend_from_url(
        "aliyun://KEY:se%2Fcret@dysmsapi.aliyuncs.com?sign_name=%E6%98%8E%E8%BF%9C&region=cn-beijing"
    )
    assert (backend.access_key_id, backend.access_key_secret) == ("KEY", "se/cret")
    assert (backend.sign_name, backend.region) == ("明远", "cn-beijing")
    assert backend.endpoint == "https://dysmsapi.aliyuncs.com/"
    assert mask_url("aliyun://KEY:se%2Fcret@dysmsapi.aliyuncs.com?sign_name=x") == (
        "aliyun://KEY:••••••@dysmsapi.aliyuncs.com?sign_name=x"
    )


@pytest.fixture
def provider(settings):
    fake = fake_aliyun.FakeAliyun()
    settings.SMS_URL = fake.url()
    yield fake
    fake.close()


@pytest.fixture
def contact(user):
    user.phone = "021-6888 1234"
    user.save()
    account = AccountFactory(name="上海明远贸易有限公司", owner=user)
    return ContactFactory(account=account, owner=user, name="张伟", mobile="138 0013 8000")


@pytest.fixture
def template(db):
    return MessageTemplate.objects.create(
        channel=Channel.SMS,
        name="发货通知",
        body="{{ contact.name }}您好，您的订单已发货，如有疑问请致电{{ user.phone }}。",
        provider_template="SMS_465320017",
    )


def send(user, contact, template=None, body="", to=None):
    if template is not None and not body:
        _subject, body = messaging.render_template(template, record=contact, user=user)
    message = messaging.message_queue(
        actor=user,
        channel=Channel.SMS,
        to_address=contact.mobile if to is None else to,
        body=body,
        record=contact,
        contact=contact,
        template=template,
    )
    message.refresh_from_db()
    return message


@pytest.mark.django_db(transaction=True)
def test_templated_sms_is_sent_signed_with_template_code_and_parameters(
    provider, user, contact, template
):
    message = send(user, contact, template)

    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert (message.provider, message.provider_id) == ("aliyun", "900619746936498440^0")
    [request] = provider.requests
    assert request["Signature"]
    assert {key: request[key] for key in request if key not in ("Signature", "SignatureNonce")} == {
        "AccessKeyId": fake_aliyun.KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "OutId": str(message.pk),
        "PhoneNumbers": "13800138000",
        "RegionId": "cn-hangzhou",
        "SignName": "明远科技",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_465320017",
        "TemplateParam": '{"contact_name":"张伟","user_phone":"021-6888 1234"}',
        "Timestamp": request["Timestamp"],
        "Version": "2017-05-25",
    }
    sent_at = datetime.datetime.strptime(request["Timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(sent_at.replace(tzinfo=datetime.UTC) - timezone.now()).total_seconds() < 5
    assert message.activity.kind == "sms"


@pytest.mark.django_db(transaction=True)
def test_illegal_number_fails_at_once(provider, user, contact, template):
    provider.answers["13800138000"] = (200, fake_aliyun.MOBILE_NUMBER_ILLEGAL)

    message = send(user, contact, template)

    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert message.last_error == "isv.MOBILE_NUMBER_ILLEGAL: 非法手机号"
    assert message.next_attempt_at is None


@pytest.mark.django_db(transaction=True)
def test_throttled_send_is_queued_for_retry_then_sent(provider, user, contact, template):
    provider.answers["13800138000"] = (200, fake_aliyun.BUSINESS_LIMIT_CONTROL)

    message = send(user, contact, template)

    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert message.last_error == "isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5"
    wait = (message.next_attempt_at - timezone.now()).total_seconds()
    assert 50 < wait <= 60

    del provider.answers["13800138000"]
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    messaging.message_deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert len(provider.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_provider_outage_is_temporary(provider, user, contact, template):
    provider.answers["13800138000"] = (503, {"Code": "ServiceUnavailable", "Message": "busy"})

    message = send(user, contact, template)

    assert (message.status, message.last_error) == ("queued", "ServiceUnavailable: busy")


@pytest.mark.django_db(transaction=True)
def test_wrong_secret_is_refused_by_the_provider_and_fails(
    settings, provider, user, contact, template
):
    settings.SMS_URL = provider.url(secret="not-the-secret")

    message = send(user, contact, template)

    assert message.status == MessageStatus.FAILED
    assert message.last_error == (
        "SignatureDoesNotMatch: Specified signature is not matched with our calculation."
    )


@pytest.mark.django_db(transaction=True)
def test_free_text_is_refused_without_calling_the_provider(provider, user, contact):
    message = send(user, contact, body="张经理您好，报价已发邮箱。")

    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert message.last_error == (
        "Aliyun SMS sends only templates it approved: choose an SMS template that has the "
        "provider's template code."
    )
    assert provider.requests == []


@pytest.mark.django_db(transaction=True)
def test_invalid_number_fails_without_calling_the_provider(provider, user, contact, template):
    message = send(user, contact, template, to="12345")

    assert message.status == MessageStatus.FAILED
    assert message.last_error == "12345 is not a valid mobile number."
    assert provider.requests == []


@pytest.mark.django_db(transaction=True)
def test_unreachable_provider_is_retried(settings, closed_port, user, contact, template):
    settings.SMS_URL = f"aliyun+http://k:s@127.0.0.1:{closed_port}?sign_name=x"

    message = send(user, contact, template)

    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 1)
    assert message.last_error.startswith("Aliyun SMS unreachable:")


def test_answer_that_is_not_json_is_temporary():
    with pytest.raises(aliyun.DeliveryError) as raised:
        aliyun._answer(502, b"<html>Bad Gateway</html>")
    assert (raised.value.reason, raised.value.permanent) == (
        "Aliyun SMS answered HTTP 502: <html>Bad Gateway</html>",
        False,
    )
    assert json.loads(json.dumps(fake_aliyun.OK))["BizId"] == aliyun._answer(
        200, json.dumps(fake_aliyun.OK).encode()
    )
