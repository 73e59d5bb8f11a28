"""The Persian translation is complete: every message has a translation, none is a fuzzy guess, and every
string the code and templates mark for translation is in the catalogue."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import peyvand

PACKAGE = Path(peyvand.__file__).parent
CATALOGUE = PACKAGE / "locale" / "fa" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[str]:
    return [e for e in text.split("\n\n")[1:] if "msgid" in e and not e.lstrip().startswith("#~")]


def _msgids(text: str) -> set[str]:
    ids = set()
    for entry in _entries(text):
        match = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if match:
            ids.add("".join(re.findall(r'"(.*)"', match.group(1))))
    return ids


def test_every_message_has_a_persian_translation():
    untranslated = []
    for entry in _entries(CATALOGUE.read_text(encoding="utf-8")):
        msgstrs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry, re.M)
        if "#, fuzzy" in entry or any(not "".join(re.findall(r'"(.*)"', m)) for m in msgstrs):
            untranslated.append(entry.splitlines()[-2] if len(entry.splitlines()) > 1 else entry)
    assert untranslated == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogue_holds_every_string_marked_for_translation(tmp_path):
    copy = tmp_path / "peyvand"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    # Without settings, makemessages writes to ./locale of the copy and never touches the real catalogue.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "fa", "--no-obsolete", "-v", "0"],
        cwd=copy,
        check=True,
        env=env,
    )
    fresh = _msgids((copy / "locale" / "fa" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    assert fresh - _msgids(CATALOGUE.read_text(encoding="utf-8")) == set()
