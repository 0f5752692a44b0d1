"""How the audit trail reads to a person: labels, names, dates, and diffs that say what changed.

The one place used by the timeline, the organization log, the item pages' history box, the
report as of a date and the CSV's human columns. Selectors hand over rows of codes and ids;
this turns them into display objects (never dicts keyed by data), in the current language.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from audit.diff import META_FIELDS, LineChange, VersionDiff, version_diff
from workflow import thai

User = get_user_model()

EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HISTORY_ACTIONS = {"created": _("Created"), "edited": _("Edited"), "deleted": _("Deleted")}
# bookkeeping columns: the version number heads the entry, the timestamps are the entry's own
QUIET_FIELDS = {"id", "version", "updated_at", "created_at", "match_key"}
# the reasons the services write for plain edits; anything else is a person's own words
ROUTINE_REASONS = {"", "edit", "evidence", "created", "edited", "deleted"}
# the reasons the services write for roles, delegations and divisions, in words (reason_text)
REASON_LABELS = {
    "grant": _("Granted"),
    "revoke": _("Revoked"),
    "retire": _("Retired"),
    "restore": _("Brought back into use"),
    "rename": _("Renamed"),
}


# ---- values -------------------------------------------------------------------------------


def is_thai() -> bool:
    return (get_language() or "th").startswith("th")


def number_text(value) -> str:
    return thai.to_thai_digits(value) if is_thai() else str(value)


def when_text(moment: dt.datetime | None) -> str:
    """`๑ ธ.ค. ๒๕๖๙ ๑๔:๐๕ น.` on Thai pages, `1 Dec 2026 14:05` on English ones (Bangkok time)."""
    if moment is None:
        return ""
    if is_thai():
        return thai.format_datetime(moment)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment.day} {EN_MONTHS[moment.month - 1]} {moment.year} {moment:%H:%M}"


def day_text(day: dt.date | None) -> str:
    if day is None:
        return ""
    if is_thai():
        return thai.format_date(day, full=False)
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def month_text(day: dt.date | None) -> str:
    if day is None:
        return ""
    if is_thai():
        return thai.format_month(day)
    return f"{EN_MONTHS[day.month - 1]} {day.year}"


def ACTION_CODES() -> set[str]:
    from workflow.models import Action

    return set(Action.values)


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def state_text(code: str | None) -> str:
    from workflow.models import State

    return _label(State, code)


def action_text(code: str | None) -> str:
    """A transition's or a history row's action: `submit` → เสนอ, `edited` → แก้ไข."""
    from workflow.models import Action

    if code in HISTORY_ACTIONS:
        return str(HISTORY_ACTIONS[code])
    return _label(Action, code)


def role_text(code: str | None) -> str:
    from approvals.models import Role

    return _label(Role, code)


SYSTEM_NAMES = {
    "importer": _("The report importer"),
    "web:anonymous": _("A visitor who was not logged in"),
    "scheduled-publisher": _("The scheduled publication"),
    "command:import_report": _("The report import command"),
    "command:seed_demo": _("The command that creates the demonstration data"),
    "command:audit_verify": _("The chain check command"),
    "task:audit.verify_all": _("The nightly check"),
    "task:audit.verify_organization": _("A chain check asked for on the audit page"),
}


def system_text(code: str) -> str:
    """A system process as words: the importer, the nightly check, a command, a task …

    The process's own name stays in the exports' `system_actor` column.
    """
    if not code:
        return ""
    if code in SYSTEM_NAMES:
        return str(SYSTEM_NAMES[code])
    kind = code.partition(":")[0]
    if kind == "command":
        return gettext("A command run on the server")
    if kind == "task":
        return gettext("An automatic task of the system")
    return gettext("The system (no person acted)")


@dataclass(frozen=True)
class Person:
    """Who acted, as an official names them: full name and position, the role acted in,
    and for whom."""

    name: str
    role: str = ""
    acting_for: str = ""
    system: bool = False
    position: str = ""

    def __str__(self) -> str:
        text = self.name
        if self.position:
            text += f" ({self.position})"
        if self.role:
            text += " " + gettext("as %(role)s") % {"role": self.role}
        if self.acting_for:
            text += f" {self.acting_for}"
        return text


def acting_for_text(delegator_name: str) -> str:
    """ปฏิบัติราชการแทน นายก…: a deputy's act in the chief executive's place."""
    return gettext("acting for the %(role)s %(name)s") % {
        "role": role_text("chief_executive"),
        "name": delegator_name,
    }


def person(
    name: str, *, system_actor: str = "", role: str = "", delegator: str = "", position: str = ""
) -> Person:
    if not name:
        return Person(system_text(system_actor) or "–", system=True)
    if delegator:  # the role is the chief executive's, said once
        return Person(name, acting_for=acting_for_text(delegator), position=position)
    return Person(name, role=role_text(role) if role else "", position=position)


class Positions:
    """ตำแหน่ง of the people of one organization at given moments, from the positions'
    history (one query): an act is shown with the position its person held then."""

    def __init__(self, organization_id: int | None, user_ids):
        from approvals.models import Position

        self._versions: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
        ids = {u for u in user_ids if u}
        if organization_id is None or not ids:
            return
        rows = (
            # history_organization_id: the indexed copy of the organization (audit.history)
            Position.history.filter(
                history_organization_id=organization_id,
                organization_id=organization_id,
                user_id__in=ids,
            )
            .order_by("history_date", "history_id")
            .values_list("user_id", "history_date", "history_type", "title")
        )
        for user_id, at, kind, title in rows:
            self._versions[user_id].append((at, "" if kind == "-" else title))

    def at(self, user_id: int | None, moment: dt.datetime | None = None) -> str:
        """The position held at `moment` (now, without one); "" when none was recorded."""
        versions = self._versions.get(user_id) if user_id else None
        if not versions:
            return ""
        if moment is None:
            return versions[-1][1]
        held = ""
        for at, title in versions:
            if at > moment:
                break
            held = title
        return held


def full_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def reason_text(reason: str) -> str:
    """A reason as written: a person's words stay; the system's routine ones become words."""
    reason = (reason or "").strip()
    if reason in ROUTINE_REASONS:
        return ""
    if reason.startswith("imported from "):
        return gettext("imported from %(name)s") % {"name": reason.removeprefix("imported from ")}
    parts = [p.strip() for p in reason.split(",")]
    if all(p in REASON_LABELS for p in parts):  # roles, delegations, divisions
        return ", ".join(str(REASON_LABELS[p]) for p in parts)
    return reason


# ---- names of related records, read in batches ---------------------------------------------


class Names:
    """Ids of related records shown as what they are, one query per kind per page."""

    def __init__(self):
        self._cache: dict[type, dict[int, str]] = defaultdict(dict)

    def users(self, ids) -> dict[int, str]:
        return self._many(User, ids)

    def get(self, model: type[models.Model], pk) -> str:
        if pk in (None, ""):
            return ""
        return self._many(model, [pk]).get(pk) or f"{model._meta.verbose_name} {pk}"

    def _many(self, model, ids) -> dict[int, str]:
        known = self._cache[model]
        missing = {i for i in ids if i and i not in known}
        if missing:
            known.update(_names_of(model, missing))
        return known

    def prime(self, model, pks) -> None:
        self._many(model, pks)


def measure_label(number) -> str:
    return gettext("Measure %(number)s") % {"number": number_text(number)}


def report_label(number, round_name: str) -> str:
    return gettext("Results of measure %(number)s (%(round)s)") % {
        "number": number_text(number),
        "round": round_name,
    }


def _names_of(model, pks) -> dict[int, str]:
    from workflow.models import (
        Division,
        FiscalYear,
        Measure,
        Organization,
        ReportingRound,
        ResultReport,
    )

    if model is User:
        return {
            pk: full_name(first, last, username)
            for pk, first, last, username in User.objects.filter(pk__in=pks).values_list(
                "pk", "first_name", "last_name", "username"
            )
        }
    if model is Measure:
        rows = Measure.objects.filter(pk__in=pks).values_list("pk", "number")
        return {pk: measure_label(number) for pk, number in rows}
    if model is ResultReport:
        rows = ResultReport.objects.filter(pk__in=pks).values_list(
            "pk", "measure__number", "reporting_round__name"
        )
        return {pk: report_label(number, name) for pk, number, name in rows}
    if model is FiscalYear:
        rows = FiscalYear.objects.filter(pk__in=pks).values_list("pk", "year")
        return {pk: gettext("fiscal year %(year)s") % {"year": number_text(y)} for pk, y in rows}
    if model in {Division, Organization, ReportingRound}:
        return dict(model.objects.filter(pk__in=pks).values_list("pk", "name"))
    return {obj.pk: str(obj) for obj in model.objects.filter(pk__in=pks)}


# ---- one field of a version -----------------------------------------------------------------


def _model_field(model, name: str) -> models.Field | None:
    for f in model._meta.concrete_fields:
        if name in (f.name, f.attname):
            return f
    return None


def field_label(model, name: str) -> str:
    f = _model_field(model, name)
    return capfirst(str(f.verbose_name)) if f is not None else name


def value_text(model, name: str, value, names: Names) -> str:
    """A stored value as a person reads it: labels for codes, names for ids, Thai dates."""
    if value is None or value == "":
        return "–"
    f = _model_field(model, name)
    if f is None:
        return str(value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        if f.related_model._meta.label_lower == "workflow.fiscalyear":
            year = names.get(f.related_model, value)  # "ปีงบประมาณ พ.ศ. ๒๕๖๔" under its label
            return year.split(" ", 1)[1] if " " in year and is_thai() else year
        return names.get(f.related_model, value)
    if isinstance(f, models.DateTimeField):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
        return when_text(moment)
    if isinstance(f, models.DateField):
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
        # a measure's period is kept as first days of months: it reads as months
        return month_text(day) if name.startswith("period_") else day_text(day)
    if isinstance(f, models.BooleanField):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return number_text(value)
    return str(value)


# ---- words marked in a changed text ---------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


def marked(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """`old` and `new` as segments, the words that differ marked (for <del> and <ins>).

    Thai is cut into dictionary words (workflow.wording): compared letter by letter, two
    different words would share their common letters and read as scraps marked.
    """
    from workflow.wording import words

    a, b = words(old or ""), words(new or "")
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    olds, news = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            olds.append(Segment("".join(a[i1:i2]), not same))
        if j2 > j1:
            news.append(Segment("".join(b[j1:j2]), not same))
    return olds, news


# ---- a version's changes --------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One line of a version's summary: `วิธีการดำเนินการ: เพิ่ม ๑ ข้อ, แก้ไข ๑ ข้อ`."""

    label: str
    text: str

    def __str__(self) -> str:
        return f"{self.label}: {self.text}" if self.text else self.label


