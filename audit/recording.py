"""Signal receivers: complete each history row (who, why, IP, tenant, children) and chain it.

Connected in AuditConfig.ready(); everything here runs inside the writer's transaction.
"""

from __future__ import annotations

import json

from django.db import connection
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_record, pre_create_historical_record

from audit import chain
from audit.context import current_actor, process_actor
from audit.history import ChildrenHistoryBase, HistoryBase
from audit.models import ChainEntry, ChainHead, TransitionLog
from config.statements import Statement, Step, insert, next_id, quote
from workflow.models import Measure

HISTORY_ACTIONS = {"+": "created", "~": "edited", "-": "deleted"}
CHILD_PARENT = {
    "workflow.measuremethod": "measure",
    "workflow.resultitem": "report",
    "workflow.recommendation": "report",
    "workflow.evidence": "report",
    "workflow.analysisissue": "analysis",
    "workflow.indicatorscore": "result",
}


def _transaction_rows() -> dict | None:
    """Parent versions written in the current transaction: (label, pk) -> (history row, entry).

    Keyed by the outermost atomic block, so it empties itself when the transaction ends.
    """
    if not connection.in_atomic_block:
        return None
    outermost = connection.atomic_blocks[0]
    state = getattr(connection, "_audit_parent_rows", None)
    if state is None or state[0] is not outermost:
        state = (outermost, {})
        connection._audit_parent_rows = state
    return state[1]


def _parent_version_complete(instance) -> None:
    """A child changed: the parent's version must hold the children as they now are."""
    parent = getattr(instance, CHILD_PARENT[instance._meta.label_lower], None)
    if parent is not None:
        version_refresh(parent)


def version_refresh(parent) -> None:
    """The children or divisions of `parent` changed: its version must show them as they are.

    If this transaction already wrote a version of the parent (the edit services save
    the parent, then its children), that version's snapshot is completed and the chain
    links from it on are recomputed; otherwise a new parent version is written.
    """
    rows = _transaction_rows()
    known = rows.get((parent._meta.label_lower, parent.pk)) if rows is not None else None
    if known is None:
        type(parent).audited_history.create_historical_record(parent, "~")
        return
    history_row, entry = known
    history_row.history_children = children_snapshot(parent)
    type(history_row).objects.filter(pk=history_row.pk).update(
        history_children=history_row.history_children
    )
    if entry is not None:
        chain.rehash_from(entry)


