"""Fixtures of the activities tests: a real IMAP server (dovecot) and mailboxes on it."""

import pytest

from guanxi.activities.tests.imap_server import DOVECOT, SKIP_REASON, DovecotServer

IMAP_USERS = {"sales": "sales-pass-1", "wang": "wang-pass-1"}


@pytest.fixture
def imap_server():
    """Start a private dovecot on a free port (skipped where dovecot-imapd is not installed)."""
    if DOVECOT is None:
        pytest.skip(SKIP_REASON)
    server = DovecotServer(IMAP_USERS).start()
    yield server
    server.stop()


@pytest.fixture
def imaps_server(settings):
    """Start a private dovecot that also speaks SSL, with a self-signed certificate trusted."""
    if DOVECOT is None:
        pytest.skip(SKIP_REASON)
    server = DovecotServer(IMAP_USERS, ssl=True).start()
    settings.GUANXI_MAIL_CA_FILE = str(server.cert)
    yield server
    server.stop()


@pytest.fixture
def mailbox_on(db):
    """Return a function making a mailbox of a test IMAP server's user."""
    from guanxi.activities.models import Mailbox

    def make(server, user="sales", *, owner=None, security="none", **fields):
        mailbox = Mailbox(
            name=fields.pop("name", f"{user} mailbox"),
            host="127.0.0.1",
            port=server.port,
            security=security,
            username=user,
            owner=owner,
            **fields,
        )
        mailbox.set_password(IMAP_USERS[user])
        mailbox.save()
        return mailbox

    return make