@dataclass(frozen=True)
class FieldDetail:
    label: str
    old: list[Segment]
    new: list[Segment]


@dataclass(frozen=True)
class LineDetail:
    what: str
    old: list[Segment]
    new: list[Segment]


@dataclass(frozen=True)
class ListDetail:
    label: str
    lines: list[LineDetail]


@dataclass(frozen=True)
class SetDetail:
    label: str
    added: list[str]
    removed: list[str]


@dataclass
class VersionView:
    parts: list[Part] = field(default_factory=list)
    fields: list[FieldDetail] = field(default_factory=list)
    lists: list[ListDetail] = field(default_factory=list)
    sets: list[SetDetail] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return "; ".join(str(p) for p in self.parts)


def children_labels(model) -> dict[str, str]:
    """The labels of the parts a version snapshot carries (methods, result items …)."""
    from workflow.models import Evidence, Measure, MeasureMethod, Recommendation, ResultItem

    labels = {
        "methods": MeasureMethod._meta.verbose_name_plural,
        "items": ResultItem._meta.verbose_name_plural,
        "recommendations": Recommendation._meta.verbose_name_plural,
        "evidence": Evidence._meta.verbose_name_plural,
        "divisions": (
            Measure._meta.get_field("divisions").verbose_name
            if model is Measure
            else _model_field_m2m_label(model, "divisions")
        ),
    }
    return {key: capfirst(str(label)) for key, label in labels.items()}


