"""SMS backends chosen by `SMS_URL`, and what each is handed: an `Outgoing` SMS.

- `console://` (default) writes each SMS to the log, for development;
- `file:///path/dir` writes one JSON file a message, for demos and tests;
- `aliyun://KEY_ID:SECRET@dysmsapi.aliyuncs.com?sign_name=签名` sends through Aliyun SMS
  (`aliyun+http://` speaks plain HTTP, for a local stand-in of the provider).

Every backend takes `?sign_name=` (the signature 【签名】 the text is sent under).
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.activities.sms.segments import sms_segments, with_signature

logger = logging.getLogger("guanxi.sms")


@dataclass(frozen=True)
class Outgoing:
    """One SMS as a backend sends it: to an E.164 number, as text or as an approved template."""

    to: str  # E.164, "+8613800138000"
    text: str
    template_code: str = ""
    template_params: dict[str, str] = field(default_factory=dict)
    reference: str = ""  # our message id, echoed back by providers that support it


class SmsBackend(Protocol):
    name: str
    label: Any
    needs_template: bool
    sign_name: str

    def send(self, sms: Outgoing) -> str:
        """Hand the SMS over; return the provider's id of it or raise DeliveryError."""
        ...

    def describe(self) -> dict[str, str]:
        """Return what the settings screen shows of the backend (never a secret)."""
        ...


def _option(query: dict[str, list[str]], name: str, default: str = "") -> str:
    values = query.get(name)
    return values[0] if values else default


class ConsoleBackend:
    """Write each SMS to the log instead of sending it."""

    name = "console"
    label = _("Console (development)")
    needs_template = False

    def __init__(self, sign_name: str = ""):
        self.sign_name = sign_name

    def send(self, sms: Outgoing) -> str:
        provider_id = uuid.uuid4().hex
        text = with_signature(sms.text, self.sign_name)
        parts = sms_segments(sms.text, self.sign_name).parts
        logger.info("SMS to %s (%d part(s), id %s):\n%s", sms.to, parts, provider_id, text)
        return provider_id

    def describe(self) -> dict[str, str]:
        return {"sign_name": self.sign_name}


class FileBackend:
    """Write each SMS as a JSON file into a directory."""

    name = "file"
    label = _("Files (one JSON file a message)")
    needs_template = False

    def __init__(self, directory: Path, sign_name: str = ""):
        self.directory = directory
        self.sign_name = sign_name

    def send(self, sms: Outgoing) -> str:
        provider_id = uuid.uuid4().hex
        now = timezone.now()
        segments = sms_segments(sms.text, self.sign_name)
        record = {
            "id": provider_id,
            "to": sms.to,
            "text": with_signature(sms.text, self.sign_name),
            "sign_name": self.sign_name,
            "template_code": sms.template_code,
            "template_params": sms.template_params,
            "reference": sms.reference,
            "encoding": segments.encoding,
            "parts": segments.parts,
            "sent_at": now.isoformat(),
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{now:%Y%m%dT%H%M%S%f}-{provider_id}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        return provider_id

    def describe(self) -> dict[str, str]:
        return {"directory": str(self.directory), "sign_name": self.sign_name}


def backend_from_url(url: str) -> SmsBackend:
    """Return the backend an `SMS_URL` names; an unknown or incomplete one is refused."""
    from guanxi.activities.sms.aliyun import AliyunBackend

    parts = urlsplit(url or "console://")
    query = parse_qs(parts.query)
    sign_name = _option(query, "sign_name")
    if parts.scheme == "console":
        return ConsoleBackend(sign_name=sign_name)
    if parts.scheme == "file":
        if not parts.path:
            raise ImproperlyConfigured("SMS_URL file:// needs a directory: file:///path/to/dir")
        return FileBackend(Path(unquote(parts.path)), sign_name=sign_name)
    if parts.scheme in ("aliyun", "aliyun+http"):
        if not (parts.username and parts.password and sign_name):
            raise ImproperlyConfigured(
                "SMS_URL aliyun:// needs KEY_ID:SECRET@host and ?sign_name=: "
                "aliyun://KEY_ID:SECRET@dysmsapi.aliyuncs.com?sign_name=..."
            )
        scheme = "http" if parts.scheme == "aliyun+http" else "https"
        host = parts.hostname or "dysmsapi.aliyuncs.com"
        netloc = f"{host}:{parts.port}" if parts.port else host
        return AliyunBackend(
            access_key_id=unquote(parts.username),
            access_key_secret=unquote(parts.password),
            sign_name=sign_name,
            endpoint=f"{scheme}://{netloc}/",
            region=_option(query, "region", "cn-hangzhou"),
        )
    raise ImproperlyConfigured(f"SMS_URL: unknown SMS backend {parts.scheme!r}")


def mask_url(url: str) -> str:
    """Return an `SMS_URL` with its secret hidden, for showing to administrators."""
    parts = urlsplit(url or "console://")
    if not parts.password:
        return url or "console://"
    netloc = parts.netloc.replace(f":{parts.password}@", ":••••••@", 1)
    return parts._replace(netloc=netloc).geturl()


def utc_timestamp(now: datetime.datetime | None = None) -> str:
    """Return an ISO 8601 UTC timestamp to the second, as RPC-style provider APIs want."""
    now = now or timezone.now()
    return now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
