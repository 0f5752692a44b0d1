"""A world where every kind of page exists, and a crawler that visits it as one person.

The world: the seeded demo (อบต.เขาทอง, its people, the imported FY 2564 report) with the
whole workflow run on some items (drafted, returned, withdrawn, reviewed, approved,
published, revised, with evidence), and a second organization with its own people.
The crawler follows every same-origin link and every GET form's default submission,
breadth first, from `/`, bounded; pages added later are reached as soon as they are linked.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from approvals.models import Delegation, Membership, Position, Role
from approvals.services import transition_perform
from tests.factories import (
    DivisionFactory,
    MeasureFactory,
    MembershipFactory,
    PositionFactory,
    ReportingRoundFactory,
    ResultReportFactory,
    UserFactory,
)
from workflow import services
from workflow.models import Action, Measure, Organization, ResultReport, State

DEMO_PEOPLE = (
    "palad", "klang", "chang", "suksa", "working", "working2", "nayok", "deputy",
    "publisher", "auditor", "orgadmin",
)  # fmt: skip
OTHER_PEOPLE = ("other_head", "other_auditor")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class CrawlWorld:
    organization: Organization
    other_organization: Organization
    people: dict
    items: dict = field(default_factory=dict)


def _heads_of(item) -> list:
    measure = item.measure if isinstance(item, ResultReport) else item
    division_ids = set(measure.divisions.values_list("pk", flat=True))
    return [
        m.user
        for m in Membership.objects.filter(
            organization_id=measure.organization_id, role=Role.DIVISION_HEAD
        ).prefetch_related("divisions")
        if division_ids & {d.pk for d in m.divisions.all()}
    ]


def _walk(item, people: dict, actions: list[str], head=None):
    """Take `actions` in order, each by the person whose turn it is; returns the fresh item."""
    head = head or _heads_of(item)[0]
    actor_for = {
        Action.SUBMIT: head, Action.WITHDRAW: head, Action.REVISE: head,
        Action.REVIEW: people["working"], Action.APPROVE: people["nayok"],
        Action.PUBLISH: people["publisher"],
    }  # fmt: skip
    for action in actions:
        action = Action(action)
        actor = actor_for.get(action)
        comment = ""
        if action == Action.RETURN:
            fresh = type(item).objects.get(pk=item.pk)
            actor = people["working"] if fresh.state == State.SUBMITTED else people["nayok"]
            comment = "กรุณาระบุหลักฐานการดำเนินการให้ครบถ้วน"
        transition_perform(item=item, action=action, actor=actor, comment=comment)
        item = type(item).objects.get(pk=item.pk)
    return item


def crawl_world_build() -> CrawlWorld:
    """The seeded demo with every state, a return, a revision and evidence; a second org."""
    call_command("seed_demo", stdout=_Null())
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=DEMO_PEOPLE)}
    organization = Organization.objects.get(slug="khao-thong")
    measures = list(Measure.objects.filter(organization=organization).order_by("number"))
    reports = {r.measure_id: r for r in ResultReport.objects.filter(measure__in=measures)}
    items = {}
    # measure 1: published, then revised and its revision edited (the public keeps v1)
    m1 = _walk(measures[0], people, ["submit", "review", "approve", "publish", "revise"])
    head = _heads_of(m1)[0]
    m1 = services.measure_update(
        measure=m1, actor=head, expected_version=m1.version,
        title=m1.title + " (ฉบับปรับปรุง)",
        methods=[*(m.text for m in m1.methods.order_by("position")), "ติดตามผลทุกไตรมาส"],
    )  # fmt: skip
    items["revised_measure"] = m1
    # its result report: evidence and a recommendation, published
    r1 = reports[measures[0].pk]
    services.evidence_add(
        report=r1, actor=_heads_of(r1)[0], title="คำสั่งแต่งตั้งคณะทำงาน",
        uploaded_file=SimpleUploadedFile("order.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip
    r1 = _walk(ResultReport.objects.get(pk=r1.pk), people, ["submit"])
    r1 = services.result_report_update(
        report=r1, actor=people["working"], expected_version=r1.version,
        recommendations=["ควรเผยแพร่ผลการดำเนินการบนเว็บไซต์ให้เป็นปัจจุบัน"],
    )  # fmt: skip
    items["published_report"] = _walk(r1, people, ["review", "approve", "publish"])
    items["returned_measure"] = _walk(measures[1], people, ["submit", "return"])
    items["reviewed_measure"] = _walk(measures[2], people, ["submit", "review"])
    items["approved_measure"] = _walk(measures[3], people, ["submit", "review", "approve"])
    items["published_measure"] = _walk(
        measures[4], people, ["submit", "review", "approve", "publish"]
    )
    items["withdrawn_measure"] = _walk(measures[5], people, ["submit", "withdraw"])
    items["returned_by_chief_report"] = _walk(
        reports[measures[4].pk], people, ["submit", "review", "return"]
    )
    items["submitted_report"] = _walk(reports[measures[2].pk], people, ["submit"])
    items["drafted_measure"] = measures[6]
    other = _other_organization(people)
    return CrawlWorld(organization, other, people, items)


def _other_organization(people: dict) -> Organization:
    """A second agency with one published measure: its people must never see khao-thong's."""
    other = Organization.objects.create(
        name="เทศบาลตำบลบ้านใหม่", short_name="ทต.บ้านใหม่", slug="ban-mai"
    )
    division = DivisionFactory(organization=other, name="กองคลัง")
    round_ = ReportingRoundFactory(organization=other, name="รอบ 12 เดือน")
    for username, name, position, role, divisions in (
        ("other_head", "นางมาลี ใบเขียว", "ผู้อำนวยการกองคลัง", Role.DIVISION_HEAD, [division]),
        ("other_working", "นายชาตรี ดวงดี", "ปลัดเทศบาล", Role.WORKING_GROUP, None),
        ("other_nayok", "นายสุรชัย บ้านใหม่", "นายกเทศมนตรีตำบลบ้านใหม่", Role.CHIEF_EXECUTIVE, None),
        ("other_publisher", "นางสาวจันทร์เพ็ญ ศรีงาม", "นักประชาสัมพันธ์", Role.PUBLISHER, None),
        ("other_auditor", "นางนงลักษณ์ ตรวจดี", "นักวิชาการตรวจสอบภายใน", Role.AUDITOR, None),
    ):  # fmt: skip
        first, last = name.split(" ", 1)
        people[username] = UserFactory(username=username, first_name=first, last_name=last)
        MembershipFactory(user=people[username], organization=other, role=role, divisions=divisions)
        PositionFactory(user=people[username], organization=other, title=position)
    measure = MeasureFactory(
        organization=other, fiscal_year=round_.fiscal_year, number=1, divisions=[division],
        title="เผยแพร่ข้อมูลการจัดซื้อจัดจ้างบนเว็บไซต์", methods=["ประกาศผลการจัดซื้อจัดจ้างทุกเดือน"],
    )  # fmt: skip
    ResultReportFactory(measure=measure, reporting_round=round_, items=["ประกาศครบ ๑๒ เดือน"])
    by_role = {
        Action.SUBMIT: people["other_head"], Action.REVIEW: people["other_working"],
        Action.APPROVE: people["other_nayok"], Action.PUBLISH: people["other_publisher"],
    }  # fmt: skip
    for action, actor in by_role.items():
        transition_perform(item=measure, action=action, actor=actor)
    return other


