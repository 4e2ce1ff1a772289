"""The zh-hans catalogue covers every marked string, so the default UI is all Chinese."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "nuanxin" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _entries(po: Path) -> dict[str, str]:
    """msgid -> msgstr (plural forms joined), header excluded."""
    text = po.read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            entries[_field(block, "msgid")] = ""
            continue
        msgid = _field(block, "msgid")
        if not msgid:
            continue
        if "msgid_plural" in block:
            strs = re.findall(r'^msgstr\[\d\] ((?:".*"\n?)+)', block + "\n", flags=re.M)
            entries[msgid] = "|".join(_unquote(s) for s in strs)
        else:
            entries[msgid] = _field(block, "msgstr")
    return entries


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} ((?:".*"\n?)+)', block + "\n", flags=re.M)
    return _unquote(match.group(1)) if match else ""


def _unquote(raw: str) -> str:
    return "".join(re.findall(r'"(.*)"', raw))


def test_every_catalogue_entry_is_translated():
    entries = _entries(CATALOGUE)
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr in entries.items() if not msgstr.strip("|")]
    assert missing == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are installed by make")
def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """Extract the messages from a copy of the code and compare the msgids."""
    copy = tmp_path / "nuanxin"
    shutil.copytree(ROOT / "nuanxin", copy, ignore=shutil.ignore_patterns("__pycache__", "tests", "tests_browser"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), "makemessages", "-l", "zh_Hans", "--no-obsolete", "-v", "0"],
        cwd=tmp_path / "nuanxin",
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "nuanxin.settings", "PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    fresh = set(_entries(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    kept = set(_entries(CATALOGUE))
    assert sorted(fresh - kept) == [], "run `make messages` and translate the new strings"
