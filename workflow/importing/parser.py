"""Read the measures report table (the seed's six columns) into plain dataclasses.

What PDF exports of these reports really contain, and how it is read:
- title lines before the table, and the header row repeated on every page: skipped;
- a row whose first column is empty continues the measure above (a page break);
  there, a text that does not start with the next item number continues the last item;
- `<p>` fragments in cells: tags stripped, `</p> <p>` separates items;
- items numbered inline (`๑.… ๒.…`, Thai or Arabic digits): split only on the NEXT
  expected number preceded by a space, so `พ.ศ. ๒๕๖๔` or `ที่ ๔๔๖/๒๕๖๓` never split;
- items written `-… -…`; a cell with neither is one item;
- the vowel ำ as two code points, mixed Thai/Arabic digits, line-wrap spaces.
Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field

from workflow import thai
from workflow.importing.readers import Row, Source, Table, table_read

COLUMNS = (
    ("มาตรการ/แนวทาง", "measure"),
    ("วิธีการดำเนินการ", "methods"),
    ("ผู้รับผิดชอบ", "responsible divisions"),
    ("ระยะเวลาดำเนินการ", "period"),
    ("ผลการดำเนินการ", "results"),
    ("ข้อเสนอแนะ", "recommendations"),
)
WIDTH = len(COLUMNS)
TITLE, METHODS, DIVISIONS, PERIOD, RESULTS, RECOMMENDATIONS = range(WIDTH)

_NUMBERED, _DASHED, _SINGLE = "numbered", "dashed", "single"
_DASHES = "-–•"
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_PARAGRAPH_TAG = re.compile(r"</?p\b[^>]*>", re.IGNORECASE)
_P_OPEN = re.compile(r"<p\b", re.IGNORECASE)
_P_CLOSE = re.compile(r"</p\s*>", re.IGNORECASE)
_TITLE_NUMBER = re.compile(r"(\d{1,3})\s*[.)](?!\d)\s*")
_FIRST_ITEM = re.compile(r"0*1\s*[.)](?!\d)")
# A dash opens an item at the start or after a space, but not in a range like `๘ - ๑๘`.
_DASH_MARK = re.compile(rf"(?:^|(?<=\s))[{_DASHES}](?!\s*\d)\s*")


@dataclass
class ParsedMeasure:
    """One measure of the file, with its results and recommendations if any."""

    number: int
    title: str
    methods: list[str]
    division_names: list[str]
    period_start: dt.date
    period_end: dt.date
    results: list[str]
    recommendations: list[str]
    line: int  # where its first row is
    division_lines: list[int] = field(default_factory=list, repr=False, compare=False)
    period_line: int = field(default=0, repr=False, compare=False)


@dataclass
class ParsedReport:
    source_name: str
    format: str
    measures: list[ParsedMeasure]
    unit: str = "line"
    introduction: str = ""  # the opening paragraph above the table, if any

    @property
    def has_results(self) -> bool:
        return any(m.results or m.recommendations for m in self.measures)


def report_parse(source: Source, *, source_name: str | None = None) -> ParsedReport:
    """Parse a report in the seed's form (.txt), CSV or XLSX; raise ReportImportError."""
    return table_parse(table_read(source, source_name=source_name))


@dataclass
class _Draft:
    line: int
    number: int
    title_parts: list[str]
    cells: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


def table_parse(table: Table) -> ParsedReport:
    last_content_line = max((r.line for r in table.rows if not _is_blank(r.cells)), default=0)
    drafts: list[_Draft] = []
    in_table = False
    above: list[str] = []
    for row in table.rows:
        if _is_header(row.cells):
            _fit(table, row, last_content_line)
            in_table = True
            continue
        if not in_table and not _is_blank(row.cells):
            above.append(" ".join(c for c in row.cells if c.strip()))
        if not in_table or _is_blank(row.cells):
            continue  # the title and introduction above the table; blank lines
        cells = _fit(table, row, last_content_line)
        _check_paragraphs(table, row.line, cells)
        _add_row(table, drafts, row.line, cells)
    if not in_table:
        raise table.error(
            "ไม่พบตารางมาตรการ (ไม่มีแถวหัวตาราง 'มาตรการ/แนวทาง  วิธีการดำเนินการ …'): "
            "ไฟล์ว่าง ถูกตัด หรือไม่ใช่รายงานผลการดำเนินการมาตรการ",
            "no measures table found (no header row 'มาตรการ/แนวทาง  วิธีการดำเนินการ …'): "
            "the file is empty, cut short, or not a measures report",
            max(last_content_line, 1),
        )
    if not drafts:
        raise table.error(
            "ตารางไม่มีมาตรการเลย (ไฟล์ถูกตัด?)",
            "the table has no measures (is the file cut short?)",
            last_content_line,
        )
    measures = [_finish(table, draft) for draft in drafts]
    return ParsedReport(
        source_name=table.name, format=table.format, measures=measures, unit=table.unit,
        introduction=_introduction(above),
    )  # fmt: skip


