"""Changes to accounts: passwords, second factor, API tokens, sign-in records."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.orgs.models import ApiToken, LoginThrottle, Person, User

TOKEN_PREFIX = "qf_"  # noqa: S105 - a visible marker, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


@transaction.atomic
def do_record_login(user: User) -> None:
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    record_audit(actor=user, action="orgs.login.success", obj=user)


@transaction.atomic
def do_change_password(user: User, *, new_password: str) -> None:
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record_audit(actor=user, action="orgs.password.change", obj=user)


@transaction.atomic
def do_enable_totp(user: User, *, secret: str) -> None:
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    record_audit(actor=user, action="orgs.totp.enable", obj=user)


@transaction.atomic
def do_reset_totp(user: User, *, actor: User) -> None:
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    record_audit(actor=actor, action="orgs.totp.reset", obj=user)


@transaction.atomic
def do_create_api_token(user: User, *, name: str) -> str:
    """Returns the token once; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name.strip(), prefix=token[:10], key_hash=hash_token(token)
    )
    record_audit(
        actor=user,
        action="orgs.api_token.create",
        obj=user,
        after={"name": name, "prefix": token[:10]},
    )
    return token


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, actor: User) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_audit(
        actor=actor, action="orgs.api_token.revoke", obj=token.user, after={"prefix": token.prefix}
    )


def do_mark_token_used(token: ApiToken) -> None:
    """When a token was last used, to the minute: written at most once a minute per token, so
    a client calling the API in a loop does not write on every request."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def check_create_account(
    person: Person, *, actor: User | None, username: str, password: str, must_change: bool = True
) -> User:
    """A login account for a person; the password must meet the policy."""
    user = User(username=username.strip())
    validate_password(password, user)
    user.full_clean(exclude=["password"])
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    record_audit(
        actor=actor,
        action="orgs.account.create",
        obj=user,
        unit=person.unit,
        after={"username": user.username, "person": person.pk},
    )
    return user


def temporary_password() -> str:
    """A random password that meets the policy, shown once to the system admin."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    core = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{core[:4]}-{core[4:8]}-{core[8:]}#{secrets.randbelow(90) + 10}"


@transaction.atomic
def do_reset_password(user: User, *, actor: User) -> str:
    """A new temporary password, to be changed at the next sign-in. Returned once."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    LoginThrottle.objects.filter(username_key=LoginThrottle.key_for(user.get_username())).delete()
    record_audit(actor=actor, action="orgs.password.reset", obj=user)
    return password


@transaction.atomic
def do_set_account_active(user: User, *, actor: User, active: bool, reason: str) -> None:
    if user.pk == actor.pk and not active:
        raise ValidationError(_("不能停用自己的账号"))
    if not reason.strip():
        raise ValidationError(_("请填写原因"))
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_audit(
        actor=actor,
        action="orgs.account.enable" if active else "orgs.account.disable",
        obj=user,
        after={"reason": reason},
    )


@transaction.atomic
def do_unlock(user: User, *, actor: User) -> None:
    key = LoginThrottle.key_for(user.get_username())
    deleted, _rows = LoginThrottle.objects.filter(username_key=key).delete()
    if deleted:
        record_audit(actor=actor, action="orgs.login.unlock", obj=user)
