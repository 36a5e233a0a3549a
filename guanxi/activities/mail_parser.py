"""Read a raw email (RFC 5322 bytes) into what the CRM keeps of it.

Chinese mail clients often label GBK text as GB2312, put raw 8-bit GBK in headers, or use
RFC 2047 words in a charset Python does not know; every text here is decoded with the
declared charset widened to its superset (GB2312/GBK → GB18030), then UTF-8, then
GB18030, and only as a last resort with replacement characters.
"""

from __future__ import annotations

import datetime
import email
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from django.utils import timezone

from guanxi.activities.richtext import clean_html, plain_text

# Charsets whose real-world text is written in a wider superset.
WIDER_CHARSET = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class ParsedAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    """What is kept of one email: addresses, threading headers, text, HTML, attachments."""

    message_id: str
    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: list[tuple[str, str]] = field(default_factory=list)
    cc: list[tuple[str, str]] = field(default_factory=list)
    date: datetime.datetime | None = None
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """Return the Message-IDs this email answers, the direct parent first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return list(dict.fromkeys([*ids, *reversed(self.references)]))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Return text of bytes in a declared (maybe wrong or unknown) charset."""
    declared = (charset or "").strip().strip('"').lower()
    tried = [WIDER_CHARSET.get(declared, declared)] if declared else []
    for candidate in [*tried, "utf-8", "gb18030"]:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode(tried[0] if tried and _known(tried[0]) else "utf-8", errors="replace")


def _known(charset: str) -> bool:
    try:
        b"".decode(charset)
    except LookupError:
        return False
    return True


def _unescape(text: str) -> str:
    """Return text whose undecodable raw bytes (surrogate escapes) are read as Chinese text."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return decode_bytes(text.encode("utf-8", errors="surrogateescape"), None)


def decode_header(raw: str | None) -> str:
    """Return a header's text: RFC 2047 words decoded, raw 8-bit text read, lines unfolded."""
    if not raw:
        return ""
    raw = re.sub(r"\r?\n[ \t]+", " ", str(raw))
    parts = []
    try:
        chunks = email.header.decode_header(raw)
    except email.errors.HeaderParseError:
        return _unescape(raw).strip()
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            parts.append(_unescape(chunk))
        else:
            parts.append(
                decode_bytes(chunk, charset)
                if charset
                else _unescape(chunk.decode("utf-8", "surrogateescape"))
            )
    return "".join(parts).strip()


def _raw_headers(message: EmailMessage, name: str) -> list[str]:
    return [str(value) for key, value in message.raw_items() if key.lower() == name.lower()]


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """Return (display name, address lower case) pairs; names are decoded after splitting."""
    raw = _raw_headers(message, name)
    found = _split_addresses(raw)
    if not found and raw:
        # Some clients encode the whole header, addresses too, as one RFC 2047 word.
        found = _split_addresses([decode_header(value) for value in raw])
    return found


def _split_addresses(values: list[str]) -> list[tuple[str, str]]:
    found = []
    for display, address in email.utils.getaddresses(values):
        address = _unescape(address).strip().lower()
        if "@" in address:
            found.append((decode_header(display), address))
    return found


def _date(message: EmailMessage) -> datetime.datetime | None:
    raw = next(iter(_raw_headers(message, "Date")), "")
    try:
        moment = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def _message_ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value or "")


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    return decode_bytes(payload, part.get_content_charset())


def _filename(part: EmailMessage) -> str:
    name = part.get_param("filename", header="content-disposition") or part.get_param("name")
    if isinstance(name, tuple):  # RFC 2231: (charset, language, value)
        charset, _language, value = name
        return decode_bytes(value.encode("latin-1", "surrogateescape"), charset)
    return decode_header(name) if name else ""


def _walk(part: EmailMessage, mail: ParsedMail) -> None:
    """Collect the first text and HTML bodies and every attachment, depth first."""
    content_type = part.get_content_type()
    if part.is_multipart() and content_type != "message/rfc822":
        for child in part.iter_parts():
            _walk(child, mail)
        return
    disposition = part.get_content_disposition()
    name = _filename(part)
    if content_type == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else part.get_payload()
        data = inner.as_bytes() if hasattr(inner, "as_bytes") else bytes(str(inner), "utf-8")
        mail.attachments.append(ParsedAttachment(name or "message.eml", content_type, data))
    elif disposition == "attachment" or (name and not content_type.startswith("text/")):
        data = part.get_payload(decode=True) or b""
        mail.attachments.append(ParsedAttachment(name or "attachment", content_type, data))
    elif content_type == "text/plain" and not mail.text:
        mail.text = _part_text(part)
    elif content_type == "text/html" and not mail.html:
        mail.html = clean_html(_part_text(part))


def fallback_message_id(raw: bytes) -> str:
    """Return a stable Message-ID for an email without one, from its content."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@guanxi.invalid>"


def parse_mail(raw: bytes) -> ParsedMail:
    """Return what the CRM keeps of a raw email (raises ValueError if it has no sender)."""
    message = email.message_from_bytes(raw, policy=policy.default)
    ids = _message_ids(" ".join(_raw_headers(message, "Message-ID")))
    mail = ParsedMail(message_id=(ids[0] if ids else fallback_message_id(raw))[:255])
    mail.subject = decode_header(next(iter(_raw_headers(message, "Subject")), ""))[:300]
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    if not senders:
        raise ValueError("the email has no sender address")
    mail.from_name, mail.from_address = senders[0]
    mail.to = _addresses(message, "To")
    mail.cc = _addresses(message, "Cc")
    mail.date = _date(message)
    parents = _message_ids(" ".join(_raw_headers(message, "In-Reply-To")))
    mail.in_reply_to = parents[0][:255] if parents else ""
    mail.references = _message_ids(" ".join(_raw_headers(message, "References")))
    _walk(message, mail)
    if not mail.text and mail.html:
        mail.text = plain_text(mail.html, limit=100_000)
    return mail
