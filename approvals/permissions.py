"""Who may do what to which item: the role table of DESIGN.md as plain functions.

Every entry point (API, pages, admin, commands, tasks) asks here through the
services; nothing else decides.

What a person holds in an organization with respect to one item (their roles,
whether they head one of its divisions, the delegation they act under) is read
in ONE query, `Facts`; the services read it in the same query that locks the
item (`facts_annotations`), so a transition costs the same number of queries
however many memberships or divisions there are.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, OuterRef, Q, Subquery, Value
from django.utils import timezone

from approvals.exceptions import NotEditable, NotPermitted
from approvals.models import Delegation, Membership, Role
from workflow.models import Action, Analysis, Measure, ReportIntroduction, ResultReport, State

# Items of no division: the working group drafts them, submits them and opens their
# revisions (the ITA result analysis, the report's opening paragraph).
WORKING_GROUP_ITEMS = (Analysis, ReportIntroduction)

# What an edit touches: a measure's own fields and methods, or one part of a result report.
EDIT_PARTS = (
    "measure", "items", "evidence", "recommendations", "spacing", "analysis", "introduction",
)  # fmt: skip

# In which state each part may be edited, and in which roles.
_EDITABLE = {
    "measure": (State.DRAFTED, (Role.DIVISION_HEAD, Role.WORKING_GROUP)),
    "items": (State.DRAFTED, (Role.DIVISION_HEAD,)),
    "evidence": (State.DRAFTED, (Role.DIVISION_HEAD,)),
    "recommendations": (State.SUBMITTED, (Role.WORKING_GROUP,)),
    # Re-spacing a drafted text (the PDF's line-wrap spaces) changes no word: the working
    # group may do it on any imported item, a division head on their own.
    "spacing": (State.DRAFTED, (Role.WORKING_GROUP, Role.DIVISION_HEAD)),
    "analysis": (State.DRAFTED, (Role.WORKING_GROUP,)),
    "introduction": (State.DRAFTED, (Role.WORKING_GROUP,)),
}


@dataclass(frozen=True)
class Authority:
    """The role an action is taken in, and the delegation it rests on, if any."""

    role: Role
    delegation_id: int | None = None

    @property
    def delegation(self) -> Delegation | None:
        return Delegation.objects.get(pk=self.delegation_id) if self.delegation_id else None


@dataclass(frozen=True)
class Facts:
    """What one person holds in the organization of one item, read in one query."""

    roles: frozenset[str] = frozenset()
    heads_division: bool = False
    delegation_id: int | None = None

    @property
    def is_member(self) -> bool:
        return bool(self.roles) or self.delegation_id is not None

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    def chief_executive(self) -> Authority | None:
        if self.has(Role.CHIEF_EXECUTIVE):
            return Authority(Role.CHIEF_EXECUTIVE)
        if self.delegation_id is not None:
            return Authority(Role.CHIEF_EXECUTIVE, self.delegation_id)
        return None


NO_FACTS = Facts()
_PREFIX = "_auth_"


def _authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.pk)


def facts_annotations(user, *, organization_ref: str, measure_ref: str, at=None) -> dict:
    """Subquery annotations that answer `Facts` for `user` on each row of an item queryset.

    `organization_ref` and `measure_ref` name the row's organization and measure
    (e.g. "organization_id" and "pk" for measures). Read them back with `facts_from`.
    """
    if not _authenticated(user):
        return {}
    at = at or timezone.now()
    org = OuterRef(organization_ref)
    mine = Membership.objects.filter(user_id=user.pk, organization_id=org, is_active=True)
    annotations = {f"{_PREFIX}{role.value}": Exists(mine.filter(role=role.value)) for role in Role}
    if measure_ref is None:  # an analysis belongs to no division
        annotations[f"{_PREFIX}heads"] = Value(False, output_field=BooleanField())
    else:
        item_divisions = Measure.divisions.through.objects.filter(
            measure_id=OuterRef(OuterRef(measure_ref))
        ).values("division_id")
        annotations[f"{_PREFIX}heads"] = Exists(
            Membership.divisions.through.objects.filter(
                membership__user_id=user.pk,
                membership__organization_id=org,
                membership__role=Role.DIVISION_HEAD,
                membership__is_active=True,
                division_id__in=item_divisions,
            )
        )
    delegator_is_chief = Membership.objects.filter(
        user_id=OuterRef("delegator_id"),
        organization_id=OuterRef("organization_id"),
        role=Role.CHIEF_EXECUTIVE,
        is_active=True,
    )
    annotations[f"{_PREFIX}delegation"] = Subquery(
        Delegation.objects.in_force(at)
        .filter(Exists(delegator_is_chief), organization_id=org, deputy_id=user.pk)
        .order_by("-starts_at", "-pk")
        .values("pk")[:1]
    )
    return annotations


def facts_from(row) -> Facts:
    """The `Facts` a row annotated by `facts_annotations` carries."""
    values = row.__dict__
    if f"{_PREFIX}heads" not in values:
        return NO_FACTS
    return Facts(
        roles=frozenset(r.value for r in Role if values.get(f"{_PREFIX}{r.value}")),
        heads_division=bool(values[f"{_PREFIX}heads"]),
        delegation_id=values.get(f"{_PREFIX}delegation"),
    )


def item_refs(model) -> dict:
    if model in WORKING_GROUP_ITEMS:
        return {"organization_ref": "organization_id", "measure_ref": None}
    if model is ResultReport:
        return {"organization_ref": "measure__organization_id", "measure_ref": "measure_id"}
    return {"organization_ref": "organization_id", "measure_ref": "pk"}


def with_facts(queryset, user):
    """A measure or result report queryset whose rows carry the user's `Facts`."""
    return queryset.annotate(**facts_annotations(user, **item_refs(queryset.model)))