def _model_field_m2m_label(model, name: str) -> str:
    for f in model._meta.many_to_many:
        if f.name == name:
            return str(f.verbose_name)
    return name


def _line_what(change: LineChange) -> str:
    n_old, n_new = change.old_position, change.new_position
    if change.kind == "added":
        return gettext("added as item %(n)s") % {"n": number_text(n_new)}
    if change.kind == "removed":
        return gettext("item %(n)s removed") % {"n": number_text(n_old)}
    if change.kind == "moved":
        return gettext("item %(a)s moved to %(b)s") % {
            "a": number_text(n_old),
            "b": number_text(n_new),
        }
    return gettext("item %(n)s reworded") % {"n": number_text(n_new)}


def _lines_summary(changes: list[LineChange]) -> str:
    counts = defaultdict(int)
    for change in changes:
        counts[change.kind] += 1
    words = {
        "added": lambda n: ngettext("%(n)s added", "%(n)s added", n),
        "reworded": lambda n: ngettext("%(n)s reworded", "%(n)s reworded", n),
        "moved": lambda n: ngettext("%(n)s moved", "%(n)s moved", n),
        "removed": lambda n: ngettext("%(n)s removed", "%(n)s removed", n),
    }
    return ", ".join(
        words[kind](counts[kind]) % {"n": number_text(counts[kind])}
        for kind in ("added", "reworded", "moved", "removed")
        if counts[kind]
    )


