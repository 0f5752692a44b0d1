"""The interface's words: one Thai term for each idea, across pages, e-mails and the catalogue.

The glossary below is the reference; a variant of a term anywhere in the catalogue or in the
templates and code is a page where staff would read two words for one thing.
"""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from approvals.notifications import ACTION_TITLES
from workflow.models import Action, State

ROOT = Path(settings.BASE_DIR)
CATALOGUE = ROOT / "locale/th/LC_MESSAGES/django.po"

# English msgid → the official Thai term every page uses for it.
GLOSSARY = {
    "Drafted": "ร่าง",
    "Submitted": "เสนอแล้ว",
    "Reviewed": "ตรวจทานแล้ว",
    "Approved": "อนุมัติแล้ว",
    "Published": "เผยแพร่แล้ว",
    "Submit": "เสนอ",
    "Withdraw": "ถอนเรื่อง",
    "Review": "ตรวจทาน",
    "Return": "ส่งกลับแก้ไข",
    "Approve": "อนุมัติ",
    "Publish": "เผยแพร่",
    "version": "ครั้งที่แก้ไข",
    "revision": "ฉบับปรับปรุงครั้งที่",
    "This field is required.": "โปรดกรอกข้อมูลในช่องนี้",
}

# Variants that once stood for a glossary term, and the term that replaces each.
VARIANTS = {
    "ส่งกลับให้แก้ไข": "ส่งกลับแก้ไข",
    "ลำดับการแก้ไข": "ครั้งที่แก้ไข",
    "ฟิลด์นี้จำเป็น": "โปรดกรอกข้อมูลในช่องนี้",
}


def _catalogue() -> dict[str, str]:
    text = CATALOGUE.read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        found = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if found:
            msgid = "".join(re.findall(r'"(.*)"', found.group(1)))
            entries[msgid] = "".join(re.findall(r'"(.*)"', found.group(2)))
    return entries


def test_glossary_terms_translate_as_the_glossary_says():
    entries = _catalogue()
    assert {msgid: entries.get(msgid) for msgid in GLOSSARY} == GLOSSARY
    with translation.override("en"):
        labels = {item: str(item.label) for item in [*State, *Action]}
        english = {item: label for item, label in labels.items() if label in GLOSSARY}
    with translation.override("th"):
        assert {item: str(item.label) for item in english} == {
            item: GLOSSARY[label] for item, label in english.items()
        }
        assert translation.gettext("This field is required.") == GLOSSARY["This field is required."]


def test_no_variant_of_a_glossary_term_is_left_anywhere():
    places = [CATALOGUE]
    for folder in ("approvals", "workflow", "audit", "templates", "config"):
        places += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".html", ".txt"}]
    found = [
        f"{path.relative_to(ROOT)}: {variant} (say {term})"
        for path in places
        for variant, term in VARIANTS.items()
        if variant in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_notifications_name_the_actions_with_the_glossary_terms():
    assert ACTION_TITLES[Action.RETURN][0] == GLOSSARY["Return"]