def facts_for(user, item: Measure | ResultReport) -> Facts:
    """The user's facts on `item`: from the row if it was read with them, else one query."""
    if not _authenticated(user):
        return NO_FACTS
    cached = item.__dict__.get("_auth_facts")
    if cached and cached[0] == user.pk:
        return cached[1]
    model = type(item)
    keys = list(facts_annotations(user, **item_refs(model)))
    values = with_facts(model.objects.filter(pk=item.pk), user).values(*keys).first() or {}
    facts = Facts(
        roles=frozenset(r.value for r in Role if values.get(f"{_PREFIX}{r.value}")),
        heads_division=bool(values.get(f"{_PREFIX}heads")),
        delegation_id=values.get(f"{_PREFIX}delegation"),
    )
    remember_facts(item, user, facts)
    return facts


def remember_facts(item, user, facts: Facts) -> None:
    """Keep `facts` on the instance so later checks on it cost no query."""
    if _authenticated(user):
        item.__dict__["_auth_facts"] = (user.pk, facts)


def memberships_of(user, organization_id: int) -> list[Membership]:
    if not _authenticated(user):
        return []
    cache = user.__dict__.setdefault("_itaflow_memberships", {})
    if organization_id not in cache:
        cache[organization_id] = list(
            Membership.objects.filter(
                user=user, organization_id=organization_id, is_active=True
            ).prefetch_related("divisions")
        )
    return cache[organization_id]


def roles_of(user, organization_id: int) -> set[Role]:
    roles = {Role(m.role) for m in memberships_of(user, organization_id)}
    if Role.CHIEF_EXECUTIVE not in roles and delegation_in_force(user, organization_id):
        roles.add(Role.CHIEF_EXECUTIVE)
    return roles


def delegation_in_force(user, organization_id: int, at=None) -> Delegation | None:
    if not _authenticated(user):
        return None
    delegator_is_chief = Membership.objects.filter(
        user_id=OuterRef("delegator_id"),
        organization_id=organization_id,
        role=Role.CHIEF_EXECUTIVE,
        is_active=True,
    )
    return (
        Delegation.objects.in_force(at)
        .filter(Exists(delegator_is_chief), organization_id=organization_id, deputy=user)
        .order_by("-starts_at", "-pk")
        .first()
    )


def division_ids_of(user, organization_id: int) -> set[int]:
    return {
        d.pk
        for m in memberships_of(user, organization_id)
        if m.role == Role.DIVISION_HEAD
        for d in m.divisions.all()
    }