SHORT_VALUE = 40


def version_view(
    model, diff: VersionDiff, names: Names, *, first: bool = False, short: int = SHORT_VALUE
) -> VersionView:
    """What a version changed, summarised part by part and detailed with the words marked.

    The first version of a record is its creation: its values are listed, not summarised.
    Values up to `short` characters read as `old → new`; longer ones have their words marked.
    """
    view = VersionView()
    labels = children_labels(model)
    for change in diff.fields:
        if change.field in QUIET_FIELDS or change.field in META_FIELDS:
            continue
        label = field_label(model, change.field)
        old = "" if first else value_text(model, change.field, change.old, names)
        new = value_text(model, change.field, change.new, names)
        if first:
            view.fields.append(FieldDetail(label, [], [Segment(new)]))
            continue
        if max(len(old), len(new)) <= short:
            view.parts.append(Part(label, f"{old} → {new}"))
            view.fields.append(
                FieldDetail(label, [Segment(old, old != "–")], [Segment(new, new != "–")])
            )
        else:
            view.parts.append(Part(label, gettext("reworded")))
            view.fields.append(FieldDetail(label, *marked(old, new)))
    for key, changes in diff.lists.items():
        label = labels.get(key, key)
        lines = []
        for change in changes:
            if change.kind == "reworded":
                old, new = marked(change.old_text or "", change.new_text or "")
            else:
                old = [Segment(change.old_text, True)] if change.kind == "removed" else []
                new = [Segment(change.new_text or "", change.kind == "added")]
                if change.kind == "removed":
                    new = []
            lines.append(LineDetail(_line_what(change), old, new))
        if not first:
            view.parts.append(Part(label, _lines_summary(changes)))
        view.lists.append(ListDetail(label, lines))
    for key, (added, removed) in diff.sets.items():
        label = labels.get(key, key)
        if not first:
            words = [gettext("added %(names)s") % {"names": ", ".join(added)}] if added else []
            if removed:
                words.append(gettext("removed %(names)s") % {"names": ", ".join(removed)})
            view.parts.append(Part(label, ", ".join(words)))
        view.sets.append(SetDetail(label, added, removed))
    return view


def _snapshot_row(content: dict) -> dict:
    """A published snapshot (`Publication.content`) in the shape `version_diff` reads."""
    children = {
        key: [{"text": text} for text in content[key]]
        for key in ("methods", "items", "recommendations")
        if key in content
    }
    if "divisions" in content:
        children["divisions"] = [{"name": name} for name in content["divisions"]]
    if "evidence" in content:
        children["evidence"] = [{"title": e["title"]} for e in content["evidence"]]
    row = {k: content[k] for k in ("number", "title", "period_start", "period_end") if k in content}
    return {**row, "history_children": children}


def published_changes(model, published: dict, current: dict) -> VersionView:
    """What a revision changes against the version the public sees, part by part, every
    changed text with its words marked (both snapshots as `Publication.content` holds them)."""
    diff = version_diff(_snapshot_row(published), _snapshot_row(current))
    return version_view(model, diff, Names(), short=0)


