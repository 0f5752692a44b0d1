"""Thai calendar and numerals: Buddhist Era years, Thai months, Thai digits.

Official Thai documents write years in BE (CE + 543), months as abbreviations
(ต.ค., ม.ค.) and numbers in Thai digits (๐–๙); every page and import goes
through these helpers so they are written one way only.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

BE_OFFSET = 543

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")

MONTH_ABBREVIATIONS = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
MONTH_NAMES = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip

PERIOD_SEPARATOR = " – "


def be_year(ce_year: int) -> int:
    return ce_year + BE_OFFSET


def ce_year(be_year: int) -> int:
    return be_year - BE_OFFSET


def to_thai_digits(value: object) -> str:
    return str(value).translate(_TO_THAI)


def to_arabic_digits(value: str) -> str:
    return value.translate(_TO_ARABIC)


_DIGIT_RUN = re.compile(r"[0-9๐-๙]+")


def unify_digits(text: str) -> str:
    """Write each number in one script: a run mixing ๐–๙ and 0–9 (a PDF artefact) turns Thai.

    Runs written wholly in Arabic digits (`COVID-19`, `ITA 2564`) are left as they are.
    """

    def repair(match: re.Match) -> str:
        run = match.group()
        if run.isascii() or not any(c in "0123456789" for c in run):
            return run
        return to_thai_digits(run)

    return _DIGIT_RUN.sub(repair, text)


def normalize_text(text: str) -> str:
    """Repair what PDF extraction does to Thai text.

    ำ (U+0E33) often arrives as nikhahit + sara aa (U+0E4D U+0E32), sometimes
    with a tone mark between them; NFC does not join them, so it is done here.
    Runs of white space (including non-breaking ones) become one space.
    """
    text = unicodedata.normalize("NFC", text)
    text = re.sub("\u0e4d([\u0e48-\u0e4b]?)\u0e32", "\\1\u0e33", text)
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    return re.sub(r"\s+", " ", text).strip()


def fiscal_year_of(day: dt.date) -> int:
    """The BE fiscal year a date falls in (FY 2564 = 1 Oct 2020 – 30 Sep 2021)."""
    return be_year(day.year + 1 if day.month >= 10 else day.year)


def fiscal_year_bounds(year_be: int) -> tuple[dt.date, dt.date]:
    end_ce = ce_year(year_be)
    return dt.date(end_ce - 1, 10, 1), dt.date(end_ce, 9, 30)


def format_month(day: dt.date | None, *, digits: str = "thai") -> str:
    """`ต.ค. ๒๕๖๓`: the month as the seed writes it."""
    if day is None:
        return ""
    text = f"{MONTH_ABBREVIATIONS[day.month - 1]} {be_year(day.year)}"
    return to_thai_digits(text) if digits == "thai" else text


def format_period(start: dt.date | None, end: dt.date | None, *, digits: str = "thai") -> str:
    """`ต.ค. ๒๕๖๓ – ก.ย. ๒๕๖๔`."""
    if not start and not end:
        return ""
    return (
        f"{format_month(start, digits=digits)}{PERIOD_SEPARATOR}{format_month(end, digits=digits)}"
    )


EN_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def english_month(day: dt.date | None) -> str:
    """`Oct 2020`: the month on an English page (Christian era, as English readers count)."""
    return f"{EN_MONTH_NAMES[day.month - 1][:3]} {day.year}" if day else ""


def english_period(start: dt.date | None, end: dt.date | None) -> str:
    if not start and not end:
        return ""
    return f"{english_month(start)}{PERIOD_SEPARATOR}{english_month(end)}"


def english_date(day: dt.date | dt.datetime | None, *, full: bool = True) -> str:
    """`14 January 2021` (full) or `14 Jan 2021`."""
    if day is None:
        return ""
    name = EN_MONTH_NAMES[day.month - 1]
    return f"{day.day} {name if full else name[:3]} {day.year}"


def english_datetime(moment: dt.datetime | None) -> str:
    """`14 Jan 2021 13:05` in the current time zone."""
    if moment is None:
        return ""
    from django.utils import timezone

    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{english_date(moment, full=False)} {moment:%H:%M}"


def format_date(
    day: dt.date | dt.datetime | None, *, digits: str = "thai", full: bool = True
) -> str:
    """`๑๔ มกราคม ๒๕๖๔` (full) or `๑๔ ม.ค. ๒๕๖๔`."""
    if day is None:
        return ""
    names = MONTH_NAMES if full else MONTH_ABBREVIATIONS
    text = f"{day.day} {names[day.month - 1]} {be_year(day.year)}"
    return to_thai_digits(text) if digits == "thai" else text


def format_datetime(moment: dt.datetime | None, *, digits: str = "thai") -> str:
    """`๑๔ ม.ค. ๒๕๖๔ ๑๓:๐๕ น.` in the current time zone."""
    if moment is None:
        return ""
    from django.utils import timezone

    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    text = f"{format_date(moment, digits='arabic', full=False)} {moment:%H:%M} น."
    return to_thai_digits(text) if digits == "thai" else text


_MONTH_PATTERN = "|".join(
    re.escape(a).replace(r"\.", r"\.\s*")
    for a in sorted(MONTH_ABBREVIATIONS, key=len, reverse=True)
)
_MONTH_YEAR = re.compile(rf"({_MONTH_PATTERN})\s*(\d{{2,4}})")


class PeriodError(ValueError):
    pass


def parse_month(text: str) -> dt.date:
    """`ต.ค.๒๕๖๓`, `ต.ค. 2563`, `ตุลาคม ๒๕๖๓` → 1 Oct 2020."""
    cleaned = to_arabic_digits(normalize_text(text))
    cleaned = re.sub(r"(?<=\d) (?=\d)", "", cleaned)  # `๒๕ ๖๓`: a year wrapped at a line end
    for index, name in enumerate(MONTH_NAMES):
        if cleaned.startswith(name):
            cleaned = MONTH_ABBREVIATIONS[index] + cleaned[len(name) :]
            break
    match = _MONTH_YEAR.fullmatch(cleaned.strip())
    if not match:
        raise PeriodError(f"อ่านเดือนไม่ได้ / unreadable month: {text!r}")
    abbreviation = re.sub(r"\s+", "", match.group(1))
    year = int(match.group(2))
    if year < 100:  # ๖๔ → 2564
        year += 2500
    if year < 2400:
        raise PeriodError(f"ปีต้องเป็น พ.ศ. / the year must be Buddhist Era: {text!r}")
    return dt.date(ce_year(year), MONTH_ABBREVIATIONS.index(abbreviation) + 1, 1)


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """`ต.ค.๒๕๖๓ - ก.ย.๒๕๖๔` → (1 Oct 2020, 1 Sep 2021): first days of both months."""
    cleaned = normalize_text(text)
    parts = re.split(r"\s*[-–—~]\s*|\s+ถึง\s+", cleaned)
    if len(parts) != 2 or not all(parts):
        raise PeriodError(f"อ่านระยะเวลาไม่ได้ / unreadable period: {text!r}")
    start, end = parse_month(parts[0]), parse_month(parts[1])
    if end < start:
        raise PeriodError(f"เดือนสิ้นสุดก่อนเดือนเริ่มต้น / the period ends before it starts: {text!r}")
    return start, end


class DateError(ValueError):
    pass


_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(
    r"(?:[T\s,]+(?:เวลา\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.(\d{1,6}))?)?\s*(?:น\.?)?)?"
)


def _named_month(text: str) -> tuple[int, int, int, str] | None:
    """`1 ธ.ค. 2569 …`, `1 ธันวาคม 2569 …` → (day, month, year, the rest)."""
    match = re.match(r"(\d{1,2})\s*", text)
    if not match:
        return None
    rest = text[match.end() :]
    names = [(name, index) for index, name in enumerate(MONTH_NAMES)]
    names += [(a, index) for index, a in enumerate(MONTH_ABBREVIATIONS)]
    names += [(a.replace(".", ""), index) for index, a in enumerate(MONTH_ABBREVIATIONS)]
    for name, index in sorted(names, key=lambda n: len(n[0]), reverse=True):
        if rest.startswith(name):
            year = re.match(r"\s*(?:พ\.\s*ศ\.\s*)?(\d{2,4})", rest[len(name) :])
            if year:
                tail = rest[len(name) + year.end() :]
                return int(match.group(1)), index + 1, int(year.group(1)), tail
    return None


def parse_datetime(text: str) -> tuple[dt.datetime, bool]:
    """A date (and time) as an official types it → (naive datetime, whether a time was given).

    Thai forms take Buddhist Era years: `01/12/2569`, `1/12/69 14:30`, `1 ธ.ค. 2569`,
    `๑ ธันวาคม ๒๕๖๙ ๑๔:๓๐ น.`; the ISO form `2026-12-01T14:30` (CE) is the machines' and the
    browser pickers'. A day-first date with a Christian-era year is refused, not guessed.
    """
    cleaned = to_arabic_digits(normalize_text(text or ""))
    if not cleaned:
        raise DateError("empty")
    iso = _ISO_DATE.match(cleaned)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        if year >= 2400:  # an ISO form written with the BE year
            year = ce_year(year)
        rest = cleaned[iso.end() :]
        offset = re.search(r"(Z|[+-]\d{2}:?\d{2})$", rest)
        if offset:
            rest = rest[: offset.start()]
    else:
        numeric = _NUMERIC_DATE.match(cleaned)
        if numeric:
            day, month, year = (int(g) for g in numeric.groups())
            rest = cleaned[numeric.end() :]
        else:
            named = _named_month(cleaned)
            if named is None:
                raise DateError(f"unreadable date: {text!r}")
            day, month, year, rest = named
        if year < 100:
            year += 2500
        if year < 2400:
            raise DateError(f"the year must be Buddhist Era: {text!r}")
        year = ce_year(year)
    rest = rest.strip().lstrip("T")
    time = _TIME.fullmatch(f" {rest}" if rest else "")
    if time is None:
        raise DateError(f"unreadable time: {text!r}")
    hour, minute, second = (int(g) if g else 0 for g in time.groups()[:3])
    micro = int((time.group(4) or "0").ljust(6, "0"))
    try:
        moment = dt.datetime(year, month, day, hour, minute, second, micro)
    except ValueError as error:
        raise DateError(f"no such date: {text!r}") from error
    if iso and offset:
        from django.utils import timezone

        aware = dt.datetime.fromisoformat(
            f"{moment.isoformat()}{offset.group(1).replace('Z', '+00:00')}"
        )
        moment = timezone.make_naive(aware)
    return moment, time.group(1) is not None


# --- search: one key for what people type and what is stored ----------------------------

_NO_SPACE = re.compile(r"[\s\u200b\u00a0]+")


def search_key(text: str | None) -> str:
    """What search compares: no spaces, ำ as one code point, Arabic digits, lower case.

    The imported titles keep the line-wrap spaces of the source PDF ("ปรับปรุง เว็บไซต์"),
    people type Thai or Arabic digits: all spellings of one phrase share this key. The
    PostgreSQL function `itaflow_search_key` (workflow migration 0005) computes the same.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = re.sub("\u0e4d([\u0e48-\u0e4b]?)\u0e32", "\\1\u0e33", text)
    return to_arabic_digits(_NO_SPACE.sub("", text)).lower()


_SARA_AM_SPLIT = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")


def search_spans(text: str, query: str) -> list[tuple[int, int]]:
    """Where `query` occurs in `text` by `search_key`, as (start, end) offsets in `text`."""
    key = search_key(query)
    if not key or not text:
        return []
    text = unicodedata.normalize("NFC", text)
    keyed, origin = [], []  # each character of the text's key, and the text it came from
    index = 0
    while index < len(text):
        split = _SARA_AM_SPLIT.match(text, index)
        if split:
            for char in split.group(1) + "\u0e33":
                keyed.append(char)
                origin.append((index, split.end()))
            index = split.end()
            continue
        for char in search_key(text[index]):
            keyed.append(char)
            origin.append((index, index + 1))
        index += 1
    keyed_text = "".join(keyed)
    spans, found = [], keyed_text.find(key)
    while found != -1:
        end = found + len(key)
        spans.append((origin[found][0], origin[end - 1][1]))
        found = keyed_text.find(key, end)
    return spans