_TITLE_MARKS = ("รายงานผลการดำเนินการมาตรการ", "ประจำปีงบประมาณ พ.ศ")


def _introduction(lines: list[str]) -> str:
    """The opening paragraph among the lines above the table: not the two title lines
    (bold in the seed), not a row of dots; what is left, as one paragraph."""
    kept = []
    for line in lines:
        text = clean_text(line.replace("*", ""))
        if (
            not text.strip(". …")
            or (line.lstrip().startswith("**") or line.rstrip().endswith("**"))
            or (len(text) < 120 and any(mark in text for mark in _TITLE_MARKS))
        ):
            continue
        kept.append(text)
    return " ".join(kept)


def _add_row(table: Table, drafts: list[_Draft], line: int, cells: list[str]) -> None:
    first = " ".join(_paragraphs(cells[TITLE]))
    if first:
        match = _TITLE_NUMBER.match(thai.to_arabic_digits(first))
        if match:
            number = int(match.group(1))
            duplicate = next((d for d in drafts if d.number == number), None)
            if duplicate:
                raise table.error(
                    f"เลขมาตรการ {number} ซ้ำกับมาตรการใน{_where_th(table)} {duplicate.line}",
                    f"measure number {number} is used twice (also on {table.unit} "
                    f"{duplicate.line})",
                    line,
                )
            if number < 1:
                raise table.error("เลขมาตรการต้องเริ่มที่ 1", "measure numbers start at 1", line)
            rest = first[match.end() :].strip()
            drafts.append(_Draft(line=line, number=number, title_parts=[rest] if rest else []))
        elif drafts:
            drafts[-1].title_parts.append(first)  # a title cut by a page break
        else:
            raise table.error(
                f"มาตรการแรกไม่มีเลขข้อ: ควรขึ้นต้นด้วย '๑.' ('{_short(first)}')",
                f"the first measure has no number: it should start with '1.' ('{_short(first)}')",
                line,
            )
    elif not drafts:
        raise table.error(
            "แถวแรกของตารางไม่มีชื่อมาตรการ จึงไม่มีมาตรการก่อนหน้าให้ต่อ",
            "the first row of the table has no measure, so it continues nothing",
            line,
        )
    for column in range(1, WIDTH):
        if cells[column].strip():
            drafts[-1].cells.setdefault(column, []).append((line, cells[column]))


def _finish(table: Table, draft: _Draft) -> ParsedMeasure:
    number, line = draft.number, draft.line
    title = " ".join(draft.title_parts)
    if not title:
        raise table.error(f"มาตรการข้อ {number} ไม่มีชื่อ", f"measure {number} has no title", line)
    methods = [text for _, text in _items(draft.cells.get(METHODS, []))]
    if not methods:
        raise table.error(
            f"มาตรการข้อ {number} ไม่มีวิธีการดำเนินการ", f"measure {number} has no method", line
        )
    divisions = [
        (where, name.strip())
        for where, text in _items(draft.cells.get(DIVISIONS, []))
        for name in text.split(",")
        if name.strip()
    ]
    if not divisions:
        raise table.error(
            f"มาตรการข้อ {number} ไม่มีผู้รับผิดชอบ",
            f"measure {number} has no responsible division",
            line,
        )
    period_cells = draft.cells.get(PERIOD, [])
    # A period cut by a page break is joined; one repeated on the next page is read once.
    parts = [p for _, raw in period_cells for p in _paragraphs(raw)]
    period_text = " ".join(dict.fromkeys(parts))
    period_line = period_cells[0][0] if period_cells else line
    if not period_text:
        raise table.error(
            f"มาตรการข้อ {number} ไม่มีระยะเวลาดำเนินการ",
            f"measure {number} has no period",
            line,
        )
    try:
        period_start, period_end = thai.parse_period(period_text)
    except thai.PeriodError:
        raise table.error(
            f"อ่านระยะเวลาดำเนินการไม่ได้: '{period_text}' (ควรเป็นเช่น 'ต.ค. ๒๕๖๓ - ก.ย. ๒๕๖๔')",
            f"unreadable period '{period_text}' (expected e.g. 'ต.ค. 2563 - ก.ย. 2564')",
            period_line,
        ) from None
    return ParsedMeasure(
        number=number,
        title=title,
        methods=methods,
        division_names=[name for _, name in divisions],
        division_lines=[where for where, _ in divisions],
        period_start=period_start,
        period_end=period_end,
        period_line=period_line,
        results=[text for _, text in _items(draft.cells.get(RESULTS, []))],
        recommendations=[text for _, text in _items(draft.cells.get(RECOMMENDATIONS, []))],
        line=line,
    )


