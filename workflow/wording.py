"""Thai text as it was written: the spaces a PDF's narrow cells added, and word-aware cuts.

Thai writes no space between words; a space marks a pause between phrases and is
required before ๆ and around numbers. A PDF export turns every line end of a table
cell into a space, so imported texts read "ปรับปรุง เว็บไซต์ หน่วยงานเพื่อ …".
`spacing_repair` proposes the text without those line-wrap spaces (a person accepts
it); `words_shorten` cuts a title at a word boundary. Both use pythainlp's `newmm`
tokenizer and its bundled word list, loaded once per process.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

ELLIPSIS = "…"
# The history's reason for an accepted spacing proposal, as the working group writes it.
SPACING_REASON = "แก้ไขช่องว่างจากการตัดบรรทัดของ PDF"

# A space next to one of these stays: ๆ and ฯ, brackets, dashes, quotes, punctuation.
_KEEP_NEXT_TO = set("ๆฯ()[]{}<>-–—‐\"'“”‘’:;,!?…=+*&%#@|")
_THAI = re.compile(r"[\u0E01-\u0E4E]")
_DIGIT = re.compile(r"[0-9\u0E50-\u0E59]")
# An abbreviation such as อบต. or พ.ศ. opens a new phrase: "สำนักปลัด อบต.".
_ABBREVIATION_START = re.compile(r"^[\u0E01-\u0E2E][\u0E01-\u0E4E]{0,3}\.")
_SPACES = re.compile(r"\s+")
_LEADING_VOWELS = "เแโใไ"  # written before their consonant
_FOLLOWING_VOWELS = "ะาำๅๆ"  # never start a syllable

# Words a writer sets off with a space in official writing: one goes before "เช่น" and
# after it, before "โดย" and "เพื่อ", after "เป็นต้น". Such a space is kept: it may be the
# writer's, and a space left standing harms less than two phrases run together.
SPACE_BEFORE = frozenset(
    {
        "เช่น", "โดย", "ได้แก่", "อาทิ", "ซึ่ง", "เป็นต้น", "ทั้งนี้", "นอกจากนี้",
        "อย่างไรก็ตาม", "ตลอดจน", "รวมถึง", "แต่", "ตาม", "ณ", "เพื่อ",
    }
)  # fmt: skip
SPACE_AFTER = frozenset({"เช่น", "ได้แก่", "อาทิ", "เป็นต้น", "ทั้งนี้", "นอกจากนี้", "ณ", "หรือไม่"})


@functools.cache
def _dictionary():
    """pythainlp's bundled word list as a trie, built once per process (about a second)."""
    from pythainlp.corpus import thai_words
    from pythainlp.util import Trie

    return Trie(thai_words())


def words(text: str) -> list[str]:
    """The words of `text` by the dictionary (newmm), spaces kept as their own tokens."""
    from pythainlp.tokenize import word_tokenize

    if not text:
        return []
    return word_tokenize(text, custom_dict=_dictionary(), engine="newmm", keep_whitespace=True)


def is_word(text: str) -> bool:
    return text in _dictionary()


def spacing_key(text: str) -> str:
    """What a text and its re-spaced forms share: NFC, no whitespace at all.

    For matching regardless of line-wrap spaces (search, comparing a proposal).
    """
    return "".join(unicodedata.normalize("NFC", text or "").split())


def spacing_only_change(old: str, new: str) -> bool:
    """Whether `new` differs from `old` only by whitespace (a re-spacing, not a rewording)."""
    return spacing_key(old) == spacing_key(new)


@dataclass(frozen=True)
class _Junction:
    offset: int  # where the space is, counted in the text without spaces
    left: str  # the chunk before the space
    right: str  # the chunk after it
    space: str


def _kept_by_its_neighbours(left: str, right: str) -> bool:
    """The rules that keep a space whatever the dictionary says."""
    last, first = left[-1], right[0]
    if last in _KEEP_NEXT_TO or first in _KEEP_NEXT_TO:
        return True
    if _DIGIT.match(last) or _DIGIT.match(first):
        return True  # around numbers: "ประจำปี ๒๕๖๔", "ที่ ๔๔๖/๒๕๖๓ ลง"
    if not _THAI.match(last) or not _THAI.match(first):
        return True  # around Latin words ("ITA", "Facebook"), after "ต.ค." and the like
    return bool(_ABBREVIATION_START.match(right))  # "สำนักปลัด อบต."


