"""Sign-in actions: counting failures and locking out, the second factor's codes.

Failures are counted three ways, none of which keeps a client address:

- per (address, name): QF_LOGIN_MAX_FAILURES (5) lock that name from that address — someone
  guessing one account;
- per name: QF_LOGIN_MAX_FAILURES_PER_NAME (20) lock the name from everywhere — guessing one
  account from many addresses;
- per address, across any names: past QF_LOGIN_CHALLENGE_AFTER (10) failures every attempt
  from that address must also pass the challenge (`orgs.signin_check`: proof of work and
  picture sum), and past QF_LOGIN_MAX_FAILURES_PER_ADDRESS (30) it is slowed down by
  QF_LOGIN_SLOW_DOWN_SECONDS too — never refused: behind a proxy every user shares one
  address, and a stranger guessing random names must not lock the right user out.
The one-time code after a right password (`check_second_factor`) is counted and challenged
the same way. Whether a user must still pass a gate (second factor, password change)
is policy, in `orgs.permissions`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from qingfeng.core.audit import record_audit
from qingfeng.core.fields import blind_index
from qingfeng.core.middleware import client_address
from qingfeng.core.models import AuditEvent
from qingfeng.core.publicform.work import MAX_LEVEL
from qingfeng.orgs.models import LoginThrottle, User
from qingfeng.orgs.signin_check import CHALLENGE


class LoginLocked(Exception):
    def __init__(self, until: datetime) -> None:
        self.until = until


def _key(username: str) -> str:
    return LoginThrottle.key_for(username)


def _address_key(request: HttpRequest) -> str:
    """A keyed hash of the client address: limits guessing across many names from one
    place without keeping the address itself in this table."""
    address = client_address(request)
    return "addr:" + blind_index(address)[:40] if address else ""


def _pair_key(request: HttpRequest | None, username: str) -> str:
    """A keyed hash of the client address with the name: one name's failures from one place."""
    address = client_address(request) if request is not None else ""
    return "pair:" + blind_index(f"{address}\n{_key(username)}")[:40] if address else ""