class _Null:
    def write(self, *args, **kwargs):
        pass


# --- the crawler -----------------------------------------------------------------------


class _PageParser(HTMLParser):
    """Links, GET forms with their default values, the visible text and the chrome's text."""

    # the interface's own words; <title> and <h1> carry the record's title, in Thai
    CHROME_TAGS = {"nav", "th", "button", "legend", "label", "h2", "summary"}
    SKIP_TEXT = {"script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self.text: list[str] = []
        self.chrome: list[str] = []
        self.lang = None
        self._stack: list[str] = []
        self._form = None
        self._select = None
        self._textarea = None
        self._data_depth = 0  # inside an element marked data-content (a record's own text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("br", "img", "input", "meta", "link", "hr", "col", "source", "wbr"):
            pass
        else:
            self._stack.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            method = (a.get("method") or "get").lower()
            self._form = {"method": method, "action": a.get("action") or "", "fields": []}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            self._form["fields"].append((a["name"], a.get("value") or ""))
        elif tag == "select" and self._form is not None and a.get("name"):
            self._select = {"name": a["name"], "first": None, "chosen": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in a:
                self._select["chosen"] = value
        elif tag == "textarea" and self._form is not None and a.get("name"):
            self._textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = self._select["chosen"]
            value = chosen if chosen is not None else self._select["first"]
            if value is not None and self._form is not None:
                self._form["fields"].append((self._select["name"], value))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["fields"].append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        if any(t in self.SKIP_TEXT for t in self._stack) or not data.strip():
            return
        self.text.append(data.strip())
        if any(t in self.CHROME_TAGS for t in self._stack) or "header" in self._stack:
            self.chrome.append(data.strip())


@dataclass
class Visit:
    url: str
    status: int
    content_type: str
    problems: list[str]


# What a page must never show a person: internal names of the code.
_INTERNAL = [
    (re.compile(r"\b(workflow|approvals|audit|auth|axes)\.[a-z_]+\b"), "a model label"),
    (re.compile(r"\b[a-z]+(_[a-z]+)*_id\b"), "a field name ending in _id"),
    (re.compile(r"\(\s*'[a-z_]+',"), "a Python tuple"),
    (re.compile(r"<[A-Za-z_]+ object at 0x"), "a Python object"),
    # ("None yet." is English; a bare None, True or False is a value printed as Python)
    (re.compile(r"\b(None(?! yet\.)|True|False)\b"), "a Python constant"),
    (re.compile(r"\{'[a-z_]+':"), "a Python dict"),
]
_CODES_THAI = re.compile(
    r"\b(" + "|".join(
        [*(r.value for r in Role), *(s.value for s in State), *(a.value for a in Action),
         "edited", "created", "deleted", "history_type", "resultreport", "measuremethod",
         "resultitem", "transition_log", "transitionlog"]
    ) + r")\b"
)  # fmt: skip
# Thai letters; Thai digits on English pages are a matter of their own (numbers of records)
_THAI = re.compile(r"[\u0e01-\u0e4f]")


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def _page_problems(parser: _PageParser, language: str, url: str, username: str) -> list[str]:
    problems = []
    expected = "th" if language == "th" else "en"
    if parser.lang != expected:
        problems.append(f'<html lang="{parser.lang}">, expected "{expected}"')
    # the person's own login name (beside "log out") is theirs, not a code
    text = "\n".join(parser.text).replace(f"({username})", "")
    # an e-mail address (auditor@…) is an address, not a role code
    text = _EMAIL.sub("", text)
    for pattern, what in _INTERNAL:
        match = pattern.search(text)
        if match:
            problems.append(f"shows {what}: {match.group()!r}")
    if language == "th":
        match = _CODES_THAI.search(text)
        if match:
            problems.append(f"shows a code on a Thai page: {match.group()!r}")
    else:
        thai_chrome = [t for t in parser.chrome if _THAI.search(t) and not _is_data(t)]
        if thai_chrome:
            problems.append(f"Thai interface text on an English page: {thai_chrome[:3]!r}")
    return problems


def _is_data(text: str) -> bool:
    """Records' own words (titles, methods, results, names of divisions, people, rounds and
    organizations) are Thai in any language: a text is interface text only when some Thai
    is left in it once those are taken out (a shortened title counts as its beginning)."""
    if text in _DATA_TEXTS:
        return True
    for run in _THAI_RUN.findall(text):
        # "name (position" is two records' words, each of them data
        for part in re.split(r"[()]", run):
            part = part.strip(" .,:;()·–-…")
            if part and part not in _DATA_CORPUS[0]:
                return False
    return True


_DATA_TEXTS: set[str] = set()
_DATA_CORPUS = [""]
# a stretch of Thai, with the spaces, digits and punctuation inside it
_THAI_RUN = re.compile(r"[\u0e00-\u0e7f][\u0e00-\u0e7f\s\d.,()\-]*")


def data_texts_collect() -> None:
    """The records' own words, which an English page shows in Thai as they were written."""
    from workflow.models import (
        Division,
        FiscalYear,
        Measure,
        MeasureMethod,
        Recommendation,
        ReportingRound,
        ResultItem,
        SpacingProposal,
    )
    from workflow.selectors import REPORT_COLUMNS, PublicReport

    User = get_user_model()
    _DATA_TEXTS.clear()
    # the published report is the official Thai document: its columns keep the seed's words
    _DATA_TEXTS.update(REPORT_COLUMNS)
    for names in (
        Division.objects.values_list("name", flat=True),
        ReportingRound.objects.values_list("name", flat=True),
        Organization.objects.values_list("name", flat=True),
        Organization.objects.values_list("short_name", flat=True),
        Organization.objects.values_list("province", flat=True),
        User.objects.values_list("first_name", flat=True),
        User.objects.values_list("last_name", flat=True),
        # people as the header names them: the full name
        [f"{first} {last}" for first, last in User.objects.values_list("first_name", "last_name")],
        Position.objects.values_list("title", flat=True),
        Delegation.objects.values_list("deputy_position", flat=True),
        Measure.objects.values_list("title", flat=True),
        MeasureMethod.objects.values_list("text", flat=True),
        ResultItem.objects.values_list("text", flat=True),
        Recommendation.objects.values_list("text", flat=True),
        SpacingProposal.objects.values_list("proposed", flat=True),
    ):
        _DATA_TEXTS.update(n.strip() for n in names if n)
    # the published document's own heading, which the as-of report repeats
    for organization in Organization.objects.all():
        for fiscal_year in FiscalYear.objects.all():
            report = PublicReport(
                organization=organization, fiscal_year=fiscal_year, rows=[], chain_head="",
                last_published_at=None,
            )  # fmt: skip
            _DATA_TEXTS.add(report.title)
    _DATA_CORPUS[0] = "\n".join(sorted(_DATA_TEXTS))


# Never followed: actions (log out is a POST anyway), the language switch, the admin's
# write pages and big binary downloads' siblings are reached once through their links.
_SKIP = re.compile(r"^/(static/|media/|i18n/|accounts/logout/)")
# Links to one path that differ only in their query values (pages, filters, cursors)
# lead to the same kind of page: a few of them suffice.
PER_SHAPE = 3


def _shape(url: str) -> tuple:
    parts = urlsplit(url)
    keys = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return parts.path, keys


def crawl(
    client, *, language: str, username: str = "", limit: int = 400, starts=("/", "/public/")
) -> list[Visit]:
    """Visit every page reachable from `starts` as the client's person; at most `limit`.

    `/public/` is a start of its own: staff pages do not link the citizens' site.
    """
    client.cookies["django_language"] = language
    queue = deque(starts)
    seen = set(starts)
    shapes: dict[tuple, int] = {}
    visits = []
    while queue and len(visits) < limit:
        url = queue.popleft()
        response = client.get(url)
        content_type = response.get("Content-Type", "")
        problems = []
        if response.status_code >= 500:
            problems.append(f"status {response.status_code}")
        if response.status_code in (301, 302, 303, 307, 308):
            target = urljoin(url, response["Location"])
            _enqueue(target, queue, seen, shapes)
        elif content_type.startswith("text/html") and not getattr(response, "streaming", False):
            parser = _PageParser()
            parser.feed(response.content.decode("utf-8", "replace"))
            if response.status_code < 500:
                problems += _page_problems(parser, language, url, username)
            for href in parser.links:
                _enqueue(urljoin(url, href), queue, seen, shapes)
            for form in parser.forms:
                if form["method"] == "get":
                    action = urljoin(url, form["action"] or url).split("?")[0]
                    query = urlencode(form["fields"])
                    _enqueue(f"{action}?{query}" if query else action, queue, seen, shapes)
        visits.append(Visit(url, response.status_code, content_type, problems))
    return visits


def _enqueue(url: str, queue, seen, shapes) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
        return
    local = parts.path + (f"?{parts.query}" if parts.query else "")
    if local in seen or _SKIP.match(parts.path):
        return
    seen.add(local)
    shape = _shape(local)
    if shapes.get(shape, 0) >= PER_SHAPE:
        return
    shapes[shape] = shapes.get(shape, 0) + 1
    queue.append(local)
