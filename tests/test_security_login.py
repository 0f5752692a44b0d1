"""Issue 12, hole 4: login throttling locks one account from one address, not an office."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from config.security import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OFFICE = "203.0.113.10"  # one address for a whole office (NAT)


@pytest.fixture
def throttled(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 20
    UserFactory(username="palad", password="right-password-2564")
    UserFactory(username="klang", password="klang-password-2564")
    return settings


def sign_in(client, username, password, **meta):
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def test_one_persons_bad_passwords_do_not_lock_the_rest_of_the_office(client, throttled):
    # given five bad passwords for palad from the office's address
    for n in range(5):
        sign_in(client, "palad", f"wrong-{n}", REMOTE_ADDR=OFFICE)

    # when palad tries again, and a colleague signs in from the same address
    locked = sign_in(client, "palad", "right-password-2564", REMOTE_ADDR=OFFICE)
    colleague = sign_in(client, "klang", "klang-password-2564", REMOTE_ADDR=OFFICE)

    # then only palad, from there, is locked: with a page saying for how long, in Thai
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "ระงับการเข้าสู่ระบบ" in page and "๓๐ นาที" in page
    assert '<nav class="site-nav">' in page  # the site's layout, not a bare text
    assert colleague.status_code == 302


def test_the_same_account_from_another_address_is_not_locked_by_that_lock(client, throttled):
    # given
    for n in range(5):
        sign_in(client, "palad", f"wrong-{n}", REMOTE_ADDR=OFFICE)

    # when palad signs in from home
    home = sign_in(client, "palad", "right-password-2564", REMOTE_ADDR="198.51.100.7")

    # then
    assert home.status_code == 302


def test_an_attack_on_one_account_from_many_addresses_is_counted(client, throttled):
    # given twenty bad passwords for palad, each from another address
    for n in range(20):
        sign_in(client, "palad", f"wrong-{n}", REMOTE_ADDR=f"192.0.2.{n + 1}")

    # when palad signs in from yet another address
    response = sign_in(client, "palad", "right-password-2564", REMOTE_ADDR="198.51.100.7")

    # then the account is locked; another account is not
    assert response.status_code == 429
    assert (
        sign_in(client, "klang", "klang-password-2564", REMOTE_ADDR="192.0.2.1").status_code == 302
    )


def test_the_lockout_page_speaks_english_on_english_pages(client, throttled):
    # given
    client.cookies["django_language"] = "en"
    for n in range(5):
        sign_in(client, "palad", f"wrong-{n}")

    # when
    response = sign_in(client, "palad", "right-password-2564", HTTP_ACCEPT_LANGUAGE="en")

    # then
    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused" in page and "30 minutes" in page


def test_behind_a_proxy_each_client_is_told_apart_and_a_forged_header_is_ignored(client, throttled):
    # given one trusted proxy in front (it appends the address it saw)
    throttled.TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"

    # when an attacker fails five times, forging a new address in front of its own each time
    for n in range(5):
        sign_in(client, "palad", f"wrong-{n}", REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}, {OFFICE}")  # fmt: skip

    # then it is locked as the address the proxy saw, and a colleague behind the same
    # proxy from elsewhere, and palad from home, are not
    assert sign_in(client, "palad", "x", REMOTE_ADDR=proxy,
                   HTTP_X_FORWARDED_FOR=OFFICE).status_code == 429  # fmt: skip
    assert sign_in(client, "palad", "right-password-2564", REMOTE_ADDR=proxy,
                   HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302  # fmt: skip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "client"),
    [
        (0, "192.0.2.9", "203.0.113.10", "203.0.113.10"),  # no proxy: the header is a lie
        (1, "", "203.0.113.10", "203.0.113.10"),  # a direct request when one is expected
        (1, "203.0.113.10", "10.0.0.2", "203.0.113.10"),
        (1, "192.0.2.9, 203.0.113.10", "10.0.0.2", "203.0.113.10"),  # forged left part
        (2, "203.0.113.10, 10.0.0.1", "10.0.0.2", "203.0.113.10"),
        (1, "not-an-address", "10.0.0.2", "10.0.0.2"),
        (1, "2001:db8::1", "10.0.0.2", "2001:db8::1"),
    ],
)
def test_client_ip_reads_through_exactly_the_trusted_proxies(
    settings, proxies, forwarded, remote, client
):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == client