def _items(fragments: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The ordered items of one column of one measure, across all its rows."""
    items: list[list] = []  # [line, text]
    mode = None
    expected = 1
    for row_index, (line, raw) in enumerate(fragments):
        for paragraph_index, paragraph in enumerate(_paragraphs(raw)):
            if mode is None:
                mode = _mode(paragraph)
            if mode == _NUMBERED:
                lead, pieces, expected = _split_numbered(paragraph, expected)
            elif mode == _DASHED:
                lead, pieces = _split_dashed(paragraph)
            else:
                lead, pieces = paragraph, []
            if lead:
                if items and row_index > 0 and paragraph_index == 0:
                    # The row after a page break carries on with the item it broke.
                    items[-1][1] = f"{items[-1][1]} {lead}".strip()
                else:
                    items.append([line, lead])
            items.extend([line, piece] for piece in pieces)
    return [(line, text) for line, text in items if text]


def _mode(paragraph: str) -> str:
    if _FIRST_ITEM.match(thai.to_arabic_digits(paragraph)):
        return _NUMBERED
    if paragraph[0] in _DASHES:
        return _DASHED
    return _SINGLE


def _split_numbered(text: str, expected: int) -> tuple[str, list[str], int]:
    """Cut `… ๒.… ๓.…` at the next expected numbers only; return (lead, items, next number)."""
    shadow = thai.to_arabic_digits(text)  # same length: one digit for one digit
    marks: list[tuple[int, int]] = []
    position = 0
    while match := re.compile(rf"(?:^|(?<=\s))0*{expected}\s*[.)](?!\d)").search(shadow, position):
        marks.append(match.span())
        position = match.end()
        expected += 1
    return (*_cut(text, marks), expected)


def _split_dashed(text: str) -> tuple[str, list[str]]:
    return _cut(text, [match.span() for match in _DASH_MARK.finditer(text)])


def _cut(text: str, marks: list[tuple[int, int]]) -> tuple[str, list[str]]:
    if not marks:
        return text.strip(), []
    ends = [start for start, _ in marks[1:]] + [len(text)]
    pieces = [text[end:stop].strip() for (_, end), stop in zip(marks, ends, strict=True)]
    return text[: marks[0][0]].strip(), pieces


def _paragraphs(raw: str) -> list[str]:
    """The cleaned, non-empty paragraphs of a cell: `<p>` tags separate them."""
    parts = (_TAG.sub(" ", part) for part in _PARAGRAPH_TAG.split(raw))
    cleaned = (clean_text(html.unescape(part)) for part in parts)
    return [part for part in cleaned if part]


def clean_text(text: str) -> str:
    return thai.unify_digits(thai.normalize_text(text))


def _key(text: str) -> str:
    return "".join(" ".join(_paragraphs(text)).split())


def _is_header(cells: tuple[str, ...]) -> bool:
    if len(cells) < 2:
        return False
    return _key(cells[0]).startswith("มาตรการ") and _key(cells[1]) == "วิธีการดำเนินการ"


def _is_blank(cells: tuple[str, ...]) -> bool:
    return not any(cell.strip() for cell in cells)


def _fit(table: Table, row: Row, last_content_line: int) -> list[str]:
    """The row's six cells; empty cells beyond the sixth are tolerated, anything else is not."""
    cells = list(row.cells)
    while len(cells) > WIDTH and not cells[-1].strip():
        cells.pop()
    if len(cells) != WIDTH:
        cut_th = cut_en = ""
        if row.line >= last_content_line and len(cells) < WIDTH:
            cut_th, cut_en = " (ไฟล์ถูกตัดกลางแถว?)", " (is the file cut short?)"
        raise table.error(
            f"แถวนี้มี {len(cells)} ช่อง แต่ตารางต้องมี {WIDTH} ช่อง{cut_th}",
            f"this row has {len(cells)} columns, the table has {WIDTH}{cut_en}",
            row.line,
        )
    return cells


def _check_paragraphs(table: Table, line: int, cells: list[str]) -> None:
    for (name_th, name_en), cell in zip(COLUMNS, cells, strict=True):
        if len(_P_OPEN.findall(cell)) > len(_P_CLOSE.findall(cell)):
            raise table.error(
                f"ข้อความในช่อง '{name_th}' ไม่ครบ: ย่อหน้า <p> ไม่ได้ปิด (ไฟล์ถูกตัด?)",
                f"the {name_en} cell is incomplete: a <p> is never closed (is the file cut short?)",
                line,
            )


def _where_th(table: Table) -> str:
    return "บรรทัดที่" if table.unit == "line" else "แถวที่"


def _short(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
