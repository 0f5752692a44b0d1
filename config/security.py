"""The client's address behind reverse proxies, and login throttling (django-axes).

TRUSTED_PROXIES is how many reverse proxies stand in front of the application (0: none,
the connection's address is the client's; 1: one nginx or load balancer, …). Each trusted
proxy appends the address it received the request from to X-Forwarded-For, so the client
is the TRUSTED_PROXIES-th address from the right of [X-Forwarded-For…, REMOTE_ADDR]
(counting REMOTE_ADDR, the nearest proxy, as 0): whatever a client wrote further left is
its own claim and is ignored. The audit trail and the login throttle both read it here.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import translation


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the person behind `request`, as far as the trusted proxies vouch."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return _address(remote) or remote or None
    forwarded = [a for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    chain = [*forwarded, remote]
    # fewer hops than proxies: the farthest one we have is the best we know
    candidate = chain[-(proxies + 1)] if len(chain) > proxies else chain[0]
    return _address(candidate) or _address(remote) or None


class LoginThrottle(AxesDatabaseHandler):
    """Locks one account from one address after AXES_FAILURE_LIMIT bad passwords, and the
    account from every address after AXES_ACCOUNT_FAILURE_LIMIT.

    The lockout parameters are [["username", "ip_address"], "username"]: the first keeps
    one person's mistakes from locking out the rest of an office behind one address; the
    second counts an attack on one account spread over many addresses.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair, account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = settings.AXES_FAILURE_LIMIT
        if account >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            return max(pair, limit)
        return max(pair, min(account, limit - 1))


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form while locked: in the site's layout, saying
    how long the lock lasts (HTTP 429)."""
    from workflow import thai

    cool_off = get_cool_off(request) or dt.timedelta(0)
    numbers = {
        "minutes": max(1, round(cool_off.total_seconds() / 60)),
        "limit": settings.AXES_FAILURE_LIMIT,
    }
    if translation.get_language() == "th":  # Thai digits on Thai pages
        numbers = {name: thai.to_thai_digits(value) for name, value in numbers.items()}
    return render(request, "registration/locked_out.html", numbers, status=429)
