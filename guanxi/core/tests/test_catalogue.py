"""The Chinese catalogue is complete: every translatable string has a reviewed translation."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]


def test_every_string_has_a_chinese_translation(tmp_path):
    if shutil.which("xgettext") is None or shutil.which("msgattrib") is None:
        pytest.skip("GNU gettext is not installed: apt-get install gettext")
    copy = tmp_path / "guanxi"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("static", "__pycache__"))
    environment = {**os.environ, "GUANXI_TESTING": "1"}
    subprocess.run(
        [sys.executable, "-m", "guanxi", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=copy,
        env={**environment, "PYTHONPATH": str(tmp_path)},
        check=True,
        capture_output=True,
    )
    catalogue = copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

    def entries(option: str) -> list[str]:
        listed = subprocess.run(
            ["msgattrib", option, "--no-wrap", str(catalogue)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [
            line for line in listed.splitlines() if line.startswith("msgid ") and line != 'msgid ""'
        ]

    missing = entries("--untranslated") + entries("--only-fuzzy")
    assert not missing, "Translate these in guanxi/locale/zh_Hans/LC_MESSAGES/django.po:\n" + (
        "\n".join(missing)
    )
