"""What a government site needs: throttled logins, CSRF everywhere, a clean deploy check."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_locks_after_five_bad_passwords(client, settings):
    # given axes on, as in production
    settings.AXES_ENABLED = True
    UserFactory(username="palad", password="right-password-2564")
    url = reverse("login")

    # when five bad passwords are tried
    failures = [client.post(url, {"username": "palad", "password": f"wrong-{n}"}) for n in range(5)]
    sixth = client.post(url, {"username": "palad", "password": "wrong-6"})
    right = client.post(url, {"username": "palad", "password": "right-password-2564"})

    # then the first ones are refused as wrong, the sixth and even the right one are locked
    assert [r.status_code for r in failures[:4]] == [200, 200, 200, 200]
    assert sixth.status_code == 429
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_and_logout_work(client):
    UserFactory(username="nayok", password="pass-1234")
    response = client.post(reverse("login"), {"username": "nayok", "password": "pass-1234"})
    assert response.status_code == 302
    assert client.get(reverse("workflow:home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("workflow:home")).status_code == 302


def test_every_form_is_protected_by_csrf():
    # given a client that enforces CSRF like a browser
    user = UserFactory(username="head", password="pass-1234")
    client = Client(enforce_csrf_checks=True)

    # when posting without a token
    login = client.post(reverse("login"), {"username": "head", "password": "pass-1234"})
    client.force_login(user)
    transition = client.post(
        reverse("workflow:transition", args=["measure", 1]), {"action": "submit"}
    )
    logout = client.post(reverse("logout"))

    # then every one is refused
    assert (login.status_code, transition.status_code, logout.status_code) == (403, 403, 403)


def test_forms_on_the_pages_carry_the_csrf_token(client):
    page = client.get(reverse("login")).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') == page.count("<form")


def test_check_deploy_is_clean_under_the_production_settings():
    # given the environment a deployment sets (not the browser tests' async switch)
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "ita.example.go.th",
        "DEBUG": "false",
        "SITE_URL": "https://ita.example.go.th",
        "CSRF_TRUSTED_ORIGINS": "https://ita.example.go.th",
        "EMAIL_URL": "smtp+tls://itaflow:mail-secret@mail.example.go.th:587",
        "TWO_FACTOR_REQUIRED": "true",
    }

    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip

    # then
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