def transition_authority(
    user, item: Measure | ResultReport, action: Action, facts: Facts | None = None
) -> Authority | None:
    """The authority under which `user` may take `action` on `item` now, or None.

    The state itself is checked by the FSM; this only answers "is it theirs to do".
    The one who submitted an item never reviews, returns or approves it; the one who
    reviewed it does not approve it.
    """
    if not _authenticated(user):
        return None
    action = Action(action)
    facts = facts if facts is not None else facts_for(user, item)
    is_report = isinstance(item, ResultReport)
    submitted_by_user = item.submitted_by_id is not None and item.submitted_by_id == user.pk
    if isinstance(item, WORKING_GROUP_ITEMS) and action in (
        Action.SUBMIT, Action.WITHDRAW, Action.REVISE,
    ):  # fmt: skip
        if action == Action.WITHDRAW and not submitted_by_user:
            return None
        return Authority(Role.WORKING_GROUP) if facts.has(Role.WORKING_GROUP) else None
    if action == Action.SUBMIT:
        return Authority(Role.DIVISION_HEAD) if facts.heads_division else None
    if action == Action.WITHDRAW:
        if submitted_by_user and facts.heads_division:
            return Authority(Role.DIVISION_HEAD)
        return None
    if action == Action.REVISE:
        if facts.heads_division:
            return Authority(Role.DIVISION_HEAD)
        if not is_report and facts.has(Role.WORKING_GROUP):
            return Authority(Role.WORKING_GROUP)
        return None
    if action == Action.PUBLISH:
        return Authority(Role.PUBLISHER) if facts.has(Role.PUBLISHER) else None
    if submitted_by_user:
        return None  # separation of duties
    if action == Action.REVIEW or (action == Action.RETURN and item.state == State.SUBMITTED):
        return Authority(Role.WORKING_GROUP) if facts.has(Role.WORKING_GROUP) else None
    if action == Action.APPROVE and item.reviewed_by_id == user.pk:
        return None  # separation of duties: the reviewer does not approve
    if action in (Action.RETURN, Action.APPROVE):
        return facts.chief_executive()
    return None


def authorize_transition(
    user, item: Measure | ResultReport, action: Action, facts: Facts | None = None
) -> Authority:
    authority = transition_authority(user, item, action, facts)
    if authority is None:
        raise NotPermitted()
    return authority


def actions_available(user, item: Measure | ResultReport) -> list[Action]:
    """The transitions `user` may take on `item` now (state and authority both allow)."""
    from django_fsm import can_proceed

    facts = facts_for(user, item)
    return [
        action
        for action in Action
        if can_proceed(getattr(item, action.method_name))
        and transition_authority(user, item, action, facts) is not None
    ]


def authorize_edit(
    user, item: Measure | ResultReport, part: str = "measure", facts: Facts | None = None
) -> Authority:
    """The authority under which `user` may change `part` of `item` now.

    Raises NotPermitted when no role of theirs may ever edit that part, and
    NotEditable when one may but not in the item's current state.
    """
    if part not in EDIT_PARTS:
        raise ValueError(f"unknown part {part!r}")
    owner = {"measure": Measure, "analysis": Analysis, "introduction": ReportIntroduction}.get(
        part, ResultReport
    )
    if part != "spacing" and not isinstance(item, owner):
        raise ValueError(f"part {part!r} does not belong to {type(item).__name__}")
    facts = facts if facts is not None else facts_for(user, item)
    state, roles = _EDITABLE[part]
    authority = None
    for role in roles:
        if role == Role.DIVISION_HEAD and facts.heads_division:
            authority = Authority(Role.DIVISION_HEAD)
            break
        if role != Role.DIVISION_HEAD and facts.has(role):
            authority = Authority(role)
            break
    if authority is None:
        raise NotPermitted()
    if item.state != state:
        raise NotEditable()
    return authority