@receiver(m2m_changed, sender=Measure.divisions.through, dispatch_uid="audit_measure_divisions")
def measure_divisions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """A measure's divisions belong to its version (the snapshot), like its methods."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        version_refresh(instance)
    elif pk_set:
        for measure in Measure.objects.filter(pk__in=pk_set):
            version_refresh(measure)


@receiver(m2m_changed, sender=Measure.indicators.through, dispatch_uid="audit_measure_indicators")
def measure_indicators_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """The indicators a measure addresses belong to its version too."""
    measure_divisions_changed(sender, instance, action, reverse, pk_set, **kwargs)


def subject_of(instance) -> tuple[int | None, int | None, int | None]:
    """(organization id, measure id, result report id) a tracked record belongs to."""
    label = instance._meta.label_lower
    if label == "workflow.organization":
        return instance.pk, None, None
    if label == "workflow.measure":
        return instance.organization_id, instance.pk, None
    if label == "workflow.measuremethod":
        return instance.measure.organization_id, instance.measure_id, None
    if label == "workflow.resultreport":
        return instance.measure.organization_id, instance.measure_id, instance.pk
    if label == "workflow.analysisissue":
        return instance.analysis.organization_id, None, None
    if label == "workflow.indicatorscore":
        return instance.result.organization_id, None, None
    if label in {"workflow.resultitem", "workflow.recommendation", "workflow.evidence"}:
        report = instance.report
        return report.measure.organization_id, report.measure_id, report.pk
    return getattr(instance, "organization_id", None), None, None


def children_snapshot(instance) -> dict:
    """The ordered children and divisions that belong to this version of the record."""
    label = instance._meta.label_lower
    if instance.pk is None:
        return {}

    def lines(manager):
        return [
            {"id": pk, "position": pos, "text": text}
            for pk, pos, text in manager.order_by("position", "pk").values_list(
                "pk", "position", "text"
            )
        ]

    def divisions(manager):
        return [
            {"id": pk, "name": name}
            for pk, name in manager.order_by("name", "pk").values_list("pk", "name")
        ]

    if label == "workflow.measure":
        return {
            "methods": lines(instance.methods),
            "divisions": divisions(instance.divisions),
            "indicators": [
                {"id": pk, "year": year, "number": number}
                for pk, year, number in instance.indicators.order_by(
                    "scheme__year", "number"
                ).values_list("pk", "scheme__year", "number")
            ],
        }
    if label == "workflow.resultreport":
        return {
            "items": lines(instance.items),
            "recommendations": lines(instance.recommendations),
            "evidence": [
                {"id": pk, "title": title, "file": file or "", "size": size}
                for pk, title, file, size in instance.evidence.order_by(
                    "uploaded_at", "pk"
                ).values_list("pk", "title", "file", "size")
            ],
        }
    if label == "approvals.membership":
        return {"divisions": divisions(instance.divisions)}
    if label == "workflow.analysis":
        return {
            "issues": [
                {"id": pk, "indicator": number, "text": text}
                for pk, number, text in instance.issues.order_by("indicator__number").values_list(
                    "pk", "indicator__number", "text"
                )
            ]
        }
    if label == "workflow.itaresult":
        return {
            "scores": [
                {"id": pk, "indicator": number, "score": str(score)}
                for pk, number, score in instance.scores.order_by("indicator__number").values_list(
                    "pk", "indicator__number", "score"
                )
            ]
        }
    return {}


def _request_ip(request) -> str | None:
    from config.security import client_ip  # behind the trusted proxies

    return client_ip(request)


@receiver(pre_create_historical_record, dispatch_uid="audit_history_row_complete")
def history_row_complete(sender, instance, history_instance, **kwargs):
    """Fill who (person or system process), why, the client IP, the tenant and the children."""
    if not isinstance(history_instance, HistoryBase):
        return
    actor = current_actor()
    request = getattr(HistoricalRecords.context, "request", None)
    explicit_user = hasattr(instance, "_history_user")
    if actor is not None and actor.user is not None and not explicit_user:
        history_instance.history_user = actor.user
    if actor is not None and actor.system:
        history_instance.system_actor = actor.system[:100]
    elif history_instance.history_user_id is None:
        if request is not None:
            history_instance.system_actor = "web:anonymous"
        else:
            history_instance.system_actor = process_actor()[:100]
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = (actor.reason if actor else "") or (
            HISTORY_ACTIONS.get(history_instance.history_type, "")
        )
    if history_instance.ip_address is None:
        history_instance.ip_address = (actor.ip_address if actor else None) or _request_ip(request)
    organization_id, _measure, _report = subject_of(instance)
    history_instance.history_organization_id = organization_id
    if isinstance(history_instance, ChildrenHistoryBase):
        history_instance.history_children = children_snapshot(instance)


@receiver(post_create_historical_record, dispatch_uid="audit_history_row_chain")
def history_row_chain(sender, instance, history_instance, **kwargs):
    if not isinstance(history_instance, HistoryBase):
        return
    entry = _chain_append(instance, history_instance) if chain.enabled() else None
    label = instance._meta.label_lower
    if isinstance(history_instance, ChildrenHistoryBase):
        rows = _transaction_rows()
        if rows is not None:
            rows[(label, instance.pk)] = (history_instance, entry)
    elif label in CHILD_PARENT:
        _parent_version_complete(instance)


def _version_entry(history_instance, subject_label: str, subject_pk, subject) -> ChainEntry:
    organization_id, measure_id, report_id = subject
    return ChainEntry(
        organization_id=organization_id,
        record_model=history_instance._meta.label_lower,
        record_pk=history_instance.pk,
        created_at=history_instance.history_date,
        actor_id=history_instance.history_user_id,
        system_actor=history_instance.system_actor,
        action=HISTORY_ACTIONS.get(history_instance.history_type, history_instance.history_type),
        reason=history_instance.history_change_reason or "",
        subject_model=subject_label,
        subject_pk=subject_pk,
        measure_id=measure_id,
        result_report_id=report_id,
    )


def _transition_entry(log: TransitionLog) -> ChainEntry:
    return ChainEntry(
        organization_id=log.organization_id,
        record_model=log._meta.label_lower,
        record_pk=log.pk,
        created_at=log.created_at,
        actor_id=log.actor_id,
        system_actor=log.system_actor,
        action=log.action,
        reason=log.action + (f": {log.comment}" if log.comment else ""),
        subject_model=(
            "workflow.analysis"
            if log.analysis_id
            else "workflow.reportintroduction"
            if log.introduction_id
            else "workflow.resultreport"
            if log.result_report_id
            else "workflow.measure"
        ),
        subject_pk=log.analysis_id or log.introduction_id or log.result_report_id or log.measure_id,
        measure_id=log.measure_id,
        result_report_id=log.result_report_id,
    )


def _chain_append(instance, history_instance) -> ChainEntry:
    subject_pk = instance.pk if instance.pk is not None else history_instance.id
    entry = _version_entry(
        history_instance, instance._meta.label_lower, subject_pk, subject_of(instance)
    )
    return chain.append(entry, history_instance)


@receiver(post_save, sender=TransitionLog, dispatch_uid="audit_transition_log_chain")
def transition_log_chain(sender, instance, created, raw=False, **kwargs):
    if not created or raw or not chain.enabled():
        return
    if instance.actor_id is None and not instance.system_actor:
        actor = current_actor()
        system = actor.system if actor and actor.system else process_actor()
        TransitionLog.objects.filter(pk=instance.pk).update(system_actor=system[:100])
        instance.system_actor = system[:100]
    chain.append(_transition_entry(instance), instance)


# ---- a transition's version row and records, written as statements (approvals.services) ----


def version_prefetch(model, pk: int) -> Statement:
    """The item's last version's children, fresh ids for its next version and transition,
    and whether its organization's chain has begun.

    A transition changes no child, so its version carries the previous snapshot instead of
    reading the children again.
    """
    history = model.audited_history.history_model
    table = quote(history._meta.db_table)
    last = (
        f"(SELECT {{column}} FROM {table} h WHERE h.id = %(pk)s"
        " ORDER BY h.history_date DESC, h.history_id DESC LIMIT 1)"
    )
    # an item of no children (the opening paragraph): '{}' once it has a version
    children = "h.history_children" if _has_children(history) else "'{}'"
    return Statement(
        f"SELECT {last.format(column=children)},"
        f" {next_id(history)}, {next_id(TransitionLog)},"
        f" EXISTS(SELECT 1 FROM {quote(ChainHead._meta.db_table)} c"
        f" WHERE c.key = COALESCE({last.format(column='h.history_organization_id')}, 0))",
        {"pk": pk},
        rows=True,
        prepare=True,
    )


def _has_children(history_model) -> bool:
    return issubclass(history_model, ChildrenHistoryBase)


def transition_recorded(
    *,
    item,
    log: TransitionLog,
    prefetched: tuple,
    actor,
    reason: str,
    system_actor: str = "",
) -> list[Step]:
    """The version row of a transition, its record, and both chain links, as statements.

    `prefetched` is the row of `version_prefetch`; `log` must carry the id it gave.
    """
    children, history_id, _log_id, chain_begun = prefetched
    if isinstance(children, str):
        children = json.loads(children)
    if children is None:  # an item without a version yet: read its children once
        children = children_snapshot(item)
        chain_begun = False  # nor was its organization read from a version
    context = current_actor()
    request = getattr(HistoricalRecords.context, "request", None)
    history_model = type(item).audited_history.history_model
    row = history_model(
        **{f.attname: getattr(item, f.attname) for f in history_model.tracked_fields},
        history_id=history_id,
        history_date=log.created_at,
        history_type="~",
        history_change_reason=reason,
        history_user_id=actor.pk if actor is not None else None,
        system_actor=(system_actor or (context.system if context else ""))[:100],
        ip_address=log.ip_address
        or (context.ip_address if context else None)
        or _request_ip(request),
        history_organization_id=log.organization_id,
        **({"history_children": children} if _has_children(history_model) else {}),
    )
    subject = (log.organization_id, log.measure_id, log.result_report_id)
    links = [
        (_version_entry(row, item._meta.label_lower, item.pk, subject), row),
        (_transition_entry(log), log),
    ]
    return [insert([row]), insert([log]), *chain.append_steps(links, head_exists=chain_begun)]
