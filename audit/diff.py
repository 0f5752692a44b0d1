"""Field-by-field and list differences between two versions of a record."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

# Columns of a historical row that describe the row, not the record.
META_FIELDS = {
    "history_id", "history_date", "history_type", "history_user_id", "history_change_reason",
    "history_organization_id", "history_children", "history_relation_id", "system_actor",
    "ip_address", "updated_at", "created_at",
}  # fmt: skip


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class LineChange:
    """One line of an ordered list: added, removed, reworded or moved (positions 1-based)."""

    kind: str
    old_position: int | None
    new_position: int | None
    old_text: str | None
    new_text: str | None


@dataclass(frozen=True)
class ListChanges:
    """The changes of one ordered list (`methods`, `items` …), as a page iterates them."""

    name: str
    changes: list[LineChange]


@dataclass(frozen=True)
class SetChanges:
    name: str
    added: list[str]
    removed: list[str]


@dataclass
class VersionDiff:
    """`lists` and `sets` are keyed by the list's name for the API; pages iterate
    `list_changes` and `set_changes`, since a template looks a key up before a method
    (a report's result lines are called `items`, which shadows `dict.items`)."""

    fields: list[FieldChange] = field(default_factory=list)
    lists: dict[str, list[LineChange]] = field(default_factory=dict)
    sets: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields or self.lists or self.sets)

    @property
    def list_changes(self) -> list[ListChanges]:
        return [ListChanges(name, changes) for name, changes in self.lists.items()]

    @property
    def set_changes(self) -> list[SetChanges]:
        return [SetChanges(name, added, removed) for name, (added, removed) in self.sets.items()]


def fields_diff(old: dict | None, new: dict, ignore=META_FIELDS) -> list[FieldChange]:
    old = old or {}
    return [
        FieldChange(name, old.get(name), value)
        for name, value in new.items()
        if name not in ignore and old.get(name) != value
    ]


def lines_diff(old: list[str], new: list[str]) -> list[LineChange]:
    """What happened to an ordered list of texts: lines added, removed, reworded or moved.

    Lines are matched by text, not by id, so a list rewritten from scratch still reads
    as the few lines that really changed.
    """
    if old == new:
        return []
    if len(old) == len(new):
        changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        if not any(old[i] in new or new[i] in old for i in changed):
            # the common edit: lines reworded in place, nothing moved
            return [LineChange("reworded", i + 1, i + 1, old[i], new[i]) for i in changed]
    changes: list[LineChange] = []
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds = list(range(i1, i2)) if tag in {"delete", "replace"} else []
        news = list(range(j1, j2)) if tag in {"insert", "replace"} else []
        if tag == "replace":
            # lines whose text survives elsewhere moved; the rest pair up as rewordings
            removed += [(i, old[i]) for i in olds if old[i] in new]
            added += [(j, new[j]) for j in news if new[j] in old]
            olds = [i for i in olds if old[i] not in new]
            news = [j for j in news if new[j] not in old]
            for i, j in zip(olds, news, strict=False):
                changes.append(LineChange("reworded", i + 1, j + 1, old[i], new[j]))
            olds, news = olds[len(news) :], news[len(olds) :]
        removed += [(i, old[i]) for i in olds]
        added += [(j, new[j]) for j in news]
    for i, text in removed:
        j = next((j for j, t in added if t == text), None)
        if j is not None:
            added = [(k, t) for k, t in added if k != j]
            changes.append(LineChange("moved", i + 1, j + 1, text, text))
        else:
            changes.append(LineChange("removed", i + 1, None, text, None))
    changes += [LineChange("added", None, j + 1, None, text) for j, text in added]
    return sorted(changes, key=lambda c: (c.new_position or c.old_position or 0, c.kind))


def names_diff(old: list[str], new: list[str]) -> tuple[list[str], list[str]]:
    """(added, removed) members of an unordered set such as responsible divisions."""
    return [n for n in new if n not in old], [o for o in old if o not in new]


def _texts(children: dict, key: str) -> list[str]:
    return [line["text"] for line in children.get(key, [])]


def _names(children: dict, key: str) -> list[str]:
    return [d.get("name") or d.get("title") or str(d.get("id")) for d in children.get(key, [])]


def version_diff(old: dict | None, new: dict) -> VersionDiff:
    """Diff two historical rows given as column dicts (children snapshot included)."""
    result = VersionDiff(fields=fields_diff(old, new))
    old_children = (old or {}).get("history_children") or {}
    new_children = new.get("history_children") or {}
    if old_children == new_children:
        return result
    for key in ("methods", "items", "recommendations"):
        if key in old_children or key in new_children:
            changes = lines_diff(_texts(old_children, key), _texts(new_children, key))
            if changes:
                result.lists[key] = changes
    for key in ("divisions", "evidence"):
        if key in old_children or key in new_children:
            added, removed = names_diff(_names(old_children, key), _names(new_children, key))
            if added or removed:
                result.sets[key] = (added, removed)
    return result