def authorize_edit_of(
    user, item: Measure | ResultReport, parts, facts: Facts | None = None
) -> Authority:
    """The authority under which `user` may change at least one of `parts` of `item` now.

    An edit that changes nothing still asks this, so that nobody without the right
    to edit learns anything or touches the version (issue 12, hole 1).
    """
    refusal: NotPermitted | NotEditable | None = None
    for part in parts:
        try:
            return authorize_edit(user, item, part, facts)
        except NotEditable as error:
            refusal = error
        except NotPermitted as error:
            refusal = refusal or error
    raise refusal or NotPermitted()


def authorize_editor(user, item: Measure | ResultReport, parts) -> None:
    """Raises NotPermitted unless some role of `user` may edit one of `parts` of `item` in
    some state: what an entry point asks before it reads the payload at all."""
    # the service answers for the state, with the parts actually sent
    with contextlib.suppress(NotEditable):
        authorize_edit_of(user, item, parts)


def may_edit(user, item: Measure | ResultReport, part: str = "measure") -> bool:
    try:
        authorize_edit(user, item, part)
    except (NotPermitted, NotEditable):
        return False
    return True


def may_preview(user, item: Measure | ResultReport) -> bool:
    """Who sees an unpublished version as the public will: those who review, approve and
    publish it, and its division's head while it is still drafted (before submitting)."""
    if item.state == State.PUBLISHED:
        return False
    facts = facts_for(user, item)
    if facts.has(Role.WORKING_GROUP) or facts.has(Role.PUBLISHER):
        return True
    if facts.chief_executive() is not None:
        return True
    return facts.heads_division and item.state == State.DRAFTED


def authorize_measure_create(user, organization_id: int, division_ids) -> Authority:
    """Working group members draft any measure; division heads only their divisions' ones."""
    roles = roles_of(user, organization_id)
    if Role.WORKING_GROUP in roles:
        return Authority(Role.WORKING_GROUP)
    if Role.DIVISION_HEAD in roles and set(division_ids) & division_ids_of(user, organization_id):
        return Authority(Role.DIVISION_HEAD)
    raise NotPermitted()


def authorize_admin(user, organization_id: int) -> Authority:
    """Organization admins manage divisions, memberships and delegations; so does the
    platform operator, who sets an organization up (Django admin, commands)."""
    if Role.ADMIN in roles_of(user, organization_id) or is_platform_operator(user):
        return Authority(Role.ADMIN)
    raise NotPermitted()


def is_platform_operator(user) -> bool:
    """The platform operator (a Django superuser) runs the platform, not an organization."""
    return _authenticated(user) and user.is_active and user.is_superuser


def authorize_grant(user, organization_id: int, grantee_id: int | None) -> Authority:
    """Who gives and ends roles and delegations: the organization's admins, or the platform
    operator (who sets up an organization's first admin), never to themselves."""
    from approvals.exceptions import SelfGrant

    authority = authorize_admin(user, organization_id)
    if grantee_id is not None and grantee_id == user.pk:
        raise SelfGrant()
    return authority


def organization_ids_visible_to(user) -> set[int]:
    """The organizations whose data `user` may read: active memberships, delegations in force."""
    if not _authenticated(user):
        return set()
    cached = user.__dict__.get("_itaflow_visible_orgs")
    if cached is None:
        now = timezone.now()
        cached = set(
            Membership.objects.filter(user_id=user.pk, is_active=True).values_list(
                "organization_id", flat=True
            )
        ) | set(
            Delegation.objects.in_force(now)
            .filter(Q(deputy_id=user.pk))
            .values_list("organization_id", flat=True)
        )
        user.__dict__["_itaflow_visible_orgs"] = cached
    return cached


