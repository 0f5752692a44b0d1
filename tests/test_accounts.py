"""Accounts: password change and reset by e-mail, two-factor sign-in (TOTP)."""

import datetime as dt
import re
import time

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "pass-1234"  # tests.factories.UserFactory
NEW_PASSWORD = "ขอบคุณ-Khao-Thong-2564"


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or a step ahead: a code is accepted once)."""
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step)
    return f"{totp.token():0{device.digits}d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


@pytest.fixture
def log_in(client):
    def log_in(user):
        response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content
        return client

    return log_in


# --- password reset and change ----------------------------------------------------------


def test_password_reset_mails_a_link_at_the_site_address_that_sets_a_new_password(client, settings):
    # given a person, and a request that names another host
    settings.SITE_URL = "https://ita.example.go.th"
    user = UserFactory(username="somchai", email="somchai@example.go.th")

    # when they ask for a reset
    response = client.post(
        reverse("password_reset"), {"email": "somchai@example.go.th"}, HTTP_HOST="localhost"
    )

    # then one e-mail in Thai and English carries a link to SITE_URL, valid for an hour
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["somchai@example.go.th"]
    assert "ตั้งรหัสผ่านใหม่" in message.subject and "Set a new password" in message.subject
    assert "๖๐ นาที" in message.body and "60 minutes" in message.body
    link = re.search(r"https://ita\.example\.go\.th(/accounts/password/reset/\S+/)", message.body)
    assert link, message.body

    # and following it sets the new password, once
    form = client.get(link.group(1), follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not client.get(link.group(1), follow=True).context["validlink"]


def test_password_reset_answers_the_same_for_an_unknown_address(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.go.th"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_link_expires_after_the_set_time(client, settings):
    # given a link made longer ago than PASSWORD_RESET_TIMEOUT
    settings.PASSWORD_RESET_TIMEOUT = 3600
    user = UserFactory()

    class TwoHoursAgo(PasswordResetTokenGenerator):
        def _now(self):
            return dt.datetime.now() - dt.timedelta(hours=2)

    token = TwoHoursAgo().make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))

    # when it is opened
    page = client.get(
        reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}), follow=True
    )

    # then it is refused, with a way to ask for a new one
    assert not page.context["validlink"]
    assert reverse("password_reset") in page.content.decode()


def test_password_change_needs_the_old_password(log_in):
    # given
    user = UserFactory()
    client = log_in(user)

    # when the old password is wrong, then right
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    right = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    # then only the second changes it, and the person stays signed in
    assert wrong.status_code == 200 and wrong.context["form"].errors["old_password"]
    assert right.status_code == 302 and right.url == reverse("account")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(reverse("account")).status_code == 200


# --- two-factor sign-in -----------------------------------------------------------------


def test_a_person_with_two_factor_gives_a_code_before_any_page(world, log_in):
    # given the chief executive with an authenticator app
    chief = world["chief"]
    device = confirmed_device(chief)
    client = log_in(chief)

    # when they open a page, the API with the session, and give a wrong then a right code
    page = client.get(reverse("workflow:measure-list"))
    api = client.get("/api/v1/measures/")
    wrong = client.post(reverse("two-factor-verify"), {"token": "000000", "next": "/measures/"})
    time.sleep(1.1)  # django-otp throttles: a second after one wrong code, longer after more
    right = client.post(
        reverse("two-factor-verify"), {"token": code_for(device), "next": "/measures/"}
    )

    # then the page waits for the code, the API says why, and the right code opens the way
    assert page.status_code == 302 and page.url.startswith(reverse("two-factor-verify"))
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
    assert wrong.status_code == 200 and wrong.context["form"].errors["token"]
    assert right.status_code == 302 and right.url == "/measures/"
    assert client.get(reverse("workflow:measure-list")).status_code == 200


def test_two_factor_required_for_those_who_approve_publish_or_administer(world, settings):
    # given the setting, and each role signed in
    settings.TWO_FACTOR_REQUIRED = True
    must = {"chief", "deputy", "publisher", "admin"}

    for name in ("head", "working_group", "chief", "deputy", "publisher", "auditor", "admin"):
        from django.test import Client

        client = Client()
        client.force_login(world[name])

        # when they open their home page
        response = client.get(reverse("workflow:home"))

        # then only the approving, publishing and administering roles are sent to set it up
        sent = response.status_code == 302 and response.url.startswith(reverse("two-factor-setup"))
        assert sent == (name in must), name


def test_two_factor_setup_shows_a_qr_code_and_confirms_with_a_first_code(world, log_in):
    # given
    client = log_in(world["head"])

    # when the person starts, then confirms with the code of their app
    page = client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=world["head"], confirmed=False)
    short = client.post(reverse("two-factor-setup"), {"token": "123"})
    time.sleep(1.1)  # throttled after a wrong code
    right = client.post(reverse("two-factor-setup"), {"token": code_for(device)})

    # then the page shows the code as SVG and the key; only the right code puts it in force
    assert page.context["qr"].startswith("data:image/svg+xml;base64,") and page.context["secret"]
    assert short.status_code == 200 and short.context["form"].errors["token"]
    assert right.status_code == 302
    assert TOTPDevice.objects.get(user=world["head"]).confirmed


def test_two_factor_cannot_be_turned_off_when_the_roles_require_it(world, settings):
    from django.test import Client

    # given the chief executive (required) and a division head (optional), both verified
    settings.TWO_FACTOR_REQUIRED = True
    results = {}
    for name in ("chief", "head"):
        device = confirmed_device(world[name])
        client = Client()
        client.force_login(world[name])
        client.post(reverse("two-factor-verify"), {"token": code_for(device)})

        # when each turns it off with a fresh code
        client.post(reverse("two-factor-disable"), {"token": code_for(device, steps_ahead=1)})
        results[name] = TOTPDevice.objects.filter(user=world[name]).exists()

    # then the chief's stays, the head's is gone
    assert results == {"chief": True, "head": False}


def test_the_set_up_page_is_no_way_around_a_device_in_force(world, log_in):
    # given the publisher with a device, signed in with the password only
    device = confirmed_device(world["publisher"])
    client = log_in(world["publisher"])

    # when they open the set-up page to register another phone
    page = client.get(reverse("two-factor-setup"))
    posted = client.post(reverse("two-factor-setup"), {"token": "123456"})

    # then they are asked for the code of the device in force, which stays the only one
    assert page.status_code == posted.status_code == 302
    assert page.url.startswith(reverse("two-factor-verify"))
    assert list(TOTPDevice.objects.filter(user=world["publisher"])) == [device]


def test_a_verified_person_moves_two_factor_to_a_new_phone(world, log_in):
    # given the admin, verified with the old phone
    old = confirmed_device(world["admin"])
    client = log_in(world["admin"])
    client.post(reverse("two-factor-verify"), {"token": code_for(old)})

    # when they set up the new phone
    client.get(reverse("two-factor-setup"))
    new = TOTPDevice.objects.get(user=world["admin"], confirmed=False)
    moved = client.post(reverse("two-factor-setup"), {"token": code_for(new)})

    # then only the new one is in force
    assert moved.status_code == 302
    assert list(TOTPDevice.objects.filter(user=world["admin"])) == [new]
    assert TOTPDevice.objects.get(pk=new.pk).confirmed
