"""Two-factor sign-in with an authenticator app (TOTP, django-otp).

Anyone may turn it on. With TWO_FACTOR_REQUIRED, the people who approve, publish or
administer must: chief executives and the deputies acting for them, publishers,
organization admins and superusers. A person with a confirmed device is asked for a code
after the password, before any page (the API's token clients are not: they have no session).
"""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import qrcode
from django.conf import settings
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from approvals.exceptions import ValidationFailed, WorkflowError
from approvals.models import Delegation, Membership, Role

TWO_FACTOR_ROLES = (Role.CHIEF_EXECUTIVE, Role.PUBLISHER, Role.ADMIN)
DEVICE_NAME = "authenticator"
WRONG_CODE = {"token": ["The code is not right, or it has expired. Try the newest code."]}


class TwoFactorError(WorkflowError):
    code = "two_factor_required"
    status = 403
    message_th = "กรุณายืนยันตัวตนด้วยรหัสจากแอปยืนยันตัวตนก่อน"
    message_en = "Confirm your sign-in with the code of your authenticator app first."


def two_factor_expected(user) -> bool:
    """Whether `user` approves, publishes or administers anywhere (or runs the platform)."""
    if user.is_superuser:
        return True
    if Membership.objects.filter(user=user, is_active=True, role__in=TWO_FACTOR_ROLES).exists():
        return True
    return Delegation.objects.filter(
        deputy=user, revoked_at__isnull=True, ends_at__gt=timezone.now()
    ).exists()


def two_factor_device(user, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def two_factor_setup_start(*, user) -> TOTPDevice:
    """A new secret for `user`'s app, not in force until a code from it is confirmed."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def two_factor_setup_confirm(*, request, token: str) -> TOTPDevice:
    """Put the device in force with a first code from the app; the session counts as verified."""
    device = two_factor_device(request.user, confirmed=False)
    if device is None or not device.verify_token(_digits(token)):
        raise ValidationFailed(WRONG_CODE)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return device


def two_factor_verify(*, request, token: str) -> TOTPDevice:
    """The second step of a sign-in (django-otp throttles repeated wrong codes)."""
    device = two_factor_device(request.user)
    if device is None or not device.verify_token(_digits(token)):
        raise ValidationFailed(WRONG_CODE)
    otp_login(request, device)
    return device


def two_factor_disable(*, request, token: str) -> None:
    """Turn two-factor sign-in off, with a current code; not for those who must use it."""
    if settings.TWO_FACTOR_REQUIRED and two_factor_expected(request.user):
        raise ValidationFailed(
            {"token": ["Your roles require two-factor sign-in."]},
            "บทบาทของท่านต้องใช้การยืนยันตัวตนสองขั้นตอน",
            "Your roles require two-factor sign-in.",
        )
    device = two_factor_device(request.user)
    if device is None or not device.verify_token(_digits(token)):
        raise ValidationFailed(WRONG_CODE)
    TOTPDevice.objects.filter(user=request.user).delete()


def two_factor_qr_data_url(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an SVG QR code (an image, for the app to scan)."""
    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=SvgPathImage, border=2).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _digits(token: str) -> str:
    return "".join(ch for ch in (token or "") if ch.isdigit())[:8]


# Pages a signed-in person still needs before the second step.
_OPEN_PREFIXES = ("/static/", "/i18n/", "/public/")


class TwoFactorMiddleware:
    """After django-otp's middleware: send a person who owes a code to the code page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not self._open(request.path):
            # Someone with a device gives its code; the set-up page is not a way around it.
            owed = None
            if user_has_device(user):
                owed = "two-factor-verify"
            elif settings.TWO_FACTOR_REQUIRED and two_factor_expected(user):
                owed = "two-factor-setup"
            if owed and request.path not in self._pages(owed, "logout"):
                return self._refuse(request, owed)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path.startswith(_OPEN_PREFIXES)

    @staticmethod
    def _pages(*names: str) -> set[str]:
        return {reverse(name) for name in names}

    @staticmethod
    def _refuse(request, page: str):
        if request.path.startswith("/api/"):
            return JsonResponse(TwoFactorError().as_dict(), status=TwoFactorError.status)
        return redirect(f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}")
