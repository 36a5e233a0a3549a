"""Talk to a mailbox's IMAP server: connect, open the folder, list and fetch new messages.

Messages are read with BODY.PEEK so fetching leaves them unread for the person who reads
the mailbox in their own mail client. SSL certificates are verified against the system's
authorities, plus the file `GUANXI_MAIL_CA_FILE` names (a company's own mail server).
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator

from django.conf import settings

from guanxi.activities.choices import MailSecurity

TIMEOUT = 30
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UID = re.compile(rb"UID (\d+)")


class MailServerError(Exception):
    """Say why a mailbox could not be read (connection, login, folder, protocol)."""


def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=getattr(settings, "GUANXI_MAIL_CA_FILE", None) or None)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, list | tuple):
        return " ".join(_text(item) for item in value if item is not None)
    return str(value)


class ImapSession:
    """One logged-in connection to a mailbox's server; use it as a context manager."""

    def __init__(self, *, host: str, port: int, security: str, username: str, password: str):
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.connection: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapSession:
        try:
            if self.security == MailSecurity.SSL:
                connection = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=_ssl_context(), timeout=TIMEOUT
                )
            else:
                connection = imaplib.IMAP4(self.host, self.port, timeout=TIMEOUT)
                if self.security == MailSecurity.STARTTLS:
                    connection.starttls(ssl_context=_ssl_context())
            self.connection = connection
            connection.login(self.username, self.password)
        except imaplib.IMAP4.error as error:
            self.close()
            raise MailServerError(f"login refused: {_text(error.args)}") from error
        except (OSError, ssl.SSLError, TimeoutError) as error:
            self.close()
            raise MailServerError(f"{type(error).__name__}: {error}") from error
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self.connection is None:
            return
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.connection.logout()
        self.connection = None

    def _call(self, name: str, *args):
        assert self.connection is not None
        try:
            status, data = getattr(self.connection, name)(*args)
        except (imaplib.IMAP4.error, OSError) as error:
            raise MailServerError(f"{name}: {error}") from error
        if status != "OK":
            raise MailServerError(f"{name}: {_text(data)}")
        return data

    def open_folder(self, folder: str) -> int:
        """Open a folder read-only and return its UIDVALIDITY."""
        self._call("select", _quote(folder), True)
        assert self.connection is not None
        validity = _text(self.connection.response("UIDVALIDITY")[1])
        match = re.search(r"\d+", validity)
        if match is None:
            status = self._call("status", _quote(folder), "(UIDVALIDITY)")
            found = _UIDVALIDITY.search(b" ".join(status))
            if found is None:
                raise MailServerError("the server did not say the folder's UIDVALIDITY")
            match = re.search(r"\d+", found.group(1).decode())
        return int(match.group())

    def uids_after(self, after_uid: int) -> list[int]:
        """Return the UIDs of the open folder above `after_uid`, in order."""
        data = self._call("uid", "SEARCH", "UID", f"{after_uid + 1}:*")
        # "n:*" always names the highest UID, even one below n: keep only the new ones.
        return sorted({int(uid) for uid in b" ".join(data).split() if int(uid) > after_uid})

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """Yield (UID, raw message) of the given UIDs, leaving the messages unread."""
        if not uids:
            return
        data = self._call("uid", "FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple) or len(item) < 2:
                continue
            found = _UID.search(item[0])
            if found is not None:
                yield int(found.group(1)), item[1]


def _utf7(folder: str) -> str:
    """Return a folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 已发送 → &XfJT0ZAB-."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quote(folder: str) -> str:
    """Return a folder name as an IMAP string (names with spaces need quotes)."""
    folder = _utf7(folder)
    if re.fullmatch(r"[A-Za-z0-9._/&,+-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