def row_dict(record) -> dict:
    """A historical model instance as the column dict `version_diff` reads."""
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def version_summary(model, old_row: dict | None, new_row: dict) -> list[Part]:
    """The parts a version changed, for the item pages' history box."""
    return version_view(model, version_diff(old_row, new_row), Names()).parts


# ---- an item's timeline ---------------------------------------------------------------------


@dataclass
class TimelineItem:
    at: str
    headline: str
    who: Person
    comment: str
    reason: str
    version: str
    state: str
    ip_address: str
    view: VersionView
    is_transition: bool


def _delegators(model, pk: int, versions: set[int]) -> dict[int, str]:
    """version → the chief executive a deputy acted for, for this page's transitions."""
    from audit.models import TransitionLog
    from workflow.models import ResultReport

    logs = TransitionLog.objects.filter(version__in=versions, delegation__isnull=False)
    if model is ResultReport:
        logs = logs.filter(result_report_id=pk)
    else:
        logs = logs.filter(measure_id=pk, result_report__isnull=True)
    found = logs.values_list(
        "version", "delegation__delegator__first_name", "delegation__delegator__last_name",
        "delegation__delegator__username",
    )  # fmt: skip
    return {version: full_name(first, last, user) for version, first, last, user in found}


def timeline_items(model, pk: int, entries) -> list[TimelineItem]:
    """The selector's timeline entries (codes, ids) as a person reads them."""
    names = Names()
    user_fields = [f.attname for f in model._meta.concrete_fields if f.related_model is User]
    names.prime(User, {e.row.get(a) for e in entries for a in user_fields})
    delegators = _delegators(model, pk, {e.version for e in entries if e.action})
    organization_id = next((e.row.get("history_organization_id") for e in entries if e.row), None)
    positions = Positions(organization_id, {e.user_id for e in entries})
    items = []
    for entry in entries:
        first = entry.kind == "created"
        state_change = next((c for c in entry.diff.fields if c.field == "state"), None)
        if entry.action:
            headline = action_text(entry.action)
            if state_change is not None:
                headline += f" ({state_text(state_change.old)} → {state_text(state_change.new)})"
            role = entry.roles[0] if entry.roles else ""
        else:
            headline = action_text(entry.kind)
            role = ""
        diff = entry.diff
        if entry.action and state_change is not None:
            diff = VersionDiff(
                fields=[c for c in diff.fields if c.field != "state"],
                lists=diff.lists,
                sets=diff.sets,
            )
        reason = "" if entry.action else entry.reason
        items.append(
            TimelineItem(
                at=when_text(entry.at),
                headline=headline,
                who=person(
                    entry.who if entry.user_id else "",
                    system_actor=entry.row.get("system_actor") or "",
                    role=role,
                    delegator=delegators.get(entry.version, "") if entry.action else "",
                    position=positions.at(entry.user_id, entry.at),
                ),
                comment=entry.comment,
                reason=reason_text(reason),
                version=number_text(entry.version) if entry.version else "",
                state=state_text(entry.state) if entry.state else "",
                ip_address=entry.ip_address or "",
                view=version_view(model, diff, names, first=first),
                is_transition=bool(entry.action),
            )
        )
    return items


def item_heading(model, row: dict) -> str:
    """`มาตรการข้อ ๒ …` or `ผลการดำเนินการ มาตรการข้อ ๒ (รอบ ๑๒ เดือน)` for a timeline."""
    from workflow.models import Measure

    names = Names()
    if model is Measure:
        return f"{measure_label(row['number'])}: {row['title']}"
    if model._meta.label_lower == INTRODUCTION:
        from workflow.models import FiscalYear

        return introduction_text(FiscalYear.objects.get(pk=row["fiscal_year_id"]).year)
    return names.get(apps.get_model("workflow", "ResultReport"), row["id"])


# ---- the organization log -------------------------------------------------------------------


@dataclass
class LogItem:
    at: str
    who: Person
    action: str
    item: str
    item_kind: str  # "measures", "reports", "introductions" or "" (no timeline)
    item_pk: int | None
    record: str
    reason: str
    seq: str


