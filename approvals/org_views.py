"""The organization admin's pages: divisions, people and their roles, delegations.

Thin: each form is checked here and written by the services (workflow.services for
divisions, approvals.services for people, roles and delegations), which keep the rules
and the audit trail; their refusals are shown at the form.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals import permissions, services
from approvals.exceptions import NotPermitted, ValidationFailed, WorkflowError
from approvals.models import Delegation, Membership, Position, Role
from workflow import services as workflow_services
from workflow import thai
from workflow.forms import month_choices
from workflow.models import Division, Organization
from workflow.views.errors import workflow_error_message


def _organization(user) -> Organization:
    """The organization the person administers (the first, if several)."""
    org_ids = Membership.objects.filter(user=user, role=Role.ADMIN, is_active=True).values_list(
        "organization_id", flat=True
    )
    organization = Organization.objects.filter(pk__in=list(org_ids)).first()
    if organization is None:
        raise Http404
    return organization


def _people_of(organization):
    """Those who hold or held a role in the organization, each once (roles are rows)."""
    return get_user_model().objects.filter(memberships__organization=organization).distinct()


def _refusal_text(error: WorkflowError) -> str:
    """A service's refusal as one sentence in the page's language."""
    if isinstance(error, ValidationFailed) and error.fields:
        return " ".join(_(m) for errors in error.fields.values() for m in errors)
    return workflow_error_message(error)


def _refused(form, error: WorkflowError) -> None:
    """A service's refusal at the form's fields (or on top), in the page's language."""
    if isinstance(error, ValidationFailed) and error.fields:
        for field, errors in error.fields.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, _(message))
    else:
        form.add_error(None, workflow_error_message(error))


class DivisionForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the division"), max_length=200)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    division_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Divisions (for a division head)"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        in_use = Division.objects.filter(organization=organization, is_active=True)
        self.fields["division_ids"].choices = [(d.pk, d.name) for d in in_use]


class PositionForm(forms.Form):
    position = forms.CharField(
        label=gettext_lazy("Official position"), max_length=200, required=False,
        help_text=gettext_lazy("The official position, as written in the organization's orders."),
    )  # fmt: skip


class InviteForm(RoleForm, PositionForm):
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"))
    field_order = ["first_name", "last_name", "position", "email", "role", "division_ids"]