def _protected(text_key: str, keep: Iterable[str]) -> dict[int, bool]:
    """Junction offsets inside a kept phrase (an official name), and whether each stays.

    A name is found whatever its spacing in the text; inside it, a space stays exactly
    where the official name has one ("กองการศึกษา ศาสนาและวัฒนธรรม").
    """
    decided: dict[int, bool] = {}
    for phrase in keep:
        phrase_key = spacing_key(phrase)
        if len(phrase_key) < 2:
            continue
        spaces, offset = set(), 0
        for chunk in _SPACES.split(unicodedata.normalize("NFC", phrase).strip()):
            offset += len(chunk)
            spaces.add(offset)
        start = text_key.find(phrase_key)
        while start != -1:
            for inner in range(1, len(phrase_key)):
                decided[start + inner] = inner in spaces
            start = text_key.find(phrase_key, start + len(phrase_key))
    return decided


def spacing_repair(text: str, *, keep: Iterable[str] = ()) -> str:
    """`text` without the spaces a PDF's line wraps put inside Thai words and phrases.

    A space goes when a dictionary word runs across it, or when neither the word
    before it ends a phrase nor the word after it starts one. It stays before and
    after ๆ, around numbers, Latin words, brackets, dashes and abbreviations, and
    inside the names in `keep` (divisions) wherever those names have one. Only
    spaces are ever removed.
    """
    text = unicodedata.normalize("NFC", text or "")
    stripped = text.strip()
    pieces = _SPACES.split(stripped)
    if len(pieces) < 2:
        return text
    spaces = _SPACES.findall(stripped)
    junctions, offset = [], 0
    for left, right, space in zip(pieces, pieces[1:], spaces, strict=False):
        offset += len(left)
        junctions.append(_Junction(offset, left, right, space))
    text_key = "".join(pieces)
    protected = _protected(text_key, keep)
    starts, ends, crossing = _word_boundaries(text_key)
    out = [pieces[0]]
    for junction, right in zip(junctions, pieces[1:], strict=True):
        if _space_stays(junction, protected, starts, ends, crossing):
            out.append(junction.space)
        out.append(right)
    return text[: len(text) - len(text.lstrip())] + "".join(out) + text[len(text.rstrip()) :]


def _word_boundaries(text_key: str):
    """Where the words of the text without spaces start and end, and which offsets a
    dictionary word runs across."""
    starts: dict[int, str] = {}
    ends: dict[int, str] = {}
    crossing: set[int] = set()
    position = 0
    for token in words(text_key):
        end = position + len(token)
        starts[position] = token
        ends[end] = token
        if len(token) > 1 and is_word(token):
            crossing.update(range(position + 1, end))
        position = end
    return starts, ends, crossing


def _space_stays(junction: _Junction, protected, starts, ends, crossing) -> bool:
    if junction.offset in protected:
        return protected[junction.offset]
    if _kept_by_its_neighbours(junction.left, junction.right):
        return True
    if junction.offset in crossing:
        return False  # "เว็บไซต์ของ หน่วยงาน" is not, but "ประชา สัมพันธ์" is one word
    before, after = ends.get(junction.offset, ""), starts.get(junction.offset, "")
    return before in SPACE_AFTER or after in SPACE_BEFORE


def spacing_diff(found: str, proposed: str) -> list[tuple[str, str]]:
    """The proposal as segments ("same" | "removed" | "added", text) against the text found.

    Both texts hold the same letters; only whitespace differs.
    """
    segments: list[tuple[str, str]] = []

    def add(kind: str, piece: str) -> None:
        if segments and segments[-1][0] == kind:
            segments[-1] = (kind, segments[-1][1] + piece)
        else:
            segments.append((kind, piece))

    i = j = 0
    while i < len(found) or j < len(proposed):
        a = found[i] if i < len(found) else None
        b = proposed[j] if j < len(proposed) else None
        if a is not None and a == b:
            add("same", a)
            i, j = i + 1, j + 1
        elif a is not None and a.isspace():
            add("removed", a)
            i += 1
        elif b is not None and b.isspace():
            add("added", b)
            j += 1
        else:  # not a re-spacing: show the rest as it is proposed
            add("same", proposed[j:])
            break
    return segments


def words_shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis.

    The cut never splits a Thai word or a vowel from its consonant; a text that fits
    is returned as it is.
    """
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 1)
    kept = ""
    for token in words(text[: room + 40]):
        if len(kept) + len(token) > room:
            break
        kept += token
    kept = kept.rstrip(" ,;:-–/")
    if not kept:  # one word longer than the limit: cut it between characters
        cut = room
        while cut > 1 and (
            unicodedata.category(text[cut]) == "Mn"
            or text[cut] in _FOLLOWING_VOWELS
            or text[cut - 1] in _LEADING_VOWELS
        ):
            cut -= 1
        kept = text[:cut]
    return kept + ELLIPSIS
