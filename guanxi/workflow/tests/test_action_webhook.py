"""call_webhook against a real local HTTP server that checks the signature."""

import hashlib
import hmac
import http.server
import json
import threading
from types import SimpleNamespace

import pytest

from guanxi.core.secretbox import unseal
from guanxi.core.tests.factories import UserFactory, grant
from guanxi.customers.tests.factories import AccountFactory
from guanxi.workflow.actions import ActionContext, ActionFailed, get_action, validate_params

pytestmark = pytest.mark.django_db
SECRET = "s3cret-of-the-receiver-2026"


class Receiver:
    """A local HTTP server that keeps what it receives and answers with a chosen status."""

    def __init__(self, status: int = 200):
        self.calls: list[dict] = []
        self.status = status
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                receiver.calls.append(
                    {
                        "body": json.loads(body),
                        "signature_ok": hmac.compare_digest(
                            self.headers.get("X-Guanxi-Signature", ""), expected
                        ),
                        "content_type": self.headers["Content-Type"],
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/guanxi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def run(record, params, *, actor):
    context = ActionContext(
        entity_name="account",
        record=record,
        event={"name": "account.updated", "payload": {"id": record.pk}},
        rule=SimpleNamespace(pk=11),
        actor=actor,
    )
    return get_action("call_webhook").run(context, params)


@pytest.fixture
def rep():
    rep = UserFactory(username="rep")
    grant(rep, "account", scope="own")
    return rep


def hook_params(url):
    cleaned, errors = validate_params("account", "call_webhook", {"url": url, "secret": SECRET})
    assert errors == []
    return cleaned


def test_the_record_is_posted_signed_with_the_secret(rep):
    account = AccountFactory(owner=rep, name="杭州云帆科技有限公司")
    with Receiver() as receiver:
        params = hook_params(receiver.url)
        result = run(account, params, actor=rep)

    [call] = receiver.calls
    assert call["signature_ok"] is True
    assert call["content_type"] == "application/json; charset=utf-8"
    body = call["body"]
    assert (body["event"], body["entity"], body["id"], body["rule"]) == (
        "account.updated",
        "account",
        account.pk,
        11,
    )
    assert (body["record"]["name"], body["record"]["owner"]) == ("杭州云帆科技有限公司", rep.pk)
    assert result == f"Webhook called: {receiver.url} answered 200."


def test_the_secret_is_stored_sealed_only():
    cleaned, errors = validate_params(
        "account", "call_webhook", {"url": "https://erp.example.cn/hook", "secret": SECRET}
    )

    assert errors == []
    assert cleaned["secret"] == ""
    assert SECRET not in json.dumps(cleaned)
    assert unseal(cleaned["secret_sealed"]) == SECRET
    # Saving again without typing the secret keeps the sealed one.
    again, errors = validate_params("account", "call_webhook", {**cleaned, "secret": ""})
    assert errors == [] and again["secret_sealed"] == cleaned["secret_sealed"]


def test_a_non_2xx_answer_fails_the_action_for_a_retry(rep):
    account = AccountFactory(owner=rep)
    with (
        Receiver(status=503) as receiver,
        pytest.raises(ActionFailed, match="The webhook answered 503"),
    ):
        run(account, hook_params(receiver.url), actor=rep)

    assert len(receiver.calls) == 1
    assert get_action("call_webhook").retry is True


def test_a_server_that_is_down_fails_the_action(rep, closed_port):
    account = AccountFactory(owner=rep)

    with pytest.raises(ActionFailed, match="could not be reached"):
        run(account, hook_params(f"http://127.0.0.1:{closed_port}/hook"), actor=rep)


def test_bad_parameters_are_refused():
    _cleaned, errors = validate_params("account", "call_webhook", {"url": "ftp://x", "secret": ""})

    assert errors == [
        "Call webhook – URL: Enter a valid URL.",
        "Call webhook – Secret: Enter the secret the receiver checks signatures with.",
    ]