class DelegationForm(forms.Form):
    deputy = forms.ModelChoiceField(label=gettext_lazy("Deputy"), queryset=None)
    start_day = forms.IntegerField(label=gettext_lazy("From day"), min_value=1, max_value=31)
    start_month = forms.TypedChoiceField(label=gettext_lazy("Month"), coerce=int)
    start_year = forms.IntegerField(label=gettext_lazy("year (BE)"), min_value=2500, max_value=2700)
    end_day = forms.IntegerField(label=gettext_lazy("To day"), min_value=1, max_value=31)
    end_month = forms.TypedChoiceField(label=gettext_lazy("Month"), coerce=int)
    end_year = forms.IntegerField(label=gettext_lazy("year (BE)"), min_value=2500, max_value=2700)
    reason = forms.CharField(
        label=gettext_lazy("Order or reason"), required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, organization, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {
            "start_day": today.day, "start_month": today.month,
            "start_year": thai.be_year(today.year), "end_day": today.day,
            "end_month": today.month, "end_year": thai.be_year(today.year),
        })  # fmt: skip
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(organization=organization, is_active=True)
        self.fields["deputy"].queryset = (
            get_user_model()
            .objects.filter(pk__in=members.values("user_id"), is_active=True)
            .order_by("first_name")
        )
        self.fields["deputy"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["start_month"].choices = month_choices()
        self.fields["end_month"].choices = month_choices()

    def moments(self) -> tuple[dt.datetime, dt.datetime] | None:
        """From the start of the first day to the end of the last, in local time."""
        data = self.cleaned_data
        try:
            start = dt.date(
                thai.ce_year(data["start_year"]), data["start_month"], data["start_day"]
            )
            end = dt.date(thai.ce_year(data["end_year"]), data["end_month"], data["end_day"])
        except ValueError:
            self.add_error("start_day", _("That month has no such day."))
            return None
        return (
            timezone.make_aware(dt.datetime.combine(start, dt.time.min)),
            timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
        )


@login_required
def organization_home(request):
    organization = _organization(request.user)
    permissions.authorize_admin(request.user, organization.pk)
    return render(request, "approvals/org_home.html", {"organization": organization})


@login_required
def divisions(request):
    organization = _organization(request.user)
    permissions.authorize_admin(request.user, organization.pk)
    form = DivisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workflow_services.division_create(
                organization=organization, actor=request.user, name=form.cleaned_data["name"]
            )
        except WorkflowError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The division was added."))
            return redirect("organization:divisions")
    context = {
        "organization": organization,
        "form": form,
        "divisions": Division.objects.filter(organization=organization).order_by(
            "-is_active", "name"
        ),
    }
    return render(request, "approvals/org_divisions.html", context)


@login_required
@require_POST
def division_change(request, pk: int):
    """Rename a division, or retire or restore it."""
    organization = _organization(request.user)
    division = get_object_or_404(Division, pk=pk, organization=organization)
    name = request.POST.get("name")
    retire = request.POST.get("active")
    try:
        workflow_services.division_update(
            division=division, actor=request.user, name=name if name else None,
            is_active=None if retire is None else retire == "1",
        )  # fmt: skip
    except WorkflowError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The division was changed."))
    return redirect("organization:divisions")


@login_required
def people(request):
    organization = _organization(request.user)
    permissions.authorize_admin(request.user, organization.pk)
    form = InviteForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.person_invite(
                organization=organization, actor=request.user, email=data["email"],
                first_name=data["first_name"], last_name=data["last_name"], role=data["role"],
                division_ids=[int(d) for d in data["division_ids"]],
                site_url=request.build_absolute_uri("/"), position=data["position"],
            )  # fmt: skip
        except WorkflowError as error:
            _refused(form, error)
        else:
            messages.success(
                request, _("The invitation was sent to %(email)s.") % {"email": data["email"]}
            )
            return redirect("organization:people")
    memberships = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related("divisions")
        .order_by("user__first_name", "user__username", "role")
    )
    by_person: dict = {}
    for membership in memberships:
        by_person.setdefault(membership.user, []).append(membership)
    positions = dict(
        Position.objects.filter(organization=organization).values_list("user_id", "title")
    )
    context = {
        "organization": organization,
        "form": form,
        "people": [
            (
                person,
                held,
                positions.get(person.pk, ""),
                RoleForm(organization=organization, auto_id=f"p{person.pk}-%s"),
                PositionForm(
                    initial={"position": positions.get(person.pk, "")},
                    auto_id=f"t{person.pk}-%s",
                ),
            )
            for person, held in sorted(by_person.items(), key=lambda p: p[0].get_full_name())
        ],
    }
    return render(request, "approvals/org_people.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def position_change(request, user_pk: int):
    """Set or clear a person's position in this organization (recorded in history)."""
    organization = _organization(request.user)
    user = get_object_or_404(_people_of(organization), pk=user_pk)
    form = PositionForm(request.POST)
    if form.is_valid():
        try:
            services.position_set(
                organization=organization, actor=request.user, user=user,
                title=form.cleaned_data["position"],
            )  # fmt: skip
        except WorkflowError as error:
            messages.error(request, _refusal_text(error))
        else:
            messages.success(request, _("The position was saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("organization:people")


@login_required
@require_POST
def role_add(request, user_pk: int):
    organization = _organization(request.user)
    user = get_object_or_404(_people_of(organization), pk=user_pk)
    form = RoleForm(request.POST, organization=organization)
    if form.is_valid():
        try:
            services.membership_create(
                organization=organization, actor=request.user, user=user,
                role=form.cleaned_data["role"],
                division_ids=[int(d) for d in form.cleaned_data["division_ids"]],
            )  # fmt: skip
        except WorkflowError as error:
            _refused(form, error)
    if form.errors:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    else:
        messages.success(request, _("The role was given."))
    return redirect("organization:people")


@login_required
@require_POST
def role_end(request, pk: int):
    """End one role of a person (or restore it); the history keeps who held it and when."""
    organization = _organization(request.user)
    membership = get_object_or_404(Membership, pk=pk, organization=organization)
    try:
        services.membership_update(
            membership=membership, actor=request.user, is_active=request.POST.get("active") == "1"
        )
    except WorkflowError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The role was changed."))
    return redirect("organization:people")


@login_required
def delegations(request):
    organization = _organization(request.user)
    permissions.authorize_admin(request.user, organization.pk)
    form = DelegationForm(request.POST or None, organization=organization)
    chief = (
        Membership.objects.filter(
            organization=organization, role=Role.CHIEF_EXECUTIVE, is_active=True
        )
        .select_related("user")
        .first()
    )
    if request.method == "POST" and form.is_valid() and (moments := form.moments()):
        try:
            if chief is None:
                raise NotPermitted(
                    "หน่วยงานยังไม่มีผู้บริหารที่จะมอบหมายให้ปฏิบัติราชการแทน",
                    "The organization has no chief executive to delegate for.",
                )
            services.delegation_create(
                organization=organization, actor=request.user, delegator=chief.user,
                deputy=form.cleaned_data["deputy"], starts_at=moments[0], ends_at=moments[1],
                reason=form.cleaned_data["reason"],
            )  # fmt: skip
        except WorkflowError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The delegation was recorded."))
            return redirect("organization:delegations")
    context = {
        "organization": organization,
        "form": form,
        "chief": chief,
        "delegations": Delegation.objects.filter(organization=organization)
        .select_related("delegator", "deputy")
        .order_by("-starts_at"),
        "now": timezone.now(),
    }
    return render(request, "approvals/org_delegations.html", context)


@login_required
@require_POST
def delegation_revoke(request, pk: int):
    organization = _organization(request.user)
    delegation = get_object_or_404(Delegation, pk=pk, organization=organization)
    try:
        services.delegation_revoke(delegation=delegation, actor=request.user)
    except WorkflowError as error:
        messages.error(request, workflow_error_message(error))
    else:
        messages.success(request, _("The delegation was revoked."))
    return redirect("organization:delegations")
