"""The Thai catalogue: Thai first, every msgid translated, English only when chosen."""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from approvals.models import Role
from tests.factories import DivisionFactory, MeasureFactory, UserFactory
from tests.web_helpers import people_of
from workflow.models import Action, Measure, ResultReport, State

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES" / "django.po"
# What makemessages must not read (the same as in the catalogue's header).
NOT_SOURCES = (".venv", "bench", "var", ".git", "node_modules", "staticfiles", "media")


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgstr (one per plural form), flags, obsolete.

    Enough of the format for our catalogue, to need no dependency: comments, flags,
    msgctxt, msgid, msgid_plural, msgstr / msgstr[n] and their continuation lines. An entry
    ends where a comment or a new msgctxt/msgid follows its msgstr (blank lines optional).
    """
    entries: list[dict] = []
    entry: dict | None = None
    key = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        starts_entry = line.startswith("#") or line.split(" ", 1)[0] in ("msgctxt", "msgid")
        if entry is None or (starts_entry and entry["msgstr"]):
            entry = {"flags": set(), "obsolete": obsolete, "msgid": None, "msgstr": {}}
            entries.append(entry)
            key = None
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            target = entry["msgstr"] if key.startswith("msgstr") else entry
            target[key] += ast.literal_eval(line)
        else:
            key, _, literal = line.partition(" ")
            target = entry["msgstr"] if key.startswith("msgstr") else entry
            target[key] = ast.literal_eval(literal)
    return [e for e in entries if e["msgid"] is not None]


def translatable(entries: list[dict]) -> list[dict]:
    return [e for e in entries if e["msgid"] and not e["obsolete"]]


def header(entries: list[dict]) -> dict:
    (head,) = [e for e in entries if e["msgid"] == "" and not e["obsolete"]]
    text = "".join(head["msgstr"].values())
    return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)


def problems_of(entries: list[dict]) -> list[str]:
    """The msgids without a Thai translation, or marked fuzzy."""
    problems = []
    for entry in translatable(entries):
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {entry['msgid']!r}")
        elif not entry["msgstr"] or not all(entry["msgstr"].values()):
            problems.append(f"untranslated: {entry['msgid']!r}")
    return problems


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """The language a request activated must not leak into the next test of this process."""
    yield
    translation.deactivate()


PLACEHOLDER = re.compile(r"%\([^)]+\)[sdifr]|%[sdifr]|\{[A-Za-z_][A-Za-z0-9_]*\}|</?[a-z][^>]*>")


# --- the catalogue ---------------------------------------------------------------------


def test_the_catalogue_is_thai_with_one_plural_form():
    fields = header(po_entries(CATALOGUE))

    assert fields["Language"] == "th"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"


def test_every_msgid_of_the_catalogue_is_translated_and_none_is_fuzzy():
    entries = po_entries(CATALOGUE)

    problems = problems_of(entries)

    assert len(translatable(entries)) > 200
    assert not problems, "Translate in locale/th/LC_MESSAGES/django.po:\n" + "\n".join(problems)


def test_translations_keep_every_placeholder_and_tag():
    wrong = []
    for entry in translatable(po_entries(CATALOGUE)):
        wanted = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for translated in entry["msgstr"].values():
            if sorted(PLACEHOLDER.findall(translated)) != wanted:
                wrong.append(f"{entry['msgid']!r} → {translated!r}")

    assert not wrong, "\n".join(wrong)


def test_a_string_added_to_the_sources_without_a_translation_is_caught(tmp_path):
    # given: a copy of the sources and of the catalogue, brought up to date as a developer
    # would (makemessages keeps the translations and adds the new msgids, empty)
    copy = tmp_path / "src"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(*NOT_SOURCES, "__pycache__", "*.mo", "*.pyc"),
    )
    assert shutil.which("xgettext"), "makemessages needs GNU gettext (apt-get install gettext)"

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "th", "--no-obsolete"]
        + [f"--ignore={name}" for name in NOT_SOURCES],
        cwd=copy,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )  # fmt: skip

    # then: the sources hold no msgid that the committed catalogue leaves untranslated
    assert result.returncode == 0, result.stderr
    updated = po_entries(copy / "locale" / "th" / "LC_MESSAGES" / "django.po")
    problems = problems_of(updated)
    assert not problems, (
        "New or changed strings: run `manage.py makemessages -l th --ignore=.venv "
        "--ignore=bench --ignore=var` and translate them:\n" + "\n".join(problems)
    )


def test_the_po_reader_sees_an_empty_or_fuzzy_entry(tmp_path):
    # given
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: th\\n"\n\n'
        '#: a.py:1\nmsgid "Submit"\nmsgstr "เสนอ"\n\n'
        '#: a.py:2\nmsgid "Withdraw"\nmsgstr ""\n\n'
        '#: a.py:3\n#, fuzzy, python-format\n#| msgid "Done"\nmsgid "Done: %(action)s."\n'
        'msgstr "ดำเนินการแล้ว"\n\n'
        '#: a.py:4\nmsgid ""\n"A long "\n"text."\nmsgstr ""\n"ข้อความ"\n"ยาว"\n\n'
        '#~ msgid "Gone"\n#~ msgstr ""\n',
        encoding="utf-8",
    )

    # when
    entries = po_entries(po)

    # then
    assert [e["msgid"] for e in translatable(entries)] == [
        "Submit",
        "Withdraw",
        "Done: %(action)s.",
        "A long text.",
    ]
    assert translatable(entries)[3]["msgstr"] == {"msgstr": "ข้อความยาว"}
    assert problems_of(entries) == [
        "untranslated: 'Withdraw'",
        "fuzzy: 'Done: %(action)s.'",
    ]


# --- Thai first --------------------------------------------------------------------------


def test_model_and_workflow_labels_are_thai_and_english():
    with translation.override("th"):
        assert str(Measure._meta.verbose_name).startswith("มาตรการ")
        assert str(ResultReport._meta.verbose_name) == "รายงานผลการดำเนินการ"
        assert str(Measure._meta.get_field("title").verbose_name) == "มาตรการ/แนวทาง"
        assert str(State.SUBMITTED.label) == "เสนอแล้ว"
        assert str(Action.RETURN.label) == "ส่งกลับแก้ไข"
        assert str(Role.CHIEF_EXECUTIVE.label) == "ผู้บริหาร (นายก)"
    with translation.override("en"):
        assert str(Measure._meta.verbose_name) == "measure"
        assert str(State.SUBMITTED.label) == "Submitted"
        assert str(Action.RETURN.label) == "Return"


def test_thai_is_the_default_language():
    assert settings.LANGUAGE_CODE == "th"


@pytest.mark.django_db
def test_a_staff_page_speaks_thai_by_default(organization):
    # given a division head with a drafted measure, and an English-language browser
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    MeasureFactory(organization=organization, number=1, divisions=[division])
    client = Client()
    client.force_login(people.head)

    # when
    response = client.get(reverse("workflow:measure-list"), HTTP_ACCEPT_LANGUAGE="en")

    # then
    page = response.content.decode()
    assert response.headers["Content-Language"] == "th"
    assert '<html lang="th">' in page
    for thai in ("เรื่องที่รอดำเนินการ", "รายงานผลการดำเนินการ", "ออกจากระบบ", "มาตรการ/แนวทาง"):
        assert thai in page, thai
    assert "ร่าง" in page  # the state of the measure
    assert "Log out" not in page


@pytest.mark.django_db
def test_the_admin_speaks_thai_by_default(client, organization):
    # given
    MeasureFactory(organization=organization, number=1)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    # when
    page = client.get(reverse("admin:index")).content.decode()
    changelist = client.get(reverse("admin:workflow_measure_changelist")).content.decode()

    # then
    assert "มาตรการและผลการดำเนินการ" in page  # the app
    assert "รายงานผลการดำเนินการ" in page  # a model
    assert "หลักฐานการตรวจสอบ" in page  # the audit app
    assert "มาตรการ/แนวทาง" in changelist


# --- English when chosen ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_form_switches_a_public_page_to_english_and_back(client):
    url = reverse("public:index")
    assert "รายงานที่เผยแพร่" in client.get(url).content.decode()

    # when the person chooses English
    response = client.post(reverse("set_language"), {"language": "en", "next": url})

    # then
    assert response.status_code == 302
    assert response["Location"] == url
    english = client.get(url)
    assert english.headers["Content-Language"] == "en"
    assert "Integrity and transparency measures: published reports" in english.content.decode()
    assert "ยังไม่มีการเผยแพร่" not in english.content.decode()

    # and back to Thai
    client.post(reverse("set_language"), {"language": "th", "next": url})
    assert "มาตรการส่งเสริมคุณธรรมและความโปร่งใส" in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_language_form_switches_a_staff_page_to_english(organization):
    # given
    division = DivisionFactory(organization=organization, name="สำนักปลัด")
    people = people_of(organization, division)
    measure = MeasureFactory(organization=organization, number=1, divisions=[division])
    client = Client()
    client.force_login(people.head)
    url = reverse("workflow:measure-detail", args=[measure.pk])
    assert "ประวัติการแก้ไข" in client.get(url).content.decode()

    # when
    client.post(reverse("set_language"), {"language": "en", "next": url})
    response = client.get(url)

    # then
    page = response.content.decode()
    assert response.headers["Content-Language"] == "en"
    for english in ("Waiting for me", "Result reports", "Log out", "History", "Submit"):
        assert english in page, english
    assert "ประวัติการแก้ไข" not in page
