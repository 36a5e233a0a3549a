"""Aliyun SMS (阿里云短信, dysmsapi `SendSms`, version 2017-05-25) and its HTTP pushes.

Requests are RPC style: every parameter, sorted by name and percent-encoded (RFC 3986:
space as %20, `*` as %2A, `~` kept), joined as a query; the string to sign is
`METHOD&%2F&` + the percent-encoded query; the signature is the Base64 HMAC-SHA1 of it
keyed with `AccessKeySecret&`. Aliyun sends only approved templates: `TemplateCode` and a
JSON `TemplateParam`. Mainland numbers go as the 11-digit national number, others as
country code and number without "+".

Delivery reports (SmsReport) and replies (SmsUp) are pushed as JSON arrays to the URLs
configured in the console; the answer `{"code": 0, "msg": "接收成功"}` acknowledges them.
Their times are Beijing time.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from guanxi.activities.channels import DeliveryError
from guanxi.activities.sms.backends import Outgoing, utc_timestamp
from guanxi.core.phones import normalize_phone

API_VERSION = "2017-05-25"
BEIJING = ZoneInfo("Asia/Shanghai")
TIMEOUT_SECONDS = 10
# Codes after which the same request may succeed later: throttling, balance, the provider's
# own trouble. Every other error code (a bad number, template or signature) is permanent.
TEMPORARY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "SignatureNonceUsed",
        "ServiceUnavailable",
        "InternalError",
    }
)
TEMPORARY_PREFIXES = ("isp.", "Throttling")


def percent_encode(value: str) -> str:
    """Return a value encoded the way Aliyun's RPC signature wants (RFC 3986, UTF-8)."""
    return quote(value, safe="~")


def canonical_query(params: dict[str, str]) -> str:
    """Return the parameters sorted by name and percent-encoded, joined with `&`."""
    return "&".join(
        f"{percent_encode(key)}={percent_encode(value)}" for key, value in sorted(params.items())
    )


def string_to_sign(method: str, params: dict[str, str]) -> str:
    """Return the string an RPC request's signature is computed over."""
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Return the Base64 HMAC-SHA1 signature of a request, keyed with `secret&`."""
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def provider_number(e164: str) -> str:
    """Return a number as Aliyun wants it: national for mainland China, else without "+"."""
    if e164.startswith("+86"):
        return e164[3:]
    return e164.lstrip("+")


def is_temporary(code: str) -> bool:
    return code in TEMPORARY_CODES or code.startswith(TEMPORARY_PREFIXES)


class AliyunBackend:
    """Send SMS through Aliyun's `SendSms`, one number a request."""

    name = "aliyun"
    label = _("Aliyun SMS")
    needs_template = True

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        region: str = "cn-hangzhou",
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region

    def request_params(
        self, sms: Outgoing, *, nonce: str | None = None, timestamp: str | None = None
    ) -> dict[str, str]:
        """Return the signed parameters of the `SendSms` request of an SMS."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": provider_number(sms.to),
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": sms.template_code,
            "TemplateParam": json.dumps(
                sms.template_params, ensure_ascii=False, separators=(",", ":")
            ),
            "Timestamp": timestamp or utc_timestamp(),
            "Version": API_VERSION,
        }
        if sms.reference:
            params["OutId"] = sms.reference
        params["Signature"] = signature(self.access_key_secret, "POST", params)
        return params

    def send(self, sms: Outgoing) -> str:
        body = canonical_query(self.request_params(sms)).encode()
        request = urllib.request.Request(
            self.endpoint,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (OSError, TimeoutError) as error:
            raise DeliveryError(f"Aliyun SMS unreachable: {error}") from error
        return _answer(status, raw)

    def describe(self) -> dict[str, str]:
        return {
            "endpoint": self.endpoint,
            "access_key_id": self.access_key_id,
            "sign_name": self.sign_name,
            "region": self.region,
        }


def _answer(status: int, raw: bytes) -> str:
    """Return the BizId of a `SendSms` answer or raise the error it reports."""
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    if not isinstance(answer, dict) or "Code" not in answer:
        snippet = raw[:200].decode("utf-8", "replace")
        raise DeliveryError(f"Aliyun SMS answered HTTP {status}: {snippet}", permanent=False)
    code = str(answer["Code"])
    if code == "OK" and answer.get("BizId"):
        return str(answer["BizId"])
    reason = f"{code}: {answer.get('Message', '')}".strip()
    raise DeliveryError(reason, permanent=not is_temporary(code) and status < 500)


@dataclass(frozen=True)
class Report:
    """A provider's word on one sent SMS: delivered or not, and why."""

    provider_id: str
    delivered: bool
    reason: str
    at: datetime.datetime | None
    phone: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Inbound:
    """One SMS a person sent us."""

    phone: str  # E.164
    text: str
    at: datetime.datetime | None
    provider_id: str = ""
    to: str = ""


class PayloadError(ValueError):
    """The pushed body is not what the provider documents."""


def _beijing_time(value) -> datetime.datetime | None:
    if not value:
        return None
    text = str(value).strip()
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"):
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise PayloadError(f"not a time: {text!r}")


def inbound_number(raw: str) -> str:
    """Return the E.164 form of a number Aliyun reports (mainland numbers come national)."""
    raw = str(raw or "").strip()
    return normalize_phone(raw, "CN") or normalize_phone(f"+{raw.lstrip('+')}", "CN")


def _items(payload) -> list[dict]:
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        raise PayloadError("expected a JSON array of objects")
    return payload


def parse_reports(payload) -> list[Report]:
    """Return the delivery reports of an SmsReport push."""
    reports = []
    for item in _items(payload):
        if not item.get("biz_id") or not isinstance(item.get("success"), bool):
            raise PayloadError("each report needs biz_id and a boolean success")
        reason = " ".join(str(part) for part in (item.get("err_code"), item.get("err_msg")) if part)
        reports.append(
            Report(
                provider_id=str(item["biz_id"]),
                delivered=item["success"],
                reason="" if item["success"] else reason,
                at=_beijing_time(item.get("report_time")),
                phone=inbound_number(item.get("phone_number", "")),
                reference=str(item.get("out_id") or ""),
            )
        )
    return reports


def parse_inbound(payload) -> list[Inbound]:
    """Return the replies of an SmsUp push."""
    replies = []
    for item in _items(payload):
        phone = inbound_number(item.get("phone_number", ""))
        if not phone or not isinstance(item.get("content"), str):
            raise PayloadError("each reply needs a valid phone_number and a content")
        replies.append(
            Inbound(
                phone=phone,
                text=item["content"],
                at=_beijing_time(item.get("send_time")),
                provider_id=str(item.get("sequence_id") or ""),
                to=str(item.get("dest_code") or ""),
            )
        )
    return replies
