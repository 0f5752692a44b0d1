"""A person's own account: password change and reset (Django's views), two-factor sign-in."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals import two_factor
from approvals.exceptions import ValidationFailed


class CodeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Six-digit code from the app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _with_code(request, form: CodeForm, service) -> bool:
    """Run a two-factor service with the form's code; its refusal goes onto the form."""
    if not form.is_valid():
        return False
    try:
        service(request=request, token=form.cleaned_data["token"])
    except ValidationFailed:
        form.add_error("token", _("The code is not right, or it has expired. Try the newest code."))
        return False
    return True


@login_required
def account(request):
    return render(
        request,
        "approvals/account.html",
        {
            "device": two_factor.two_factor_device(request.user),
            "two_factor_required": settings.TWO_FACTOR_REQUIRED
            and two_factor.two_factor_expected(request.user),
            "form": CodeForm(),
        },
    )


@login_required
def two_factor_setup(request):
    """Set up (or move to a new phone) the app; whoever has one must first give its code."""
    if two_factor.two_factor_device(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('two-factor-verify')}?next={reverse('two-factor-setup')}")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if _with_code(request, form, two_factor.two_factor_setup_confirm):
            messages.success(request, _("Two-factor sign-in is on."))
            return redirect(_next_or(request, reverse("account")))
        device = two_factor.two_factor_device(request.user, confirmed=False)
    else:
        device = None
    device = device or two_factor.two_factor_setup_start(user=request.user)
    return render(
        request,
        "approvals/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.two_factor_qr_data_url(device),
            "secret": _base32(device.bin_key),
            "next": _next_or(request, ""),
            "required": settings.TWO_FACTOR_REQUIRED
            and two_factor.two_factor_expected(request.user),
        },
    )


@login_required
def two_factor_verify(request):
    if request.user.is_verified() or not two_factor.two_factor_device(request.user):
        return redirect(_next_or(request, settings.LOGIN_REDIRECT_URL))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and _with_code(request, form, two_factor.two_factor_verify):
        return redirect(_next_or(request, settings.LOGIN_REDIRECT_URL))
    return render(
        request, "approvals/two_factor_verify.html", {"form": form, "next": _next_or(request, "")}
    )


@login_required
@require_POST
def two_factor_disable(request):
    form = CodeForm(request.POST)
    try:
        if form.is_valid():
            two_factor.two_factor_disable(request=request, token=form.cleaned_data["token"])
            messages.success(request, _("Two-factor sign-in is off."))
        else:
            messages.error(request, _("Give the code from your app to turn it off."))
    except ValidationFailed as error:
        messages.error(request, _("It was not turned off: %(reason)s") % {"reason": _reason(error)})
    return redirect("account")


def _reason(error: ValidationFailed) -> str:
    if error.fields.get("token") == two_factor.WRONG_CODE["token"]:
        return _("the code is not right, or it has expired.")
    return _("your roles require two-factor sign-in.")


def _base32(key: bytes) -> str:
    from base64 import b32encode

    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


class PasswordResetView(auth_views.PasswordResetView):
    """The link in the e-mail points at SITE_URL, whatever Host the request named."""

    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_extra_email_context(self):
        return {"site_url": settings.SITE_URL.rstrip("/"), "valid_minutes": _valid_minutes()}

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "valid_minutes": _valid_minutes()}


def _valid_minutes() -> int:
    return settings.PASSWORD_RESET_TIMEOUT // 60


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        messages.success(self.request, _("Your password was changed."))
        return super().form_valid(form)
