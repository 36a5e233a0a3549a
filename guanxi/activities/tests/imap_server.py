"""A real IMAP server for the tests: Debian's dovecot, started in a temporary directory.

Each server has its own configuration, password file, maildirs, log and a free port on
127.0.0.1; nothing of the system's dovecot service is used or changed. Run as root, mail
is stored as the unprivileged `dovecot` user (dovecot refuses mail access as root); run as
anyone else, every process of it runs as that user.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
SKIP_REASON = "dovecot-imapd is not installed: apt-get install dovecot-imapd"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {ssl_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and localhost; return (cert, key)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class DovecotServer:
    """Start a private dovecot; `append` puts messages in a user's folder as a client would."""

    def __init__(self, users: dict[str, str], *, ssl: bool = False):
        self.root = Path(tempfile.mkdtemp(prefix="guanxi-dovecot-"))
        self.users = users
        self.port = free_port()
        self.ssl_port = free_port() if ssl else 0
        self.cert: Path | None = None
        self.process: subprocess.Popen | None = None
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("dovecot")
            login_user, internal_user = "dovenull", "dovecot"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            login_user = internal_user = mail_user.pw_name
        self.uid, self.gid = mail_user.pw_uid, mail_user.pw_gid
        ssl_files = ""
        if ssl:
            self.cert, key = self_signed_certificate(self.root)
            ssl_files = f"ssl_cert = <{self.cert}\nssl_key = <{key}"
        (self.root / "passwd").write_text(
            "".join(f"{name}:{{PLAIN}}{password}::::::\n" for name, password in users.items())
        )
        for name in users:
            (self.root / "home" / name).mkdir(parents=True)
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            CONFIG.format(
                root=self.root,
                port=self.port,
                ssl_port=self.ssl_port,
                ssl="yes" if ssl else "no",
                ssl_files=ssl_files,
                login_user=login_user,
                internal_user=internal_user,
                uid=self.uid,
                gid=self.gid,
            )
        )
        if os.geteuid() == 0:
            for path in [self.root / "home", *(self.root / "home").iterdir()]:
                os.chown(path, self.uid, self.gid)

    def start(self) -> DovecotServer:
        # In the foreground (-F) the master stays this process's child: stopped by its pid.
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def client(self, user: str) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(user, self.users[user])
        return connection

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver a message into a user's folder, as a mail client's APPEND would."""
        connection = self.client(user)
        try:
            if folder != "INBOX":
                connection.create(folder)
            status, _data = connection.append(folder, "", None, raw)
            assert status == "OK", _data
        finally:
            connection.logout()