def _locked_until(key: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(username_key=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def is_locked(username: str) -> datetime | None:
    return _locked_until(_key(username))


def address_failures(request: HttpRequest) -> int:
    """The failed sign-ins of the request's address still counted (within the lockout window,
    as `_count_failure` counts them), whatever the names."""
    key = _address_key(request)
    throttle = LoginThrottle.objects.filter(username_key=key).first() if key else None
    if throttle is None or throttle.last_failure_at is None:
        return 0
    now = timezone.now()
    if throttle.locked_until is not None:
        return throttle.failures if throttle.locked_until > now else 0
    window = timedelta(minutes=settings.QF_LOGIN_LOCKOUT_MINUTES)
    return throttle.failures if now - throttle.last_failure_at <= window else 0


def challenge_level(request: HttpRequest) -> int | None:
    """None when a sign-in from this address needs no challenge; else how many times the proof
    of work is doubled: once more for every further QF_LOGIN_CHALLENGE_AFTER failures."""
    if not settings.QF_LOGIN_CHALLENGE:
        return None
    after = settings.QF_LOGIN_CHALLENGE_AFTER
    failures = address_failures(request)
    if failures < after:
        return None
    return min(MAX_LEVEL, (failures - after) // after)


def _count_failure(key: str, limit: int) -> datetime | None:
    now = timezone.now()
    window = timedelta(minutes=settings.QF_LOGIN_LOCKOUT_MINUTES)
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(username_key=key)
    expired_lock = throttle.locked_until is not None and throttle.locked_until <= now
    stale = throttle.last_failure_at is not None and now - throttle.last_failure_at > window
    if expired_lock or (throttle.locked_until is None and stale):
        throttle.failures = 0
        throttle.locked_until = None
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= limit:
        throttle.locked_until = now + window
    throttle.save()
    return throttle.locked_until


@transaction.atomic
def do_register_login_failure(
    username: str, *, action: str = "orgs.login.failure", request: HttpRequest | None = None
) -> datetime | None:
    """Count one failed attempt against the name, the name from this address, and the
    address (see the module); returns the lock's end once the name is locked. Failures older
    than the lockout window are forgotten."""
    pair = _pair_key(request, username)
    # Without an address to pair it with, the name alone has the strict limit.
    name_limit = settings.QF_LOGIN_MAX_FAILURES_PER_NAME if pair else settings.QF_LOGIN_MAX_FAILURES
    locks = [_count_failure(_key(username), name_limit)]
    if pair:
        locks.append(_count_failure(pair, settings.QF_LOGIN_MAX_FAILURES))
    if request is not None and (address := _address_key(request)):
        # The address's "lock" only marks it as one to slow down (check_credentials).
        _count_failure(address, settings.QF_LOGIN_MAX_FAILURES_PER_ADDRESS)
    until = max((lock for lock in locks if lock is not None), default=None)
    user = User.objects.filter(username__iexact=username.strip()).first()
    record_audit(
        actor=user,
        action=action if until is None else "orgs.login.locked",
        obj=user,
        outcome=AuditEvent.Outcome.DENIED,
        object_repr=user.get_username() if user else _key(username),  # never the typed text
    )
    return until


def slow_down(seconds: int) -> None:
    """The wait of a sign-in from an address that failed many times. Under `serve` the
    sleep is a greenlet's: the process serves everyone else meanwhile."""
    time.sleep(seconds)


def check_credentials(
    request: HttpRequest,
    username: str,
    password: str,
    *,
    answers: Mapping[str, Any] | None = None,
) -> User | None:
    """The user if name and password match and the name is not locked; None otherwise.

    Unknown names and wrong passwords count alike and get the same answer. An address that
    failed many times must also have solved the challenge (`answers`: the form's
    `work_solution`, `captcha_token`, `captcha_answer`), else a ValidationError on those
    fields before the password is even looked at, counted nowhere; past more failures it is
    also answered slowly. The address itself is never refused.
    """
    if challenge_level(request) is not None:
        CHALLENGE.require(answers or {})
    pair = _pair_key(request, username)
    until = is_locked(username) or (_locked_until(pair) if pair else None)
    if until is not None:
        raise LoginLocked(until)
    address = _address_key(request)
    if address and _locked_until(address) is not None:
        slow_down(settings.QF_LOGIN_SLOW_DOWN_SECONDS)
    user = authenticate(request, username=username.strip(), password=password)
    if user is None:
        until = do_register_login_failure(username, request=request)
        if until is not None:
            raise LoginLocked(until)
        return None
    # The counter is reset only once the sign-in is complete (second factor included), so
    # signing in again with a stolen password does not buy more tries at the code.
    return user


def check_second_factor(
    request: HttpRequest, user: User, code: str, *, answers: Mapping[str, Any] | None = None
) -> bool:
    """True if `code` is the user's next one-time code (`verify_totp`); a wrong one counts as
    a failed sign-in as a wrong password does, and raises LoginLocked once the name is locked.

    The step after the password answers to the same rule as the password: an address that
    failed many times must also have solved the challenge, else a ValidationError on its
    fields before the code is even looked at (so a right code is not spent), counted nowhere;
    past more failures it is also answered slowly. The address itself is never refused.
    """
    if challenge_level(request) is not None:
        CHALLENGE.require(answers or {})
    address = _address_key(request)
    if address and _locked_until(address) is not None:
        slow_down(settings.QF_LOGIN_SLOW_DOWN_SECONDS)
    if verify_totp(user, code):
        return True
    until = do_register_login_failure(
        user.get_username(), action="orgs.totp.failure", request=request
    )
    if until is not None:
        raise LoginLocked(until)
    return False


def do_reset_login_failures(username: str, request: HttpRequest | None = None) -> None:
    """A complete sign-in clears the name's failure counts (its address's stays)."""
    keys = [_key(username), _pair_key(request, username)]
    LoginThrottle.objects.filter(username_key__in=[key for key in keys if key]).delete()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.get_username(), issuer_name="清风 Qingfeng"
    )


@transaction.atomic
def verify_totp(user: User, code: str, *, secret: str | None = None) -> bool:
    """Check a 6-digit code (±1 step); a code once used cannot be used again, nor can any
    code older than the last one accepted."""
    code = "".join(ch for ch in code if ch.isdigit())
    secret = secret or user.totp_secret
    if len(code) != 6 or not secret:
        return False
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    locked = User.objects.select_for_update().get(pk=user.pk)
    for step in (now_step - 1, now_step, now_step + 1):
        if step > locked.totp_last_step and totp.generate_otp(step) == code:
            User.objects.filter(pk=user.pk).update(totp_last_step=step)
            user.totp_last_step = step
            return True
    return False
