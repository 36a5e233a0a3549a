"""A stand-in for Aliyun's SMS API on a local port: checks each request's signature with the
test's secret, as the provider does, and answers recorded `SendSms` responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode

KEY_ID, SECRET = "LTAI5tTestKeyId", "TestSecret/With+Symbols"
# Recorded answers of dysmsapi SendSms (2017-05-25), as documented.
OK = {
    "Code": "OK",
    "Message": "OK",
    "BizId": "900619746936498440^0",
    "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
}
MOBILE_NUMBER_ILLEGAL = {
    "Code": "isv.MOBILE_NUMBER_ILLEGAL",
    "Message": "非法手机号",
    "RequestId": "5C9F9A5B-1D35-4F1C-9A5E-0B6B0A7E0C11",
}
BUSINESS_LIMIT_CONTROL = {
    "Code": "isv.BUSINESS_LIMIT_CONTROL",
    "Message": "触发小时级流控Permits:5",
    "RequestId": "0D1A5C55-7B25-4E7D-8C51-5B9C8F7F6A2B",
}


def independent_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Sign as Aliyun's documentation describes, written apart from the code under test."""
    query = urlencode(sorted(params.items()), quote_via=quote, safe="~")
    to_sign = "&".join([method, quote("/", safe=""), quote(query, safe="~")])
    mac = hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


class FakeAliyun:
    def __init__(self):
        self.requests: list[dict[str, str]] = []
        self.answers: dict[str, tuple[int, dict]] = {}  # PhoneNumbers → (HTTP status, body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                fake.requests.append(params)
                status, answer = fake.answer(params)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, params: dict[str, str]) -> tuple[int, dict]:
        params = dict(params)
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != KEY_ID:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        if signature != independent_signature(SECRET, "POST", params):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
            }
        return self.answers.get(params.get("PhoneNumbers", ""), (200, OK))

    def url(self, secret: str = SECRET, sign_name: str = "明远科技") -> str:
        return (
            f"aliyun+http://{KEY_ID}:{quote(secret, safe='')}@127.0.0.1:{self.port}"
            f"?sign_name={quote(sign_name)}"
        )

    def close(self):
        self.server.shutdown()
        self.server.server_close()