def _lock_sql(model, vendor: str) -> str:
    """The hand-written SQL of `lock_with_facts` for `model` (built once per model).

    Written out because compiling the equivalent ORM query (eight subqueries) costs
    more Python time than the whole round trip; bench/transitions.py measures it.
    """
    quote = lambda name: f'"{name}"'  # noqa: E731 - both backends quote with double quotes
    table = quote(model._meta.db_table)
    membership = quote(Membership._meta.db_table)
    membership_divisions = quote(Membership.divisions.through._meta.db_table)
    measure_divisions = quote(Measure.divisions.through._meta.db_table)
    delegation = quote(Delegation._meta.db_table)
    columns = ", ".join(f"i.{quote(f.column)}" for f in model._meta.concrete_fields)
    if model is ResultReport:
        source = f"{table} i INNER JOIN {quote(Measure._meta.db_table)} ms ON ms.id = i.measure_id"
        org, measure = "ms.organization_id", "i.measure_id"
    else:
        source, org, measure = f"{table} i", "i.organization_id", "i.id"
    aggregate = "string_agg(m.role, ',')" if vendor == "postgresql" else "group_concat(m.role, ',')"
    roles = (
        f"(SELECT {aggregate} FROM {membership} m WHERE m.user_id = %(user)s"
        f" AND m.organization_id = {org} AND m.is_active) AS {_PREFIX}roles"
    )
    heads = (
        f"EXISTS(SELECT 1 FROM {membership_divisions} md"
        f" INNER JOIN {membership} m ON m.id = md.membership_id"
        f" INNER JOIN {measure_divisions} d ON d.division_id = md.division_id"
        f" WHERE m.user_id = %(user)s AND m.organization_id = {org} AND m.is_active"
        f" AND m.role = %(role_division_head)s AND d.measure_id = {measure}) AS {_PREFIX}heads"
    )
    if model in WORKING_GROUP_ITEMS:  # no division: nobody heads it (same parameters, false)
        heads = f"(CAST(%(role_division_head)s AS TEXT) IS NULL) AS {_PREFIX}heads"
    delegation_sql = (
        f"(SELECT g.id FROM {delegation} g WHERE g.deputy_id = %(user)s"
        f" AND g.organization_id = {org} AND g.starts_at <= %(now)s AND g.ends_at > %(now)s"
        f" AND g.revoked_at IS NULL AND EXISTS(SELECT 1 FROM {membership} c"
        f" WHERE c.user_id = g.delegator_id AND c.organization_id = g.organization_id"
        f" AND c.is_active AND c.role = %(role_chief_executive)s)"
        f" ORDER BY g.starts_at DESC, g.id DESC LIMIT 1) AS {_PREFIX}delegation"
    )
    lock = " FOR UPDATE OF i" if vendor == "postgresql" else ""
    return (
        f"SELECT {columns}, {org} AS _org_id, {roles}, {heads}, {delegation_sql}"
        f" FROM {source} WHERE i.id = %(pk)s{lock}"
    )


_LOCK_SQL: dict = {}


def lock_statement(model, pk: int, user):
    """The statement that reads and locks one item's row with the user's `Facts` on it.

    Read its rows back with `lock_result`; `transition_perform` sends it together with
    the other reads of a transition. Call inside a transaction.
    """
    from django.db import connection

    from config.statements import Statement

    key = (model, connection.vendor)
    if key not in _LOCK_SQL:
        _LOCK_SQL[key] = _lock_sql(model, connection.vendor)
    params = {
        "role_division_head": Role.DIVISION_HEAD.value,
        "role_chief_executive": Role.CHIEF_EXECUTIVE.value,
        "user": user.pk if _authenticated(user) else None,
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "pk": pk,
    }
    return Statement(_LOCK_SQL[key], params, rows=True, prepare=True)


def lock_result(model, rows: list[tuple], user):
    """(item, facts) from the rows of `lock_statement`; raises model.DoesNotExist."""
    from config.statements import from_row

    if not rows:
        raise model.DoesNotExist()
    fields = model._meta.concrete_fields
    row = rows[0]
    item = from_row(model, fields, row[: len(fields)])
    item._org_id, roles, heads, delegation_id = row[len(fields) :]
    facts = NO_FACTS
    if _authenticated(user):
        facts = Facts(
            roles=frozenset((roles or "").split(",")) - {""},
            heads_division=bool(heads),
            delegation_id=delegation_id,
        )
    remember_facts(item, user, facts)
    return item, facts


def lock_with_facts(model, pk: int, user):
    """Read and lock one item's row with the user's `Facts` on it: ONE query.

    Returns (item, facts); raises model.DoesNotExist. Call inside a transaction.
    """
    from config import statements

    (rows,) = statements.run([lock_statement(model, pk, user)])
    return lock_result(model, rows, user)