def _record_model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _record_rows(rows) -> dict[tuple[str, int], object]:
    """The historical rows (and transitions) the log entries point to, one query per kind."""
    wanted = defaultdict(set)
    for row in rows:
        wanted[row["record_model"]].add(row["record_pk"])
    found = {}
    for label, pks in wanted.items():
        model = _record_model(label)
        if model is None:
            continue
        for record in model.objects.filter(pk__in=pks):
            found[(label, record.pk)] = record
    return found


INTRODUCTION = "workflow.reportintroduction"


def introduction_text(year: int) -> str:
    return gettext("Opening paragraph of the report, fiscal year %(year)s") % {
        "year": number_text(year)
    }


def _introduction_years(rows) -> dict[int, int]:
    """opening paragraph id → its fiscal year, for the entries of the page that are one's."""
    from workflow.models import ReportIntroduction

    ids = {r["subject_pk"] for r in rows if r.get("subject_model") == INTRODUCTION}
    if not ids:
        return {}
    return dict(
        ReportIntroduction.objects.filter(pk__in=ids).values_list("pk", "fiscal_year__year")
    )


def _subject_text(record, names: Names) -> str:
    """What a non-item record is: a division's name, a role and whom it was granted to …"""
    model = getattr(record, "instance_type", type(record))
    label = model._meta.label_lower
    if label in {"workflow.division", "workflow.organization", "workflow.reportinground"}:
        return record.name
    if label == "workflow.fiscalyear":
        return gettext("fiscal year %(year)s") % {"year": number_text(record.year)}
    if label == "approvals.membership":
        return f"{role_text(record.role)}: {names.get(User, record.user_id)}"
    if label == "approvals.position":
        return f"{names.get(User, record.user_id)}: {record.title}"
    if label == "approvals.delegation":
        deputy, delegator = names.get(User, record.deputy_id), names.get(User, record.delegator_id)
        return f"{deputy} {acting_for_text(delegator)}"
    if model is User:
        return names.get(User, record.id)
    return ""


def _delegators_of(delegation_ids) -> dict[int, str]:
    """delegation id → the name of the chief executive who gave it."""
    from approvals.models import Delegation

    ids = {i for i in delegation_ids if i}
    if not ids:
        return {}
    found = Delegation.objects.filter(pk__in=ids).values_list(
        "pk", "delegator__first_name", "delegator__last_name", "delegator__username"
    )
    return {pk: full_name(first, last, user) for pk, first, last, user in found}


def log_items(rows, *, organization_id: int | None = None) -> list[LogItem]:
    """A page of the organization log (chain entries) as a person reads it."""
    from audit.models import TransitionLog
    from workflow.models import Measure, ResultReport

    names = Names()
    names.prime(User, {r["actor_id"] for r in rows})
    names.prime(Measure, {r["measure_id"] for r in rows})
    names.prime(ResultReport, {r["result_report_id"] for r in rows})
    positions = Positions(organization_id, {r["actor_id"] for r in rows})
    records = _record_rows(rows)
    introduction_years = _introduction_years(rows)
    delegators = _delegators_of(
        {r.delegation_id for r in records.values() if isinstance(r, TransitionLog)}
    )
    items = []
    for row in rows:
        record = records.get((row["record_model"], row["record_pk"]))
        is_transition = isinstance(record, TransitionLog)
        model = getattr(record, "instance_type", None) if record is not None else None
        role = delegator = ""
        if is_transition:
            role = record.role
            if record.delegation_id:
                delegator = delegators.get(record.delegation_id, "")
            kind = "reports" if record.result_report_id else "measures"
            record_text = str(TransitionLog._meta.verbose_name)
        else:
            kind = ""
            record_text = str(model._meta.verbose_name) if model is not None else ""
        if row["result_report_id"]:
            kind, pk = "reports", row["result_report_id"]
            item = names.get(ResultReport, pk)
        elif row["measure_id"]:
            kind, pk = "measures", row["measure_id"]
            item = names.get(Measure, pk)
        elif row.get("subject_model") == INTRODUCTION and row["subject_pk"] in introduction_years:
            kind, pk = "introductions", row["subject_pk"]
            item = introduction_text(introduction_years[pk])
        else:
            pk = None
            item = _subject_text(record, names) if record is not None else ""
        if record is not None and not is_transition and row["measure_id"]:
            position = getattr(record, "position", None)
            title = getattr(record, "title", None)
            if position:
                record_text += " " + gettext("item %(n)s") % {"n": number_text(position)}
            elif title and model is not None and model._meta.model_name == "evidence":
                record_text += f" “{title}”"
        reason = row["reason"] or ""
        action = action_text(row["action"])
        code, _sep, comment = reason.partition(":")
        if is_transition:
            reason = record.comment
        elif code in ACTION_CODES():
            # the item's new version written by a transition: it reads as that transition
            action = action_text(code)
            record_text = gettext("%(record)s, the version it made") % {"record": record_text}
            reason = comment.strip()
        else:
            reason = reason_text(reason)
        name = names.users([row["actor_id"]]).get(row["actor_id"], "") if row["actor_id"] else ""
        items.append(
            LogItem(
                at=when_text(row["created_at"]),
                who=person(
                    name,
                    system_actor=row["system_actor"],
                    role=role,
                    delegator=delegator,
                    position=positions.at(row["actor_id"], row["created_at"]),
                ),
                action=action,
                item=item,
                item_kind=kind,
                item_pk=pk,
                record=record_text,
                reason=reason,
                seq=number_text(row["seq"]),
            )
        )
    return items


# ---- the chain's status, and the auditor's overview on the home page -------------------------


@dataclass(frozen=True)
class ChainView:
    head_seq: str
    head_hash: str
    verified: bool
    ok: bool = False
    at: str = ""
    by: str = ""
    entries_checked: str = ""
    broken_seq: str = ""
    broken_where: str = ""
    problem: str = ""


def chain_view(organization_id: int) -> ChainView:
    """The chain's head and its last check, as the auditor's page words them."""
    from audit.models import ChainEntry, ChainHead, ChainVerification
    from workflow.selectors import person_name

    head = ChainHead.objects.filter(key=organization_id).values("seq", "hash").first()
    head_seq, head_hash = number_text(head["seq"] if head else 0), head["hash"] if head else ""
    last = (
        ChainVerification.objects.filter(organization_id=organization_id)
        .select_related("requested_by")
        .order_by("-started_at", "-id")
        .first()
    )
    if last is None:
        return ChainView(head_seq, head_hash, verified=False)
    if last.requested_by is not None:
        by = person_name(last.requested_by)
    else:
        by = system_text(last.system_actor) or system_text("process:")
    where = ""
    if not last.ok and last.broken_seq is not None:
        entry = ChainEntry.objects.filter(
            organization_id=organization_id, seq=last.broken_seq
        ).first()
        if entry is not None:
            item = log_items([entry_row(entry)], organization_id=organization_id)[0]
            where = f"{item.item or item.record} · {item.action} · {item.at}"
    return ChainView(
        head_seq, head_hash, verified=True, ok=last.ok, at=when_text(last.finished_at),
        by=by, entries_checked=number_text(last.entries_checked),
        broken_seq=number_text(last.broken_seq) if last.broken_seq else "",
        broken_where=where, problem=last.problem,
    )  # fmt: skip


def entry_row(entry) -> dict:
    """A chain entry as the log's row dict."""
    from audit.selectors import LOG_COLUMNS

    return {c: getattr(entry, c.replace("actor__username", "actor_id")) for c in LOG_COLUMNS}


@dataclass(frozen=True)
class AuditOverview:
    organization: object
    chain: ChainView
    recent: list[LogItem]


RECENT = 5


def audit_overviews(user) -> list[AuditOverview]:
    """For the home page of those who may audit: each organization's chain and latest entries."""
    from audit.access import audited_organizations
    from audit.selectors import LogFilter, organization_log

    overviews = []
    for organization in audited_organizations(user)[:3]:
        rows, _ = organization_log(LogFilter(organization_id=organization.pk), limit=RECENT)
        recent = log_items(rows, organization_id=organization.pk)
        overviews.append(AuditOverview(organization, chain_view(organization.pk), recent))
    return overviews
